"""Quarterly history in the reports: diff.csv with every change category, the HTML trend section (diff
tables, a chart with one point per snapshot, hostile names escaped), the PDF's trend sentence in English
and Japanese, the comparison picked from a history folder, and damaged snapshots refused."""

import html
import json
import re
import shutil
import subprocess

import pandas as pd
import pytest

import factory
import report_fixtures as fx
from imds_audit import model, pipeline
from imds_audit import snapshot as snap
from imds_audit.pipeline import comparison_snapshot
from imds_audit.present import ReportView
from imds_audit.render import build_report, render_findings

PWNED = "sbx;$(touch /tmp/pwned)"
PREVIOUS_AT = "2025-10-15T09:30:00+00:00"
NOW_AT = "2026-01-15T09:30:00+00:00"


def _set(frame, name, **values):
    for col, value in values.items():
        frame.loc[frame["asg_name"].eq(name), col] = value


def previous_findings():
    """The findings of a quarter earlier, so that the current fixture findings show every category."""
    prev = fx.make_findings()
    g = prev.groups
    _set(g, "web-prod", status="compliant", instances_allowing_imdsv1=0)        # → newly_non_compliant
    _set(g, "api-v2", status="non_compliant", instances_allowing_imdsv1=2)      # → newly_compliant
    _set(g, "drifted-fixed", status="non_compliant", instances_allowing_imdsv1=3)  # → newly_compliant
    _set(g, "unread-template", status="compliant")                              # → newly_unknown
    _set(g, "legacy-lc", status="unknown")                                      # → now_assessed
    g = g[~g["asg_name"].isin([fx.XSS, "eks-nodes"])]                           # → new_group (twice)
    gone = g[g["asg_name"].eq("batch-etl")].assign(asg_name=PWNED)               # → removed_group
    prev.groups = pd.concat([g, gone], ignore_index=True)
    r = prev.roles
    r.loc[r["role_name"].eq("etl-data"), ["exposure_level", "exposed_groups", "exposed_instances"]] = \
        ["none", 0, 0]                                                          # worse now
    r.loc[r["role_name"].eq("legacy"), ["exposed_groups", "exposed_instances"]] = [2, 5]  # better now
    return pipeline.with_coverage(prev)


def older_points():
    """Two more snapshots before the previous one, for a trend of four points."""
    first, second = previous_findings(), previous_findings()
    first.groups["status"] = "non_compliant"
    _set(second.groups, "api-v2", status="compliant")
    pipeline.with_coverage(first), pipeline.with_coverage(second)
    return [("2025-04-15T09:30:00+00:00", first), ("2025-07-15T09:30:00+00:00", second)]



@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    base = tmp_path_factory.mktemp("history-report")
    current = fx.write_snapshot(base / "snapshot", collected_at=NOW_AT)
    previous = fx.write_snapshot(base / "previous", collected_at=PREVIOUS_AT)
    findings = fx.report_findings(current, previous=previous_findings(), previous_snapshot=previous,
                                  history=older_points())
    out = render_findings(findings, base / "out", formats=("csv", "xlsx", "json", "html"))
    return out, current, previous


def test_diff_csv_has_every_category_of_the_input(rendered):
    out, _, _ = rendered
    diff = pd.read_csv(out["diff.csv"], dtype=str, keep_default_na=False)
    assert list(diff.columns) == model.DIFF_COLUMNS
    assert set(diff["change"]) == set(model.CHANGES)
    by = diff.set_index("asg_name")["change"].to_dict()
    assert by["web-prod"] == "newly_non_compliant"
    assert by["api-v2"] == by["drifted-fixed"] == "newly_compliant"
    assert by[fx.XSS] == by["eks-nodes"] == "new_group"
    assert by[PWNED] == "removed_group"  # hostile names kept verbatim in the export
    assert by["unread-template"] == "newly_unknown" and by["legacy-lc"] == "now_assessed"
    assert by["api-v2"] != "unchanged" and by[fx.JAPANESE] == "unchanged"
    assert diff.iloc[0]["change"] == "newly_non_compliant"  # worst news first
    roles = pd.read_csv(out["roles_diff.csv"]).set_index("role_name")
    assert roles["direction"].to_dict() == {"etl-data": "worse", "legacy": "better"}


def test_workbook_and_json_carry_the_diff(rendered):
    from openpyxl import load_workbook

    out, _, _ = rendered
    wb = load_workbook(out["findings.xlsx"], read_only=True)
    assert {"diff", "roles_diff", "trend"} <= set(wb.sheetnames)
    doc = json.loads(out["findings.json"].read_text(encoding="utf-8"))
    assert {r["change"] for r in doc["diff"]} == set(model.CHANGES)
    assert len(doc["trend"]) == 4 and doc["metadata"]["history_points"] == 4


