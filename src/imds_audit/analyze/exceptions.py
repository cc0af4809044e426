"""Accepted risks: an exceptions file (YAML) that marks chosen groups as covered by a justified,
owned and dated exception. A matched group keeps its status; it gains the ``exception`` columns.

```yaml
exceptions:
  - asg: "legacy-*"            # group name glob (fnmatch, case-sensitive; [[] matches a literal [)
    account: "123456789012"    # exact, 12 digits (quote it: YAML reads 0123... as a number)
    region: "us-east-1"        # glob: "eu-*" is every European region
    tag: "Environment=sandbox" # KEY=VALUE on the group's allow-listed tags; a list means all of them
    reason: "Vendor agent 4.x needs IMDSv1; upgrade planned"
    owner: "platform-team@example.com"
    expires: 2026-12-31        # inclusive: the exception holds through this day
    ticket: "SEC-1234"         # optional
```

Each entry needs at least one selector (account, region, asg, tag) and all of reason, owner,
expires. The first entry (in file order) that holds for a group is the one recorded; an expired
entry counts as none (the group's ``exception`` is ``expired`` when no valid entry matches it, so
the report can say so) and is listed as expired; an entry that matches no group is listed as stale.
A malformed file raises :class:`ExceptionsError` with one line naming the entry and the field.
"""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from fnmatch import fnmatchcase
from pathlib import Path

import numpy as np
import pandas as pd

SELECTORS = ("account", "region", "asg", "tag")
FIELDS = (*SELECTORS, "reason", "owner", "expires", "ticket")
EXCEPTION_COLUMNS = ["exception", "exception_reason", "exception_owner", "exception_expires",
                     "exception_ticket", "exception_entry"]
ACCEPTED, EXPIRED = "accepted", "expired"


class ExceptionsError(ValueError):
    """A malformed exceptions file; the message is one line naming the entry and the field."""


@dataclass(frozen=True)
class Entry:
    number: int                      # 1-based position in the file
    reason: str
    owner: str
    expires: date
    account: str | None = None
    region: str | None = None
    asg: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    ticket: str | None = None

    def label(self) -> str:
        """``entry 2 (asg 'legacy-*', region 'us-east-1')``: how messages name the entry."""
        parts = [f"{k} {v!r}" for k, v in (("account", self.account), ("region", self.region),
                                            ("asg", self.asg)) if v is not None]
        parts += [f"tag {k}={v!r}" for k, v in self.tags]
        return f"entry {self.number} ({', '.join(parts)})"

    def expired(self, today: date) -> bool:
        return today > self.expires

    def matches(self, groups: pd.DataFrame, group_tags: list[dict[str, str]]) -> np.ndarray:
        """A boolean per group: does this entry select it?"""
        mask = np.ones(len(groups), dtype=bool)
        if self.account is not None:
            mask &= groups["account_id"].astype("string").eq(self.account).fillna(False).to_numpy(bool)
        for column, pattern in (("region", self.region), ("asg_name", self.asg)):
            if pattern is not None:
                values = groups[column].astype("string").fillna("")
                mask &= np.array([fnmatchcase(str(v), pattern) for v in values], dtype=bool)
        for key, wanted in self.tags:
            mask &= np.array([t.get(key) == wanted for t in group_tags], dtype=bool)
        return mask

    def as_dict(self) -> dict:
        d = {"entry": self.number, "label": self.label(), "account": self.account, "region": self.region,
             "asg": self.asg,
             "tag": [f"{k}={v}" for k, v in self.tags], "reason": self.reason, "owner": self.owner,
             "expires": self.expires.isoformat(), "ticket": self.ticket}
        return {k: v for k, v in d.items() if v not in (None, [])}


