"""Every visible word: one JSON catalogue per language (``<lang>.json`` in this folder), looked up by key.

The report, the exports' reasons, the console steps, the CLI and Terraform comments and the runtime
messages of ``remediate.sh`` all take their words from here; the analysis only emits codes. A new
language is a new catalogue file with the same keys (a test keeps the keys equal).

A missing key is a bug, not a blank: :class:`Catalogue` raises ``KeyError`` naming it. Values given
to a string are never read as format fields themselves, so a resource name holding ``{0}`` is text.
"""

from __future__ import annotations

import json
import string
from datetime import datetime, timezone
from functools import cache
from pathlib import Path

_HERE = Path(__file__).parent
DEFAULT = "en"


@cache
def languages() -> tuple[str, ...]:
    """The languages a catalogue exists for, English first."""
    found = sorted(p.stem for p in _HERE.glob("*.json"))
    return tuple(sorted(found, key=lambda lang: lang != DEFAULT))


@cache
def _load(lang: str) -> dict[str, str]:
    return json.loads((_HERE / f"{lang}.json").read_text(encoding="utf-8"))


def keys(lang: str) -> set[str]:
    return set(_load(lang))


def _missing(value) -> bool:
    if value is None:
        return True
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and the like are not missing
        return False


class _Fields(dict):
    """Format fields of a catalogue string: a list is joined with the language's separator."""

    def __init__(self, values: dict, sep: str):
        super().__init__({k: (sep.join(str(x) for x in v) if isinstance(v, (list, tuple)) else v)
                          for k, v in values.items()})


class Catalogue:
    """``tr("key", n=3)`` → the string in this language, formatted with the keyword arguments."""

    def __init__(self, lang: str = DEFAULT):
        if isinstance(lang, Catalogue):
            lang = lang.lang
        if lang not in languages():
            raise ValueError(f"language {lang!r} is not one of {', '.join(languages())}")
        self.lang = lang
        self.strings = _load(lang)

    def has(self, key: str) -> bool:
        return key in self.strings

    def __call__(self, key: str, /, **values) -> str:
        try:
            text = self.strings[key]
        except KeyError:
            raise KeyError(f"no string {key!r} in the {self.lang} catalogue") from None
        if not values and "{" not in text and "}" not in text:
            return text
        # always formatted, so that "{{" is a literal brace whether or not values are given
        return string.Formatter().vformat(text, (), _Fields(values, self.strings["list.sep"]))

    def count(self, key: str, n, /, **values) -> str:
        """A counted phrase: ``key.one`` for 1, else ``key.other``, with ``n`` formatted (1,520)."""
        n = int(n)
        return self(f"{key}.{'one' if n == 1 else 'other'}", n=f"{n:,}", **values)

    def label(self, prefix: str, value, /) -> str:
        """A label for a coded value (``label("status", "compliant")``); the code itself if unknown."""
        if _missing(value):
            return self("table.none")
        return self.strings.get(f"{prefix}.{value}", str(value))

    def number(self, value, digits: int = 0) -> str:
        if _missing(value):
            return self("table.none")
        return f"{float(value):,.{digits}f}"

    def pct(self, value) -> str:
        if _missing(value):
            return self("table.none")
        return f"{float(value):.1f}%".replace(".0%", "%")

    def join(self, items) -> str:
        return self.strings["list.sep"].join(str(i) for i in items)

    # ---- dates: in the reader's language, always in UTC -----------------------------------------
    def _moment(self, value) -> datetime | None:
        if _missing(value) or value == "":
            return None
        try:
            moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc)

    def date(self, value) -> str:
        """``1 December 2026`` / ``2026年12月1日``; the text itself when it is not a date."""
        moment = self._moment(value)
        if moment is None:
            return self("table.none") if _missing(value) or value == "" else str(value)
        return self("format.date", year=moment.year, month=self(f"month.{moment.month}"),
                    month_number=moment.month, day=moment.day)

    def datetime(self, value) -> str:
        """``1 December 2026, 09:19 UTC`` / ``2026年12月1日 09:19 (UTC)``."""
        moment = self._moment(value)
        if moment is None:
            return self("table.none") if _missing(value) or value == "" else str(value)
        return self("format.datetime", date=self.date(moment), time=f"{moment:%H:%M}")


def catalogue(lang: str = DEFAULT) -> Catalogue:
    return Catalogue(lang)


__all__ = ["Catalogue", "catalogue", "keys", "languages"]
