"""Describe named resources many at a time, and tell apart what does not exist from what was not read.

AWS fails a whole Describe call when one of the ids it names does not exist (InvalidAMIID.NotFound,
InvalidLaunchTemplateId.NotFound, ...). The call is then split in halves until the missing names are
alone, each split spending the caller's fallback budget; a call that fails for another reason
(throttled, denied) is not split, since asking again in pieces cannot help. An answer that silently
leaves names out (moto truncates some lists without a NextToken) is asked again for the rest until
nothing more arrives.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from imds_audit.collect.calls import Caller, Missing


@dataclass
class Lookup:
    found: dict[str, dict] = field(default_factory=dict)    # name → the item AWS returned
    missing: dict[str, str] = field(default_factory=dict)   # name → the error code saying it does not exist
    unread: list[str] = field(default_factory=list)         # the call failed (recorded) or a bound ran out
    omitted: list[str] = field(default_factory=list)        # answered without them, and without an error


def chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def describe(caller: Caller, api: str, names: list[str], size: int, what: str,
             ask: Callable[[list[str]], list[tuple[str, dict]] | Missing | None],
             whole: tuple[str, ...] = ()) -> Lookup:
    """Ask for ``names`` in chunks of ``size``; ``ask(chunk)`` returns (name, item) pairs, Missing or
    None. A Missing code in ``whole`` applies to every name of the chunk (no split)."""
    out = Lookup()
    pending = list(dict.fromkeys(names))
    while pending:
        before = len(out.found)
        queue = deque((chunk, False) for chunk in chunks(pending, size))
        while queue:
            chunk, extra = queue.popleft()
            if extra and not caller.spend_fallback(api, f"{sum(len(c) for c, _ in queue) + len(chunk)} {what}"):
                out.unread += chunk + [n for c, _ in queue for n in c]
                break
            got = ask(chunk)
            if got is None:
                out.unread += chunk
            elif isinstance(got, Missing):
                if len(chunk) == 1 or got.code in whole:
                    out.missing.update(dict.fromkeys(chunk, got.code))
                else:
                    half = len(chunk) // 2
                    queue.extendleft([(chunk[half:], True), (chunk[:half], True)])
            else:
                for name, item in got:
                    if name in chunk:
                        out.found.setdefault(name, item)
        settled = set(out.found) | set(out.missing) | set(out.unread)
        pending = [n for n in pending if n not in settled]
        if len(out.found) == before:
            break
    out.omitted = pending
    return out
