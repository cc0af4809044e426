"""The round trip of DESIGN.md §9 / issue 5: audit the simulated estate → run the generated
``remediation/remediate.sh --apply`` → audit again → every group that was non-compliant is compliant,
and nothing else changed.

Everything runs against a real moto server on 127.0.0.1 (the ``moto_server`` fixture), audited by the
real ``imds-audit collect`` CLI, remediated by the generated bash script with the AWS CLI from PyPI.

Stand-in, said plainly: moto 5.2.5 answers HTTP 500 / NotImplemented to four calls the script
makes, ``aws autoscaling start-instance-refresh``, ``aws ec2 modify-instance-metadata-defaults``,
``aws eks update-nodegroup-version`` and ``aws elasticbeanstalk update-environment``.
For those four subcommands only, an ``aws`` wrapper placed first on PATH records the call and answers
success itself; every other ``aws`` call (sts get-caller-identity, create-launch-template-version,
modify-launch-template, update-auto-scaling-group, describe-*, create-launch-template, ...) is exec'd
to the real AWS CLI and goes to the moto server. Because the stand-in changes nothing on the server,
the second audit cannot see refreshed instances, a new account default, a node group moved to a new
version nor a Beanstalk environment rebuilt: the test checks those effects through what the stand-in
recorded, and that groups fixed through their owner (EKS, Beanstalk, CloudFormation) were not changed
directly.

The script is run WITHOUT ``--skip-account-defaults``, deliberately: the round trip runs the script as a
person would (the preventive account default is part of it), and the test asserts that the script asked
for it once per audited region. It cannot affect the second audit (moto lacks GetInstanceMetadataDefaults,
so groups relying on the account default are ``unknown`` in server mode, recorded as not_implemented):
those groups must stay ``unknown`` with their launch source untouched, i.e. not "fixed" blindly.

Known moto quirks the assertions do not rely on: ``--source-version`` is ignored (a new version does not
carry over the source's AMI etc.), and a group switched from a launch configuration to a launch template
may still report its LaunchConfigurationName (the collector prefers the LaunchTemplate).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from imds_audit import snapshot as snap
from imds_audit.analyze import analyze
from imds_audit.demo import estate

pytestmark = pytest.mark.slow

VENV_BIN = Path(sys.executable).parent
REGIONS = ",".join(estate.REGIONS)     # the core account: us-east-1, eu-west-1, ap-northeast-1
STANDIN = frozenset({("autoscaling", "start-instance-refresh"), ("ec2", "modify-instance-metadata-defaults"),
                     ("eks", "update-nodegroup-version"), ("elasticbeanstalk", "update-environment")})
OWNERS = ("eks", "elasticbeanstalk", "cloudformation")   # groups fixed through their owner, never directly


# ---- extra cases ----------------------------------------------------------------------------------------
# In server mode most of the estate's cases need the unreadable account default and come out unknown, so
# the version-naming cases the script handles differently would not all be exercised. These few groups,
# created next to the core account's estate, declare both HttpTokens=optional and HttpEndpoint=enabled
# (decided without the default) and cover: a group pinned to a version number (update the group), a mixed
# instances policy whose base and override are pinned (rewrite the policy), and groups without instances
# (no refresh), from a template at $Default and from a launch configuration.
OPTIONAL = {"HttpTokens": "optional", "HttpEndpoint": "enabled"}
REQUIRED = {"HttpTokens": "required", "HttpEndpoint": "enabled"}
EXTRA = {"rt-pinned-v1": 1, "rt-mixed-pinned": 0, "rt-idle-default": 0, "rt-idle-lc": 0}  # name → capacity


def add_extra_groups(session) -> None:
    ec2, asg = session.client("ec2", "us-east-1"), session.client("autoscaling", "us-east-1")
    image = ec2.register_image(Name="rt-extra-image", RootDeviceName="/dev/xvda", BlockDeviceMappings=[
        {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}])["ImageId"]

    def template(name, *versions):
        lt_id = None
        for i, meta in enumerate(versions, start=1):
            data = {"ImageId": image, "InstanceType": "t3.micro", "MetadataOptions": meta}
            if lt_id is None:
                lt_id = ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData=data)[
                    "LaunchTemplate"]["LaunchTemplateId"]
            else:
                ec2.create_launch_template_version(LaunchTemplateId=lt_id, SourceVersion=str(i - 1),
                                                   LaunchTemplateData=data)
        return lt_id

    def group(name, **kwargs):
        asg.create_auto_scaling_group(AutoScalingGroupName=name, MinSize=0, MaxSize=2,
                                      DesiredCapacity=EXTRA[name], AvailabilityZones=["us-east-1a"], **kwargs)

    pinned = template("rt-pinned-lt", OPTIONAL, REQUIRED)
    ec2.modify_launch_template(LaunchTemplateId=pinned, DefaultVersion="2")
    group("rt-pinned-v1", LaunchTemplate={"LaunchTemplateId": pinned, "Version": "1"})
    base, override = template("rt-mixed-base-lt", OPTIONAL), template("rt-mixed-ovr-lt", OPTIONAL)
    group("rt-mixed-pinned", MixedInstancesPolicy={
        "LaunchTemplate": {
            "LaunchTemplateSpecification": {"LaunchTemplateId": base, "Version": "1"},
            "Overrides": [{"InstanceType": "t3.micro"},
                          {"InstanceType": "t3.large",
                           "LaunchTemplateSpecification": {"LaunchTemplateId": override, "Version": "1"}}]},
        "InstancesDistribution": {"OnDemandBaseCapacity": 0}})
    group("rt-idle-default", LaunchTemplate={"LaunchTemplateId": template("rt-idle-lt", OPTIONAL),
                                             "Version": "$Default"})
    asg.create_launch_configuration(LaunchConfigurationName="rt-idle-optional-lc", ImageId=image,
                                    InstanceType="t3.micro", MetadataOptions=OPTIONAL)
    group("rt-idle-lc", LaunchConfigurationName="rt-idle-optional-lc")


# ---- helpers --------------------------------------------------------------------------------------------
def collect(out: Path) -> snap.Snapshot:
    """The real CLI, as a subprocess, against the server named by AWS_ENDPOINT_URL."""
    done = subprocess.run([str(VENV_BIN / "imds-audit"), "collect", "--regions", REGIONS, "--out", str(out),
                           "--quiet"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return snap.read(out)


def report(snapshot_path: Path, out: Path, lang: str) -> dict[str, Path]:
    """The real CLI writes the remediation bundle from the snapshot, as a user would ask for it."""
    done = subprocess.run([str(VENV_BIN / "imds-audit"), "report", str(snapshot_path), "--out", str(out),
                           "--format", "remediation", "--lang", lang], capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 3, 4), done.stderr  # the exit code states the findings
    root = out / "remediation"
    return {str(p.relative_to(root)): p for p in root.rglob("*") if p.is_file()}


def judge(s):
    """(groups, sources) of a snapshot, as the report sees them: the verdict with instance columns."""
    findings = analyze(s)
    return findings.groups, findings.sources


def statuses(groups) -> dict[tuple[str, str], str]:
    return {(r.region, r.asg_name): r.status for r in groups.itertuples()}


def launch_sources(sources) -> dict[tuple[str, str], tuple]:
    """Per group: what it launches from (template id + resolved version, or launch configuration)."""
    out: dict[tuple[str, str], list] = {}
    for r in sources.astype(object).where(sources.notna(), None).itertuples():
        lt = r.launch_template_id if r.source_kind == "launch_template" else None
        out.setdefault((r.region, r.asg_name), []).append(
            (str(r.position), r.source_kind, lt, None if lt is None else str(r.version_resolved),
             None if lt else r.launch_configuration_name))
    return {k: tuple(sorted(v)) for k, v in out.items()}


def write_standin(bindir: Path, log: Path) -> None:
    """The `aws` wrapper: records and answers the two calls moto lacks; execs the real CLI otherwise."""
    bindir.mkdir()
    cases = "|".join(f'"{svc} {op}"' for svc, op in sorted(STANDIN))
    (bindir / "aws").write_text(f"""#!/usr/bin/env bash
