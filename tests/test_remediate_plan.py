"""The remediation rules, one test each: what must change, and the commands that change it."""

from __future__ import annotations

import json

import pytest

from imds_audit.remediate.cli_steps import attach_commands
from remediation_examples import example_findings, frames, group, lc_source, lt_source
from imds_audit.remediate.plan import build_plan
from imds_audit.remediate.quoting import Var


def plan_of(groups, sources, lcs=None):
    return attach_commands(build_plan(*frames(groups, sources, lcs)))


def kinds(fix):
    return [a.kind for a in fix.actions]


def words(action):
    """argv with variables shown as $NAME, for easy assertions."""
    from imds_audit.remediate.quoting import Word
    out = []
    for w in action.argv:
        if isinstance(w, Var):
            out.append("$" + w.name)
        elif isinstance(w, Word):
            out.append("".join("$" + p.name if isinstance(p, Var) else p for p in w.parts))
        else:
            out.append(w)
    return out


def test_default_version_sets_the_new_default_and_refreshes():
    p = plan_of([group("a")], [lt_source("a", "lt-1", "t", "$Default", 3)])
    fix = p.fixes[0]
    assert kinds(fix) == ["create_version", "set_default", "refresh"]
    create, default, refresh = fix.actions
    w = words(create)
    assert w[:6] == ["aws", "ec2", "create-launch-template-version", "--launch-template-id", "lt-1",
                     "--source-version"] and w[6] == "3"
    data = json.loads(w[w.index("--launch-template-data") + 1])
    assert data == {"MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled",
                                        "HttpPutResponseHopLimit": 1}}
    assert w[w.index("--query") + 1] == "LaunchTemplateVersion.VersionNumber"
    assert create.capture == Var("NEW_VERSION_1") and create.pattern == r"^[0-9]+$"
    assert words(default)[:5] == ["aws", "ec2", "modify-launch-template", "--launch-template-id", "lt-1"]
    assert "$NEW_VERSION_1" in words(default)
    assert words(refresh)[2:5] == ["start-instance-refresh", "--auto-scaling-group-name", "a"]
    for a in fix.actions:   # every command names its region
        assert words(a)[-2:] == ["--region", "ap-northeast-1"]


def test_latest_needs_nothing_after_the_new_version():
    fix = plan_of([group("a")], [lt_source("a", "lt-1", "t", "$Latest", 5)]).fixes[0]
    assert kinds(fix) == ["create_version", "refresh"]


def test_numbered_version_updates_the_group():
    fix = plan_of([group("a")], [lt_source("a", "lt-1", "t", "4", 4)]).fixes[0]
    assert kinds(fix) == ["create_version", "update_group", "refresh"]
    w = words(fix.actions[1])
    assert w[2:5] == ["update-auto-scaling-group", "--auto-scaling-group-name", "a"]
    assert json.loads(w[w.index("--launch-template") + 1].replace("$NEW_VERSION_1", "9")) == {
        "LaunchTemplateId": "lt-1", "Version": "9"}


def test_no_instances_no_refresh():
    fix = plan_of([group("a", instances=0)], [lt_source("a", "lt-1", "t", "4", 4)]).fixes[0]
    assert "refresh" not in kinds(fix)


def test_shared_template_gets_one_new_version_per_source_version():
    p = plan_of([group("a"), group("b"), group("c")],
                [lt_source("a", "lt-1", "t", "$Default", 3), lt_source("b", "lt-1", "t", "$Default", 3),
                 lt_source("c", "lt-1", "t", "3", 3)])
    creates = [a for a in p.actions if a.kind == "create_version"]
    assert len(creates) == 1 and creates[0].groups == ["a", "b", "c"]
    assert len([a for a in p.actions if a.kind == "set_default"]) == 1
    assert len([a for a in p.actions if a.kind == "update_group"]) == 1
    assert len([a for a in p.actions if a.kind == "refresh"]) == 3