@dataclass
class Outcome:
    groups: pd.DataFrame                        # the input plus EXCEPTION_COLUMNS
    expired: list[Entry] = field(default_factory=list)
    stale: list[Entry] = field(default_factory=list)

    def summary(self) -> dict:
        """A JSON-ready account of the file: how many groups each state covers, the expired and
        stale entries."""
        states = self.groups["exception"].value_counts().to_dict()
        return {"accepted_groups": int(states.get(ACCEPTED, 0)), "expired_groups": int(states.get(EXPIRED, 0)),
                "expired": [e.as_dict() for e in self.expired], "stale": [e.as_dict() for e in self.stale]}


def _suggest(word: str, known) -> str:
    close = difflib.get_close_matches(word, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _string(where: str, name: str, v, required: bool = True) -> str | None:
    if v is None and not required:
        return None
    if isinstance(v, bool) or not isinstance(v, (str, int)) or not str(v).strip():
        raise ExceptionsError(f"{where}: {name!r} must be a non-empty text, not {v!r}")
    return str(v)


def _date(where: str, v) -> date:
    if isinstance(v, date) and not isinstance(v, datetime):
        return v
    if isinstance(v, str):
        try:
            return date.fromisoformat(v.strip())
        except ValueError:
            pass
    raise ExceptionsError(f"{where}: 'expires' must be a date (YYYY-MM-DD), not {v!r}")


def _account(where: str, v) -> str | None:
    if v is None:
        return None
    account = str(v) if isinstance(v, (str, int)) and not isinstance(v, bool) else ""
    if not (len(account) == 12 and account.isdigit()):
        raise ExceptionsError(f"{where}: 'account' must be a 12-digit account id in quotes, not {v!r}")
    return account


def _tags(where: str, v) -> tuple[tuple[str, str], ...]:
    if v is None:
        return ()
    items = v if isinstance(v, list) else [v]
    out = []
    for item in items:
        if not isinstance(item, str) or "=" not in item or not item.split("=", 1)[0]:
            raise ExceptionsError(f"{where}: 'tag' must be KEY=VALUE (or a list of them), not {item!r}")
        key, wanted = item.split("=", 1)
        out.append((key, wanted))
    return tuple(out)


def _entry(source: str, number: int, raw) -> Entry:
    where = f"{source}: entry {number}"
    if not isinstance(raw, dict):
        raise ExceptionsError(f"{where}: must be a mapping of fields ({', '.join(FIELDS)}), not {raw!r}")
    for key in raw:
        if key not in FIELDS:
            raise ExceptionsError(f"{where}: unknown field {str(key)!r}{_suggest(str(key), FIELDS)}")
    if not any(raw.get(k) is not None for k in SELECTORS):
        raise ExceptionsError(f"{where}: needs at least one of {', '.join(SELECTORS)} to select groups")
    for key in ("reason", "owner", "expires"):
        if raw.get(key) is None:
            raise ExceptionsError(f"{where}: {key!r} is required")
    return Entry(number=number, reason=_string(where, "reason", raw["reason"]),
                 owner=_string(where, "owner", raw["owner"]), expires=_date(where, raw["expires"]),
                 account=_account(where, raw.get("account")),
                 region=_string(where, "region", raw.get("region"), required=False),
                 asg=_string(where, "asg", raw.get("asg"), required=False),
                 tags=_tags(where, raw.get("tag")),
                 ticket=_string(where, "ticket", raw.get("ticket"), required=False))


def parse(document, source: str = "exceptions") -> list[Entry]:
    """The entries of an already-parsed YAML document (``{"exceptions": [...]}``)."""
    if not isinstance(document, dict) or "exceptions" not in document:
        found = type(document).__name__
        raise ExceptionsError(f"{source}: expected a mapping with an 'exceptions' list, found {found}")
    extra = [k for k in document if k != "exceptions"]
    if extra:
        raise ExceptionsError(f"{source}: unknown top-level key {str(extra[0])!r} (only 'exceptions' is read)")
    listed = document["exceptions"]
    if listed is None:
        return []
    if not isinstance(listed, list):
        raise ExceptionsError(f"{source}: 'exceptions' must be a list of entries")
    return [_entry(source, n, raw) for n, raw in enumerate(listed, start=1)]


def load(path: str | os.PathLike) -> list[Entry]:
    """Read and check an exceptions file (yaml.safe_load: no tags, no code)."""
    import yaml

    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ExceptionsError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise ExceptionsError(f"{path}: is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ExceptionsError(f"{path}: not valid YAML{at}: {problem}") from None
    except ValueError as exc:  # a date-like scalar that is no date, e.g. 2026-13-45
        raise ExceptionsError(f"{path}: not valid YAML: {exc}") from None
    return parse(document, source=path.name)


def parse_tags(raw) -> dict[str, str]:
    """A group's allow-listed tags from the ``tags`` column (a JSON object's text); {} when absent."""
    if raw is None or raw is pd.NA or (isinstance(raw, float) and raw != raw) or raw == "":
        return {}
    parsed = json.loads(raw) if isinstance(raw, str) else dict(raw)
    return {str(k): "" if v is None else str(v) for k, v in parsed.items()}


def _group_tags(groups: pd.DataFrame) -> list[dict[str, str]]:
    if "tags" not in groups.columns:
        return [{} for _ in range(len(groups))]
    return [parse_tags(v) for v in groups["tags"].tolist()]


def apply(groups: pd.DataFrame, entries: list[Entry], today: date) -> Outcome:
    """``groups`` with EXCEPTION_COLUMNS added (statuses untouched), and the expired and stale entries.

    ``exception``: ``accepted`` (a valid entry matches), ``expired`` (only expired entries match) or
    "" (none); ``exception_entry`` is the entry's 1-based number in the file (0 for none)."""
    out = groups.copy()
    n = len(out)
    state, entry_of = [""] * n, [None] * n
    group_tags = _group_tags(out)
    expired, stale = [], []
    for entry in entries:
        hits = entry.matches(out, group_tags)
        is_expired = entry.expired(today)
        if is_expired:
            expired.append(entry)
        elif not hits.any():
            stale.append(entry)
        for i in hits.nonzero()[0]:
            if state[i] == ACCEPTED or (state[i] == EXPIRED and is_expired):
                continue
            state[i], entry_of[i] = (EXPIRED if is_expired else ACCEPTED), entry
    out["exception"] = pd.array(state, dtype="string")
    out["exception_reason"] = pd.array([e.reason if e else "" for e in entry_of], dtype="string")
    out["exception_owner"] = pd.array([e.owner if e else "" for e in entry_of], dtype="string")
    out["exception_expires"] = pd.array([e.expires.isoformat() if e else "" for e in entry_of], dtype="string")
    out["exception_ticket"] = pd.array([(e.ticket or "") if e else "" for e in entry_of], dtype="string")
    out["exception_entry"] = pd.array([e.number if e else 0 for e in entry_of], dtype="Int64")
    return Outcome(groups=out, expired=expired, stale=stale)


def write_summary(outcome: Outcome, path: str | os.PathLike) -> Path:
    """``exceptions.json``: the outcome's summary, for scripts and the report."""
    path = Path(path)
    path.write_text(json.dumps(outcome.summary(), ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def warnings(summary: dict) -> list[str]:
    """One line per expired or stale entry of a summary (:meth:`Outcome.summary`), for the command line."""
    lines = [f"exception {e['label']} expired on {e['expires']} (owner {e['owner']!r}): it no longer counts"
             for e in summary.get("expired", [])]
    lines += [f"exception {e['label']} matches no group: stale, remove it or fix its selectors"
              for e in summary.get("stale", [])]
    return lines


__all__ = ["ACCEPTED", "EXCEPTION_COLUMNS", "EXPIRED", "Entry", "ExceptionsError", "Outcome", "apply",
           "load", "parse", "parse_tags", "warnings", "write_summary"]
