"""Drift, readiness, hop limit and launch failure: each rule from the case it covers (snapshot data)."""

import pandas as pd

from factory import A, R, ok_calls, template_group
from imds_audit import snapshot as snap
from imds_audit.analyze import hop_limit, instances, launch_failure, verdict


def _instance(iid, tokens="required", version="1", endpoint="enabled", state="running", template="lt-1"):
    return {"account_id": A, "region": R, "instance_id": iid, "asg_name": "g", "state": state,
            "launch_template_id": template, "launch_template_version": version, "http_tokens": tokens,
            "http_endpoint": endpoint, "hop_limit": 1}


def _usage(iid, calls):
    return {"account_id": A, "region": R, "instance_id": iid, "metadata_no_token": calls, "window_days": 14}


def findings(s):
    sources = verdict.resolve_sources(s)
    groups = verdict.group_status(s["auto_scaling_groups"], sources)
    live = instances.instance_state(s["instances"], sources, s["imdsv1_usage"])
    return instances.attach(groups, live, s.calls).set_index("asg_name").loc["g"], sources


def test_instance_allowing_imdsv1_under_a_fixed_template_is_drift():
    s = template_group(tokens="required", extra_tables={"instances": [_instance("i-1", tokens="optional")]})
    g, _ = findings(s)
    assert g["status"] == "compliant"
    assert g["instances_allowing_imdsv1"] == 1 and g["drift"]


def test_instance_from_an_older_version_is_drift_even_if_its_own_options_are_fine():
    s = template_group(tokens="required", default=2, latest=2,
                       versions={1: ("required", None, None), 2: ("required", None, 2)},
                       extra_tables={"instances": [_instance("i-1", version="1"), _instance("i-2", version="2")]})
    g, _ = findings(s)
    assert g["instances_outdated"] == 1 and g["drift"]
    assert g["instances_allowing_imdsv1"] == 0


def test_instance_with_endpoint_disabled_does_not_allow_imdsv1():
    s = template_group(tokens="required", extra_tables={
        "instances": [_instance("i-1", tokens="optional", endpoint="disabled")]})
    g, _ = findings(s)
    assert g["instances_allowing_imdsv1"] == 0 and not g["drift"]


def test_terminated_instances_are_not_counted():
    s = template_group(tokens="required", extra_tables={
        "instances": [_instance("i-1", tokens="optional", state="terminated")]})
    g, _ = findings(s)
    assert g["instances"] == 0 and not g["drift"]


def test_imdsv1_calls_block_enforcement_and_name_the_callers():
    s = template_group(tokens="optional", extra_tables={
        "instances": [_instance("i-1", "optional"), _instance("i-2", "optional"), _instance("i-3", "optional")],
        "imdsv1_usage": [_usage("i-1", 5.0), _usage("i-2", 0.0), _usage("i-3", 900.0)]})
    g, _ = findings(s)
    assert g["readiness"] == "blocked"
    assert g["imdsv1_calls"] == 905
    assert g["imdsv1_callers"] == "i-3 i-1"  # most calls first


def test_no_calls_in_the_window_is_ready():
    s = template_group(tokens="optional", extra_tables={
        "instances": [_instance("i-1", "optional")], "imdsv1_usage": [_usage("i-1", 0.0)]})
    g, _ = findings(s)
    assert g["readiness"] == "ready" and g["imdsv1_calls"] == 0


def test_unread_usage_is_unknown_readiness_not_ready():
    calls = ok_calls(apis=("GetInstanceMetadataDefaults", "DescribeImages")) + ok_calls(
        apis=("GetMetricData",), outcome="access_denied")
    s = template_group(tokens="optional", calls=calls, extra_tables={"instances": [_instance("i-1", "optional")]})
    g, _ = findings(s)
    assert g["readiness"] == "unknown"
    assert pd.isna(g["imdsv1_calls"])


def test_hop_limit_flags():
    groups = pd.DataFrame({"account_id": [A] * 4, "region": [R] * 4, "asg_name": list("abcd"),
                           "iam_role": ["node", "app", "app", "app"],
                           "tags": ["{}", '{"kubernetes.io/cluster/prod": ""}', "{}", "{}"],
                           "hop_limit": pd.array([2, 2, 3, 1], dtype="Int64")})
    policies = snap.conform("role_policies", [{"account_id": A, "role_name": "node",
                                               "policy_name": "AmazonEKSWorkerNodePolicy"}])
    sources = pd.DataFrame({"account_id": [A] * 4, "region": [R] * 4, "asg_name": list("abcd"),
                            "position": ["single"] * 4, "image_id": ["ami-1", "ami-1", "ami-1", "ami-2"]})
    images = snap.conform("images", [{"account_id": A, "region": R, "image_id": "ami-1", "name": "al2023"}])
    containers = hop_limit.container_nodes(groups, policies, images, sources)
    assert containers.tolist() == [True, True, False, False]
    assert hop_limit.hop_limit_flag(groups["hop_limit"], containers).tolist() == [
        "expected_container", "expected_container", "excessive", "ok"]


