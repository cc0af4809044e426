"""audit.html as a person would open it: offline, in headless Chromium, charts drawn, no console
errors, code hidden, plotly.js embedded once, hostile names shown as text."""

import html
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

import report_fixtures as fx
from imds_audit.render import render_findings
from imds_audit.render.html import external_references

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["en", "ja"])
def report(request, tmp_path_factory):
    base = tmp_path_factory.mktemp(f"html-{request.param}")
    snapshot = fx.write_snapshot(base / "snapshot")
    findings = fx.report_findings(snapshot, client="ACME <Corp>", engagement="Q1 " + fx.TEMPLATE)
    out = render_findings(findings, base / "out", formats=("html",), lang=request.param)
    return request.param, out


class _Refs(HTMLParser):
    """Every URL the browser would fetch from a tag (script bodies are not parsed as markup)."""

    def __init__(self):
        super().__init__()
        self.urls = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts += 1
        for name, value in attrs:
            if name in ("src", "href") and value and tag in ("script", "link", "img", "iframe", "source",
                                                             "video", "audio", "embed", "object"):
                self.urls.append(value)


def test_outputs_written(report):
    _, out = report
    assert out["audit.html"].is_file() and out["audit.ipynb"].is_file()


def test_no_network_reference(report):
    _, out = report
    text = out["audit.html"].read_text(encoding="utf-8")
    parser = _Refs()
    parser.feed(text)
    remote = [u for u in parser.urls if re.match(r"(?i)\s*(https?:)?//", u)]
    assert remote == [] and external_references(text) == []
    assert "require.min.js" not in text and "MathJax.js" not in text and "mathjax@" not in text


def test_plotly_embedded_once_and_code_hidden(report):
    _, out = report
    text = out["audit.html"].read_text(encoding="utf-8")
    assert text.count("* plotly.js v") == 1  # the bundle's licence header: the library appears once
    assert "open_report(" not in text and "snapshot_path" not in text  # input cells excluded


def test_hostile_names_escaped_in_html(report):
    _, out = report
    text = out["audit.html"].read_text(encoding="utf-8")
    assert fx.XSS not in text
    assert html.escape(fx.XSS, quote=False) in text
    assert "ACME &lt;Corp&gt;" in text


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium to render the report")
def test_chromium_offline_draws_charts_without_console_errors(report, tmp_path):
    lang, out = report
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", "--proxy-server=127.0.0.1:9",
           "--proxy-bypass-list=<-loopback>", "--enable-logging=stderr", "--v=0",
           "--virtual-time-budget=15000", "--window-size=1400,3000", "--dump-dom",
           out["audit.html"].resolve().as_uri()]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    dom, log = run.stdout, run.stderr
    assert run.returncode == 0, log[-2000:]
    # every console message (errors, failed loads, "Uncaught ...") is logged as CONSOLE by Chromium
    console = [line for line in log.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    assert console == [], console
    assert dom.count('class="plot-container plotly"') == 4
    assert dom.count('class="main-svg"') >= 8  # each drawn figure has its main and info layers
    assert len(re.findall(r'class="[^"]*\bbars?\b', dom)) >= 4  # bar traces were drawn
    # the table script ran: every sortable table is wired, the filter counts the rows
    assert dom.count('data-ia-ready="1"') >= 3
    assert '<span class="ia-count">12</span>' in dom
    assert f"<html lang=\"{lang}\"" in dom
