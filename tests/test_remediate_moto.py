"""remediate.sh --apply against a real moto server with the AWS CLI from PyPI.

Stand-in, said plainly: moto 5.2.5 answers 500 / NotImplemented to ``autoscaling start-instance-refresh``
and ``ec2 modify-instance-metadata-defaults``. In this test only, an ``aws`` wrapper first on PATH answers
exactly those two subcommands itself (it records them and prints ``{}``); every other call goes to the
real ``aws`` CLI and the moto server. Also known of moto: ``--source-version`` does not copy the source
version's data into the new version, and a group switched from a launch configuration to a launch
template keeps its LaunchConfigurationName; the assertions below do not rely on either.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from remediation_examples import frames, group, lc_source, lt_source, write_bundle

pytestmark = pytest.mark.slow

VENV_BIN = Path(sys.executable).parent
REGION = "us-east-1"
ACCOUNT = "123456789012"      # moto's default account
AMI = "ami-12c6146b"          # an image moto knows


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def moto_endpoint():
    port = free_port()
    proc = subprocess.Popen([str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def aws_env(moto_endpoint):
    env = dict(os.environ, AWS_ENDPOINT_URL=moto_endpoint, AWS_ACCESS_KEY_ID="testing",
               AWS_SECRET_ACCESS_KEY="testing", AWS_SESSION_TOKEN="testing", AWS_DEFAULT_REGION=REGION)
    for key in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        env.pop(key, None)
    return env


def client(service, endpoint):
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def optional_template(ec2, name, versions=1, tokens="optional"):
    lt = ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData={
        "ImageId": AMI, "InstanceType": "t3.micro", "MetadataOptions": {"HttpTokens": tokens}})["LaunchTemplate"]
    for _ in range(versions - 1):
        ec2.create_launch_template_version(LaunchTemplateId=lt["LaunchTemplateId"], SourceVersion="1",
                                           LaunchTemplateData={"ImageId": AMI, "MetadataOptions": {"HttpTokens": tokens}})
    return lt["LaunchTemplateId"]


@pytest.fixture(scope="module")
def estate(moto_endpoint):
    """A small estate: $Default shared by two groups, a number, $Latest, a mixed instances policy,
    a launch configuration, a group with no instances, and a compliant group that must not change."""
    ec2, asg = client("ec2", moto_endpoint), client("autoscaling", moto_endpoint)
    web = optional_template(ec2, "web-lt")
    batch = optional_template(ec2, "batch-lt", versions=2)
    base, ovr = optional_template(ec2, "mixed-base"), optional_template(ec2, "mixed-ovr")
    good = optional_template(ec2, "good-lt", tokens="required")
    sg = ec2.create_security_group(GroupName="legacy-sg", Description="legacy")["GroupId"]
    asg.create_launch_configuration(LaunchConfigurationName="legacy lc; $(id)", ImageId=AMI,
                                    InstanceType="t3.micro", SecurityGroups=[sg], KeyName="legacy-key",
                                    UserData="echo legacy")
    common = {"MinSize": 0, "MaxSize": 3, "AvailabilityZones": [f"{REGION}a"]}
    asg.create_auto_scaling_group(AutoScalingGroupName="web-asg", DesiredCapacity=1, **common,
                                  LaunchTemplate={"LaunchTemplateId": web, "Version": "$Default"})
    asg.create_auto_scaling_group(AutoScalingGroupName="web-canary", DesiredCapacity=0, **common,
                                  LaunchTemplate={"LaunchTemplateId": web, "Version": "$Default"})
    asg.create_auto_scaling_group(AutoScalingGroupName="batch-asg", DesiredCapacity=1, **common,
                                  LaunchTemplate={"LaunchTemplateId": batch, "Version": "1"})
    asg.create_auto_scaling_group(AutoScalingGroupName="latest-asg", DesiredCapacity=0, **common,
                                  LaunchTemplate={"LaunchTemplateId": batch, "Version": "$Latest"})
    asg.create_auto_scaling_group(AutoScalingGroupName="mixed-asg", DesiredCapacity=0, **common,
                                  MixedInstancesPolicy={"LaunchTemplate": {
                                      "LaunchTemplateSpecification": {"LaunchTemplateId": base, "Version": "1"},
                                      "Overrides": [{"InstanceType": "t3.micro"},
                                                    {"InstanceType": "t3.small", "LaunchTemplateSpecification": {
                                                        "LaunchTemplateId": ovr, "Version": "1"}}]}})
    asg.create_auto_scaling_group(AutoScalingGroupName="legacy-asg", DesiredCapacity=1, **common,
                                  LaunchConfigurationName="legacy lc; $(id)")
    asg.create_auto_scaling_group(AutoScalingGroupName="good-asg", DesiredCapacity=0, **common,
                                  LaunchTemplate={"LaunchTemplateId": good, "Version": "$Default"})
    a, r = ACCOUNT, REGION
    groups = [group("web-asg", instances=1, calls=5.0, callers="i-0123", account=a, region=r),
              group("web-canary", instances=0, account=a, region=r),
              group("batch-asg", instances=1, account=a, region=r),
              group("latest-asg", instances=0, account=a, region=r),
              group("mixed-asg", instances=0, kind="mixed_instances_policy", account=a, region=r),
              group("legacy-asg", instances=1, kind="launch_configuration", account=a, region=r),
              group("good-asg", status="compliant", instances=0, account=a, region=r)]
    sources = [lt_source("web-asg", web, "web-lt", "$Default", 1, account=a, region=r),
               lt_source("web-canary", web, "web-lt", "$Default", 1, account=a, region=r),
               lt_source("batch-asg", batch, "batch-lt", "1", 1, account=a, region=r),
               lt_source("latest-asg", batch, "batch-lt", "$Latest", 2, account=a, region=r),
               lt_source("mixed-asg", base, "mixed-base", "1", 1, position="base", account=a, region=r),
               lt_source("mixed-asg", ovr, "mixed-ovr", "1", 1, position="override:1", account=a, region=r),
               lc_source("legacy-asg", "legacy lc; $(id)", account=a, region=r),
               lt_source("good-asg", good, "good-lt", "$Default", 1, tokens="required", account=a, region=r)]
    return {"templates": {"web": web, "batch": batch, "base": base, "ovr": ovr, "good": good}, "sg": sg,
            "findings": frames(groups, sources)}


def stand_in(tmp_path: Path) -> tuple[Path, Path]:
    """`aws` wrapper: answers the two calls moto lacks, forwards everything else to the real CLI."""
    bin_dir, log = tmp_path / "bin", tmp_path / "stand-in.log"
    bin_dir.mkdir()
    (bin_dir / "aws").write_text(f"""#!/usr/bin/env bash