def test_container_tags_are_recognised_by_key_not_by_value():
    """A plain group whose Name tag VALUE reads like an EKS cluster key is no container node."""
    tags = ['{"Name": "kubernetes.io/cluster/prod"}', '{"Owner": "eks:cluster-name"}',
            '{"kubernetes.io/cluster/prod": ""}', '{"eks:nodegroup-name": ""}', "not json", None]
    n = len(tags)
    groups = pd.DataFrame({"account_id": [A] * n, "region": [R] * n, "asg_name": list("abcdef"),
                           "iam_role": [None] * n, "tags": pd.array(tags, dtype="string")})
    sources = pd.DataFrame({"account_id": [A] * n, "region": [R] * n, "asg_name": list("abcdef"),
                            "position": ["single"] * n, "image_id": ["ami-1"] * n})
    images = snap.conform("images", [{"account_id": A, "region": R, "image_id": "ami-1", "name": "al2023"}])
    assert hop_limit.container_nodes(groups, snap.empty("role_policies"), images, sources).tolist() == [
        False, False, True, True, False, False]


def test_container_ami_name_is_recognised():
    groups = pd.DataFrame({"account_id": [A], "region": [R], "asg_name": ["a"], "iam_role": [None], "tags": ["{}"]})
    sources = pd.DataFrame({"account_id": [A], "region": [R], "asg_name": ["a"], "position": ["single"],
                            "image_id": ["ami-9"]})
    images = snap.conform("images", [{"account_id": A, "region": R, "image_id": "ami-9",
                                      "name": "amazon-eks-node-1.31-v20241115"}])
    assert hop_limit.container_nodes(groups, snap.empty("role_policies"), images, sources).tolist() == [True]


def test_enforced_account_default_with_optional_template_is_a_launch_failure():
    enforced = {"http_tokens": "required", "http_tokens_enforced": "enabled"}
    s = template_group(tokens="optional", defaults=enforced)
    sources = verdict.resolve_sources(s)
    groups = verdict.group_status(s["auto_scaling_groups"], sources)
    assert launch_failure(groups, sources)["launch_failure"].tolist() == [True]
    assert launch_failure(groups, sources)["launch_failure_code"].tolist() == ["enforced_optional"]
    ok = template_group(tokens="required", defaults=enforced)
    ok_sources = verdict.resolve_sources(ok)
    assert launch_failure(verdict.group_status(ok["auto_scaling_groups"], ok_sources),
                          ok_sources)["launch_failure"].tolist() == [False]
    not_enforced = template_group(tokens="optional", defaults={"http_tokens": "required"})
    ne_sources = verdict.resolve_sources(not_enforced)
    assert launch_failure(verdict.group_status(not_enforced["auto_scaling_groups"], ne_sources),
                          ne_sources)["launch_failure"].tolist() == [False]


def _listed(iid, state="InService"):
    return {"account_id": A, "region": R, "asg_name": "g", "instance_id": iid, "lifecycle_state": state,
            "launch_template_id": "lt-1", "launch_template_version": "1"}


def _findings_with(s):
    sources = verdict.resolve_sources(s)
    groups = verdict.group_status(s["auto_scaling_groups"], sources)
    live = instances.instance_state(s["instances"], sources, s["imdsv1_usage"])
    return instances.attach(groups, live, s.calls, s["asg_instances"]).set_index("asg_name").loc["g"]


def test_instances_not_described_are_unknown_not_ready():
    """Issue 16: DescribeInstances denied in the region while Auto Scaling lists the group's instances:
    not "0 instances, no drift, ready" but instances known, their settings, drift and readiness unknown."""
    calls = ok_calls() + ok_calls(apis=("DescribeInstances",), outcome="access_denied")
    s = template_group(tokens="required", calls=calls, extra_tables={
        "asg_instances": [_listed("i-1"), _listed("i-2")],
        "imdsv1_usage": [{**_usage(i, None), "status": "NotRead"} for i in ("i-1", "i-2")]})
    g = _findings_with(s)
    assert g["instances"] == 2
    assert pd.isna(g["instances_allowing_imdsv1"]) and pd.isna(g["drift"]) and pd.isna(g["imdsv1_calls"])
    assert g["readiness"] == "unknown" and g["instances_reason_code"] == "instances_not_read"


def test_an_incomplete_metric_answer_is_not_zero_calls():
    """GetMetricData answered PartialData for one instance: its calls are unknown, so readiness is too;
    calls seen on another instance still block."""
    s = template_group(tokens="optional", extra_tables={
        "asg_instances": [_listed("i-1"), _listed("i-2")],
        "instances": [_instance("i-1", "optional"), _instance("i-2", "optional")],
        "imdsv1_usage": [{**_usage("i-1", 0.0), "status": "Complete"},
                         {**_usage("i-2", None), "status": "PartialData"}]})
    g = _findings_with(s)
    assert pd.isna(g["imdsv1_calls"]) and g["readiness"] == "unknown"
    assert g["instances_reason_code"] == "usage_not_read" and g["instances_allowing_imdsv1"] == 2
    s.tables["imdsv1_usage"] = snap.conform("imdsv1_usage", [{**_usage("i-1", 7.0), "status": "Complete"},
                                                              {**_usage("i-2", None), "status": "InternalError"}])
    assert _findings_with(s)["readiness"] == "blocked"


def test_the_hop_limit_of_an_unread_record_is_unknown_not_ok():
    s = template_group(version="7")
    groups = verdict.group_status(s["auto_scaling_groups"], verdict.resolve_sources(s))
    assert pd.isna(groups.loc[0, "hop_limit"])
    assert hop_limit.hop_limit_flag(groups["hop_limit"], pd.Series([False])).tolist() == ["unknown"]
