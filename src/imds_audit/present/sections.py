"""HTML fragments of the report, rendered from Jinja2 templates with autoescaping always on.

A :class:`Fragment` displays itself as HTML in a notebook, so notebook cells just return one; nothing
here needs IPython outside a kernel.
"""

from __future__ import annotations

import base64
import gzip
import html
import json
import re
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from imds_audit.model import WORST_FIRST

TEMPLATES = Path(__file__).parent / "templates"
COMPLIANCE = Path(__file__).parent / "compliance.json"
# Beyond these, a table's rows and the fixes are packed (gzip, base64) and unpacked by the browser:
# a 5,000-group report stays a few megabytes. Below them everything is plain HTML.
PACK_ROWS_OVER = 1000
PACK_FIXES_OVER = 150
_BREAK_AFTER = re.compile(r"([-:/])(?=.)", re.DOTALL)


class Fragment(str):
    """A string of trusted, already-escaped HTML."""

    def _repr_html_(self) -> str:
        return str(self)

    def _ipython_display_(self) -> None:
        """In a kernel: one output holding text/html only. (Through ``_repr_html_`` alone IPython adds
        a text/plain copy, the repr of the whole HTML, doubling audit.ipynb.)"""
        from IPython.display import publish_display_data

        if str(self):
            publish_display_data({"text/html": str(self)})

    def __html__(self) -> str:  # Jinja's Markup protocol: embed without escaping again
        return str(self)


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=False, lstrip_blocks=False)
    env.filters["ident"] = ident
    env.filters["pre"] = pre
    return env


def ident(text) -> Markup:
    """An identifier (id, ARN, template or group name) escaped, with a line-break opportunity
    (``<wbr>``) after each ``-``, ``:`` and ``/`` and nowhere else: it wraps at its own separators,
    never mid-word. The text is escaped first (an entity holds none of those characters)."""
    return Markup(_BREAK_AFTER.sub(r"\1<wbr>", str(escape("" if text is None else text))))


def pre(text) -> Markup:
    """Text for an element's content (``<pre>``): ``&``, ``<`` and ``>`` escaped, quotes left as they
    are (they mean nothing outside an attribute, and CLI and HCL text is full of them)."""
    return Markup(html.escape("" if text is None else str(text), quote=False))


def pack(text: str) -> str:
    """``text`` gzipped (no timestamp: the same input gives the same bytes) and base64-encoded, for a
    ``<script type="application/x-imds-audit-pack">`` that ``window.iaUnpack`` reads."""
    return base64.b64encode(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)).decode("ascii")


def unpack(data: str) -> str:
    return gzip.decompress(base64.b64decode(data)).decode("utf-8")


def render(template: str, **context) -> Fragment:
    return Fragment(environment().get_template(template).render(**context))


def css() -> str:
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def controls() -> list[dict]:
    """The compliance mapping, kept as data next to the report (not prose in code)."""
    return json.loads(COMPLIANCE.read_text(encoding="utf-8"))


def table(table, tr, filters: bool = False, csv: str | None = None, packed: bool | None = None) -> Fragment:
    """A sortable table; with ``filters`` a text filter and the table's column filters, with ``csv``
    a button exporting the rows shown to that file name. ``packed`` (default: over PACK_ROWS_OVER rows)
    ships the rows gzipped."""
    statuses = [s for s in WORST_FIRST if s in set(table.row_status)]
    if packed is None:
        packed = len(table.rows) > PACK_ROWS_OVER
    rows = pack(render("table_rows.html.j2", table=table)) if packed else None
    return render("table.html.j2", table=table, tr=tr, filters=filters, statuses=statuses, csv=csv, pack=rows)


@lru_cache(maxsize=1)
def _markdown():
    from markdown_it import MarkdownIt

    # CommonMark with raw HTML off: text (including any resource name) can never become markup, and
    # code spans follow CommonMark's rules, which the remediation module writes them for.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable(
        ["link", "image", "autolink"])


def console_markdown(text: str | None) -> Fragment:
    """The Markdown of the console steps (headings, quotes, lists, **bold**, `code`) as HTML."""
    return Fragment(_markdown().render(text or ""))
