"""Issue 13.5: fixes that go through the group's owner.

Each case is built from snapshot rows (factory.template_group plus the owner's tags and, for EKS, the
DescribeNodegroup answer), analysed, planned and rendered as the report and the bundle render it. The
owner's APIs moto lacks (EKS UpdateNodegroupVersion, Beanstalk UpdateEnvironment) are not faked:
their commands are checked by shape here and parsed by the installed AWS CLI in
``test_every_bundle_command_parses_with_the_aws_cli``.
"""

from __future__ import annotations

import functools
import json
import shlex

import pytest
import yaml
from factory import A, R, template_group

from imds_audit import pipeline
from imds_audit.remediate import bundle_files, plan_store
from imds_audit.remediate.render import group_parts, prepare

NODEGROUP_LT = "lt-0ee0000000000000a"


def _tags(**tags) -> str:
    return json.dumps(tags)


def _owned(tags: dict, *, nodegroup: dict | None = None, template_tags: dict | None = None, hop=None,
           tokens="optional", instances=0):
    s = template_group(name="g", tokens=tokens, endpoint="enabled", hop=hop)
    s.tables["auto_scaling_groups"]["tags"] = _tags(**tags)
    if template_tags is not None:
        s.tables["launch_templates"]["tags"] = _tags(**template_tags)
    if nodegroup is not None:
        import pandas as pd
        s.tables["eks_nodegroups"] = pd.DataFrame([{
            "account_id": A, "region": R, "cluster_name": "prod", "nodegroup_name": "ng",
            "launch_template_id": None, "launch_template_name": None, "launch_template_version": None,
            "auto_scaling_groups": json.dumps(["g"]), **nodegroup}]).astype("string")
    f = pipeline.with_plan(pipeline.analysed(s), s["launch_configurations"], s["launch_templates"])
    plan = prepare(plan_store.from_tables(f.plan_actions, f.plan_fixes, f.groups, f.sources))
    return f, plan


def _commands(plan) -> list[list[str]]:
    return [[str(w) for w in a.argv[:3]] for a in plan.actions if a.argv]


EKS_TAGS = {"eks:cluster-name": "prod", "eks:nodegroup-name": "ng", "kubernetes.io/cluster/prod": "owned"}


def test_eks_node_group_is_fixed_through_its_own_launch_template_never_the_group():
    f, plan = _owned(EKS_TAGS, hop=2, nodegroup={"launch_template_id": NODEGROUP_LT,
                                                 "launch_template_name": "ng-lt", "launch_template_version": "4",
                                                 "outcome": "read"})
    assert f.groups.loc[0, "managed_by"] == "eks"
    assert _commands(plan) == [["aws", "ec2", "create-launch-template-version"],
                               ["aws", "eks", "update-nodegroup-version"]]
    create, update = plan.actions
    # the node group's own template, from the version the node group runs; hop 2 kept for pods
    assert create.facts["lt_id"] == NODEGROUP_LT and create.facts["source_version"] == 4
    assert create.facts["metadata"]["HttpPutResponseHopLimit"] == 2
    argv = update.argv
    assert argv[argv.index("--cluster-name") + 1] == "prod" and argv[argv.index("--nodegroup-name") + 1] == "ng"
    cli = group_parts(plan.fixes[0])["cli"]
    assert f'--launch-template \'{{"id":"{NODEGROUP_LT}","version":"\'"$NEW_VERSION_1"\'"}}\'' in cli
    for never in ("update-auto-scaling-group", "start-instance-refresh", "modify-launch-template"):
        assert never not in cli
    tf = group_parts(plan.fixes[0])["terraform"]
    assert 'resource "aws_eks_node_group"' in tf and 'id = "prod:ng"' in tf and "aws_autoscaling_group" not in tf


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_eks_node_group_without_its_own_template_says_a_new_node_group_is_needed(lang):
    f, plan = _owned(EKS_TAGS, hop=2, nodegroup={"outcome": "read"})
    fix = plan.fixes[0]
    assert not fix.actions and [n.code for n in fix.notes] == ["eks_no_template"]
    parts = group_parts(fix, lang)
    needle = {"en": "create a new managed node group", "ja": "新しいマネージド型ノードグループ"}[lang]
    assert needle in parts["cli"] and needle in parts["console"]
    script = bundle_files(plan, lang)["remediate.sh"][0]
    assert "warn " in script and "update-auto-scaling-group" not in script


