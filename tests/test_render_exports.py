"""findings.csv / roles.csv / findings.xlsx / findings.json: columns, order, and safe cells."""

import json

import pandas as pd
import pytest

import report_fixtures as fx
from imds_audit.model import FINDING_COLUMNS
from imds_audit.render import writers


@pytest.fixture
def findings():
    f = fx.make_findings()
    f.groups.loc[0, "asg_name"] = '=HYPERLINK("http://evil.example","x")'
    return f


def test_csv_columns_in_contract_order(findings, tmp_path):
    paths = writers.write(findings, tmp_path, ("csv",))
    assert set(paths) == {"findings.csv", "roles.csv"}
    groups = pd.read_csv(paths["findings.csv"], dtype=str, keep_default_na=False)
    assert list(groups.columns) == FINDING_COLUMNS
    assert len(groups) == 12 and set(groups["status"]) == {"compliant", "non_compliant", "unknown"}
    assert fx.XSS in set(groups["asg_name"]) and fx.JAPANESE in set(groups["asg_name"])
    roles = pd.read_csv(paths["roles.csv"])
    assert list(roles.columns) == fx.ROLE_COLUMNS and len(roles) == 7


def test_xlsx_sheet_per_table_with_filters_and_no_formulas(findings, tmp_path):
    from openpyxl import load_workbook

    path = writers.write(findings, tmp_path, ("xlsx",))["findings.xlsx"]
    wb = load_workbook(path)
    assert wb.sheetnames == ["groups", "roles", "sources", "not_assessed"]
    for ws in wb.worksheets:
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
    ws = wb["groups"]
    assert [c.value for c in ws[1]] == FINDING_COLUMNS
    names = [c for c in ws["C"][1:]]
    evil = [c for c in names if str(c.value).startswith("=HYPERLINK")]
    assert evil and all(c.data_type == "s" for c in evil)


def test_json_has_every_table_and_metadata(findings, tmp_path):
    findings.meta = {"snapshot": {"sha256": "abc"}}
    path = writers.write(findings, tmp_path, ("json",))["findings.json"]
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["metadata"]["snapshot_sha256"] == "abc"
    assert len(doc["groups"]) == 12 and list(doc["groups"][0]) == FINDING_COLUMNS
    assert {"roles", "sources", "not_assessed"} <= set(doc)


def test_roles_export_when_analysis_produced_none(tmp_path):
    f = fx.make_findings()
    f.roles = pd.DataFrame()
    paths = writers.write(f, tmp_path, ("csv",))
    assert list(pd.read_csv(paths["roles.csv"]).columns) == fx.ROLE_COLUMNS


def test_unknown_format_refused(tmp_path):
    from imds_audit.render.report import render_findings

    with pytest.raises(ValueError, match="unknown format"):
        render_findings(fx.make_findings(), tmp_path, formats=("html", "docx"))
    with pytest.raises(ValueError, match="names no format"):
        render_findings(fx.make_findings(), tmp_path, formats="")
    assert not any(tmp_path.iterdir())  # refused before anything was written
