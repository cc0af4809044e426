"""The collector: real response shapes (Stubber), fault outcomes, and the simulated estate end to end."""

import json
from datetime import datetime, timezone
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from imds_audit import snapshot as snap
from imds_audit.analyze import verdict
from imds_audit.collect import ec2 as ec2_collect
from imds_audit.collect.calls import CallLog, Caller, classify
from imds_audit.collect.run import Options, Target, collect
from imds_audit.demo import demo_session, estate, simulated_aws


def _client(service="ec2"):
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")


def test_metadata_defaults_real_shape_with_stubber():
    client = _client()
    stub = Stubber(client)
    stub.add_response("get_instance_metadata_defaults", {"AccountLevel": {
        "HttpTokens": "required", "HttpPutResponseHopLimit": 2, "HttpEndpoint": "enabled",
        "InstanceMetadataTags": "disabled", "ManagedBy": "declarative-policy",
        "ManagedExceptionMessage": "Managed by your organization", "HttpTokensEnforced": "enabled"}})
    log = CallLog()
    with stub:
        rows = ec2_collect.collect_metadata_defaults(Caller(log, "1", "us-east-1"), client)
    assert rows == [{"account_id": "1", "region": "us-east-1", "http_tokens": "required", "http_endpoint": "enabled",
                     "hop_limit": 2, "instance_metadata_tags": "disabled", "http_tokens_enforced": "enabled",
                     "managed_by": "declarative-policy"}]
    assert log.rows()[0]["outcome"] == "ok"


def test_metadata_defaults_empty_account_level():
    client = _client()
    stub = Stubber(client)
    stub.add_response("get_instance_metadata_defaults", {"AccountLevel": {}})
    with stub:
        rows = ec2_collect.collect_metadata_defaults(Caller(CallLog(), "1", "us-east-1"), client)
    assert rows[0]["http_tokens"] is None


@pytest.mark.parametrize("code, status, outcome", [
    ("UnauthorizedOperation", 403, "access_denied"), ("AccessDenied", 403, "access_denied"),
    ("RequestLimitExceeded", 503, "throttled"), ("Throttling", 400, "throttled"),
    ("InvalidAction", 400, "not_implemented"), ("InternalError", 500, "error"),
])
def test_failures_are_classified_and_recorded(code, status, outcome):
    client = _client()
    stub = Stubber(client)
    stub.add_client_error("get_instance_metadata_defaults", service_error_code=code,
                          service_message="no", http_status_code=status)
    log = CallLog()
    with stub:
        rows = ec2_collect.collect_metadata_defaults(Caller(log, "1", "us-east-1"), client)
    assert rows == []
    assert log.rows() == [{"account_id": "1", "region": "us-east-1", "api": "GetInstanceMetadataDefaults",
                           "outcome": outcome, "message": f"{code}: no"}]


def test_moto_not_implemented_is_recorded_as_such():
    assert classify(NotImplementedError("The x action has not been implemented"))[0] == "not_implemented"
    err = ClientError({"Error": {"Code": "500", "Message": "The get_instance_metadata_defaults action has "
                                 "not been implemented"}, "ResponseMetadata": {"HTTPStatusCode": 500}}, "X")
    assert classify(err)[0] == "not_implemented"


def test_worst_outcome_is_kept():
    log = CallLog()
    log.record("1", "r", "DescribeImages", "ok")
    log.record("1", "r", "DescribeImages", "access_denied", "denied")
    log.record("1", "r", "DescribeImages", "ok")
    assert log.rows()[0]["outcome"] == "access_denied"


@pytest.fixture(scope="module")
def demo_snapshot(demo_paths):
    return snap.read(demo_paths[0])


def test_demo_statuses_match_the_known_truth(demo_snapshot):
    sources = verdict.resolve_sources(demo_snapshot)
    groups = verdict.group_status(demo_snapshot["auto_scaling_groups"], sources)
    got = {(r, n): s for r, n, s in zip(groups["region"], groups["asg_name"], groups["status"], strict=True)}
    assert got == estate.expected_statuses()
    assert len(got) >= 40
    assert len(set(groups["account_id"])) == 3 and len(set(groups["region"])) == 3


