"""audit.html as a person would open it: offline, in headless Chromium, charts drawn, no console
errors, code hidden, plotly.js embedded once, hostile names shown as text."""

import html
import re
import shutil
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
    assert text.count("* plotly.js (basic - minified) v") == 1  # the partial bundle's header: once
    assert text.count("* plotly.js v") == 0                     # and never the full one
    assert "open_report(" not in text and "snapshot_path" not in text  # input cells excluded


def test_hostile_names_escaped_in_html(report):
    _, out = report
    text = out["audit.html"].read_text(encoding="utf-8")
    assert fx.XSS not in text
    assert html.escape(fx.XSS, quote=False) in text
    assert "ACME &lt;Corp&gt;" in text


PROBE = """(() => {
  const charts = [...document.querySelectorAll('.chart .plotly-graph-div')];
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
    charts: charts.map(c => ({id: c.id, drawn: c.querySelectorAll('.main-svg').length,
      box: Math.round(c.getBoundingClientRect().width),
      svg: c.querySelector('.main-svg') ? Math.round(c.querySelector('.main-svg').getBoundingClientRect().width) : 0})),
    toolbars: charts.filter(c => { const m = c.querySelector('.modebar-container');
      return m && getComputedStyle(m).display !== 'none'; }).length,
    tables: document.querySelectorAll('table[data-ia-ready="1"]').length,
    lang: document.documentElement.lang};
})()"""


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium to render the report")
def test_chromium_at_1400_and_420_px_no_page_scroll_charts_drawn_and_resized_no_console_errors(report):
    """The page in a real browser over the DevTools protocol (tests/cdp.py says why): at 1400 px, then
    resized to 420 px, the page never scrolls sideways (wide tables scroll in their own box), every
    chart is drawn and as wide as its box, and nothing is logged as an error or a warning."""
    from cdp import Browser

    lang, out = report
    with Browser() as browser:
        browser.size(1400)
        browser.open(out["audit.html"].resolve().as_uri())
        for width in (1400, 420):
            browser.size(width)
            browser.pump(1.0)  # plotly's responsive redraw
            seen = browser.js(PROBE)
            assert seen["scrollWidth"] <= seen["innerWidth"], (width, seen)
            assert len(seen["charts"]) == 4 and all(c["drawn"] >= 2 for c in seen["charts"]), seen["charts"]
            assert all(abs(c["svg"] - c["box"]) <= 2 for c in seen["charts"]), (width, seen["charts"])
            assert seen["tables"] >= 3 and seen["lang"] == lang
            # the toolbar, not room for it beside the title on a phone: hidden there, offered on a desktop
            assert seen["toolbars"] == (len(seen["charts"]) if width == 1400 else 0), (width, seen["toolbars"])
        assert browser.problems() == []


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium to render the report")
def test_groups_table_filters_sorts_and_exports_the_rows_shown(report):
    from cdp import Browser

    _, out = report
    with Browser() as browser:
        browser.open(out["audit.html"].resolve().as_uri())
        table = "document.getElementById('ia-groups-table')"
        rows = f"[...{table}.tBodies[0].rows].filter(r => r.style.display !== 'none')"
        assert browser.js(f"{rows}.length") == 12
        # the region filter: ap-northeast-1 holds 3 groups of the fixture
        browser.js("(() => { const s = [...document.querySelectorAll('select.ia-col')].find(s => "
                   "[...s.options].some(o => o.value === 'ap-northeast-1')); s.value = 'ap-northeast-1'; "
                   "s.dispatchEvent(new Event('change')); })()")
        assert browser.js(f"{rows}.length") == 3
        csv = browser.js(f"window.iaTableCsv({table})")
        lines = csv.split("\r\n")
        assert len(lines) == 1 + 3 + 1 and lines[-1] == ""  # header, the 3 rows shown, final CRLF
        assert all(line.startswith('"') for line in lines[:-1]) and '"ap-northeast-1"' in lines[1]
        assert '"$(rm -rf /)"' in csv                         # the hostile name, quoted, as text
        # sorting by the instances column (numbers as numbers), then back
        browser.js(f"[...{table}.tHead.rows[0].cells].find(th => th.dataset.type === 'number' && "
                   "th.cellIndex === 10).click()")
        counts = browser.js(f"{rows}.map(r => parseFloat(r.cells[10].textContent) || 0)")
        assert counts == sorted(counts)
        # a group's status links to its fix, and following the link opens it
        browser.js(f"{table}.querySelector('td.status a').click()")
        browser.pump(0.3)
        assert browser.js("document.querySelector(location.hash).open") is True
        assert browser.problems() == []


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium to render the report")
def test_packed_rows_and_fixes_unpack_in_the_browser(report, tmp_path):
    """What a 5,000-group report ships gzipped: the groups' rows appear, a fix's steps when opened."""
    from cdp import Browser

    from imds_audit.present import ReportView

    lang, out = report
    from imds_audit import findings as fnd

    view = ReportView(fnd.read(out["findings/"]), lang=lang)
    page = tmp_path / "packed.html"
    page.write_text(f"<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"></head><body>"
                    + view.assets(plotlyjs=False) + view.groups(packed=True) + view.remediation(packed=True)
                    + "</body></html>", encoding="utf-8")
    with Browser() as browser:
        browser.open(page.as_uri())
        assert browser.js("document.getElementById('ia-groups-table').tBodies[0].rows.length") == 12
        browser.js("document.getElementById('fix-1').open = true")
        browser.pump(0.5)
        assert "aws " in browser.js("document.querySelector('#fix-1 .fix-body').textContent")
        assert browser.problems() == []
