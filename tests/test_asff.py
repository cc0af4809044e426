"""findings.asff.json: valid for botocore's BatchImportFindings model, stable ids, honest statuses,
exceptions as suppression, hostile names kept exactly."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from finding_rows import HOSTILE, METADATA, frame, row
from imds_audit.render import asff, rule


@pytest.fixture(scope="module")
def demo(demo_paths):
    from imds_audit import snapshot as snap
    from imds_audit.pipeline import analysed

    current, previous = snap.read(demo_paths[0]), snap.read(demo_paths[1])
    out = {}
    for name, s in (("current", current), ("previous", previous)):
        f = analysed(s)
        groups = f.groups  # the findings carry each group's real ARN, tags and severity
        meta = {"collected_at": s.collected_at, "tool_version": s.tool_version, "snapshot_sha256": s.digest}
        out[name] = (groups, f.sources, meta)
    return out


def test_every_demo_finding_is_valid_botocore_input_and_names_the_real_group(demo):
    groups, sources, meta = demo["current"]
    found = asff.findings(groups, meta, sources)
    assert asff.validate(found) == []
    assert len(found) == len(groups) and len({f["Id"] for f in found}) == len(found)
    statuses = pd.Series([f["Compliance"]["Status"] for f in found])
    assert statuses.tolist() == groups["status"].map(asff.COMPLIANCE).tolist()
    assert set(statuses) == {"PASSED", "FAILED", "NOT_AVAILABLE"}
    for f, (_, g) in zip(found, groups.iterrows(), strict=True):
        resource = f["Resources"][0]
        assert resource["Type"] == "AwsAutoScalingAutoScalingGroup" and resource["Id"] == g["asg_arn"]
        assert f["ProductFields"]["imds-audit/ArnBuilt"] == "false"
        assert f["ProductArn"] == f"arn:aws:securityhub:{g['region']}:{g['account_id']}:product/{g['account_id']}/default"
        assert f["AwsAccountId"] == g["account_id"] and f["Region"] == g["region"]
        assert f["GeneratorId"] == "imds-audit/asg-imdsv2-only"
        assert f["Severity"] == f["FindingProviderFields"]["Severity"]
        assert "AWS Foundational Security Best Practices v1.0.0/AutoScaling.3" in f["Compliance"]["RelatedRequirements"]
        assert "CIS AWS Foundations Benchmark v5.0.0/5.7" in f["Compliance"]["RelatedRequirements"]
        assert f["CreatedAt"] <= f["UpdatedAt"]


def test_group_details_come_from_the_launch_source_the_group_names(demo):
    groups, sources, meta = demo["current"]
    found = {f["ProductFields"]["imds-audit/AsgName"]: f for f in asff.findings(groups, meta, sources)}
    details = {n: f["Resources"][0].get("Details", {}).get("AwsAutoScalingAutoScalingGroup") for n, f in found.items()}
    assert details["api-pinned-v1"]["LaunchTemplate"]["Version"] == "1"
    assert details["eu-reports-latest"]["LaunchTemplate"]["Version"] == "$Latest"
    assert details["legacy-lc-optional"] == {"LaunchConfigurationName": "legacy-optional-lc"}
    assert details["mixed-override-gpu"]["MixedInstancesPolicy"]["LaunchTemplate"]["LaunchTemplateSpecification"][
        "LaunchTemplateName"] == "mixed-base-lt"
    role = found["admin-tools"]["Resources"][1]
    assert role["Type"] == "AwsIamRole" and role["Id"].endswith(":role/platform-admin")


def test_groups_another_service_owns_are_told_to_change_the_owner_never_the_group(demo):
    """The recommendation follows remediate.plan: through the EKS node group, the Beanstalk environment
    or the CloudFormation stack; ECS leaves the group's settings to it (the direct advice)."""
    from imds_audit.demo import estate

    groups, sources, meta = demo["current"]
    found = {f["ProductFields"]["imds-audit/AsgName"]: f["Remediation"]["Recommendation"]["Text"]
             for f in asff.findings(groups, meta, sources)}
    eks = found[estate.EKS_NODEGROUP_GROUPS["orders-ng"]]
    assert "node group orders-ng of EKS cluster prod" in eks and "update-nodegroup-version" in eks
    beanstalk = found["awseb-e-abcd1234-stack-AWSEBAutoScalingGroup-1QX8"]
    assert "environment shop-prod" in beanstalk and "DisableIMDSv1=true" in beanstalk
    stack = found["orders-stack-OrdersGroup-7Q2KX1"]
    assert "CloudFormation stack orders-stack" in stack and "update the stack" in stack
    for text in (eks, beanstalk, stack):
        assert "start an instance refresh" not in text and "make the group use it" not in text
    assert "make the group use it" in found["ecs-capacity"]


