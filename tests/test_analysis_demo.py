"""The simulated estate through the whole analysis: every outcome is represented, the ranking is right."""

import pytest

from imds_audit import snapshot as snap
from imds_audit.analyze import FINDING_COLUMNS
from imds_audit.analyze.coverage import coverage
from imds_audit.pipeline import analysed
from imds_audit.demo import estate


@pytest.fixture(scope="module")
def findings(demo_paths):
    return analysed(snap.read(demo_paths[0]))


def test_statuses_match_the_truth(findings):
    g = findings.groups
    assert dict(zip(zip(g["region"], g["asg_name"], strict=True), g["status"], strict=True)) == estate.expected_statuses()
    assert list(g.columns) == FINDING_COLUMNS


def test_every_drift_readiness_hop_outcome_is_present(findings):
    g = findings.groups.set_index("asg_name")
    assert g.loc["drifted-fleet", "status"] == "compliant" and g.loc["drifted-fleet", "drift"]
    assert g.loc["drifted-fleet", "instances_allowing_imdsv1"] == 2
    assert not g.loc["web-prod", "drift"]
    assert g.loc["legacy-billing", "readiness"] == "blocked"
    assert g.loc["legacy-billing", "imdsv1_calls"] == 1852
    assert g.loc["legacy-billing", "imdsv1_callers"].split()[0].startswith("i-")
    assert g.loc["web-canary", "readiness"] == "ready"
    assert set(g["readiness"]) >= {"ready", "blocked"}
    assert g.loc["eks-nodes", "hop_limit_flag"] == "expected_container"
    assert g.loc["reports-hop3", "hop_limit_flag"] == "excessive"
    assert g.loc["web-prod", "hop_limit_flag"] == "ok"
    assert g.loc["eu-batch", "launch_failure"] and g.loc["pay-api-green", "launch_failure"]
    assert not g.loc["eu-web", "launch_failure"]
    assert g.loc["sidecar-no-imds", "instances_allowing_imdsv1"] == 0


def test_admin_role_exposed_through_imdsv1_ranks_first(findings):
    top = findings.roles.sort_values("risk_rank").iloc[0]
    assert top["role_name"] == "platform-admin" and top["privilege_tier"] == "admin"
    assert top["exposure_level"] == "active"
    assert "AdministratorAccess" in top["reason_en"] and "2,370" in top["reason_en"]
    assert findings.groups.set_index("asg_name").loc["admin-tools", "risk_tier"] == "admin"


def test_not_assessed_lists_the_denied_calls(findings):
    na = findings.not_assessed
    assert set(na["outcome"]) == {"access_denied"}
    assert ("ap-northeast-1", "DescribeAutoScalingGroups") in set(zip(na["region"], na["api"], strict=True))


def test_coverage_at_every_level(findings):
    g = findings.groups
    overall = coverage(g).iloc[0]
    assert overall["groups"] == len(g)
    assert overall["compliant"] + overall["non_compliant"] + overall["unknown"] == len(g)
    for by in (["account_id"], ["region"], ["account_id", "region"], ["launch_kind"], ["iam_role"]):
        per = coverage(g, by)
        assert per["groups"].sum() == len(g), by
    assert 0 < overall["coverage_pct"] < 100


def test_the_sandbox_boundary_caps_ci_runner_there_only(findings, demo_paths):
    """ci-runner has iam:PassRole with ec2:RunInstances in both accounts; the sandbox's permissions
    boundary allows only EC2 and S3, so there it can no longer pass a role: write, not escalation."""
    roles = findings.roles.set_index(["role_name", "account_id"])
    accounts = snap.read(demo_paths[0])["role_policies"]
    bounded = accounts[accounts["policy_kind"].eq("boundary")]
    assert bounded["role_name"].tolist() == ["ci-runner"]
    sandbox = bounded["account_id"].iloc[0]
    capped = roles.loc[("ci-runner", sandbox)]
    assert capped["privilege_tier"] == "write" and capped["boundary"] == "sandbox-boundary"
    assert "limited by permissions boundary sandbox-boundary" in capped["reason_en"]
    assert "権限境界 sandbox-boundary による制限を反映済み" in capped["reason_ja"]
    others = roles.xs("ci-runner", level="role_name").drop(index=sandbox)
    assert set(others["privilege_tier"]) == {"privilege_escalation"}


def test_eks_owners_are_confirmed_by_the_node_groups_own_groups(demo_paths, findings):
    """DescribeNodegroup's resources name the node group's Auto Scaling group (collect.eks keeps them);
    that, not the eks: tags anyone may write, makes EKS the owner of the estate's two node groups."""
    import json

    nodegroups = snap.read(demo_paths[0])["eks_nodegroups"].set_index("nodegroup_name")
    for name, group in estate.EKS_NODEGROUP_GROUPS.items():
        assert json.loads(nodegroups.loc[name, "auto_scaling_groups"]) == [group]
    g = findings.groups.set_index("asg_name")
    for group in estate.EKS_NODEGROUP_GROUPS.values():
        assert g.loc[group, "managed_by"] == "eks" and g.loc[group, "nodegroup_outcome"] == "read"