@pytest.mark.parametrize("answer", [
    {"outcome": "read", "auto_scaling_groups": json.dumps(["eks-ng-0c1d2e3f"])},   # another group's node group
    {"outcome": "not_found"},                                                    # no such node group
])
def test_eks_tags_the_node_group_does_not_confirm_are_ignored_and_the_group_fixed_directly(answer):
    """eks: keys are not reserved: anyone allowed to tag a group can name someone else's node group.
    Only the node group's own list of groups (DescribeNodegroup resources) makes EKS the owner; else the
    group is fixed as itself and no node group is touched."""
    f, plan = _owned(EKS_TAGS, tokens="optional", nodegroup={"launch_template_id": NODEGROUP_LT,
                                                             "launch_template_version": "4", **answer})
    g = f.groups.loc[0]
    assert g["managed_by"] == "" and g["nodegroup_outcome"] == {"read": "unconfirmed"}.get(answer["outcome"],
                                                                                         answer["outcome"])
    commands = _commands(plan)
    assert ["aws", "eks", "update-nodegroup-version"] not in commands
    assert ["aws", "ec2", "create-launch-template-version"] in commands
    assert all(a.facts.get("lt_id") != NODEGROUP_LT for a in plan.actions)
    fix = plan.fixes[0]
    assert "eks_unconfirmed" in [n.code for n in fix.notes]
    for lang, words in (("en", "node group ng of cluster prod"), ("ja", "ノードグループ ng")):
        assert words in group_parts(fix, lang)["cli"]


def test_eks_tags_are_taken_as_they_are_by_a_snapshot_without_the_node_groups_own_groups():
    f, _ = _owned(EKS_TAGS, nodegroup={"outcome": "read", "auto_scaling_groups": None})
    assert f.groups.loc[0, "managed_by"] == "eks"


def test_eks_node_group_not_read_is_named_and_nothing_runs():
    _, plan = _owned(EKS_TAGS, nodegroup={"outcome": "not_read"})
    assert not plan.actions and [n.code for n in plan.fixes[0].notes] == ["eks_not_read"]


def test_beanstalk_environment_is_fixed_through_its_option():
    tags = {"elasticbeanstalk:environment-name": "shop-prod", "elasticbeanstalk:environment-id": "e-abcd1234",
            "aws:cloudformation:stack-name": "awseb-e-abcd1234-stack"}
    f, plan = _owned(tags, instances=2)
    assert f.groups.loc[0, "managed_by"] == "elasticbeanstalk"     # Beanstalk, not its own stack
    assert _commands(plan) == [["aws", "elasticbeanstalk", "update-environment"]]
    argv = plan.actions[0].argv
    assert argv[argv.index("--environment-id") + 1] == "e-abcd1234" and "--environment-name" not in argv
    assert argv[argv.index("--option-settings") + 1] == (
        "Namespace=aws:autoscaling:launchconfiguration,OptionName=DisableIMDSv1,Value=true")
    tf = group_parts(plan.fixes[0])["terraform"]
    assert 'resource "aws_elastic_beanstalk_environment"' in tf and 'id = "e-abcd1234"' in tf
    assert '"DisableIMDSv1"' in tf