def test_no_diff_files_without_a_comparison(tmp_path):
    current = fx.write_snapshot(tmp_path / "snapshot")
    out = render_findings(fx.report_findings(current), tmp_path / "out", formats=("csv", "json"))
    assert "diff.csv" not in out and not (tmp_path / "out" / "diff.csv").exists()
    assert "diff" not in json.loads(out["findings.json"].read_text(encoding="utf-8"))


def _plotly(page: str, div_id: str) -> list[dict]:
    m = re.search(r'Plotly\.newPlot\(\s*"' + re.escape(div_id) + r'",\s*', page)
    assert m, f"no chart {div_id}"
    data, _ = json.JSONDecoder().raw_decode(page, m.end())
    return data


def test_html_shows_the_diff_tables_and_a_trend_of_four_points(rendered):
    out, _, _ = rendered
    page = out["audit.html"].read_text(encoding="utf-8")
    ids = ["ia-diff-newly-non-compliant", "ia-diff-newly-compliant", "ia-diff-new-group",
           "ia-diff-removed-group", "ia-diff-newly-unknown", "ia-diff-roles"]
    positions = [page.index(f'id="{i}"') for i in ids]
    assert positions == sorted(positions)  # newly non-compliant first, roles last
    section = page[page.index('id="ia-trend"'):]
    assert "Coverage rose from" in section or "Coverage fell from" in section
    traces = _plotly(page, "ia-chart-trend")
    assert len(traces) == 3  # exposed roles, group coverage, instance coverage
    assert all(len(t["x"]) == 4 for t in traces)
    assert '<a href="#ia-trend">' in page  # the headline links to it


def test_html_escapes_hostile_names_in_the_diff(rendered):
    out, _, _ = rendered
    page = out["audit.html"].read_text(encoding="utf-8")
    trend = page[page.index('id="ia-trend"'):page.index('id="ia-roles"')]
    assert fx.XSS not in page
    assert html.escape(fx.XSS, quote=False) in trend
    assert html.escape(PWNED, quote=False) in trend or PWNED in trend  # text, not code: no markup in it


def _view(snapshot, previous_snapshot, lang="en", previous=None):
    findings = fx.report_findings(snapshot, previous=previous if previous is not None else previous_findings(),
                                  previous_snapshot=previous_snapshot)
    return ReportView(findings, lang=lang)


def test_trend_sentence_in_both_languages(rendered):
    _, current, previous = rendered
    en = _view(current, previous).trend_sentence()
    before = _view(current, previous).trend_data["before_pct"]
    assert before < 45.5
    assert en == (f"Coverage rose from {before:.1f}% to 45.5% since 15 October 2025: 2 groups fixed, "
                  "1 regressed, 2 new, 1 removed, 1 no longer assessable.").replace(".0%", "%")
    ja = _view(current, previous, "ja").trend_sentence()
    assert ja.startswith("2025年10月15日以降、IMDSv2 対応率は") and "上昇しました" in ja
    assert "是正 2 グループ、後退 1 グループ、新規 2 グループ" in ja


def test_trend_sentence_when_nothing_moved(rendered):
    _, current, previous = rendered
    view = _view(current, previous, previous=fx.make_findings())
    assert view.trend_sentence() == "Coverage stayed at 45.5% since 15 October 2025: 0 groups fixed, 0 regressed."
    one = fx.make_findings()
    _set(one.groups, "api-v2", status="non_compliant")
    view = _view(current, previous, previous=pipeline.with_coverage(one))
    assert ": 1 group fixed, 0 regressed." in view.trend_sentence()


def _pdftotext(path) -> str:
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", "", text)


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_pdf_has_the_trend_sentence_and_chart(rendered, tmp_path, lang):
    _, current, previous = rendered
    findings = fx.report_findings(current, previous=previous_findings(), previous_snapshot=previous,
                                  history=older_points())
    out = render_findings(findings, tmp_path / "out", formats=("pdf",), lang=lang)
    sentence = _view(current, previous, lang).trend_sentence()
    assert re.sub(r"\s+", "", sentence) in _pdftotext(out["audit.pdf"])
    from imds_audit.render.pdf import summary_html

    view = _view(current, previous, lang)
    page = summary_html(view, {"coverage": "<svg/>", "trend": "<svg/>"})
    assert page.count('class="trend-sentence"') == 1


# ---- the history folder: which snapshot is the comparison, and damaged ones refused ---------------

def test_comparison_is_the_latest_snapshot_older_than_the_current(tmp_path):
    current = fx.write_snapshot(tmp_path / "now", collected_at="2026-08-30T00:00:00+00:00")
    q1 = fx.write_snapshot(tmp_path / "q1", collected_at="2026-03-01T00:00:00+00:00")
    q2 = fx.write_snapshot(tmp_path / "q2", collected_at="2026-06-01T00:00:00Z")
    later = fx.write_snapshot(tmp_path / "later", collected_at="2026-11-30T00:00:00+00:00")
    assert comparison_snapshot(current, [q1, later, q2]).path == q2.path
    assert comparison_snapshot(current, [later]) is None


