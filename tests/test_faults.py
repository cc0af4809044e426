"""Faults during collection: each run completes, says what was not assessed, and keeps the rest."""

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from imds_audit.collect.limits import Limits
from imds_audit.collect.run import Options, Target, collect
from imds_audit.demo import demo_session, estate, simulated_aws

THROTTLE = (b'<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Type>Sender</Type>'
            b'<Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>x</RequestId>'
            b'</ErrorResponse>')


class _Raw:
    def __init__(self, body):
        self.body = body

    def stream(self, **_):
        yield self.body


def throttle(operation: str, times: int):
    """A before-send hook answering ``operation`` with HTTP 400 Throttling ``times`` times."""
    state = {"left": times, "sent": 0}

    def hook(request, **_):
        if request.context.get("operation_name", "") != operation and operation not in str(request.body):
            return None
        state["sent"] += 1
        if state["left"] <= 0:
            return None
        state["left"] -= 1
        return AWSResponse(request.url, 400, {}, _Raw(THROTTLE))
    return hook, state


# Three attempts, backoff only: throttling that recovers after two answers is still ok, and one that
# never does gives up in seconds (botocore's adaptive default would wait half a minute here).
LIMITS = Limits(max_attempts=3, retry_mode="standard")


def _run(session, regions=("us-east-1",)):
    return collect([Target("123456789012", session)], Options(regions=list(regions), quiet=True, limits=LIMITS),
                   "tester")


@pytest.fixture
def estate_session():
    with simulated_aws():
        session = demo_session()
        estate.build(session)
        yield session


US_EAST_GROUPS = sum(1 for g in estate.GROUPS if g.account == "core" and g.region == "us-east-1")


def _outcome(result, region, api):
    return {(c["region"], c["api"]): c["outcome"] for c in result.api_calls}.get((region, api))


def test_throttling_that_recovers_is_ok(estate_session):
    hook, state = throttle("DescribeAutoScalingGroups", times=2)
    estate_session.events.register_first("before-send.auto-scaling.DescribeAutoScalingGroups", hook)
    result = _run(estate_session)
    assert state["sent"] >= 3
    assert _outcome(result, "us-east-1", "DescribeAutoScalingGroups") == "ok"
    assert len(result["auto_scaling_groups"]) == US_EAST_GROUPS


def test_throttling_that_never_recovers_is_recorded_and_other_regions_kept(estate_session):
    hook, _ = throttle("DescribeAutoScalingGroups", times=10_000)
    only_eu = lambda request, **kw: hook(request, **kw) if "eu-west-1" in request.url else None  # noqa: E731
    estate_session.events.register_first("before-send.auto-scaling.DescribeAutoScalingGroups", only_eu)
    result = _run(estate_session, regions=("us-east-1", "eu-west-1"))
    assert _outcome(result, "eu-west-1", "DescribeAutoScalingGroups") == "throttled"
    assert set(result["auto_scaling_groups"]["region"]) == {"us-east-1"}
    assert len(result["auto_scaling_groups"]) == US_EAST_GROUPS


def test_version_deleted_between_listing_and_describing_is_recorded_missing_not_unread(estate_session):
    """EC2 answers InvalidLaunchTemplateId.VersionNotFound for the whole call when one version does not
    exist: that is an answer (the group cannot launch from it), not a failed read."""
    from botocore.exceptions import ClientError

    ec2 = estate_session.client("ec2", "us-east-1")
    api_lt = ec2.describe_launch_templates(LaunchTemplateNames=["api-lt"])["LaunchTemplates"][0]["LaunchTemplateId"]

    def vanished(params=None, **_):
        if params.get("LaunchTemplateId") == api_lt and "1" in params.get("Versions", []):
            raise ClientError({"Error": {"Code": "InvalidLaunchTemplateId.VersionNotFound",
                                         "Message": "Could not find launch template version 1"}},
                              "DescribeLaunchTemplateVersions")
    estate_session.events.register_first("before-parameter-build.ec2.DescribeLaunchTemplateVersions", vanished)
    result = _run(estate_session)
    missing = result["missing_launch_templates"]
    # version 1 vanished; version 9 (api-pinned-v9) never existed
    assert missing[["launch_template_id", "launch_template_name", "version", "error_code"]].values.tolist() == [
        [api_lt, "api-lt", "1", "InvalidLaunchTemplateId.VersionNotFound"],
        [api_lt, "api-lt", "9", "InvalidLaunchTemplateId.VersionNotFound"]]
    # the other version of the same template was still read
    versions = result["launch_template_versions"]
    assert set(versions[versions["launch_template_id"] == api_lt]["version_number"]) == {3}
    assert _outcome(result, "us-east-1", "DescribeLaunchTemplateVersions") == "ok"


def test_instance_profile_whose_role_was_deleted(estate_session):
    iam = estate_session.client("iam")
    iam.remove_role_from_instance_profile(InstanceProfileName="reporting-profile", RoleName="reporting")
    result = _run(estate_session)
    profiles = result["instance_profiles"]
    assert "reporting-profile" not in set(profiles["instance_profile_name"])
    # the run completed and every other profile is kept
    assert {"web-frontend-profile", "platform-admin-profile"} <= set(profiles["instance_profile_name"])


def test_whole_account_denied_is_reported_not_dropped():
    with simulated_aws():
        session = demo_session()
        estate.build(session)
        from botocore.exceptions import ClientError

        def deny(**_):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "denied"},
                               "ResponseMetadata": {"HTTPStatusCode": 403}}, "Any")
        auditor = boto3.session.Session(region_name="us-east-1")  # without the demo's simulated answers
        auditor.events.register_first("before-call", deny)
        result = _run(auditor, regions=("us-east-1", "eu-west-1"))
    outcomes = {c["outcome"] for c in result.api_calls}
    assert outcomes == {"access_denied"}
    assert {c["region"] for c in result.api_calls} == {"us-east-1", "eu-west-1", "global"}
    assert result.scope["accounts"] == ["123456789012"]
    assert len(result["auto_scaling_groups"]) == 0
