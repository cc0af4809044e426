"""The collector on a bad day (issue 16): a fault-injecting proxy on 127.0.0.1 (tests/faultproxy.py) in
front of one moto server stands in for AWS endpoints that throttle, fail with 500/503, deny an API,
reset connections, answer slowly, cut bodies short or answer 200 with garbage or nothing.

For every kind of fault the collected snapshot is held to one rule against the fault-free one: every
table either equals it, or the manifest names what it lacks (an API the table depends on is not ok in
that account and region); nothing is invented (no row that the fault-free snapshot lacks: no 0.0
usage, no template "missing" that exists, no silently dropped instance while DescribeInstances is ok);
and a secret in user data appears nowhere in the snapshot directory. Retries are bounded by Limits so
the module runs in well under a minute.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pandas as pd
import pytest

from conftest import FAKE, running_moto_server
from faultproxy import FaultProxy
from imds_audit import snapshot as snap
from imds_audit.collect.limits import Limits
from imds_audit.collect.run import Options, Target, collect
from imds_audit.demo import estate

R, THROTTLED_REGION = "us-east-1", "us-west-2"
# Bounded for tests: two attempts, backoff only (botocore's adaptive mode also slows the sending rate
# after throttling, seconds per call), a 4 s deadline per API.
FAST = Limits(api_deadline=4, max_attempts=2, retry_mode="standard", fallback_calls=20, connect_timeout=1,
              read_timeout=2)
SECRET = "hunter2-fault-proxy-user-data-secret"
SSM_AMI = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"

ASG, LT, LTV, LC = ("DescribeAutoScalingGroups", "DescribeLaunchTemplates", "DescribeLaunchTemplateVersions",
                    "DescribeLaunchConfigurations")
SOURCES = {ASG, LT, LTV, LC}
# The APIs each table's rows come from (what it lacks is explained by one of them not being ok).
DEPENDS = {
    "auto_scaling_groups": {ASG}, "launch_sources": {ASG, LT}, "asg_instances": {ASG},
    "launch_templates": {ASG, LT}, "missing_launch_templates": {ASG, LT, LTV},
    "launch_template_versions": {ASG, LT, LTV}, "launch_configurations": {ASG, LC},
    "missing_launch_configurations": {ASG, LC}, "instances": {ASG, "DescribeInstances"},
    "ssm_parameters": {ASG, LT, LTV, "GetParameters"},
    "images": SOURCES | {"DescribeInstances", "GetParameters", "DescribeImages"},
    "missing_images": SOURCES | {"DescribeInstances", "GetParameters", "DescribeImages"},
    "metadata_defaults": {"GetInstanceMetadataDefaults"}, "imdsv1_usage": {ASG, "GetMetricData"},
    "instance_profiles": {"GetAccountAuthorizationDetails"},
    "role_policies": {"GetAccountAuthorizationDetails", "GetPolicy", "GetPolicyVersion"},
}
GLOBAL = {"instance_profiles", "role_policies"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One moto server with the core estate (plus a template and a launch configuration holding user
    data, a template naming its AMI by an SSM parameter, and 16 pinned templates in us-west-2), the proxy in front of it, and the
    fault-free snapshot collected through the proxy."""
    with running_moto_server(tmp_path_factory.mktemp("moto")) as upstream:
        saved = {k: os.environ.get(k) for k in [*FAKE, "AWS_ENDPOINT_URL"]}
        os.environ.update({**FAKE, "AWS_ENDPOINT_URL": upstream})
        try:
            session = boto3.session.Session(region_name=R)
            _user_data_first(session)
            estate.build(session)
            _extras(session)
            proxy = FaultProxy(upstream)
            with proxy as url:
                os.environ["AWS_ENDPOINT_URL"] = url
                account = boto3.client("sts").get_caller_identity()["Account"]
                baseline = _collect(account)
                yield proxy, url, account, baseline
        finally:
            for k, v in saved.items():
                os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


@pytest.fixture
def aws(world, monkeypatch):
    """The proxy (no faults yet), the account and the fault-free snapshot; boto3 pointed at the proxy
    (conftest clears AWS_ENDPOINT_URL for every test, so it is set again here)."""
    proxy, url, account, baseline = world
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    proxy.clear()
    yield proxy, account, baseline
    proxy.clear()