def test_ids_are_stable_across_runs_and_snapshots(demo):
    now = asff.findings(*demo["current"][::2])
    before = asff.findings(*demo["previous"][::2])
    later = asff.findings(demo["current"][0], {**demo["current"][2], "generated_at": "2030-01-01T00:00:00Z"})
    key = {(f["AwsAccountId"], f["Region"], f["ProductFields"]["imds-audit/AsgName"]): f["Id"] for f in now}
    assert [f["Id"] for f in later] == [f["Id"] for f in now]
    common = [f for f in before if (f["AwsAccountId"], f["Region"], f["ProductFields"]["imds-audit/AsgName"]) in key]
    assert common and all(f["Id"] == key[(f["AwsAccountId"], f["Region"], f["ProductFields"]["imds-audit/AsgName"])]
                          for f in common)
    assert later[0]["UpdatedAt"] == "2030-01-01T00:00:00.000Z"


def test_status_workflow_and_reason_codes():
    found = asff.findings(frame(row(asg_name="ok", status="compliant", instances_allowing_imdsv1=0),
                                row(asg_name="bad"), row(asg_name="unread", status="unknown",
                                                          reason="account IMDS defaults could not be read")), METADATA)
    assert [f["Compliance"]["Status"] for f in found] == ["PASSED", "FAILED", "NOT_AVAILABLE"]
    assert [f["Workflow"]["Status"] for f in found] == ["RESOLVED", "NEW", "NEW"]
    assert [f["Compliance"]["StatusReasons"][0]["ReasonCode"] for f in found] == [
        "IMDSV2_REQUIRED", "IMDSV1_ALLOWED", "NOT_ASSESSED"]
    assert "could not be read" in found[2]["Remediation"]["Recommendation"]["Text"]
    assert [f["Severity"]["Label"] for f in found] == ["INFORMATIONAL", "MEDIUM", "MEDIUM"]
    assert all(f["RecordState"] == "ACTIVE" for f in found)
    assert found[0]["CreatedAt"] == "2026-11-30T09:00:00.000Z" and found[0]["UpdatedAt"] == "2026-11-30T09:05:00.000Z"


def test_a_frame_severity_column_is_used_as_given():
    found = asff.findings(frame(row(severity="LOW")), METADATA)
    assert found[0]["Severity"]["Label"] == "LOW"


def excepted(state, status="non_compliant", **extra):
    return row(status=status, exception=state, exception_reason="vendor agent 4.x needs IMDSv1",
               exception_owner="platform@example.com", exception_expires="2026-12-31",
               exception_ticket="SEC-9", **extra)


def test_an_accepted_exception_suppresses_with_the_justification_in_the_note():
    found = asff.findings(frame(excepted("accepted", asg_name="a"), excepted("expired", asg_name="b"),
                                excepted("accepted", status="compliant", asg_name="c"), row(asg_name="d", exception="")),
                          METADATA)
    assert [f["Workflow"]["Status"] for f in found] == ["SUPPRESSED", "NEW", "RESOLVED", "NEW"]
    note = found[0]["Note"]
    assert note["Text"] == ("Accepted risk until 2026-12-31 (owner platform@example.com, ticket SEC-9): "
                            "vendor agent 4.x needs IMDSv1")
    assert note["UpdatedBy"] == "imds-audit" and note["UpdatedAt"] == found[0]["UpdatedAt"]
    assert found[1]["Note"]["Text"].startswith("Exception expired on 2026-12-31")
    assert "Note" not in found[2] and "Note" not in found[3]
    assert found[0]["Compliance"]["Status"] == "FAILED"  # the verdict is kept; only the workflow changes
    assert found[0]["ProductFields"]["imds-audit/Exception"] == "accepted"
    assert asff.validate(found) == []


