"""A headless Chromium driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``): no
port, no WebSocket library, nothing but the browser and the standard library.

Why the protocol and not ``--dump-dom`` with log scraping: every console message and uncaught
exception arrives as a structured event (``Runtime.consoleAPICalled``, ``Runtime.exceptionThrown``,
``Log.entryAdded``) whatever Chromium's log format is this year, the window size can be changed on the
loaded page (``Emulation.setDeviceMetricsOverride``: the charts must follow a resize, not only a first
draw), and measurements are plain ``Runtime.evaluate`` calls on the page as shipped, unmodified.

The browser runs offline: a proxy on a closed loopback port and no background networking, so a
report that tried to fetch anything would log a failed load (an error here).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import time

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions", "--mute-audio",
         "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>", "--remote-debugging-pipe"]


class CDPError(RuntimeError):
    pass


class Browser:
    """One Chromium and one page (tab), attached with a flat session."""

    def __init__(self, timeout: float = 60.0):
        if CHROMIUM is None:
            raise CDPError("no Chromium")
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="ia-cdp-")
        to_browser_r, self._w = os.pipe()   # fd 3 in the browser: what it reads
        self._r, from_browser_w = os.pipe()  # fd 4 in the browser: what it writes

        def fds():
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        self.proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, preexec_fn=fds, pass_fds=(3, 4),
                                     start_new_session=True)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []
        self.session = None
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")

    # ---- the pipe -------------------------------------------------------------------------------
    def _send(self, message: dict) -> None:
        os.write(self._w, json.dumps(message).encode() + b"\0")

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._r], [], [], left)[0]:
                raise CDPError("the browser did not answer in time")
            chunk = os.read(self._r, 1 << 16)
            if not chunk:
                raise CDPError("the browser closed the pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, **params):
        self._id += 1
        message = {"id": self._id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        self._send(message)
        deadline = time.monotonic() + self.timeout
        while True:
            got = self._read(deadline)
            if got.get("id") == self._id:
                if "error" in got:
                    raise CDPError(f"{method}: {got['error']}")
                return got.get("result", {})
            if "method" in got:
                self.events.append(got)

    def wait_for(self, method: str, seconds: float | None = None) -> dict:
        deadline = time.monotonic() + (seconds or self.timeout)
        for i, e in enumerate(self.events):
            if e["method"] == method:
                return self.events.pop(i)
        while True:
            got = self._read(deadline)
            if got.get("method") == method:
                return got
            if "method" in got:
                self.events.append(got)

    def pump(self, seconds: float) -> None:
        """Collect the events of the next ``seconds`` (timers, animations, late errors)."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                got = self._read(deadline)
                if "method" in got:
                    self.events.append(got)
        except CDPError:
            pass

    # ---- the page -------------------------------------------------------------------------------
    def size(self, width: int, height: int = 900) -> None:
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=False)

    def open(self, url: str, settle: float = 1.5) -> None:
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")
        self.pump(settle)

    def js(self, expression: str):
        """The value of ``expression`` (awaited when it is a promise); a page exception is an error."""
        got = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in got:
            raise CDPError(f"{expression[:80]}: {got['exceptionDetails']}")
        return got["result"].get("value")

    def problems(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions, failed loads, seen so far."""
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                out.append("exception: " + str(d.get("exception", {}).get("description") or d.get("text")))
            elif e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
                out.append(f"console.{p['type']}: " + " ".join(str(a.get("value", a.get("description")))
                                                           for a in p.get("args", [])))
            elif e["method"] == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
                entry = p["entry"]
                out.append(f"log {entry.get('source')}: {entry.get('text')} {entry.get('url', '')}".strip())
        return out

    def screenshot(self, path: str, width: int, height: int) -> None:
        import base64

        self.size(width, height)
        self.pump(0.8)
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as fh:
            fh.write(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.session = None
            self._send({"id": 0, "method": "Browser.close", "params": {}})
            self.proc.wait(timeout=10)
        except Exception:  # noqa: BLE001 -- then it is killed
            pass
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(timeout=10)
            for fd in (self._r, self._w):
                try:
                    os.close(fd)
                except OSError:
                    pass
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
