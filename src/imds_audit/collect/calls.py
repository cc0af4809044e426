"""Every AWS call goes through here: its outcome lands in the manifest, its failure never aborts a run."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

ACCESS_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthFailure",
                 "UnrecognizedClientException", "InvalidClientTokenId", "OptInRequired"}
THROTTLED = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
             "RequestThrottled", "SlowDown", "RequestThrottledException"}
NOT_IMPLEMENTED = {"NotImplemented", "InvalidAction", "UnsupportedOperation", "NotImplementedError"}

SEVERITY = {"ok": 0, "not_implemented": 1, "throttled": 2, "error": 3, "access_denied": 4}


def classify(exc: Exception) -> tuple[str, str]:
    """An exception as (outcome, one-line message)."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", ""))
        message = str(err.get("Message", "")).splitlines()[0][:300] if err.get("Message") else ""
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        text = f"{code}: {message}" if message else code
        if code in ACCESS_DENIED or status == 403:
            return "access_denied", text
        if code in THROTTLED:
            return "throttled", text
        # moto answers APIs it lacks with HTTP 500 and "... has not been implemented" / NotYetImplemented
        lowered = (code + " " + message).lower()
        if code in NOT_IMPLEMENTED or "not been implemented" in lowered or "not yet implemented" in lowered:
            return "not_implemented", text
        return "error", text or f"HTTP {status}"
    if isinstance(exc, NotImplementedError):  # moto in-process raises this for APIs it lacks
        return "not_implemented", str(exc)[:300]
    if isinstance(exc, ResponseParserError) and "500 Internal Server Error" in str(exc):
        # AWS always answers errors in its own format; a bare HTTP 500 page is how an emulator
        # (moto_server) answers an API it lacks.
        return "not_implemented", "HTTP 500 without an AWS error body: the endpoint does not implement this API"
    if isinstance(exc, BotoCoreError):
        return "error", f"{exc.__class__.__name__}: {exc}"[:300]
    return "error", f"{exc.__class__.__name__}: {exc}"[:300]


@dataclass
class CallLog:
    """Outcome per (account, region, API); several calls to one API keep the worst outcome."""

    outcomes: dict[tuple[str, str, str], tuple[str, str]] = field(default_factory=dict)
    count: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, account: str, region: str, api: str, outcome: str, message: str = "") -> None:
        key = (account, region, api)
        with self._lock:
            previous = self.outcomes.get(key)
            if previous is None or SEVERITY[outcome] > SEVERITY[previous[0]]:
                self.outcomes[key] = (outcome, message)

    def rows(self) -> list[dict]:
        return [
            {"account_id": a, "region": r, "api": api, "outcome": o, "message": m}
            for (a, r, api), (o, m) in sorted(self.outcomes.items())
        ]


class Caller:
    """Calls one client's operations for an (account, region), recording each outcome."""

    def __init__(self, log: CallLog, account: str, region: str):
        self.log, self.account, self.region = log, account, region

    def call(self, client, api: str, **params):
        """One call; returns the response, or None after recording why it failed."""
        method = getattr(client, _snake(api))
        try:
            response = method(**params)
        except Exception as exc:  # every failure is recorded, none aborts the run
            outcome, message = classify(exc)
            self.log.record(self.account, self.region, api, outcome, message)
            return None
        self.log.record(self.account, self.region, api, "ok")
        return response

    def pages(self, client, api: str, key: str, **params) -> list | None:
        """All items under ``key`` across pages. If a page fails, the failure is recorded and the items
        read before it are kept (None when nothing was read)."""
        items: list = []
        try:
            for page in client.get_paginator(_snake(api)).paginate(**params):
                items.extend(page.get(key, []))
        except Exception as exc:
            outcome, message = classify(exc)
            self.log.record(self.account, self.region, api, outcome, message)
            return items or None
        self.log.record(self.account, self.region, api, "ok")
        return items


def _snake(api: str) -> str:
    out = []
    for i, ch in enumerate(api):
        if ch.isupper() and i and not api[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)