def test_hostile_names_survive_the_json_exactly_and_stay_within_limits(tmp_path):
    groups = frame(*[row(asg_name=n, tags=json.dumps({"Name": n})) for n in HOSTILE])
    path = asff.write(groups, tmp_path / asff.FILE_NAME, METADATA)
    found = asff.read(path)
    assert asff.validate(found) == []
    assert [f["ProductFields"]["imds-audit/AsgName"] for f in found] == HOSTILE
    assert [f["Resources"][0]["Id"].split("autoScalingGroupName/", 1)[1] for f in found] == HOSTILE
    assert [f["Resources"][0]["Tags"]["Name"] for f in found] == HOSTILE
    assert len({f["Id"] for f in found}) == len(HOSTILE)
    assert all(f["Id"].isprintable() and len(f["Id"]) <= 512 for f in found)
    for f, name in zip(found, HOSTILE, strict=True):
        if len(name) < 100:
            assert f"'{name}'" in f["Title"]


def test_ids_of_names_too_long_once_encoded_fall_back_to_a_hash():
    name = "名" * 255  # 9 characters each once percent-encoded
    fid = rule.finding_id("111111111111", "us-east-1", name)
    assert len(fid) <= 512 and fid.endswith("sha256-" + __import__("hashlib").sha256(name.encode()).hexdigest())
    assert rule.finding_id("111111111111", "us-east-1", "a/b") != rule.finding_id("111111111111", "us-east-1", "a%2Fb")


def test_texts_are_cut_to_the_limits_in_utf16_units():
    name = "😀" * 255  # 2 UTF-16 units each
    found = asff.findings(frame(row(asg_name=name, launch_source="x" * 600)), METADATA)
    f = found[0]
    assert rule.utf16_len(f["Title"]) <= 256 and "😀…' launches" in f["Title"]
    assert rule.utf16_len(f["Remediation"]["Recommendation"]["Text"]) <= 512
    assert asff.validate(found) == []
    assert f["ProductFields"]["imds-audit/AsgName"] == name


def test_an_arn_is_built_and_flagged_when_the_frame_has_none():
    found = asff.findings(frame(row(asg_name="web", region="cn-north-1")).drop(columns=["asg_arn"]), METADATA)
    f = found[0]
    assert f["Resources"][0]["Id"] == ("arn:aws-cn:autoscaling:cn-north-1:111111111111:autoScalingGroup:*:"
                                       "autoScalingGroupName/web")
    assert f["ProductFields"]["imds-audit/ArnBuilt"] == "true"
    assert f["ProductArn"].startswith("arn:aws-cn:securityhub:cn-north-1:") and f["Resources"][0]["Partition"] == "aws-cn"


def test_validate_reports_what_botocore_and_the_documented_limits_refuse():
    good = asff.findings(frame(row()), METADATA)[0]
    assert asff.validate([good]) == []
    broken = [
        {**good, "Title": "x" * 257},
        {**good, "Description": "   "},
        {k: v for k, v in good.items() if k != "GeneratorId"},
        {**good, "Resources": [good["Resources"][0]] * 33},
        {**good, "Compliance": {"Status": "MAYBE"}},
        {**good, "ProductFields": {"k": "v" * 2049}},
        {**good, "Remediation": {"Recommendation": {"Text": "y" * 513}}},
    ]
    for finding in broken:
        assert asff.validate([finding]), finding.keys()


def test_read_accepts_a_list_or_a_request_body_and_refuses_anything_else(tmp_path):
    one = asff.findings(frame(row()), METADATA)
    (tmp_path / "a.json").write_text(json.dumps(one))
    (tmp_path / "b.json").write_text(json.dumps({"Findings": one}))
    (tmp_path / "c.json").write_text(json.dumps({"nothing": 1}))
    assert asff.read(tmp_path / "a.json") == asff.read(tmp_path / "b.json") == one
    with pytest.raises(ValueError, match="not a list of ASFF findings"):
        asff.read(tmp_path / "c.json")