def _user_data_first(session):
    """A launch configuration holding user data, made before the estate so that moto (which answers in
    creation order) puts it first: a body cut in half then holds its UserData."""
    image = session.client("ec2", R).register_image(Name="ud-ami", RootDeviceName="/dev/xvda")["ImageId"]
    asg = session.client("autoscaling", R)
    asg.create_launch_configuration(LaunchConfigurationName="user-data-lc", ImageId=image, InstanceType="t3.micro",
                                    UserData=SECRET * 8)
    asg.create_auto_scaling_group(AutoScalingGroupName="user-data-lc", MinSize=0, MaxSize=1, DesiredCapacity=0,
                                  AvailabilityZones=[f"{R}a"], LaunchConfigurationName="user-data-lc")


def _extras(session):
    ec2 = session.client("ec2", R)
    image = ec2.describe_images(Owners=["self"])["Images"][0]["ImageId"]
    asg = session.client("autoscaling", R)
    for name, data in (("user-data-lt", {"ImageId": image, "UserData": base64.b64encode(SECRET.encode() * 8).decode()}),
                       ("ssm-ami-lt", {"ImageId": SSM_AMI, "MetadataOptions": {"HttpTokens": "required"}})):
        tid = ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData=data)["LaunchTemplate"][
            "LaunchTemplateId"]
        asg.create_auto_scaling_group(AutoScalingGroupName=name.replace("-lt", ""), MinSize=0, MaxSize=1,
                                      DesiredCapacity=0, AvailabilityZones=[f"{R}a"],
                                      LaunchTemplate={"LaunchTemplateId": tid, "Version": "1"})
    # The case of issue 16.4: 16 templates, each group pinned to a numbered version (asked per template).
    west = session.client("ec2", THROTTLED_REGION)
    west_image = west.register_image(Name="west-ami", RootDeviceName="/dev/xvda")["ImageId"]
    west_asg = session.client("autoscaling", THROTTLED_REGION)
    for n in range(16):
        tid = west.create_launch_template(LaunchTemplateName=f"pinned-{n}", LaunchTemplateData={
            "ImageId": west_image, "MetadataOptions": {"HttpTokens": "required"}})["LaunchTemplate"]["LaunchTemplateId"]
        west_asg.create_auto_scaling_group(AutoScalingGroupName=f"pinned-{n}", MinSize=0, MaxSize=1,
                                           DesiredCapacity=0, AvailabilityZones=[f"{THROTTLED_REGION}a"],
                                           LaunchTemplate={"LaunchTemplateId": tid, "Version": "1"})


