"""What a failed AWS call means (its outcome), and how it is said without leaking what it carried.

A failure is stored as its error code and a short, redacted message. An AWS error's own ``Message`` is
kept only when the error has AWS's shape (a code, not a bare HTTP status) and even then cut short,
on one line, with anything that looks like encoded data replaced: responses of
DescribeLaunchTemplateVersions and DescribeLaunchConfigurations carry user data, and a parser error
quotes the body it could not parse. Body bytes are never kept.
"""

from __future__ import annotations

import re

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

ACCESS_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthFailure",
                 "UnrecognizedClientException", "InvalidClientTokenId", "OptInRequired"}
THROTTLED = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
             "RequestThrottled", "SlowDown", "RequestThrottledException"}
NOT_IMPLEMENTED = {"NotImplemented", "InvalidAction", "UnsupportedOperation", "NotImplementedError"}

MESSAGE_MAX = 160
# AWS error codes are short identifiers (InvalidLaunchTemplateId.NotFound); anything else is not one.
CODE = re.compile(r"[A-Za-z][A-Za-z0-9.:_-]{0,79}")
# Runs that may be encoded data (base64 user data, tokens, hex blobs): never kept in a message. A
# run of letters only is a word (AWS names a policy AmazonEC2ContainerServiceforEC2Role), kept.
RUN = re.compile(r"[A-Za-z0-9+/=_-]{24,}")
# AWS's error messages are a sentence; anything longer is a body a parser took for one.
AWS_MESSAGE_MAX = 512
# moto_server answers an API it lacks with Flask's generic HTML error page.
EMULATOR_500 = "500 Internal Server Error"


class DeadlineExceeded(Exception):
    """The time allowed for an API in an (account, region) ran out; raised instead of another retry."""

    def __init__(self, api: str, seconds: float, last: str = ""):
        self.api, self.seconds, self.last = api, seconds, last
        super().__init__(f"deadline of {seconds:g} s for {api} in this region ran out"
                         + (f" (last answer: {last})" if last else ""))


def redact(text: str, limit: int = MESSAGE_MAX) -> str:
    """One short line with encoded-looking runs replaced."""
    line = " ".join(str(text).split())
    line = RUN.sub(lambda m: m[0] if m[0].isalpha() else "[redacted]", line)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def error_code(exc: Exception) -> str:
    """The AWS error code of a failure ('' when it has none)."""
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        return code if CODE.fullmatch(code) else ""
    return ""


def classify(exc: Exception) -> tuple[str, str]:
    """An exception as (outcome, one-line redacted message)."""
    if isinstance(exc, DeadlineExceeded):
        return "throttled", redact(str(exc))
    if isinstance(exc, ClientError):
        return _client_error(exc)
    if isinstance(exc, NotImplementedError):  # moto in-process raises this for APIs it lacks
        return "not_implemented", "NotImplementedError: " + redact(str(exc))
    if isinstance(exc, ResponseParserError):
        # Its text quotes the body it could not parse: never kept.
        if EMULATOR_500 in str(exc):
            # AWS always answers errors in its own format; a bare HTML error page is how an emulator
            # (moto_server) answers an API it lacks.
            return "not_implemented", ("HTTP 500 without an AWS error body: the endpoint does not "
                                       "implement this API")
        return "error", "ResponseParserError: the answer could not be parsed (body not kept)"
    if isinstance(exc, BotoCoreError):
        return "error", redact(f"{exc.__class__.__name__}: {exc}")
    # A bug or an unexpected shape: its type and a redacted line, never the values it may hold.
    return "error", redact(f"{exc.__class__.__name__}: {exc}", 100)


def _client_error(exc: ClientError) -> tuple[str, str]:
    err = exc.response.get("Error", {})
    raw_message = str(err.get("Message", "") or "")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code = error_code(exc)
    if not code:
        # No AWS error shape (a bare HTTP status or an unparseable body botocore took for a message):
        # the message may be body bytes, so only the status is said.
        text = f"HTTP {status} without an AWS error body" if status else "an error without an AWS error code"
        lowered = raw_message.lower()
        if "not been implemented" in lowered or "not yet implemented" in lowered:
            return "not_implemented", text + ": the endpoint does not implement this API"
        return ("access_denied" if status == 403 else "error"), text
    keep = raw_message.strip() and len(raw_message) <= AWS_MESSAGE_MAX
    text = f"{code}: {redact(raw_message)}" if keep else code
    if code in ACCESS_DENIED or status == 403:
        return "access_denied", text
    if code in THROTTLED:
        return "throttled", text
    lowered = raw_message.lower()
    if code in NOT_IMPLEMENTED or "not been implemented" in lowered or "not yet implemented" in lowered:
        return "not_implemented", text
    return "error", text
