"""findings.asff.json → Security Hub: 100 findings a call, read back with GetFindings, a re-import
updates (no duplicates), failures reported per finding id; the CLI verb against a moto server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.stub import ANY, Stubber

from finding_rows import HOSTILE, METADATA, frame, row
from imds_audit.render import asff
from imds_audit.send import securityhub as sh

MOTO_ACCOUNT = "123456789012"  # moto's account for the test credentials
OTHER = "210987654321"


def estate(n: int, account: str = MOTO_ACCOUNT, region: str = "us-east-1", **over):
    rows = [row(account_id=account, region=region, asg_name=f"asg-{i:04d}", **over) for i in range(n)]
    rows += [row(account_id=account, region=region, asg_name=name, **over) for name in HOSTILE]
    return frame(*rows)


def all_findings(client) -> list[dict]:
    return [f for page in client.get_paginator("get_findings").paginate(MaxResults=100) for f in page["Findings"]]


def batch_sizes(session) -> list[int]:
    sizes: list[int] = []
    session.events.register("provide-client-params.securityhub.BatchImportFindings",
                            lambda params, **kw: sizes.append(len(params["Findings"])))
    return sizes


def test_import_in_batches_of_100_read_back_and_reimport_without_duplicates():
    from moto import mock_aws

    with mock_aws():
        session = boto3.session.Session(region_name="us-east-1")
        sizes = batch_sizes(session)
        client = session.client("securityhub")
        client.enable_security_hub()
        found = asff.findings(estate(241), METADATA)
        assert asff.validate(found) == []
        result = sh.send(found, {MOTO_ACCOUNT: session}, workflows=False)
        assert result.ok and result.imported == len(found) == 250
        assert sizes == [100, 100, 50]
        stored = all_findings(client)
        assert sorted(f["Id"] for f in stored) == sorted(f["Id"] for f in found)
        by_id = {f["Id"]: f for f in stored}
        for f in found:  # what was sent is what is read back, hostile names included
            assert by_id[f["Id"]]["ProductFields"]["imds-audit/AsgName"] == f["ProductFields"]["imds-audit/AsgName"]
            assert by_id[f["Id"]]["Compliance"]["Status"] == "FAILED"

        fixed = asff.findings(estate(241, status="compliant", instances_allowing_imdsv1=0),
                              {**METADATA, "generated_at": "2026-12-01T00:00:00+00:00"})
        again = sh.send(fixed, {MOTO_ACCOUNT: session}, workflows=False)
        assert again.ok and again.imported == 250
        stored = all_findings(client)
        assert len(stored) == 250  # updated in place, not duplicated
        assert {f["Compliance"]["Status"] for f in stored} == {"PASSED"}
        assert {f["UpdatedAt"] for f in stored} == {"2026-12-01T00:00:00.000Z"}


def test_failed_findings_and_unreachable_accounts_are_reported_per_id():
    from moto import mock_aws

    with mock_aws():
        session = boto3.session.Session(region_name="us-east-1")
        found = asff.findings(estate(3), METADATA) + asff.findings(estate(0, account=OTHER), METADATA)
        broken = dict(found[1], Resources=[])  # Security Hub refuses a finding without a resource
        result = sh.send([found[0], broken, found[2]] + found[3:], {MOTO_ACCOUNT: session}, workflows=False)
        assert not result.ok
        assert result.imported == 2 + len(HOSTILE)
        failed = {f["Id"]: f for f in result.failed}
        assert failed[broken["Id"]]["ErrorCode"] == "InvalidInput"
        others = [f for f in found if f["AwsAccountId"] == OTHER]
        assert all(failed[f["Id"]]["ErrorCode"] == "NoCredentials" for f in others)
        assert len(failed) == 1 + len(others)


def test_each_account_is_reached_through_the_role_and_each_region_gets_its_own_client():
    from moto import mock_aws

    with mock_aws():
        found = (asff.findings(estate(2), METADATA) + asff.findings(estate(2, region="eu-west-1"), METADATA)
                 + asff.findings(estate(2, account=OTHER), METADATA))
        boto3.client("iam").create_role(RoleName="auditor", AssumeRolePolicyDocument="{}")
        result = sh.send(found, sh.sessions_for([None], role="auditor"), workflows=False)
        assert result.ok and result.imported == len(found)
        for account, region in ((MOTO_ACCOUNT, "us-east-1"), (MOTO_ACCOUNT, "eu-west-1"), (OTHER, "us-east-1")):
            if account == MOTO_ACCOUNT:
                client = boto3.client("securityhub", region_name=region)
            else:
                creds = boto3.client("sts").assume_role(RoleArn=f"arn:aws:iam::{OTHER}:role/auditor",
                                                        RoleSessionName="test")["Credentials"]
                client = boto3.client("securityhub", region_name=region, aws_access_key_id=creds["AccessKeyId"],
                                      aws_secret_access_key=creds["SecretAccessKey"],
                                      aws_session_token=creds["SessionToken"])
            ids = {f["Id"] for f in all_findings(client)}
            assert ids == {f["Id"] for f in found if f["AwsAccountId"] == account and f["Region"] == region}


def test_workflows_are_set_after_the_import_grouped_by_status_and_note():
    """moto lacks BatchUpdateFindings: botocore's Stubber checks the calls instead."""
    groups = frame(
        row(asg_name="accepted-1", exception="accepted", exception_reason="r1", exception_owner="o",
            exception_expires="2026-12-31"),
        row(asg_name="accepted-2", exception="accepted", exception_reason="r1", exception_owner="o",
            exception_expires="2026-12-31"),
        row(asg_name="expired", exception="expired", exception_reason="r2", exception_owner="o",
            exception_expires="2026-01-01"),
        row(asg_name="passed", status="compliant"),
        row(asg_name="failed"))
    found = asff.findings(groups, METADATA)
    client = boto3.client("securityhub", region_name="us-east-1")
    ident = [{"Id": f["Id"], "ProductArn": f["ProductArn"]} for f in found]
    with Stubber(client) as stub:
        stub.add_response("batch_import_findings", {"FailedCount": 0, "SuccessCount": 5, "FailedFindings": []},
                          {"Findings": found})
        stub.add_response("batch_update_findings", {"ProcessedFindings": ident[:2], "UnprocessedFindings": []},
                          {"FindingIdentifiers": ident[:2], "Workflow": {"Status": "SUPPRESSED"},
                           "Note": {"Text": found[0]["Note"]["Text"], "UpdatedBy": "imds-audit"}})
        stub.add_response("batch_update_findings", {"ProcessedFindings": [], "UnprocessedFindings": [
            {"FindingIdentifier": ident[2], "ErrorCode": "AccessDenied", "ErrorMessage": "no"}]},
                          {"FindingIdentifiers": [ident[2]], "Workflow": {"Status": "NEW"}, "Note": ANY})
        stub.add_response("batch_update_findings", {"ProcessedFindings": [ident[3]], "UnprocessedFindings": []},
                          {"FindingIdentifiers": [ident[3]], "Workflow": {"Status": "RESOLVED"}})
        session = boto3.session.Session(region_name="us-east-1")
        session.client = lambda *a, **kw: client
        result = sh.send(found, {"111111111111": session})
        stub.assert_no_pending_responses()
    assert result.imported == 5 and result.updated == 3
    assert result.failed == [{"Id": found[2]["Id"], "ErrorCode": "AccessDenied",
                              "ErrorMessage": "imported, but workflow NEW not set: no"}]


