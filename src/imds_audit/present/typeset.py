"""Line breaking for the PDF (WeasyPrint knows ``word-break: normal | break-all`` only, no ``keep-all``
and no ``line-break``): text is cut into pieces that must not break inside, each a
``<span data-p>`` that the stylesheet keeps on one line; lines break between pieces only.

- Japanese prose: BudouX's phrases (Google's phrase segmenter, a small model shipped in the package),
  so no word is split and no kana is left alone at a line end ("使用⏎中"); then kinsoku: a piece never
  starts with closing punctuation, a small kana or a prolonged sound mark, and never ends with an
  opening bracket (such a piece joins its neighbour).
- Any language: spaces stay break opportunities.
- Identifiers (:func:`ident`): a break opportunity after ``-``, ``:`` and ``/``, nowhere else.

Text is escaped before any markup is added, so a name can never become markup.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markupsafe import Markup, escape

from imds_audit.present.sections import ident

# JIS X 4051 line-start prohibited characters (closing brackets, punctuation, small kana, 'ー'...)
NO_START = set("、。，．,.）)］]｝}〕〉》」』】〙〗〟’”｠»・：；:;！？!?ー‐゠–〜～ゝゞヽヾ"
               "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ々〻%％")
# line-end prohibited characters (opening brackets)
NO_END = set("（(［[｛{〔〈《「『【〘〖〝‘“｟«")


@lru_cache(maxsize=1)
def _parser():
    import budoux

    return budoux.load_default_japanese_parser()


def pieces(text: str, lang: str) -> list[str]:
    """``text`` cut where a line may break (see the module docstring)."""
    chunks = _parser().parse(text) if lang == "ja" and text else [text]
    out: list[str] = []
    for chunk in chunks:
        out.extend(p for p in re.split(r"(?<= )", chunk) if p)
    merged: list[str] = []
    for p in out:
        if merged and (p[0] in NO_START or merged[-1][-1] in NO_END or merged[-1][-1:] != " " and p[0] in "）)"):
            merged[-1] += p
        else:
            merged.append(p)
    return merged


def typeset(text, lang: str) -> Markup:
    """Prose for WeasyPrint: escaped, in unbreakable pieces for Japanese (English breaks at spaces and
    hyphens already, by the Unicode rules)."""
    if text is None:
        return Markup("")
    if isinstance(text, Markup):
        return text
    text = str(text)
    if lang != "ja":
        return escape(text)
    return Markup("").join(Markup("<span data-p>{}</span>").format(p) for p in pieces(text, lang))


__all__ = ["NO_END", "NO_START", "ident", "pieces", "typeset"]
