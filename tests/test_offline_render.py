"""Rendering makes no network connection (issue 16, point 5), and a bad browser is one bounded error.

The demo report's PDF is rendered twice with the real command line: once normally, once inside a
network namespace that holds only loopback (``unshare -n``, root) under ``strace``, which logs every
``connect``/``sendto``/``sendmsg`` of the whole process tree (the CLI, kaleido, Chromium and its
helpers). The namespace guarantees nothing can leave; the trace shows nothing even tried (before the
fix, Chromium asked the machine's DNS resolver and probed a public IPv6 address on every render);
the comparison shows the isolated render is the same report.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from imds_audit.render import static_charts

pytestmark = pytest.mark.slow

CLI = str(Path(sys.executable).with_name("imds-audit"))
# A socket address in strace's notation, with the address it names.
ADDRESS = re.compile(r'sa_family=(AF_INET6?)[^}]*?(?:inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)")')


def _isolation_available() -> bool:
    if not (shutil.which("unshare") and shutil.which("strace")):
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


def _report(snapshot: Path, out: Path, wrap: list[str] = ()) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("BROWSER_PATH", None)  # the default browser, as `make report` uses it
    return subprocess.run([*wrap, CLI, "report", str(snapshot), "--out", str(out), "--format", "pdf"],
                          capture_output=True, text=True, env=env, timeout=300)


def _text(pdf: Path) -> str:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    # the moment the report was generated is the one thing two renders may not share
    return re.sub(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?(\+00:00|Z)?", "<time>", text)


def non_loopback(trace: str) -> list[str]:
    """Trace lines whose socket call names an internet address other than loopback."""
    bad = []
    for line in trace.splitlines():
        if not re.search(r"\b(connect|sendto|sendmsg)\(", line):
            continue
        for _family, v4, v6 in ADDRESS.findall(line):
            address = v4 or v6
            if not (address.startswith("127.") or address in ("::1", "::ffff:127.0.0.1")):
                bad.append(line.strip()[:200])
    return bad


def test_the_address_filter_catches_what_chromium_did_before():
    # the two kinds of line the unpatched render produced, and two harmless ones
    before = (
        '41 connect(19, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16) = 0\n'
        '42 connect(21, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), '
        'inet_pton(AF_INET6, "2001:4860:4860::8888", &sin6_addr), sin6_scope_id=0}, 28) = 0\n'
        '43 connect(5, {sa_family=AF_UNIX, sun_path="/run/dbus"}, 110) = -1 ENOENT\n'
        '44 connect(6, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")}, 16) = 0\n')
    assert len(non_loopback(before)) == 2


@pytest.mark.skipif(not _isolation_available(), reason="needs root with unshare and strace (CI has both)")
def test_pdf_renders_with_no_network_and_matches_a_normal_render(demo_paths, tmp_path):
    snapshot, _ = demo_paths
    normal = _report(snapshot, tmp_path / "normal")
    assert normal.returncode in (0, 3, 4), normal.stderr  # the exit code states the findings
    log = tmp_path / "trace.log"
    isolated = _report(snapshot, tmp_path / "isolated", wrap=[
        "unshare", "-n", "--", "strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(log)])
    assert isolated.returncode == normal.returncode, isolated.stderr
    assert "Traceback" not in isolated.stderr

    trace = log.read_text(errors="replace")
    assert "connect(" in trace  # the trace did follow the tree (Chromium talks over unix sockets)
    assert non_loopback(trace) == []
    assert _text(tmp_path / "isolated" / "audit.pdf") == _text(tmp_path / "normal" / "audit.pdf")


def test_browser_flags_keep_web_security_and_stop_background_networking():
    cli = ["chromium", "--headless", "--allow-file-access-from-files", "--disable-web-security",
           "--no-sandbox", "--remote-debugging-pipe"]
    out = static_charts.offline_cli(cli)
    assert "--disable-web-security" not in out and "--allow-file-access-from-files" not in out
    assert {"--disable-background-networking", "--disable-component-update",
            "--host-resolver-rules=MAP * ~NOTFOUND"} <= set(out)
    assert out[-1] == "--remote-debugging-pipe"  # choreographer's pipe switch stays last


def _chart_error(monkeypatch, browser: str, timeout: str = "60") -> tuple[str, float]:
    import time

    import plotly.graph_objects as go

    monkeypatch.setenv("BROWSER_PATH", browser)
    monkeypatch.setenv(static_charts.TIMEOUT_ENV, timeout)
    static_charts.stop()
    started = time.monotonic()
    with pytest.raises(static_charts.ChartExportError) as err:
        static_charts.to_svg(go.Figure(go.Bar(x=[1], y=[1])))
    return str(err.value), time.monotonic() - started


def test_missing_browser_is_one_line(monkeypatch, tmp_path):
    message, _ = _chart_error(monkeypatch, str(tmp_path / "no-such-chromium"))
    assert "\n" not in message and "does not exist" in message


def test_crashing_browser_is_one_line(monkeypatch):
    message, elapsed = _chart_error(monkeypatch, shutil.which("false"))
    assert "\n" not in message and "failed to start" in message
    assert elapsed < 30


def test_hanging_browser_times_out_and_is_killed(monkeypatch, tmp_path):
    hang = tmp_path / "hanging-browser"
    hang.write_text("#!/bin/sh\nexec sleep 600\n")
    hang.chmod(0o755)
    message, elapsed = _chart_error(monkeypatch, str(hang), timeout="3")
    assert "did not start within 3 s" in message and "\n" not in message
    assert elapsed < 20
    left = subprocess.run(["pgrep", "-f", str(hang)], capture_output=True, text=True).stdout
    assert left == ""  # its process group was killed


def test_cli_names_a_missing_browser_in_one_line(demo_paths, tmp_path):
    snapshot, _ = demo_paths
    env = {**os.environ, "BROWSER_PATH": str(tmp_path / "none")}
    done = subprocess.run([CLI, "report", str(snapshot), "--out", str(tmp_path / "out"), "--format", "pdf"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "BROWSER_PATH" in lines[0], done.stderr