def test_demo_records_every_needed_table(demo_snapshot):
    for table in ("launch_templates", "launch_template_versions", "launch_configurations", "instances",
                  "images", "metadata_defaults", "instance_profiles", "role_policies", "imdsv1_usage"):
        assert len(demo_snapshot[table]), table
    mixed = demo_snapshot["launch_sources"]
    assert mixed["position"].str.startswith("override").any()
    denied = demo_snapshot.calls.query("outcome == 'access_denied'")
    assert set(zip(denied["region"], denied["api"], strict=True)) == {
        ("ap-northeast-1", "GetInstanceMetadataDefaults"),   # core: one API denied
        ("ap-northeast-1", "DescribeAutoScalingGroups"),     # sandbox: the whole region denied
    }
    assert len(demo_snapshot.scope["accounts"]) == 3


def test_user_data_and_credentials_never_reach_the_snapshot(tmp_path):
    secret = "hunter2-SECRET-in-user-data"
    with simulated_aws():
        session = demo_session()
        ec2 = session.client("ec2", "us-east-1")
        image = ec2.register_image(Name="secret-test-ami", RootDeviceName="/dev/xvda")["ImageId"]
        import base64
        lt = ec2.create_launch_template(LaunchTemplateName="secret-test", LaunchTemplateData={
            "ImageId": image, "UserData": base64.b64encode(secret.encode()).decode()})["LaunchTemplate"]
        session.client("autoscaling", "us-east-1").create_auto_scaling_group(
            AutoScalingGroupName="g", LaunchTemplate={"LaunchTemplateId": lt["LaunchTemplateId"]},
            MinSize=0, MaxSize=1, DesiredCapacity=1, AvailabilityZones=["us-east-1a"],
            Tags=[{"Key": "db-password", "Value": secret, "PropagateAtLaunch": False}])
        result = collect([Target("123456789012", session)], Options(regions=["us-east-1"], quiet=True), "me")
        creds = session.get_credentials()
    path = snap.write(result, tmp_path / "s")
    blob = b"".join(p.read_bytes() for p in Path(path).iterdir())
    assert b"hunter2" not in blob and base64.b64encode(secret.encode()) not in blob
    assert creds.secret_key.encode() not in blob and creds.token.encode() not in blob
    assert "db-password" not in json.dumps(snap.read(path)["auto_scaling_groups"]["tags"].tolist())


def test_denied_region_is_recorded_and_others_kept():
    def deny(context=None, **_):
        if (context or {}).get("client_region") == "eu-west-1":
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "explicit deny in an SCP"},
                               "ResponseMetadata": {"HTTPStatusCode": 403}}, "DescribeAutoScalingGroups")
    with simulated_aws():
        session = demo_session()
        estate.build(session, now=datetime.now(timezone.utc))
        session.events.register("before-call.autoscaling.DescribeAutoScalingGroups", deny)
        result = collect([Target("123456789012", session)],
                         Options(regions=["us-east-1", "eu-west-1"], quiet=True), "me")
    regions = set(result["auto_scaling_groups"]["region"])
    assert regions == {"us-east-1"}
    row = [c for c in result.api_calls if c["region"] == "eu-west-1" and c["api"] == "DescribeAutoScalingGroups"]
    assert row == [{"account_id": "123456789012", "region": "eu-west-1", "api": "DescribeAutoScalingGroups",
                    "outcome": "access_denied", "message": "AccessDenied: explicit deny in an SCP"}]
    assert result.scope["regions"] == ["eu-west-1", "us-east-1"]