def test_mixed_instances_policy_base_and_override():
    p = plan_of([group("m", kind="mixed_instances_policy")],
                [lt_source("m", "lt-1", "base-t", "2", 2, position="base"),
                 lt_source("m", "lt-2", "ovr-t", "5", 5, position="override:1"),
                 lt_source("m", "lt-3", "dflt-t", "$Default", 1, position="override:2")])
    fix = p.fixes[0]
    assert kinds(fix) == ["create_version"] * 3 + ["set_default", "update_mixed", "refresh"]
    mixed = fix.actions[4]
    assert [(r["lt_id"], r["old_version"]) for r in mixed.facts["rewrites"]] == [("lt-1", "2"), ("lt-2", "5")]
    read = [str(w) for w in mixed.facts["read_argv"]]
    assert "describe-auto-scaling-groups" in read
    assert words(mixed)[words(mixed).index("--mixed-instances-policy") + 1].startswith("file://$WORK/")


def test_mixed_policy_query_rewrites_only_the_fixed_versions():
    """The JMESPath the script runs, evaluated here on a policy like DescribeAutoScalingGroups returns."""
    import jmespath
    p = plan_of([group("m", kind="mixed_instances_policy")],
                [lt_source("m", "lt-1", "base-t", "2", 2, position="base"),
                 lt_source("m", "lt-2", "ovr-t", "5", 5, position="override:1")])
    mixed = [a for a in p.actions if a.kind == "update_mixed"][0]
    query_word = mixed.facts["read_argv"][mixed.facts["read_argv"].index("--query") + 1]
    values = {"NEW_VERSION_1": "3", "NEW_VERSION_2": "6"}
    query = "".join(values[x.name] if isinstance(x, Var) else x for x in query_word.parts)
    asg = {"AutoScalingGroups": [{"MixedInstancesPolicy": {"LaunchTemplate": {
        "LaunchTemplateSpecification": {"LaunchTemplateId": "lt-1", "LaunchTemplateName": "base-t", "Version": "2"},
        "Overrides": [{"InstanceType": "t3.micro"},
                      {"InstanceType": "t3.small", "LaunchTemplateSpecification": {
                          "LaunchTemplateId": "lt-2", "Version": "5"}},
                      {"InstanceType": "t3.large", "LaunchTemplateSpecification": {
                          "LaunchTemplateName": "other", "Version": "5"}}]}}}]}
    assert jmespath.search(query, asg) == {"LaunchTemplate": {
        "LaunchTemplateSpecification": {"LaunchTemplateId": "lt-1", "Version": "3"},
        "Overrides": [{"InstanceType": "t3.micro"},
                      {"InstanceType": "t3.small", "LaunchTemplateSpecification": {
                          "LaunchTemplateId": "lt-2", "Version": "6"}},
                      {"InstanceType": "t3.large", "LaunchTemplateSpecification": {
                          "LaunchTemplateName": "other", "Version": "5"}}]}}


def test_launch_configuration_migrates_to_a_template():
    p = plan_of([group("l", kind="launch_configuration")], [lc_source("l", "old lc")])
    fix = p.fixes[0]
    assert kinds(fix) == ["read_lc", "create_template", "switch_group", "refresh"]
    read, create, switch, _ = fix.actions
    assert read.to_file is not None and "describe-launch-configurations" in words(read)
    assert words(read)[words(read).index("--launch-configuration-names") + 1] == "old lc"
    assert create.capture == Var("NEW_TEMPLATE_1") and create.pattern.startswith("^lt-")
    name = words(create)[words(create).index("--launch-template-name") + 1]
    assert name.startswith("old-lc-imdsv2-")
    spec = words(switch)[words(switch).index("--launch-template") + 1]
    assert json.loads(spec.replace("$NEW_TEMPLATE_1", "lt-9")) == {"LaunchTemplateId": "lt-9", "Version": "$Default"}


