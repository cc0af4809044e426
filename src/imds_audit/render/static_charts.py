"""Plotly figures → static SVG through kaleido 1.x and a headless Chromium, with no network at all.

An audit of a client's estate must not make the renderer talk to anyone: the browser kaleido starts
is Debian's ``chromium-headless-shell`` when installed (no sign-in, no search engine, no component
updater), else ``chromium``, or whatever ``BROWSER_PATH`` names. Whichever it is, it runs with the
flags that stop background networking, DNS resolution and proxy-less connections
(:data:`OFFLINE_FLAGS`), and without the two flags kaleido's default adds that switch web security
off (:data:`UNSAFE_FLAGS`). ``tests/test_offline_render.py`` renders the demo report in a network
namespace holding only loopback, traces every ``connect()``, and compares it with a normal render.

One browser serves every chart of the process (starting Chromium costs ~2 s, a chart through a
running browser ~0.3 s). Every wait is bounded: a browser that is missing, crashes or hangs becomes
one :class:`ChartExportError` within ``IMDS_AUDIT_BROWSER_TIMEOUT`` seconds (default 60), and its
process group is killed.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import re
import signal
import threading
from pathlib import Path

# Debian's packages, best first: the headless shell has none of the browser's online features.
BROWSERS = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
TIMEOUT_ENV = "IMDS_AUDIT_BROWSER_TIMEOUT"
DEFAULT_TIMEOUT = 60.0

# kaleido (choreographer) starts Chromium with these; both weaken the page's isolation and neither is
# needed to draw a chart from a local page.
UNSAFE_FLAGS = frozenset({"--disable-web-security", "--allow-file-access-from-files"})
# Every switch that keeps Chromium from reaching the network by itself. A proxy on a closed loopback
# port catches any request that would still be made (nothing is ever sent off the machine), and the
# resolver rule answers every name with NOTFOUND without asking a DNS server.
OFFLINE_FLAGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-sync",
    "--no-pings",
    "--dns-prefetch-disable",
    "--disable-features=OptimizationHints,MediaRouter,DialMediaRouteProvider,Translate,"
    "NetworkTimeServiceQuerying,AutofillServerCommunication,CertificateTransparencyComponentUpdater,"
    "InterestFeedContentSuggestions",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--force-webrtc-ip-handling-policy",
)


class ChartExportError(RuntimeError):
    """The charts could not be exported; the message says why in one line."""


def browser_path() -> str:
    """The browser to start: ``BROWSER_PATH``, else the first of :data:`BROWSERS` installed."""
    chosen = os.environ.get("BROWSER_PATH")
    if chosen:
        if not Path(chosen).is_file():
            raise ChartExportError(f"BROWSER_PATH={chosen!r} does not exist: install Chromium "
                                   "(Debian: chromium-headless-shell) or point BROWSER_PATH at it")
        return chosen
    for candidate in BROWSERS:
        if Path(candidate).is_file():
            return candidate
    raise ChartExportError("no Chromium found for the PDF's charts: install chromium-headless-shell "
                           "(Debian) or set BROWSER_PATH")


def offline_cli(cli: list[str]) -> list[str]:
    """Chromium's command line without :data:`UNSAFE_FLAGS` and with :data:`OFFLINE_FLAGS`, placed
    before the DevTools pipe switch (the last of choreographer's own)."""
    kept = [a for a in cli if a not in UNSAFE_FLAGS]
    extra = [f for f in OFFLINE_FLAGS if f not in kept]
    at = kept.index("--remote-debugging-pipe") if "--remote-debugging-pipe" in kept else len(kept)
    return kept[:at] + extra + kept[at:]


def _offline_browser_class():
    from choreographer.browsers.chromium import Chromium

    class OfflineChromium(Chromium):
        def get_cli(self):
            return offline_cli(list(super().get_cli()))

    return OfflineChromium


def _timeout() -> float:
    try:
        value = float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT))
    except ValueError:
        raise ChartExportError(f"{TIMEOUT_ENV} must be a number of seconds") from None
    return value if value > 0 else DEFAULT_TIMEOUT


def _one_line(exc: BaseException) -> str:
    # choreographer raises with a tuple of sentences: the first one says what happened
    first = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
    text = " ".join(first.split()) or exc.__class__.__name__
    return text[:300]


class _Browser:
    """One kaleido instance on an event loop of its own thread; every call waits at most the timeout."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="imds-audit-charts", daemon=True)
        self.thread.start()
        self.kaleido = None

    def _run(self, coro, what: str, timeout: float):
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout=timeout)
        except TimeoutError:
            future.cancel()
            self.kill()
            raise ChartExportError(f"the browser did not {what} within {timeout:g} s "
                                   f"(set {TIMEOUT_ENV} to wait longer)") from None
        except ChartExportError:
            raise
        except Exception as exc:  # noqa: BLE001 -- kaleido and choreographer raise many types
            self.kill()
            raise ChartExportError(f"the browser failed to {what}: {_one_line(exc)}") from None

    def open(self, timeout: float) -> None:
        import kaleido

        path = browser_path()

        async def start():
            k = kaleido.Kaleido(mathjax=False, timeout=timeout, browser_cls=_offline_browser_class(),
                                path=path)
            self.kaleido = k
            await k.open()
            return k

        self._run(start(), "start", timeout)

    def svg(self, fig, opts: dict, timeout: float) -> str:
        data = self._run(self.kaleido.calc_fig(fig, opts=opts), "draw a chart", timeout)
        return data.decode("utf-8") if isinstance(data, bytes) else str(data)

    def close(self, timeout: float) -> None:
        try:
            if self.kaleido is not None:
                self._run(self.kaleido.close(), "close", timeout)
        except ChartExportError:
            pass  # killed by _run
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)

    def kill(self) -> None:
        """Kill the browser's process group (choreographer starts it in a session of its own)."""
        process = getattr(self.kaleido, "subprocess", None)
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            process.kill()


_lock = threading.Lock()
_browser: _Browser | None = None


def _ensure_browser() -> _Browser:
    global _browser
    with _lock:
        if _browser is None:
            browser = _Browser()
            try:
                browser.open(_timeout())
            except ChartExportError:
                browser.loop.call_soon_threadsafe(browser.loop.stop)
                raise
            _browser = browser
            atexit.register(stop)
        return _browser


def stop() -> None:
    """Stop the shared browser (also done at exit)."""
    global _browser
    with _lock:
        if _browser is not None:
            _browser.close(_timeout())
            _browser = None


_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>\s*")


def to_svg(fig, width: int = 760, height: int | None = None) -> str:
    """One figure as an SVG document string (no XML declaration, ready to inline in HTML)."""
    opts = {"format": "svg", "width": width, "height": height or int(fig.layout.height or 400)}
    browser = _ensure_browser()
    try:
        text = browser.svg(fig, opts, _timeout())
    except ChartExportError:
        global _browser
        with _lock:
            _browser = None  # killed: the next call starts a new one
        raise
    return _XML_DECL.sub("", text)


def to_svgs(figures: dict, width: int = 760) -> dict[str, str]:
    """Every figure through the same browser."""
    return {name: to_svg(fig, width=width) for name, fig in figures.items()}
