"""Visible strings: one JSON catalogue per language (``en.json``, ``ja.json``), looked up by key.

A missing key is a bug, not a blank: :class:`Catalogue` raises ``KeyError`` naming it, and the tests
check that both catalogues carry the same keys.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pandas as pd

LANGUAGES = ("en", "ja")
_HERE = Path(__file__).parent


@cache
def _load(lang: str) -> dict[str, str]:
    return json.loads((_HERE / f"{lang}.json").read_text(encoding="utf-8"))


class Catalogue:
    """``tr("key", n=3)`` → the string in this language, formatted with the keyword arguments."""

    def __init__(self, lang: str = "en"):
        if lang not in LANGUAGES:
            raise ValueError(f"language {lang!r} is not one of {', '.join(LANGUAGES)}")
        self.lang = lang
        self.strings = _load(lang)

    def __call__(self, key: str, **values) -> str:
        try:
            text = self.strings[key]
        except KeyError:
            raise KeyError(f"no string {key!r} in the {self.lang} catalogue") from None
        return text.format(**values) if values else text

    def label(self, prefix: str, value) -> str:
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


def _missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and the like are not missing
        return False


def catalogue(lang: str = "en") -> Catalogue:
    return Catalogue(lang)


def keys(lang: str) -> set[str]:
    return set(_load(lang))