def _damage(path, how):
    if how == "truncated":
        table = sorted(path.glob("*.parquet"))[0]
        table.write_bytes(table.read_bytes()[:20])
    elif how == "newer_schema":
        manifest = path / snap.MANIFEST
        doc = json.loads(manifest.read_text(encoding="utf-8"))
        doc["schema_version"] = snap.SCHEMA_VERSION + 1
        manifest.write_text(json.dumps(doc), encoding="utf-8")
    elif how == "older_schema":
        manifest = path / snap.MANIFEST
        doc = json.loads(manifest.read_text(encoding="utf-8"))
        doc["schema_version"] = 0
        manifest.write_text(json.dumps(doc), encoding="utf-8")


@pytest.mark.parametrize("how", ["truncated", "newer_schema", "older_schema"])
def test_a_damaged_snapshot_in_the_history_is_refused(tmp_path, how):
    current = fx.write_snapshot(tmp_path / "now", collected_at="2026-08-30T00:00:00+00:00")
    good = fx.write_snapshot(tmp_path / "history" / "q1", collected_at="2026-03-01T00:00:00+00:00")
    bad = fx.write_snapshot(tmp_path / "history" / "q2", collected_at="2026-06-01T00:00:00+00:00")
    _damage(bad.path, how)
    with pytest.raises(snap.SnapshotError):
        build_report(current.path, tmp_path / "out", formats=("csv",), history=[good.path, bad.path])
    assert not (tmp_path / "out" / "findings.csv").exists()  # refused before any output


# ---- end to end: snapshots on disk → analyze → report --------------------------------------------

def _estate(groups: dict[str, str | None], collected_at: str) -> snap.Snapshot:
    """One group per region (each with its own lt-1); ``groups`` maps name → HttpTokens."""
    regions = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1"]
    tables: dict[str, list] = {}
    calls = []
    for (name, tokens), region in zip(groups.items(), regions[:len(groups)], strict=True):
        one = factory.template_group(name=name, tokens=tokens, region=region)
        for table, frame in one.tables.items():
            tables.setdefault(table, []).extend(frame.to_dict("records"))
        calls += one.api_calls
    return snap.new(tables, api_calls=calls, collected_at=collected_at, settings={"usage_window_days": 14})


@pytest.fixture(scope="module")
def history_folder(tmp_path_factory):
    base = tmp_path_factory.mktemp("history-e2e")
    snap.write(_estate({"fix": "optional", "regress": "required", "gone": "optional", "same": "required"},
                       "2026-03-01T00:00:00+00:00"), base / "history" / "q1")
    snap.write(_estate({"fix": "optional", "regress": "required", "gone": "optional", "same": "optional"},
                       "2026-06-01T00:00:00+00:00"), base / "history" / "q2")
    snap.write(_estate({"fix": "required", "regress": "optional", "added": "optional", "same": "optional"},
                       "2026-08-30T00:00:00+00:00"), base / "snapshot")
    return base


def test_build_report_from_a_history_folder(history_folder, tmp_path):
    base = history_folder
    hist = sorted((base / "history").iterdir())
    out = build_report(base / "snapshot", tmp_path / "out", formats=("csv", "json"), history=hist)
    diff = pd.read_csv(out["diff.csv"]).set_index("asg_name")["change"].to_dict()
    # compared with q2 (the latest earlier one): "same" was already optional there
    assert diff == {"regress": "newly_non_compliant", "fix": "newly_compliant", "added": "new_group",
                    "gone": "removed_group", "same": "unchanged"}
    doc = json.loads(out["findings.json"].read_text(encoding="utf-8"))
    assert [p["collected_at"][:10] for p in doc["trend"]] == ["2026-03-01", "2026-06-01", "2026-08-30"]
    assert [p["coverage_pct"] for p in doc["trend"]] == [50.0, 25.0, 25.0]
    assert doc["metadata"]["previous"]["collected_at"].startswith("2026-06-01")


@pytest.mark.slow
def test_build_report_html_and_pdf_from_a_history_folder(history_folder, tmp_path):
    base = history_folder
    hist = sorted((base / "history").iterdir())
    out = build_report(base / "snapshot", tmp_path / "out", formats=("html", "pdf"), lang="ja", history=hist)
    page = out["audit.html"].read_text(encoding="utf-8")
    assert all(len(t["x"]) == 3 for t in _plotly(page, "ia-chart-trend"))
    if shutil.which("pdftotext"):
        assert "2026年6月1日以降、IMDSv2対応率は" in _pdftotext(out["audit.pdf"])
