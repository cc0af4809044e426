"""The readiness warning shown next to a fix: IMDSv1 is still being called on the group's instances."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Readiness:
    calls: int                 # IMDSv1 calls (MetadataNoToken) in the usage window
    callers: tuple[str, ...]   # instance ids still calling IMDSv1


def readiness_warning(group: dict) -> Readiness | None:
    """A warning when enforcing IMDSv2 now would break a caller: calls were seen in the window, or the
    analysis marked the group blocked. None when no IMDSv1 call was seen."""
    calls = group.get("imdsv1_calls")
    calls = 0 if calls is None or pd.isna(calls) else int(round(float(calls)))
    raw = group.get("imdsv1_callers")
    callers = tuple(str(raw).split()) if isinstance(raw, str) else ()
    if calls > 0 or callers or group.get("readiness") == "blocked":
        return Readiness(calls=calls, callers=callers)
    return None
