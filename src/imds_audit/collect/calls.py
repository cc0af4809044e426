"""Every AWS call goes through here: its outcome lands in the manifest, its failure never aborts a run.

A Caller belongs to one (account, region). It bounds each API there by a deadline (no new call, page
or retry once it has passed) and spends a budget of fallback calls; what runs out is recorded as
throttled with the bound named. An answer AWS says is about a resource that does not exist (the
error codes a call names in ``absent``) is not a failure: it is returned as :class:`Missing`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from imds_audit.collect.errors import DeadlineExceeded, classify, error_code
from imds_audit.collect.limits import Limits

SEVERITY = {"ok": 0, "not_implemented": 1, "throttled": 2, "error": 3, "access_denied": 4}


@dataclass(frozen=True)
class Missing:
    """AWS answered that what was asked for does not exist (``code`` is its error code)."""

    code: str


@dataclass
class CallLog:
    """Outcome per (account, region, API); several calls to one API keep the worst outcome."""

    outcomes: dict[tuple[str, str, str], tuple[str, str]] = field(default_factory=dict)
    count: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, account: str, region: str, api: str, outcome: str, message: str = "",
               limit: bool = False) -> None:
        """Keep the worst outcome; at equal severity a bound that ran out (``limit``) says more than
        the failure before it (it explains why the rest is missing), so its message wins."""
        key = (account, region, api)
        with self._lock:
            previous = self.outcomes.get(key)
            if (previous is None or SEVERITY[outcome] > SEVERITY[previous[0]]
                    or (limit and SEVERITY[outcome] == SEVERITY[previous[0]])):
                self.outcomes[key] = (outcome, message)

    def rows(self) -> list[dict]:
        return [
            {"account_id": a, "region": r, "api": api, "outcome": o, "message": m}
            for (a, r, api), (o, m) in sorted(self.outcomes.items())
        ]


class Items(list):
    """Items read across pages; ``complete`` is False when a page failed after others were read."""

    complete = True


class Caller:
    """Calls one (account, region)'s operations, recording each outcome, within its limits."""

    def __init__(self, log: CallLog, account: str, region: str, limits: Limits | None = None):
        self.log, self.account, self.region = log, account, region
        self.limits = limits or Limits()
        self.fallbacks_left = int(self.limits.fallback_calls)
        self._started: dict[str, float] = {}

    # -- bounds -----------------------------------------------------------------------------------------
    def bind(self, client):
        """Enforce this caller's deadlines on a client: before every call (pages included) and before
        every retry botocore would make."""
        client.meta.events.register("before-call", self._before_call)
        client.meta.events.register("needs-retry", self._before_retry)
        return client

    def _expired(self, api: str) -> bool:
        started = self._started.setdefault(api, time.monotonic())
        return time.monotonic() - started > self.limits.api_deadline

    def _before_call(self, model=None, **_):
        if model is not None and self._expired(model.name):
            raise DeadlineExceeded(model.name, self.limits.api_deadline, "not asked")

    def _before_retry(self, operation=None, response=None, caught_exception=None, **_):
        failed = caught_exception is not None or (response is not None and response[0].status_code >= 300)
        if failed and operation is not None and self._expired(operation.name):
            last = (response[1].get("Error", {}).get("Code", "") if response is not None
                    else caught_exception.__class__.__name__)
            raise DeadlineExceeded(operation.name, self.limits.api_deadline, str(last)[:60])

    def spend_fallback(self, api: str, what: str) -> bool:
        """One more fallback call for ``api``; False (and recorded as throttled) when none is left."""
        if self.fallbacks_left > 0:
            self.fallbacks_left -= 1
            return True
        self.log.record(self.account, self.region, api, "throttled",
                        f"fallback budget of {self.limits.fallback_calls} calls in this region ran out: "
                        f"{what} not read", limit=True)
        return False

    def incomplete(self, api: str, count: int, what: str) -> None:
        """A 200 answer that left out some of what was asked for, without saying it does not exist."""
        self.log.record(self.account, self.region, api, "error",
                        f"incomplete answer: {count} {what} asked for were neither returned nor "
                        "reported missing")

    # -- calls ------------------------------------------------------------------------------------------
    def call(self, client, api: str, absent: tuple[str, ...] = (), **params):
        """One call: the response; :class:`Missing` when AWS says a named resource does not exist (an
        error code in ``absent``); None after recording why it failed."""
        self._started.setdefault(api, time.monotonic())
        try:
            response = getattr(client, _snake(api))(**params)
            _check_envelope(response)
        except Exception as exc:  # every failure is recorded, none aborts the run
            return self._failed(api, exc, absent)
        self.log.record(self.account, self.region, api, "ok")
        return response

    def pages(self, client, api: str, key: str, absent: tuple[str, ...] = (), **params):
        """All items under ``key`` across pages, or :class:`Missing` as for :meth:`call`. If a page
        fails, the failure is recorded and the items read before it are kept (None when nothing was
        read)."""
        self._started.setdefault(api, time.monotonic())
        items: list = []
        try:
            for page in client.get_paginator(_snake(api)).paginate(**params):
                _check_envelope(page)
                items.extend(page.get(key, []))
        except Exception as exc:
            failed = self._failed(api, exc, absent)
            if isinstance(failed, Missing) or not items:
                return failed
            partial = Items(items)
            partial.complete = False
            return partial
        self.log.record(self.account, self.region, api, "ok")
        return Items(items)

    def _failed(self, api: str, exc: Exception, absent: tuple[str, ...]):
        code = error_code(exc)
        if code and code in absent:
            self.log.record(self.account, self.region, api, "ok")  # an answer, not a failed read
            return Missing(code)
        outcome, message = classify(exc)
        self.log.record(self.account, self.region, api, outcome, message,
                        limit=isinstance(exc, DeadlineExceeded))
        return None


class UntrustedAnswer(Exception):
    """A 200 answer without AWS's request id: an empty or foreign body, not AWS's answer."""

    def __str__(self) -> str:
        return "the answer carried no AWS request id (empty or foreign body): not used"


def _check_envelope(response: dict) -> None:
    # Every AWS answer carries a request id (in the body or the x-amzn-RequestId header); botocore
    # turns an empty 200 body of a JSON or CBOR service into an empty result, which would read as
    # "nothing there". Stubbed and simulated answers (no HTTP status) are not checked.
    meta = response.get("ResponseMetadata") or {}
    if "HTTPStatusCode" in meta and not meta.get("RequestId"):
        raise UntrustedAnswer()


def _snake(api: str) -> str:
    out = []
    for i, ch in enumerate(api):
        if ch.isupper() and i and not api[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)