def _cli(args, env, cwd):
    return subprocess.run([sys.executable, "-m", "imds_audit.cli", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


@pytest.mark.slow
def test_the_send_verb_against_a_moto_server(moto_server, tmp_path):
    env = {**os.environ, "AWS_ENDPOINT_URL": moto_server,
           "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    out = tmp_path / "report"
    out.mkdir()
    asff.write(estate(120), out / asff.FILE_NAME, METADATA)
    done = _cli(["send-securityhub", str(out), "--no-workflow"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "129 imported, 0 workflows set, 0 failed" in done.stdout
    client = boto3.client("securityhub", region_name="us-east-1", endpoint_url=moto_server)
    assert len(all_findings(client)) == 129

    found = asff.read(out / asff.FILE_NAME)
    found[5]["Resources"] = []
    (out / "broken.json").write_text(json.dumps(found), encoding="utf-8")
    done = _cli(["send-securityhub", str(out / "broken.json"), "--no-workflow"], env, tmp_path)
    assert done.returncode == 1
    assert f"failed {found[5]['Id']}: InvalidInput" in done.stderr and "128 imported" in done.stdout

    done = _cli(["send-securityhub", str(tmp_path / "missing")], env, tmp_path)
    assert done.returncode == 2 and "No such file" in done.stderr


def test_a_batch_refused_as_a_whole_fails_each_of_its_findings_and_updates_nothing():
    found = asff.findings(frame(row(asg_name="a", status="compliant"), row(asg_name="b")), METADATA)
    client = boto3.client("securityhub", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_client_error("batch_import_findings", "InvalidAccessException", "not subscribed to Security Hub")
        session = boto3.session.Session(region_name="us-east-1")
        session.client = lambda *a, **kw: client
        result = sh.send(found, {"111111111111": session})
        stub.assert_no_pending_responses()
    assert result.imported == 0 and result.updated == 0
    assert [(f["Id"], f["ErrorCode"]) for f in result.failed] == [(f["Id"], "InvalidAccessException") for f in found]
    assert all("not subscribed" in f["ErrorMessage"] for f in result.failed)


def test_findings_not_settled_yet_are_retried_before_being_reported(monkeypatch):
    monkeypatch.setattr(sh, "RETRY_DELAYS", (0.0, 0.0))
    found = asff.findings(frame(row(asg_name="a", status="compliant"), row(asg_name="b", status="compliant"),
                                row(asg_name="c", status="compliant")), METADATA)
    ident = [{"Id": f["Id"], "ProductArn": f["ProductArn"]} for f in found]
    not_found = {"ErrorCode": "FindingNotFound", "ErrorMessage": "Finding Not Found"}
    client = boto3.client("securityhub", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_response("batch_import_findings", {"FailedCount": 0, "SuccessCount": 3, "FailedFindings": []})
        stub.add_response("batch_update_findings", {"ProcessedFindings": [ident[0]], "UnprocessedFindings": [
            {"FindingIdentifier": ident[1], **not_found}, {"FindingIdentifier": ident[2], **not_found}]},
                          {"FindingIdentifiers": ident, "Workflow": {"Status": "RESOLVED"}})
        stub.add_response("batch_update_findings", {"ProcessedFindings": [ident[1]], "UnprocessedFindings": [
            {"FindingIdentifier": ident[2], **not_found}]},
                          {"FindingIdentifiers": ident[1:], "Workflow": {"Status": "RESOLVED"}})
        stub.add_response("batch_update_findings", {"ProcessedFindings": [], "UnprocessedFindings": [
            {"FindingIdentifier": ident[2], **not_found}]},
                          {"FindingIdentifiers": ident[2:], "Workflow": {"Status": "RESOLVED"}})
        session = boto3.session.Session(region_name="us-east-1")
        session.client = lambda *a, **kw: client
        result = sh.send(found, {"111111111111": session})
        stub.assert_no_pending_responses()
    assert result.imported == 3 and result.updated == 2
    assert [(f["Id"], f["ErrorCode"]) for f in result.failed] == [(found[2]["Id"], "FindingNotFound")]
