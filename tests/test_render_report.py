"""build_report end to end from a snapshot on disk, through the analysis."""

import pandas as pd

import factory
from imds_audit import snapshot as snap
from imds_audit.model import FINDING_COLUMNS


def test_build_report_exports_from_a_snapshot(tmp_path):
    from imds_audit.render import build_report

    path = snap.write(factory.template_group(name="web", tokens="optional"), tmp_path / "snapshot")
    out = build_report(path, tmp_path / "out", formats=("csv", "xlsx", "json"), lang="ja")
    assert {"findings.csv", "roles.csv", "findings.xlsx", "findings.json"} <= set(out)
    groups = pd.read_csv(out["findings.csv"])
    assert list(groups.columns) == FINDING_COLUMNS
    assert groups.loc[0, "asg_name"] == "web" and groups.loc[0, "status"] == "non_compliant"


def test_format_string_accepted(tmp_path):
    from imds_audit.render.writers import check_formats

    assert check_formats("html, pdf,CSV") == ("html", "pdf", "csv")
