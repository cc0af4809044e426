"""Plotly figures → static SVG through kaleido 1.x and a headless Chromium.

One kaleido server (one browser) serves every chart of the process: starting Chromium costs ~2 s,
a chart through a running server ~0.3 s. Set ``BROWSER_PATH`` to choose the browser; Debian's
``/usr/bin/chromium`` is used when it exists and nothing else is set.
"""

from __future__ import annotations

import atexit
import os
import re
import threading
import warnings
from pathlib import Path

_lock = threading.Lock()
_started = False
DEBIAN_CHROMIUM = "/usr/bin/chromium"


def _browser_env() -> None:
    if not os.environ.get("BROWSER_PATH") and Path(DEBIAN_CHROMIUM).exists():
        os.environ["BROWSER_PATH"] = DEBIAN_CHROMIUM


def _ensure_server() -> None:
    global _started
    with _lock:
        if _started:
            return
        _browser_env()
        import kaleido

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # mathjax=False: kaleido would otherwise fetch MathJax from a CDN for every page.
            kaleido.start_sync_server(mathjax=False, silence_warnings=True)
        _started = True
        atexit.register(stop)


def stop() -> None:
    """Stop the shared browser (also done at exit)."""
    global _started
    with _lock:
        if not _started:
            return
        import kaleido

        kaleido.stop_sync_server(silence_warnings=True)
        _started = False


_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>\s*")


def to_svg(fig, width: int = 760, height: int | None = None) -> str:
    """One figure as an SVG document string (no XML declaration, ready to inline in HTML)."""
    import kaleido

    _ensure_server()
    opts = {"format": "svg", "width": width, "height": height or int(fig.layout.height or 400)}
    data = kaleido.calc_fig_sync(fig, opts=opts)
    text = data.decode("utf-8") if isinstance(data, bytes) else str(data)
    return _XML_DECL.sub("", text)


def to_svgs(figures: dict, width: int = 760) -> dict[str, str]:
    """Every figure through the same server."""
    return {name: to_svg(fig, width=width) for name, fig in figures.items()}