def _collect(account, region=R, limits=FAST):
    assert os.environ["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    session = boto3.session.Session(region_name=region)
    return collect([Target(account, session)], Options(regions=[region], quiet=True, limits=limits), "fault-test")


def _rows(frame: pd.DataFrame) -> set[tuple]:
    return {tuple(None if pd.isna(v) else v for v in row) for row in frame.astype(object).itertuples(index=False)}


def _explained_change(table: str, row: dict, not_ok: set[str]) -> bool:
    """A row the fault-free snapshot lacks is allowed only where it says the value is not known."""
    if table == "imdsv1_usage":
        return "GetMetricData" in not_ok and row["status"] != "Complete" and row["metadata_no_token"] is None
    if table == "role_policies":  # a managed policy whose document could not be read
        return bool({"GetPolicy", "GetPolicyVersion"} & not_ok) and row["document"] is None
    if table == "ssm_parameters":
        return "GetParameters" in not_ok and row["outcome"] in ("not_read", "not_returned") and row["image_id"] is None
    return False


def assert_honest(result: snap.Snapshot, baseline: snap.Snapshot, tmp_path: Path) -> None:
    calls = result.api_calls
    assert not [c for c in calls if c["api"] == "collector"], "a fault made the collector crash"
    not_ok = {(c["region"], c["api"]) for c in calls if c["outcome"] != "ok"}
    for table, apis in DEPENDS.items():
        region = "global" if table in GLOBAL else R
        failed = {api for r, api in not_ok if r == region}
        got, want = _rows(result[table]), _rows(baseline[table])
        columns = list(snap.TABLES[table])
        for extra in got - want:
            row = dict(zip(columns, extra, strict=True))
            assert _explained_change(table, row, failed), f"{table}: invented row {row}"
        if want - got:
            assert failed & apis, f"{table}: {len(want - got)} rows lack, yet {sorted(apis)} all ok"
    path = snap.write(result, tmp_path / "faulted")
    blob = b"".join(p.read_bytes() for p in path.iterdir())
    assert SECRET.encode() not in blob and base64.b64encode(SECRET.encode())[:24] not in blob
    assert_findings_honest(result, baseline, not_ok)


# What a report says of a group: each either equals the fault-free report's value or says it is not
# known (NA, or the unknown of its vocabulary); never another, invented, value.
JUDGED = ["status", "effective_http_tokens", "http_endpoint", "hop_limit", "hop_limit_flag", "risk_tier",
          "instances", "instances_allowing_imdsv1", "drift", "imdsv1_calls", "readiness"]
UNKNOWN = {"status": "unknown", "risk_tier": "unknown", "readiness": "unknown", "hop_limit_flag": "unknown"}


def assert_findings_honest(result: snap.Snapshot, baseline: snap.Snapshot, not_ok: set) -> None:
    from imds_audit.pipeline import analysed

    got, want = (analysed(s).groups.set_index(["region", "asg_name"]) for s in (result, baseline))
    if len(got) < len(want):  # groups missing from the report: the inventory says it was not read
        assert (R, ASG) in not_ok, f"{len(want) - len(got)} groups missing, DescribeAutoScalingGroups ok"
    for key in got.index.intersection(want.index):
        for col in JUDGED:
            a, b = got.loc[key, col], want.loc[key, col]
            if pd.isna(a) or (not pd.isna(b) and a == b):
                continue  # the same, or not known
            assert a == UNKNOWN.get(col), f"{key} {col}: {b!r} became {a!r}, not unknown"
    assert (got["status"] != "unknown").sum() <= (want["status"] != "unknown").sum() or not not_ok


def test_the_proxy_is_transparent_without_faults(aws):
    proxy, _, baseline = aws
    assert not [c for c in baseline.api_calls if c["outcome"] != "ok" and c["api"] != "GetInstanceMetadataDefaults"]
    in_region = [g for g in estate.GROUPS if g.account == "core" and g.region == R]
    assert len(baseline["auto_scaling_groups"]) == len(in_region) + 3 and len(baseline["instances"]) > 10
    assert set(baseline["ssm_parameters"]["outcome"]) == {"resolved"}
    assert baseline["imdsv1_usage"]["metadata_no_token"].max() > 0


KINDS = ["throttle", "denied", "http500", "http503", "bare500", "reset", "truncated", "cut", "garbage", "empty"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_fault_kind_on_every_api_is_named_or_harmless(aws, kind, tmp_path):
    proxy, account, baseline = aws
    proxy.fault("*", kind, probability=0.3)
    result = _collect(account)
    faulted = [s for s in proxy.seen if s.fault]
    assert faulted and len(proxy.seen) > len(faulted)  # the faults met real traffic
    assert_honest(result, baseline, tmp_path)


# Each run denies one regional API and one IAM API (IAM is global: the two do not meet).
DENIED = [("DescribeAutoScalingGroups", "GetAccountAuthorizationDetails"), ("DescribeLaunchTemplates", "GetPolicy"),
          ("DescribeLaunchTemplateVersions", "GetPolicyVersion"), ("DescribeLaunchConfigurations", None),
          ("DescribeInstances", None), ("DescribeImages", None), ("GetParameters", None), ("GetMetricData", None)]


@pytest.mark.parametrize("regional, iam", DENIED)
def test_access_denied_on_each_api_is_recorded_and_the_rest_kept(aws, regional, iam, tmp_path):
    proxy, account, baseline = aws
    for api in filter(None, (regional, iam)):
        proxy.fault(api, "denied")
    result = _collect(account)
    assert_honest(result, baseline, tmp_path)
    denied = {(c["region"], c["api"]) for c in result.api_calls if c["outcome"] == "access_denied"}
    assert denied == {(R, regional)} | ({("global", iam)} if iam else set())


def test_instances_answered_empty_are_incomplete_and_usage_still_read(aws, tmp_path):
    """DescribeInstances answering 200 with an empty body, or with a bare HTTP 500: Auto Scaling's
    instances stay known, the outcome says DescribeInstances was not read, usage is still read."""
    proxy, account, baseline = aws
    for kind in ("empty", "bare500"):
        proxy.clear()
        proxy.fault("DescribeInstances", kind)
        result = _collect(account)
        proxy.clear()
        assert_honest(result, baseline, tmp_path / kind)
        outcome = {c["api"]: c for c in result.api_calls if c["region"] == R}
        assert outcome["DescribeInstances"]["outcome"] == "error", kind
        assert outcome["GetMetricData"]["outcome"] == "ok" and outcome["GetMetricData"]["message"] == ""
        assert _rows(result["asg_instances"]) == _rows(baseline["asg_instances"])
        assert _rows(result["imdsv1_usage"]) == _rows(baseline["imdsv1_usage"])


def test_empty_or_cut_answers_are_never_taken_for_nothing(aws, tmp_path):
    """A 200 with an empty body is an empty result to botocore for JSON and CBOR services (SSM,
    CloudWatch): without AWS's request id it is not used, so no usage of 0.0 and no parameter
    "not found" is made of it; a body cut short (whole by its Content-Length) quotes user data in the
    parser's error, which never reaches the snapshot."""
    proxy, account, baseline = aws
    proxy.fault("GetMetricData", "empty")
    proxy.fault("GetParameters", "empty")
    proxy.fault("DescribeLaunchConfigurations", "cut")
    result = _collect(account)
    assert_honest(result, baseline, tmp_path)
    calls = {c["api"]: c for c in result.api_calls if c["region"] == R}
    assert {calls[a]["outcome"] for a in ("GetMetricData", "GetParameters", LC)} == {"error"}
    assert "no AWS request id" in calls["GetMetricData"]["message"]
    assert set(result["imdsv1_usage"]["status"]) == {"NotRead"} and result["imdsv1_usage"]["metadata_no_token"].isna().all()
    assert set(result["ssm_parameters"]["outcome"]) <= {"not_read"}


def test_slow_answers_within_the_read_timeout_change_nothing_and_beyond_it_are_named(aws, tmp_path):
    proxy, account, baseline = aws
    proxy.fault("DescribeLaunchConfigurations", "slow", delay=0.3)  # within a 1 s read timeout
    proxy.fault("DescribeImages", "slow", delay=1.5)                # beyond it, every attempt
    started = time.monotonic()
    result = _collect(account, limits=dataclasses.replace(FAST, read_timeout=1))
    assert time.monotonic() - started < 20
    assert_honest(result, baseline, tmp_path)
    calls = {c["api"]: c for c in result.api_calls if c["region"] == R}
    assert calls["DescribeLaunchConfigurations"]["outcome"] == "ok"
    assert _rows(result["launch_configurations"]) == _rows(baseline["launch_configurations"])
    # the read timed out on every attempt: an error, or the API's deadline ran out while retrying
    assert calls["DescribeImages"]["outcome"] in ("error", "throttled")
    assert "ReadTimeoutError" in calls["DescribeImages"]["message"]


def test_fully_throttled_template_versions_finish_in_seconds_recorded_as_throttled(aws):
    """Issue 16.4: 16 templates pinned to numbered versions, DescribeLaunchTemplateVersions throttled
    every time. With botocore's default 6 attempts the deadline, not the attempts, bounds it; no
    one-by-one fallback is tried for a throttled call."""
    proxy, account, _ = aws
    proxy.fault("DescribeLaunchTemplateVersions", "throttle")
    started = time.monotonic()
    result = _collect(account, THROTTLED_REGION, Limits(api_deadline=3, read_timeout=2, connect_timeout=1))
    took = time.monotonic() - started
    asked = proxy.calls("DescribeLaunchTemplateVersions")
    assert took < 30, took  # 3 s, plus at most one backoff and the rate limiter's wait (was 550 s)
    call = {c["api"]: c for c in result.api_calls if c["region"] == THROTTLED_REGION}[LTV]
    assert call["outcome"] == "throttled" and "deadline of 3 s" in call["message"]
    assert len(result["launch_templates"]) == 16 and result["launch_template_versions"].empty
    assert result["missing_launch_templates"].empty  # throttled is not "does not exist"
    assert asked <= 12, asked


def test_collect_verb_through_the_proxy_with_limits_from_the_environment_and_a_signature(aws, tmp_path):
    """The command line as a user runs it: AWS_ENDPOINT_URL at the proxy, bounds from IMDS_AUDIT_*."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    proxy, _, baseline = aws
    url = os.environ["AWS_ENDPOINT_URL"]
    key = tmp_path / "k.pem"
    key.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    proxy.fault("DescribeInstances", "throttle")
    env = {**os.environ, "AWS_ENDPOINT_URL": url, "IMDS_AUDIT_API_DEADLINE": "2", "IMDS_AUDIT_MAX_ATTEMPTS": "2",
           "IMDS_AUDIT_READ_TIMEOUT": "2", "IMDS_AUDIT_RETRY_MODE": "standard"}
    cli = Path(sys.executable).with_name("imds-audit")
    done = subprocess.run([str(cli), "collect", "--regions", R, "--out", str(tmp_path / "s"), "--quiet",
                           "--sign-key", str(key)], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    result = snap.read(tmp_path / "s")
    assert result.signature.signed and result.settings["api_deadline_seconds"] == 2.0
    call = {c["api"]: c for c in result.api_calls if c["region"] == R}["DescribeInstances"]
    assert call["outcome"] == "throttled"
    assert result["instances"].empty and len(result["asg_instances"]) == len(baseline["asg_instances"])