@pytest.mark.parametrize("where", ["group", "template"])
def test_cloudformation_owned_group_gets_a_stack_change_and_no_command(where):
    stack = {"aws:cloudformation:stack-name": "orders", "aws:cloudformation:logical-id": "OrdersGroup"}
    template = {"aws:cloudformation:stack-name": "orders", "aws:cloudformation:logical-id": "OrdersLT"}
    f, plan = _owned(stack if where == "group" else {}, template_tags=template)
    assert f.groups.loc[0, "managed_by"] == "cloudformation" and f.groups.loc[0, "owner_name"] == "orders"
    assert _commands(plan) == []
    files = bundle_files(plan, "en")
    script = files["remediate.sh"][0]
    assert "create-launch-template-version" not in script and "managed by a CloudFormation stack" in script
    fragment = yaml.safe_load(files["cloudformation.yaml"][0])
    assert fragment == {"OrdersLT": {"Properties": {"LaunchTemplateData": {"MetadataOptions": {
        "HttpTokens": "required", "HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 1}}}}}
    assert "aws_launch_template" not in files["terraform/fixes.tf"][0]


def test_cloudformation_logical_id_is_a_yaml_key_only_when_it_is_one():
    hostile = {"aws:cloudformation:stack-name": "orders", "aws:cloudformation:logical-id": "X: {a: 1}\n- b"}
    _, plan = _owned({}, template_tags=hostile)
    text = bundle_files(plan, "en")["cloudformation.yaml"][0]
    assert list(yaml.safe_load(text)) == ["LaunchTemplateLogicalId"]
    assert "replace the key with the logical id" in text


def test_cloudformation_launch_configuration_change_names_the_configuration_not_the_group():
    """MetadataOptions belong on the AWS::AutoScaling::LaunchConfiguration resource; the group's own
    logical id (the tag) must not carry them, and no tag names the configuration's."""
    import remediation_examples as ex

    groups, sources, lcs = ex.frames([ex.group("legacy", kind="launch_configuration")],
                                     [ex.lc_source("legacy", "legacy-lc")], [{
                                         "account_id": ex.ACCOUNT, "region": ex.REGION,
                                         "launch_configuration_name": "legacy-lc", "http_tokens": "optional",
                                         "http_endpoint": "enabled", "hop_limit": 1}])
    groups = groups.assign(managed_by="cloudformation", owner_name="orders", owner_resource="LegacyGroup")
    text = bundle_files(ex.plan(groups, sources, lcs), "en")["cloudformation.yaml"][0]
    assert yaml.safe_load(text) == {"LaunchConfigurationLogicalId": {"Properties": {"MetadataOptions": {
        "HttpTokens": "required", "HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 1}}}}
    assert "legacy-lc" in text and "replace the key with the logical id" in text


def test_ecs_capacity_provider_is_fixed_directly_keeping_hop_2_with_the_protection_note():
    s_tags = {"AmazonECSManaged": ""}
    f, plan = _owned(s_tags, hop=2)
    assert f.groups.loc[0, "managed_by"] == "ecs"
    assert [a.kind for a in plan.actions] == ["create_version", "set_default"]   # no instances: no refresh
    assert plan.actions[0].facts["metadata"]["HttpPutResponseHopLimit"] == 2
    g = f.groups.assign(instances=1)
    from imds_audit.remediate import build_plan
    fix = build_plan(g, f.sources).fixes[0]
    assert [a.kind for a in fix.actions][-1] == "refresh" and [n.code for n in fix.notes] == ["ecs"]
    assert "ScaleInProtectedInstances=Refresh" in group_parts(prepare_fix(fix))["console"]


def prepare_fix(fix):
    from imds_audit.remediate.cli_steps import BUILDERS

    for a in fix.actions:
        BUILDERS[a.kind](a)
    return fix


def test_findings_csv_names_the_owner(tmp_path):
    import csv

    from imds_audit.render import exports

    f, _ = _owned(EKS_TAGS, nodegroup={"outcome": "read"})
    written = exports.write_csv(f, tmp_path)
    with open(written["findings.csv"], newline="", encoding="utf-8-sig") as fh:
        row = next(csv.DictReader(fh))
    assert (row["managed_by"], row["owner_name"], row["owner_resource"]) == ("eks", "prod", "ng")


# ---- every command of the bundle, through the AWS CLI's own parsing ----------------------------------------
SAMPLE = {"NEW_VERSION": "7", "NEW_TEMPLATE": "lt-0123456789abcdef0"}


def _word(word, workdir) -> str:
    from imds_audit.remediate.quoting import Var, Word

    if isinstance(word, Var):
        return workdir if word.name == "WORK" else SAMPLE[word.name.rsplit("_", 1)[0]]
    if isinstance(word, Word):
        return "".join(_word(p, workdir) for p in word.parts)
    return str(word)


@functools.lru_cache(maxsize=1)
def _driver():
    from awscli.clidriver import create_clidriver
    from botocore.awsrequest import AWSResponse

    driver = create_clidriver()

    def answer(model, **_):
        return AWSResponse("https://stub", 200, {}, None), dict(ANSWERS.get(model.name, {}))
    driver.session.register("before-call", answer)
    return driver


def _parse_with_cli(argv: list[str]) -> int:
    """Run one command through awscli's driver: argument parsing, shorthand/JSON, the service model's
    parameter validation and serialisation; the request itself is answered by a before-call hook (no
    network)."""
    driver = _driver()
    try:
        return driver.main(argv[1:])
    except SystemExit as refused:      # argparse refuses a command line by exiting
        return int(refused.code or 0) or 2


# What the stub answers (shaped like AWS's answers, so that each command's --query runs on real data).
_SPEC = {"LaunchTemplateId": "lt-0123456789abcdef0", "Version": "1"}
ANSWERS = {
    "DescribeLaunchConfigurations": {"LaunchConfigurations": [{"ImageId": "ami-0123456789abcdef0",
                                                               "InstanceType": "t3.micro"}]},
    "DescribeAutoScalingGroups": {"AutoScalingGroups": [{"MixedInstancesPolicy": {"LaunchTemplate": {
        "LaunchTemplateSpecification": _SPEC, "Overrides": [{"InstanceType": "t3.large",
                                                             "LaunchTemplateSpecification": _SPEC}]}}}]},
    "CreateLaunchTemplateVersion": {"LaunchTemplateVersion": {"VersionNumber": 7}},
    "CreateLaunchTemplate": {"LaunchTemplate": {"LaunchTemplateId": "lt-0123456789abcdef0"}},
}


def test_every_bundle_command_parses_with_the_aws_cli(demo_paths, tmp_path, monkeypatch, capsys):
    """The demo's plan (templates, launch configurations, EKS node groups, a Beanstalk environment) and
    the remediation examples (a pinned mixed instances policy) hold every kind of action: each command, with sample values for what is known only
    at apply time, must be accepted by the installed AWS CLI."""
    monkeypatch.setenv("AWS_PAGER", "")
    f = pipeline.build(demo_paths[0])
    plan = prepare(plan_store.from_tables(f.plan_actions, f.plan_fixes, f.groups, f.sources))
    workdir = str(tmp_path)
    (tmp_path / "launch-configuration-1.json").write_text('{"ImageId": "ami-0123456789abcdef0"}')
    policy = {"LaunchTemplate": {"LaunchTemplateSpecification": {"LaunchTemplateId": "lt-0123456789abcdef0",
                                                                 "Version": "7"}}}
    for i in range(1, 20):
        (tmp_path / f"launch-configuration-{i}.json").write_text('{"ImageId": "ami-0123456789abcdef0"}')
        (tmp_path / f"mixed-policy-{i}.json").write_text(json.dumps(policy))
    from remediation_examples import example_findings
    from remediation_examples import plan as example_plan

    kinds, shapes = set(), set()
    for a in plan.actions + example_plan(*example_findings()).actions:   # + a pinned mixed policy
        for argv in ([a.argv] + ([a.facts["read_argv"]] if a.kind == "update_mixed" else [])):
            if not argv:
                continue
            words = [_word(w, workdir) for w in argv]
            shape = (a.kind, tuple(w for w in words if w.startswith("--")))
            if shape in shapes and a.kind not in ("update_nodegroup", "update_environment"):
                continue   # the same command with other names: one of each shape is enough (and fast)
            shapes.add(shape)
            assert _parse_with_cli(words) == 0, shlex.join(words) + "\n" + capsys.readouterr().err
            kinds.add(a.kind)
    assert {"create_version", "set_default", "update_group", "update_mixed", "read_lc", "create_template",
            "switch_group", "update_nodegroup", "update_environment", "refresh"} <= kinds, kinds
    # the harness can fail: a command the CLI refuses is seen as refused
    assert _parse_with_cli(["aws", "eks", "update-nodegroup-version", "--cluster-name", "prod",
                            "--region", "us-east-1"]) != 0
    assert _parse_with_cli(["aws", "elasticbeanstalk", "update-environment", "--environment-name", "e",
                            "--option-settings", "Namespace=x,OptionName", "--region", "us-east-1"]) != 0
