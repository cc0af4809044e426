"""What the HTML report embeds once: the vendored partial plotly.js bundle (``vendor/README.md``).

Only the trace types the bundle holds may be drawn; :func:`check_traces` says so before a page is
written with a chart the browser could not draw."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

VENDOR = Path(__file__).parent / "vendor"
BUNDLE = VENDOR / "plotly-basic.min.js"
BUNDLE_TRACES = frozenset({"bar", "pie", "scatter"})  # plotly.js-basic-dist-min's trace modules


@lru_cache(maxsize=1)
def plotlyjs() -> str:
    return BUNDLE.read_text(encoding="utf-8")


def bundle_version() -> str:
    """The plotly.js version in the bundle's licence header (``* plotly.js (basic - minified) v4.1.1``)."""
    head = BUNDLE.read_text(encoding="utf-8")[:300]
    found = re.search(r"plotly\.js \(basic - minified\) v(\d+\.\d+\.\d+)", head)
    if not found:
        raise RuntimeError(f"{BUNDLE}: no plotly.js version in its header")
    return found.group(1)


def check_traces(figures) -> None:
    """Raise when a figure uses a trace type the embedded bundle cannot draw."""
    for name, fig in dict(figures).items():
        kinds = {t.type or "scatter" for t in fig.data}
        missing = kinds - BUNDLE_TRACES
        if missing:
            raise ValueError(f"chart {name!r} uses {', '.join(sorted(missing))}: not in the embedded plotly.js "
                             f"bundle ({', '.join(sorted(BUNDLE_TRACES))}); see present/vendor/README.md")
