"""OCSF Compliance Findings validated with py-ocsf-models, agreeing with the ASFF; JUnit read back by
junitparser; exceptions and hostile names in both."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from pydantic import ValidationError
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
from py_ocsf_models.objects.cloud import Cloud

from finding_rows import HOSTILE, METADATA, frame, row
from imds_audit.render import asff, junit, ocsf


class CloudComplianceFinding(ComplianceFinding):
    """Compliance Finding (2003) with the OCSF cloud profile, which adds ``cloud``."""

    cloud: Cloud


def check_ocsf(event: dict) -> None:
    """Valid for the schema's models, and nothing dropped or coerced on the way: every attribute the
    event carries is one the class (with the cloud profile) defines, with the type it defines."""
    model = CloudComplianceFinding.model_validate(event)
    assert model.model_dump(mode="json", exclude_unset=True) == event
    assert event["class_uid"] == 2003 and event["category_uid"] == 2
    assert event["type_uid"] == event["class_uid"] * 100 + event["activity_id"]
    assert event["metadata"]["version"] == ocsf.OCSF_VERSION and "cloud" in event["metadata"]["profiles"]


def test_check_ocsf_refuses_what_the_schema_does_not_define():
    good = ocsf.events(frame(row()), METADATA)[0]
    check_ocsf(good)
    for bad in ({**good, "severity_id": 7}, {**good, "invented": 1}, {**good, "time": "yesterday"},
                {k: v for k, v in good.items() if k != "finding_info"},
                {**good, "compliance": {**good["compliance"], "status_id": 9}}):
        with pytest.raises((ValidationError, AssertionError)):
            check_ocsf(bad)


def test_demo_events_are_valid_and_say_what_the_asff_says(demo_paths):
    from imds_audit import snapshot as snap
    from imds_audit.pipeline import analysed

    s = snap.read(demo_paths[0])
    groups = analysed(s).groups
    meta = {"collected_at": s.collected_at, "tool_version": s.tool_version, "snapshot_sha256": s.digest}
    events, found = ocsf.events(groups, meta), asff.findings(groups, meta)
    assert len(events) == len(found) == len(groups)
    status = {"PASSED": 1, "FAILED": 3, "NOT_AVAILABLE": 2}
    for event, finding in zip(events, found, strict=True):
        check_ocsf(event)
        assert event["finding_info"]["uid"] == finding["Id"] == event["metadata"]["uid"]
        assert event["severity_id"] == ocsf.SEVERITY_ID[finding["Severity"]["Label"]]
        assert event["compliance"]["status_id"] == status[finding["Compliance"]["Status"]]
        assert event["resources"][0]["uid"] == finding["Resources"][0]["Id"]
        assert event["resources"][0]["type"] == finding["Resources"][0]["Type"]
        assert event["compliance"]["requirements"] == finding["Compliance"]["RelatedRequirements"]
        assert event["cloud"]["account"]["uid"] == finding["AwsAccountId"]
        assert event["cloud"]["region"] == finding["Region"]


def test_an_accepted_exception_is_a_suppressed_event_with_the_justification():
    events = ocsf.events(frame(row(asg_name="a", exception="accepted", exception_reason="vendor agent",
                                   exception_owner="o@example.com", exception_expires="2026-12-31",
                                   exception_ticket="SEC-1"),
                               row(asg_name="b", exception="expired", exception_reason="old", exception_owner="o",
                                   exception_expires="2026-01-01"),
                               row(asg_name="c")), METADATA)
    for event in events:
        check_ocsf(event)
    assert [e["status_id"] for e in events] == [3, 1, 1] and events[0]["status"] == "Suppressed"
    assert events[0]["comment"] == "Accepted risk until 2026-12-31 (owner o@example.com, ticket SEC-1): vendor agent"
    assert events[1]["comment"].startswith("Exception expired on 2026-01-01") and "comment" not in events[2]
    assert [e["unmapped"]["exception"] for e in events] == ["accepted", "expired", ""]
    assert all(e["compliance"]["status_id"] == 3 for e in events)  # the verdict stays a failure


def test_hostile_names_survive_the_ocsf_json_exactly(tmp_path):
    groups = frame(*[row(asg_name=n, tags=json.dumps({"Name": n})) for n in HOSTILE])
    events = json.loads(ocsf.write(groups, tmp_path / ocsf.FILE_NAME, METADATA).read_text(encoding="utf-8"))
    for event in events:
        check_ocsf(event)
    assert [e["resources"][0]["name"] for e in events] == HOSTILE
    assert [e["resources"][0]["labels"] for e in events] == [[f"Name={n}"] for n in HOSTILE]


def read_junit(path):
    from junitparser import Error, Failure, JUnitXml, Skipped

    cases = {}
    for suite in JUnitXml.fromfile(str(path)):
        for case in suite:
            kinds = [type(r).__name__ for r in case.result if isinstance(r, (Failure, Error, Skipped))]
            cases[(suite.name, case.name)] = (kinds[0] if kinds else "passed", case)
    return cases


def test_junit_has_one_case_per_group_with_failure_error_or_skip(tmp_path):
    groups = frame(row(asg_name="ok", status="compliant"), row(asg_name="bad"),
                   row(asg_name="unread", status="unknown", reason="defaults not read"),
                   row(asg_name="accepted", exception="accepted", exception_reason="vendor", exception_owner="o",
                       exception_expires="2026-12-31"),
                   row(asg_name="other-region", region="eu-west-1"))
    path = junit.write(groups, tmp_path / junit.FILE_NAME, METADATA)
    cases = read_junit(path)
    assert {k: v[0] for k, v in cases.items()} == {
        ("111111111111/us-east-1", "ok"): "passed", ("111111111111/us-east-1", "bad"): "Failure",
        ("111111111111/us-east-1", "unread"): "Error", ("111111111111/us-east-1", "accepted"): "Skipped",
        ("111111111111/eu-west-1", "other-region"): "Failure"}
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites" and (root.get("tests"), root.get("failures"), root.get("errors"),
                                         root.get("skipped")) == ("5", "2", "1", "1")
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert {s.get("timestamp") for s in suites.values()} == {"2026-11-30T09:05:00"}  # JUnit's dateTime, UTC
    assert suites["111111111111/us-east-1"].get("tests") == "4" and suites["111111111111/eu-west-1"].get("failures") == "1"
    failure = root.find(".//testcase[@name='bad']/failure")
    assert failure.get("type") == "non_compliant" and "Severity: MEDIUM" in failure.text
    assert "accepted risk until 2026-12-31 (owner o): vendor" == root.find(".//testcase[@name='accepted']/skipped").get(
        "message")
    assert all(c.get("classname").startswith("imds-audit.111111111111.") for c in root.iter("testcase"))


def test_hostile_names_survive_the_junit_xml_exactly(tmp_path):
    path = junit.write(frame(*[row(asg_name=n) for n in HOSTILE]), tmp_path / junit.FILE_NAME, METADATA)
    root = ET.parse(path).getroot()
    assert [c.get("name") for c in root.iter("testcase")] == HOSTILE
    assert [name for _, name in read_junit(path)] == HOSTILE


def test_characters_xml_cannot_carry_become_the_replacement_character(tmp_path):
    path = junit.write(frame(row(asg_name="bell\x07nul\x00end")), tmp_path / junit.FILE_NAME, METADATA)
    assert [c.get("name") for c in ET.parse(path).getroot().iter("testcase")] == ["bell\ufffdnul\ufffdend"]