def test_role_without_policies_is_recorded_as_such():
    from imds_audit.analyze.privilege import classify_roles
    with simulated_aws():
        session = demo_session()
        iam = session.client("iam")
        iam.create_role(RoleName="bare", AssumeRolePolicyDocument="{}")
        iam.create_instance_profile(InstanceProfileName="bare-profile")
        iam.add_role_to_instance_profile(InstanceProfileName="bare-profile", RoleName="bare")
        result = collect([Target("123456789012", session)], Options(regions=["us-east-1"], quiet=True), "me")
    rows = result["role_policies"]
    assert rows[rows["role_name"] == "bare"]["policy_kind"].tolist() == ["none"]
    assert classify_roles(rows).set_index("role_name").loc["bare", "privilege_tier"] == "none"


def test_permissions_boundary_is_collected_with_its_document_and_caps_the_tier():
    """GetAccountAuthorizationDetails names a role's boundary; its document is read like an attached
    managed policy (customer managed: the same walk; AWS managed: GetPolicy/GetPolicyVersion)."""
    import json

    from imds_audit.analyze.privilege import classify_roles
    with simulated_aws():
        session = demo_session()
        iam = session.client("iam")
        arn = iam.create_policy(PolicyName="ec2-read-boundary", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:Describe*",
                                                    "Resource": "*"}]}))["Policy"]["Arn"]
        iam.create_role(RoleName="capped", AssumeRolePolicyDocument="{}", PermissionsBoundary=arn)
        iam.put_role_policy(RoleName="capped", PolicyName="everything", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        iam.create_instance_profile(InstanceProfileName="capped-profile")
        iam.add_role_to_instance_profile(InstanceProfileName="capped-profile", RoleName="capped")
        result = collect([Target("123456789012", session)], Options(regions=["us-east-1"], quiet=True), "me")
    rows = result["role_policies"]
    capped = rows[rows["role_name"] == "capped"].set_index("policy_kind")
    assert set(capped.index) == {"inline", "boundary"}
    assert capped.loc["boundary", "policy_arn"] == arn and "ec2:Describe*" in capped.loc["boundary", "document"]
    tier = classify_roles(rows).set_index("role_name").loc["capped"]
    assert tier["privilege_tier"] == "read_only" and tier["boundary"] == "ec2-read-boundary"


# ---- 16.8: error messages are redacted, never body bytes -------------------------------------------------
USER_DATA = "IyEvYmluL2Jhc2gKZXhwb3J0IERCX1BBU1NXT1JEPWh1bnRlcjI="  # base64 of a script holding a password


def test_parser_error_quoting_the_body_keeps_no_body_bytes():
    from botocore.parsers import ResponseParserError
    body = f"<DescribeLaunchTemplateVersionsResponse><userData>{USER_DATA}</userData><launchTemplate"
    exc = ResponseParserError(f"Unable to parse response (no element found), invalid XML received. "
                              f"Further retries may succeed:\nb'{body}'")
    outcome, message = classify(exc)
    assert outcome == "error" and USER_DATA not in message and "userData" not in message


def test_aws_message_is_kept_short_and_redacted():
    err = ClientError({"Error": {"Code": "InvalidParameterValue", "Message": f"bad value {USER_DATA} given\nline 2"},
                       "ResponseMetadata": {"HTTPStatusCode": 400}}, "X")
    outcome, message = classify(err)
    assert outcome == "error" and USER_DATA not in message and "\n" not in message
    assert message == "InvalidParameterValue: bad value [redacted] given line 2"
    long = ClientError({"Error": {"Code": "InternalError", "Message": "x " * 400}}, "X")
    assert classify(long) == ("error", "InternalError")  # longer than any AWS message: a body, dropped


def test_a_body_taken_for_a_message_is_dropped():
    """botocore's JSON parser makes an unparseable error body the Message, with the HTTP status as the
    code: no AWS error shape, so only the status is said."""
    err = ClientError({"Error": {"Code": "502", "Message": f"<html>{USER_DATA}</html>"},
                       "ResponseMetadata": {"HTTPStatusCode": 502}}, "X")
    assert classify(err) == ("error", "HTTP 502 without an AWS error body")
