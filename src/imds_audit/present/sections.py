"""HTML fragments of the report, rendered from Jinja2 templates with autoescaping always on.

A :class:`Fragment` displays itself as HTML in a notebook (``_repr_html_``), so notebook cells just
return one; nothing here needs IPython.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from imds_audit.model import WORST_FIRST

TEMPLATES = Path(__file__).parent / "templates"
COMPLIANCE = Path(__file__).parent / "compliance.json"


class Fragment(str):
    """A string of trusted, already-escaped HTML."""

    def _repr_html_(self) -> str:
        return str(self)

    def __html__(self) -> str:  # Jinja's Markup protocol: embed without escaping again
        return str(self)


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=False, lstrip_blocks=False)
    return env


def render(template: str, **context) -> Fragment:
    return Fragment(environment().get_template(template).render(**context))


def css() -> str:
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def controls() -> list[dict]:
    """The compliance mapping, kept as data next to the report (not prose in code)."""
    return json.loads(COMPLIANCE.read_text(encoding="utf-8"))


def table(table, tr, filters: bool = False) -> Fragment:
    statuses = [s for s in WORST_FIRST if s in set(table.row_status)]
    return render("table.html.j2", table=table, tr=tr, filters=filters, statuses=statuses)


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