case "$1 $2" in
  "autoscaling start-instance-refresh"|"ec2 modify-instance-metadata-defaults")
    printf '%s\\n' "$*" >> {str(log)!r}; echo '{{}}'; exit 0 ;;
esac
exec {str(VENV_BIN / 'aws')!r} "$@"
""")
    (bin_dir / "aws").chmod(0o755)
    return bin_dir, log


def versions(ec2, lt_id):
    return ec2.describe_launch_template_versions(LaunchTemplateId=lt_id)["LaunchTemplateVersions"]


def tokens_of(ec2, lt_id, version):
    v = ec2.describe_launch_template_versions(LaunchTemplateId=lt_id, Versions=[str(version)])
    return v["LaunchTemplateVersions"][0]["LaunchTemplateData"].get("MetadataOptions", {}).get("HttpTokens")


def resolve(ec2, spec):
    lt = ec2.describe_launch_templates(LaunchTemplateIds=[spec["LaunchTemplateId"]])["LaunchTemplates"][0]
    version = spec.get("Version", "$Default")
    return {"$Default": lt["DefaultVersionNumber"], "$Latest": lt["LatestVersionNumber"]}.get(version, version)


def test_apply_makes_every_group_imdsv2_only(estate, aws_env, moto_endpoint, tmp_path):
    ec2, asg = client("ec2", moto_endpoint), client("autoscaling", moto_endpoint)
    good_versions = versions(ec2, estate["templates"]["good"])
    write_bundle(*estate["findings"], tmp_path, "ja")
    script = tmp_path / "remediation" / "remediate.sh"

    # dry run first: nothing changes on the server
    before = {t: versions(ec2, lt) for t, lt in estate["templates"].items()}
    groups_before = asg.describe_auto_scaling_groups()["AutoScalingGroups"]
    subprocess.run(["bash", str(script)], env=aws_env, check=True, capture_output=True)
    assert {t: versions(ec2, lt) for t, lt in estate["templates"].items()} == before
    assert asg.describe_auto_scaling_groups()["AutoScalingGroups"] == groups_before

    bin_dir, log = stand_in(tmp_path)
    env = dict(aws_env, PATH=f"{bin_dir}:{aws_env['PATH']}")
    run = subprocess.run(["bash", str(script), "--apply"], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    groups = {g["AutoScalingGroupName"]: g for g in asg.describe_auto_scaling_groups()["AutoScalingGroups"]}
    for name in ("web-asg", "web-canary", "batch-asg", "latest-asg", "legacy-asg", "good-asg"):
        spec = groups[name]["LaunchTemplate"]
        assert tokens_of(ec2, spec["LaunchTemplateId"], resolve(ec2, spec)) == "required", name
    policy = groups["mixed-asg"]["MixedInstancesPolicy"]["LaunchTemplate"]
    specs = [policy["LaunchTemplateSpecification"]] + [o["LaunchTemplateSpecification"]
                                                       for o in policy["Overrides"] if "LaunchTemplateSpecification" in o]
    assert len(specs) == 2
    for spec in specs:
        assert spec["Version"] != "1" and tokens_of(ec2, spec["LaunchTemplateId"], resolve(ec2, spec)) == "required"
    assert policy["Overrides"][0] == {"InstanceType": "t3.micro"}

    # the launch configuration's settings were carried into the new template
    legacy = groups["legacy-asg"]["LaunchTemplate"]
    data = ec2.describe_launch_template_versions(LaunchTemplateId=legacy["LaunchTemplateId"],
                                                 Versions=["1"])["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert data["ImageId"] == AMI and data["KeyName"] == "legacy-key" and data["UserData"]
    sgs = data.get("SecurityGroupIds") or [g for ni in data.get("NetworkInterfaces", []) for g in ni["Groups"]]
    assert sgs == [estate["sg"]]

    # the shared template got one new version; the compliant group's template did not change
    assert len(versions(ec2, estate["templates"]["web"])) == 2
    assert versions(ec2, estate["templates"]["good"]) == good_versions

    # the stand-in saw a refresh only for groups with instances, and the account default per region
    calls = log.read_text().splitlines()
    refreshed = sorted(c.split("--auto-scaling-group-name ")[1].split(" ")[0] for c in calls if "instance-refresh" in c)
    assert refreshed == ["batch-asg", "legacy-asg", "web-asg"]
    assert [c for c in calls if "metadata-defaults" in c] == [
        "ec2 modify-instance-metadata-defaults --http-tokens required --http-endpoint enabled --region us-east-1"]
