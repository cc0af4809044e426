"""Issue 15's weight and start-up: the demo's audit.html at most 1.5 MB and a 5,000-group estate's at
most 6 MB (plotly.js once, only the partial bundle; each fix once; large sections packed), the notebook
holding each output once, remediation files only when asked for, and a CLI that starts without the
heavy libraries."""

import json
import subprocess
import sys

import pytest

from imds_audit.present import assets
from imds_audit.render.report import build_findings, render_findings

MB = 1024 * 1024


@pytest.fixture(scope="module")
def demo_html(demo_paths, tmp_path_factory):
    """The demo, in Japanese (the heavier text), HTML only."""
    snapshot, previous = demo_paths
    findings = build_findings(snapshot, ("html",), "ja", previous=previous)
    return render_findings(findings, tmp_path_factory.mktemp("weight") / "out", formats=("html",), lang="ja")


@pytest.mark.slow
def test_the_demo_html_is_light_and_the_notebook_holds_each_output_once(demo_html):
    html = demo_html["audit.html"].read_text(encoding="utf-8")
    assert demo_html["audit.html"].stat().st_size <= 1.5 * MB
    assert html.count("plotly.js (basic - minified) v") == 1 and "* plotly.js v" not in html
    assert "jp-RenderedHTMLCommon {" not in html and ".highlight .hll" not in html  # no lab or pygments CSS
    nb = json.loads(demo_html["audit.ipynb"].read_text(encoding="utf-8"))
    outputs = [o for c in nb["cells"] for o in c.get("outputs", []) if "data" in o]
    assert outputs and all(list(o["data"]) == ["text/html"] for o in outputs)  # one representation each
    assert demo_html["audit.ipynb"].stat().st_size <= 1.6 * MB
    out = demo_html["audit.html"].parent
    assert not (out / "remediation").exists()  # --format html writes no remediation bundle


@pytest.mark.slow
def test_a_5000_group_report_stays_under_6_mb(tmp_path):
    """The sections the notebook shows, for the bench's 5,000-group estate (each group its own
    template: a fix per group), packed beyond the thresholds."""
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    from synthetic_estate import synthetic

    from imds_audit import snapshot as snap
    from imds_audit.present import ReportView

    path = snap.write(synthetic(5000, accounts=3), tmp_path / "snap")
    view = ReportView(build_findings(path, ("html",), "en"), lang="en")
    parts = [view.assets(), view.headline(), view.scope(), view.coverage_chart(), view.chart("drift"),
             view.trend(), view.chart("roles"), view.chart("tiers"), view.roles(), view.next_steps(),
             view.groups(), view.exceptions(), view.remediation(), view.methodology(), view.metadata()]
    size = sum(len(p.encode("utf-8")) for p in parts)
    assert size <= 5.8 * MB, size / MB  # the notebook's own wrapper adds a few kilobytes
    fixes = view.remediation_fixes()
    bad = view.findings.groups["status"].eq("non_compliant").sum()
    assert sum(len(f["members"]) for f in fixes) == bad          # every non-compliant group has its fix
    assert 'id="ia-fix-pack"' in parts[12] and 'id="ia-groups-table-rows"' in parts[10]


def test_the_vendored_bundle_matches_plotly_and_holds_every_trace_the_charts_draw():
    import report_fixtures as fx
    from plotly.offline import get_plotlyjs_version

    from imds_audit import i18n
    from imds_audit.present import charts, summary

    assert assets.bundle_version() == get_plotlyjs_version()  # update present/vendor/ with plotly
    assert (assets.VENDOR / "LICENSE.plotly.js").is_file()
    f = fx.make_findings()
    figures = charts.all_figures(f, i18n.Catalogue("en"), None)
    series = __import__("pandas").DataFrame({"collected_at": ["2025-01-01T00:00:00+00:00", "2025-04-01T00:00:00+00:00"],
                                             "coverage_pct": [40.0, 60.0], "instance_coverage_pct": [30.0, 50.0],
                                             "exposed_roles": [4, 3]})
    figures["trend"] = charts.trend(series, i18n.Catalogue("en"))
    assets.check_traces(figures)
    assert {t.type for fig in figures.values() for t in fig.data} <= assets.BUNDLE_TRACES
    with pytest.raises(ValueError, match="bundle"):
        import plotly.graph_objects as go

        assets.check_traces({"map": go.Figure(go.Choropleth())})
    assert summary  # imported for the figures' roles


def test_the_cli_imports_no_heavy_library():
    code = ("import sys, imds_audit.cli; heavy = ('pandas', 'numpy', 'boto3', 'botocore', 'plotly', 'weasyprint', "
            "'nbconvert', 'papermill', 'pyarrow', 'moto', 'kaleido', 'jinja2'); "
            "print([m for m in heavy if m in sys.modules])")
    got = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert got.stdout.strip() == "[]", got.stdout