# test stand-in (see tests/test_roundtrip.py): only for calls moto 5.2.5 does not implement
case "${{1-}} ${{2-}}" in
  {cases})
    {json.dumps(sys.executable)} -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@" >> {json.dumps(str(log))}
    case "$2" in
      start-instance-refresh) echo '{{"InstanceRefreshId": "standin-refresh"}}' ;;
      update-nodegroup-version) echo 'standin-update' ;;
      update-environment) echo 'e-standin' ;;
      *) echo '{{"Return": true}}' ;;
    esac
    exit 0 ;;
esac
exec {json.dumps(str(VENV_BIN / "aws"))} "$@"
""")
    (bindir / "aws").chmod(0o755)


def recorded(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def arg(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


# ---- the round trip ---------------------------------------------------------------------------------------
def test_roundtrip_remediate_apply_makes_noncompliant_groups_compliant(moto_server, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    session = boto3.session.Session(region_name="us-east-1")
    estate.build(session)
    add_extra_groups(session)

    # 1. audit
    before = collect(tmp_path / "snap-before")
    groups, sources = judge(before)
    status0, source0 = statuses(groups), launch_sources(sources)
    truth = {(g.region, g.name): g.expect for g in estate.GROUPS if g.account == "core"}
    truth |= {("us-east-1", name): "non_compliant" for name in EXTRA}
    assert set(status0) == set(truth)
    for key, st in status0.items():      # server mode: the account default is unreadable, never guessed
        assert st == truth[key] or st == "unknown", (key, st, truth[key])
    owner = {(r.region, r.asg_name): r.managed_by for r in groups.itertuples()}
    owned = {k for k, v in owner.items() if v in OWNERS}
    # a group pinned to a version that does not exist is served too: pointed at a new IMDSv2-only one
    cannot_launch = {(r.region, r.asg_name) for r in groups.itertuples() if r.launch_failure_code == "version_missing"}
    non_compliant = {k for k, v in status0.items() if v == "non_compliant"} - owned
    compliant = {k for k, v in status0.items() if v == "compliant"}
    unknown = {k for k, v in status0.items() if v == "unknown"} - cannot_launch
    # the estate's hard cases are all in play
    assert {("us-east-1", n) for n in ("web-canary", "mixed-override-gpu", "legacy-lc-optional",
                                       "legacy-billing", *EXTRA)} | {("ap-northeast-1", "ap-admin")} <= non_compliant
    assert unknown, "server mode must leave groups that rely on the account default unknown"
    counts = {(r.region, r.asg_name): int(r.instances) for r in groups.itertuples()}
    with_instances = {k for k in non_compliant if counts[k] > 0}
    assert non_compliant - with_instances == {("us-east-1", n) for n, cap in EXTRA.items() if cap == 0}
    assert {owner[("us-east-1", n)] for n in (*estate.EKS_NODEGROUP_GROUPS.values(),
                                              "awseb-e-abcd1234-stack-AWSEBAutoScalingGroup-1QX8",
                                              "orders-stack-OrdersGroup-7Q2KX1")} == set(OWNERS)
    assert cannot_launch == {("us-east-1", "api-pinned-v9")}

    # 2. the bundle
    written = report(before.path, tmp_path / "report", "en")
    script = written["remediate.sh"]
    bindir, log = tmp_path / "standin", tmp_path / "standin.log"
    write_standin(bindir, log)
    env = {**os.environ, "PATH": f"{bindir}:{VENV_BIN}:{os.environ['PATH']}", "AWS_ENDPOINT_URL": moto_server}

    def run_script(*args):
        done = subprocess.run(["bash", str(script), *args], capture_output=True, text=True, env=env,
                              timeout=180)
        assert done.returncode == 0, f"stdout:\n{done.stdout[-4000:]}\nstderr:\n{done.stderr[-4000:]}"
        return done

    # 3. dry run: prints, changes nothing
    dry = run_script()
    assert "dry run" in dry.stdout and "start-instance-refresh" in dry.stdout
    assert recorded(log) == []
    after_dry_groups, after_dry_sources = judge(collect(tmp_path / "snap-dry"))
    assert statuses(after_dry_groups) == status0
    assert launch_sources(after_dry_sources) == source0

    # 4. apply
    applied = run_script("--apply")
    # the readiness warning is shown next to the fix of a group still calling IMDSv1
    assert "IMDSv1 is still being called on group legacy-billing" in applied.stderr
    calls = recorded(log)
    assert {(c[0], c[1]) for c in calls} <= STANDIN

    # 5. audit again
    groups2, sources2 = judge(collect(tmp_path / "snap-after"))
    status2, source2 = statuses(groups2), launch_sources(sources2)
    assert set(status2) == set(status0)
    still = {k: status2[k] for k in non_compliant | cannot_launch if status2[k] != "compliant"}
    assert not still, f"not fixed by remediate.sh --apply: {still}"
    for key in owned:                    # fixed through the owner: the group itself untouched
        assert status2[key] == status0[key] and source2[key] == source0[key], key
    for key in compliant:                # left alone: same verdict, same template version or LC
        assert status2[key] == "compliant", key
        assert source2[key] == source0[key], key
    for key in unknown:                  # not fixed blindly
        assert status2[key] == "unknown", key
        assert source2[key] == source0[key], key
    fixed = sources2.set_index(["region", "asg_name"]).loc[sorted(non_compliant | cannot_launch)]
    assert fixed["http_tokens"].eq("required").all() and fixed["http_endpoint"].eq("enabled").all()
    for key in non_compliant | cannot_launch:  # really moved to something new
        assert source2[key] != source0[key], key
    check_kept_settings_and_owners(recorded(log))
    # the mixed instances policy was rewritten, not replaced: the plain override remains. (Its
    # InstancesDistribution is not checked: the script sends only LaunchTemplate, which AWS documents as
    # leaving unspecified properties unchanged, but moto replaces the whole policy and drops it.)
    policy = boto3.client("autoscaling", "us-east-1").describe_auto_scaling_groups(
        AutoScalingGroupNames=["rt-mixed-pinned"])["AutoScalingGroups"][0]["MixedInstancesPolicy"]
    assert [o["InstanceType"] for o in policy["LaunchTemplate"]["Overrides"]] == ["t3.micro", "t3.large"]

    # the two stand-in calls: a refresh for exactly the fixed groups with instances; the account default
    # once per audited region
    refreshed = sorted((arg(c, "--region"), arg(c, "--auto-scaling-group-name"))
                       for c in calls if c[1] == "start-instance-refresh")
    assert refreshed == sorted(with_instances)      # never a group an owner manages
    defaults = sorted(arg(c, "--region") for c in calls if c[1] == "modify-instance-metadata-defaults")
    assert defaults == sorted(estate.REGIONS)
    for c in calls:
        if c[1] == "modify-instance-metadata-defaults":
            assert arg(c, "--http-tokens") == "required" and arg(c, "--http-endpoint") == "enabled"

    # 6. the Japanese bundle for the same first audit (in this test: a second estate and audit would double
    # the runtime)
    check_japanese_bundle(before.path, groups, tmp_path / "report-ja")


def check_kept_settings_and_owners(calls: list[list[str]]) -> None:
    """The settings the fix does not mean to change are still set (issue 13.4), and each owner was asked
    the owner's way (issue 13.5): EKS to move the node group to a new, IMDSv2-only version of the node
    group's own template; Beanstalk to set DisableIMDSv1; CloudFormation not at all."""
    ec2 = boto3.client("ec2", "us-east-1")

    def version(name, number):
        got = ec2.describe_launch_template_versions(LaunchTemplateName=name, Versions=[str(number)])
        return got["LaunchTemplateVersions"][0]["LaunchTemplateData"].get("MetadataOptions", {})

    edge = ec2.describe_launch_templates(LaunchTemplateNames=["edge-tags-lt"])["LaunchTemplates"][0]
    kept = version("edge-tags-lt", edge["DefaultVersionNumber"])
    assert edge["DefaultVersionNumber"] > 1 and kept["HttpTokens"] == "required"
    assert kept["InstanceMetadataTags"] == "enabled" and kept["HttpProtocolIpv6"] == "enabled"

    (eks_call,) = [c for c in calls if c[1] == "update-nodegroup-version"]
    assert (arg(eks_call, "--cluster-name"), arg(eks_call, "--nodegroup-name")) == ("prod", "orders-ng")
    spec = json.loads(arg(eks_call, "--launch-template"))
    node_lt = ec2.describe_launch_templates(LaunchTemplateNames=["eks-orders-ng-lt"])["LaunchTemplates"][0]
    assert spec["id"] == node_lt["LaunchTemplateId"] and int(spec["version"]) == node_lt["LatestVersionNumber"] > 1
    made = version("eks-orders-ng-lt", spec["version"])
    assert made["HttpTokens"] == "required" and made["HttpPutResponseHopLimit"] == 2   # pods keep their hop
    (eb_call,) = [c for c in calls if c[1] == "update-environment"]
    assert arg(eb_call, "--environment-id") == "e-abcd1234"   # the id the stack confirms, not the name tag
    assert arg(eb_call, "--option-settings") == ("Namespace=aws:autoscaling:launchconfiguration,"
                                                 "OptionName=DisableIMDSv1,Value=true")
    # EKS's own copy behind the node group and the stack's template got no new version
    for name in (estate.EKS_COPY, "orders-lt"):
        assert ec2.describe_launch_templates(LaunchTemplateNames=[name])["LaunchTemplates"][0][
            "LatestVersionNumber"] == 1, name


def check_japanese_bundle(snapshot_path: Path, groups, out_dir: Path) -> None:
    """Smoke check of the Japanese bundle: the real group names and the console's Japanese labels."""
    written = report(snapshot_path, out_dir, "ja")
    text = Path(written["console.ja.md"]).read_text(encoding="utf-8")
    names = set(groups.loc[groups["status"].eq("non_compliant") | groups["launch_failure_code"].eq("version_missing"),
                           "asg_name"])
    assert {"web-canary", "rt-pinned-v1", "legacy-lc-optional", "ap-admin"} <= names
    for name in names:
        assert f"`{name}`" in text, name
    for name in set(groups["asg_name"]) - names:     # compliant and unknown groups get no fix (but those
        #                                              that cannot launch: they are in names)
        assert f"`{name}`" not in text, name
    for label in ("「V2 のみ (トークンは必須)」", "「メタデータへのアクセス」", "「有効」", "「高度な詳細」",
                  "「インスタンスの更新」", "「起動テンプレートにコピー」", "「デフォルトバージョンを設定」"):
        assert label in text, label
    script = Path(written["remediate.sh"]).read_text(encoding="utf-8")
    assert "ドライラン" in script and "rt-pinned-v1" in script