def test_launch_configuration_query_builds_template_data():
    import jmespath
    p = plan_of([group("l", kind="launch_configuration")], [lc_source("l", "lc")])
    read = p.actions[0]
    query = words(read)[words(read).index("--query") + 1]
    lc = {"LaunchConfigurations": [{"ImageId": "ami-1", "InstanceType": "t3.micro", "KeyName": "k",
                                    "SecurityGroups": ["sg-1"], "UserData": "ZWNobw==",
                                    "IamInstanceProfile": "arn:aws:iam::1:instance-profile/p",
                                    "InstanceMonitoring": {"Enabled": True}, "EbsOptimized": False,
                                    "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}]}]}
    assert jmespath.search(query, lc) == {
        "ImageId": "ami-1", "InstanceType": "t3.micro", "KeyName": "k", "UserData": "ZWNobw==",
        "IamInstanceProfile": {"Arn": "arn:aws:iam::1:instance-profile/p"}, "SecurityGroupIds": ["sg-1"],
        "Monitoring": {"Enabled": True}, "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}],
        "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 1}}


def test_readiness_warning_names_callers_and_count():
    fix = plan_of([group("a", calls=17.0, callers="i-1 i-2")], [lt_source("a", "lt-1", "t", "$Latest", 1)]).fixes[0]
    assert fix.readiness.calls == 17 and fix.readiness.callers == ("i-1", "i-2")
    quiet = plan_of([group("a")], [lt_source("a", "lt-1", "t", "$Latest", 1)]).fixes[0]
    assert quiet.readiness is None


@pytest.mark.parametrize("hop,flag,expected", [(2, "expected_container", 2), (3, "ok", 3),
                                                (1, "ok", 1), (4, "excessive", 1)])
def test_hop_limit_kept_for_container_nodes_and_lowered_when_excessive(hop, flag, expected):
    fix = plan_of([group("a", hop=hop, flag=flag)], [lt_source("a", "lt-1", "t", "$Latest", 1, hop=hop)]).fixes[0]
    assert fix.actions[0].facts["metadata"]["HttpPutResponseHopLimit"] == expected
    assert bool(fix.hop_changes) == (hop != expected)


def test_shared_template_takes_the_larger_hop_limit():
    p = plan_of([group("a", hop=2, flag="expected_container"), group("b")],
                [lt_source("a", "lt-1", "t", "$Default", 3, hop=2), lt_source("b", "lt-1", "t", "$Default", 3, hop=1)])
    assert p.actions[0].facts["metadata"]["HttpPutResponseHopLimit"] == 2


def test_latest_version_is_created_last_and_kept_for_compliant_latest_groups():
    # 'a' needs a fix of v3 ($Default); 'b' is compliant at $Latest = v5: creating a version from v3 would
    # make b launch v3's settings, so an unchanged copy of v5 is created after it.
    p = plan_of([group("a"), group("b", status="compliant")],
                [lt_source("a", "lt-1", "t", "$Default", 3), lt_source("b", "lt-1", "t", "$Latest", 5, tokens="required")])
    creates = [a for a in p.actions if a.kind == "create_version"]
    assert [c.facts["source_version"] for c in creates] == [3, 5]
    assert creates[1].facts["metadata"] is None and words(creates[1])[words(creates[1]).index("--launch-template-data") + 1] == "{}"
    assert creates[1].groups == ["b"]
    # a non-compliant $Latest source is itself created last
    p = plan_of([group("a"), group("b")],
                [lt_source("a", "lt-1", "t", "$Latest", 5), lt_source("b", "lt-1", "t", "2", 2)])
    assert [c.facts["source_version"] for c in p.actions if c.kind == "create_version"] == [2, 5]


def test_compliant_and_unknown_groups_get_no_fix_and_unknown_sources_are_named():
    src_unknown = dict(lt_source("m", "lt-2", "t2", "$Default", None), status="unknown", reason="not read")
    p = plan_of([group("ok", status="compliant"), group("u", status="unknown"), group("m")],
                [lt_source("ok", "lt-1", "t", "$Default", 1, tokens="required"),
                 lt_source("u", "lt-1", "t", "$Default", 1), lt_source("m", "lt-3", "t3", "$Latest", 2), src_unknown])
    assert [f.group["asg_name"] for f in p.fixes] == ["m"]
    assert [s["reason"] for s in p.fixes[0].unfixable] == ["not read"]


def test_example_estate_orders_actions():
    p = attach_commands(build_plan(*example_findings()))
    order = [a.kind for a in p.actions]
    assert order.index("create_template") < order.index("switch_group")
    assert max(i for i, k in enumerate(order) if k == "create_version") < order.index("set_default")
    assert min(i for i, k in enumerate(order) if k == "refresh") > order.index("update_mixed")
    # variables are numbered in run order
    names = [a.var.name for a in p.actions if a.kind == "create_version"]
    assert names == [f"NEW_VERSION_{i}" for i in range(1, len(names) + 1)]
