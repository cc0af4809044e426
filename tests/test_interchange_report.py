"""`imds-audit report --format asff,ocsf,junit --exceptions FILE` end to end on the demo estate."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from typer.testing import CliRunner

from imds_audit.cli import app
from imds_audit.render import asff

EXCEPTIONS = """
exceptions:
  - asg: admin-tools
    reason: break-glass tooling, replaced in Q1
    owner: secops@example.com
    expires: 2099-03-31
    ticket: SEC-77
  - asg: "legacy-*"
    account: "123456789012"
    reason: old vendor agent
    owner: billing@example.com
    expires: 2020-01-01
  - asg: "decommissioned-*"
    reason: gone
    owner: nobody@example.com
    expires: 2099-01-01
"""


@pytest.fixture(scope="module")
def reported(demo_paths, tmp_path_factory):
    root = tmp_path_factory.mktemp("interchange")
    (root / "exceptions.yaml").write_text(EXCEPTIONS, encoding="utf-8")
    result = CliRunner().invoke(app, ["report", str(demo_paths[0]), "--out", str(root / "out"), "--format",
                                      "csv,asff,ocsf,junit", "--exceptions", str(root / "exceptions.yaml")])
    return root / "out", result


def test_the_report_writes_the_three_files_and_lists_expired_and_stale_entries(reported):
    out, result = reported
    assert result.exit_code == 3, result.stderr  # other groups still allow IMDSv1, not excepted
    for name in ("findings.asff.json", "findings.ocsf.json", "findings.junit.xml", "exceptions.json"):
        assert (out / name).is_file() and name in result.stdout
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 2
    assert "entry 2 (account '123456789012', asg 'legacy-*') expired on 2020-01-01" in warnings[0]
    assert "entry 3 (asg 'decommissioned-*') matches no group: stale" in warnings[1]
    summary = json.loads((out / "exceptions.json").read_text(encoding="utf-8"))
    assert summary["accepted_groups"] == 1 and summary["expired_groups"] >= 1
    assert [e["entry"] for e in summary["expired"]] == [2] and [e["entry"] for e in summary["stale"]] == [3]


def test_the_written_findings_honour_the_exceptions_in_every_format(reported):
    out, _ = reported
    found = {f["ProductFields"]["imds-audit/AsgName"]: f for f in asff.read(out / "findings.asff.json")}
    assert asff.validate(list(found.values())) == []
    assert found["admin-tools"]["Workflow"]["Status"] == "SUPPRESSED"
    assert found["admin-tools"]["Compliance"]["Status"] == "FAILED"
    assert "SEC-77" in found["admin-tools"]["Note"]["Text"]
    assert found["legacy-billing"]["Workflow"]["Status"] == "NEW"
    assert found["legacy-billing"]["Note"]["Text"].startswith("Exception expired on 2020-01-01")
    events = {e["resources"][0]["name"]: e for e in json.loads((out / "findings.ocsf.json").read_text("utf-8"))}
    assert events["admin-tools"]["status_id"] == 3 and "break-glass" in events["admin-tools"]["comment"]
    assert events["legacy-billing"]["status_id"] == 1
    root = ET.parse(out / "findings.junit.xml").getroot()
    case = root.find(".//testcase[@name='admin-tools']")
    assert case.find("skipped") is not None and case.find("failure") is None
    assert root.find(".//testcase[@name='legacy-billing']/failure") is not None
    assert len(found) == len(events) == len(list(root.iter("testcase")))


def test_a_malformed_exceptions_file_stops_the_report_with_one_line(demo_paths, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("exceptions:\n  - {asg: x, reason: r, owner: o, expires: soon}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["report", str(demo_paths[0]), "--out", str(tmp_path / "o"),
                                      "--format", "csv", "--exceptions", str(bad)])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == ["imds-audit: bad.yaml: entry 1: 'expires' must be a date (YYYY-MM-DD), not 'soon'"]
    assert not (tmp_path / "o").exists()  # refused before any work


@pytest.mark.parametrize("name", ["<script>{{7*7}}$(id)`x`\u202e本番\n", "q'\"uote&amp;]]>", "tab\tcr\rnl\n"])
def test_a_hostile_group_name_from_a_snapshot_survives_every_interchange_file(tmp_path, name):
    import factory
    from imds_audit import snapshot as snap
    from imds_audit.render import ocsf
    from imds_audit.render.report import build_report

    s = factory.template_group(name=name, tokens="optional")
    s.scope = {"accounts": [factory.A], "regions": [factory.R]}
    path = snap.write(s, tmp_path / "snap")
    written = build_report(path, tmp_path / "out", formats=("asff", "ocsf", "junit"))
    found = asff.read(written["findings.asff.json"])
    assert asff.validate(found) == [] and found[0]["ProductFields"]["imds-audit/AsgName"] == name
    assert found[0]["Compliance"]["Status"] == "FAILED"
    assert found[0]["Resources"][0]["Id"].endswith("autoScalingGroupName/" + name)
    events = json.loads(written[ocsf.FILE_NAME].read_text(encoding="utf-8"))
    assert events[0]["resources"][0]["name"] == name and events[0]["finding_info"]["uid"] == found[0]["Id"]
    cases = list(ET.parse(written["findings.junit.xml"]).getroot().iter("testcase"))
    assert [c.get("name") for c in cases] == [name] and cases[0].find("failure") is not None


def test_run_refuses_a_malformed_exceptions_file_before_collecting(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("exceptions:\n  - {reason: r, owner: o, expires: 2030-01-01}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["run", "--out", str(tmp_path / "o"), "--exceptions", str(bad)])
    assert result.exit_code == 2 and "entry 1: needs at least one of account, region, asg, tag" in result.stderr
    assert not (tmp_path / "o").exists()
