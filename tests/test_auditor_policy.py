"""The shipped auditor policy grants exactly the API actions the collector makes."""

import json
from importlib import resources

from imds_audit.collect import accounts, run
from imds_audit.collect.calls import CallLog
from imds_audit.demo import collect_demo, demo_session, simulated_aws

NO_PERMISSION_NEEDED = {"sts:GetCallerIdentity"}
PREFIX = {"autoscaling": "autoscaling", "ec2": "ec2", "iam": "iam", "cloudwatch": "cloudwatch",
          "sts": "sts", "organizations": "organizations", "ssm": "ssm", "eks": "eks"}


def _policy_actions(name):
    doc = json.loads(resources.files("imds_audit.policies").joinpath(name).read_text())
    return {a for st in doc["Statement"] for a in st["Action"]}


def _ssm_image_estate(session):
    ec2 = session.client("ec2", "us-east-1")
    lt = ec2.create_launch_template(LaunchTemplateName="ssm-ami", LaunchTemplateData={
        "ImageId": "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"})
    session.client("autoscaling", "us-east-1").create_auto_scaling_group(
        AutoScalingGroupName="ssm", LaunchTemplate={"LaunchTemplateId": lt["LaunchTemplate"]["LaunchTemplateId"]},
        MinSize=0, MaxSize=1, DesiredCapacity=0, AvailabilityZones=["us-east-1a"])


def test_collector_calls_are_exactly_the_policy(monkeypatch, tmp_path):
    seen = set()
    real = run.client

    def recording_client(session, service, region=None, limits=None):
        c = real(session, service, region, limits)

        def record(model, **_):
            seen.add(f"{PREFIX[service]}:{model.name}")
        # before-parameter-build fires for every call, before any handler can answer it
        c.meta.events.register("before-parameter-build", record)
        return c

    monkeypatch.setattr(run, "client", recording_client)
    monkeypatch.setattr(accounts, "client", recording_client)
    collect_demo(tmp_path / "snap")
    with simulated_aws():
        target = run.Target("123456789012", demo_session())
        run.resolve_regions(target, ["all"], CallLog())   # --regions all
        _ssm_image_estate(target.session)                 # an AMI named by an SSM parameter
        run.collect([target], run.Options(regions=["us-east-1"], quiet=True), "tester")
    granted = _policy_actions("auditor-policy.json") | _policy_actions("organization-walk-policy.json")
    assert seen - NO_PERMISSION_NEEDED == granted
