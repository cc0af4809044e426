"""Which roles a group exposes: every launch source's profile and every running instance's, not only
the base template's (a mixed instances override may name a template with another instance profile)."""

from __future__ import annotations

import json

import pytest

from factory import A, R, ok_calls
from imds_audit import snapshot as snap
from imds_audit.analyze import analyze
from imds_audit.pipeline import analysed

ADMIN = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
READ = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:Describe*",
                                                          "Resource": "*"}]})


def _profile(role):
    return {"account_id": A, "instance_profile_name": f"{role}-profile",
            "instance_profile_arn": f"arn:aws:iam::{A}:instance-profile/{role}-profile",
            "role_name": role, "role_arn": f"arn:aws:iam::{A}:role/{role}"}


def _version(lt, tokens, role):
    return {"account_id": A, "region": R, "launch_template_id": lt, "launch_template_name": lt,
            "version_number": 1, "http_tokens": tokens, "http_endpoint": "enabled", "hop_limit": 1,
            "image_id": "ami-1", "iam_instance_profile_arn": f"arn:aws:iam::{A}:instance-profile/{role}-profile"}


def _instance(iid, lt, tokens, profile_role=None):
    return {"account_id": A, "region": R, "instance_id": iid, "asg_name": "mixed", "state": "running",
            "launch_template_id": lt, "launch_template_version": "1", "http_tokens": tokens,
            "http_endpoint": "enabled", "hop_limit": 1, "image_id": "ami-1",
            "iam_instance_profile_arn": None if profile_role is None
            else f"arn:aws:iam::{A}:instance-profile/{profile_role}-profile"}


def mixed(base_tokens="required", override_tokens="optional", instances=(), usage=(), calls=None):
    """Group "mixed": base template lt-base (role web-read), override lt-gpu (role gpu-admin)."""
    tables = {
        "auto_scaling_groups": [{"account_id": A, "region": R, "asg_name": "mixed",
                                 "launch_kind": "mixed_instances_policy", "tags": "{}"}],
        "launch_sources": [
            {"account_id": A, "region": R, "asg_name": "mixed", "source_kind": "launch_template",
             "position": "base", "launch_template_id": "lt-base", "version_requested": "1"},
            {"account_id": A, "region": R, "asg_name": "mixed", "source_kind": "launch_template",
             "position": "override:1", "launch_template_id": "lt-gpu", "version_requested": "1"}],
        "launch_templates": [{"account_id": A, "region": R, "launch_template_id": lt, "launch_template_name": lt,
                              "default_version": 1, "latest_version": 1} for lt in ("lt-base", "lt-gpu")],
        "launch_template_versions": [_version("lt-base", base_tokens, "web-read"),
                                     _version("lt-gpu", override_tokens, "gpu-admin")],
        "images": [{"account_id": A, "region": R, "image_id": "ami-1", "imds_support": None}],
        "metadata_defaults": [{"account_id": A, "region": R}],
        "instance_profiles": [_profile("web-read"), _profile("gpu-admin"), _profile("old-role")],
        "role_policies": [
            {"account_id": A, "role_name": r, "role_arn": f"arn:aws:iam::{A}:role/{r}", "policy_kind": "inline",
             "policy_name": "p", "document": doc}
            for r, doc in (("web-read", READ), ("gpu-admin", ADMIN), ("old-role", READ))],
        "instances": list(instances),
        "imdsv1_usage": [{"account_id": A, "region": R, "instance_id": i, "metadata_no_token": n, "window_days": 14}
                         for i, n in usage],
    }
    return snap.new(tables, api_calls=calls if calls is not None else
                    ok_calls() + ok_calls(A, "global", ("GetAccountAuthorizationDetails",)))


def roles(s):
    return analysed(s).roles.set_index("role_name")


def test_an_override_with_another_profile_exposes_its_own_role():
    got = roles(mixed(base_tokens="required", override_tokens="optional"))
    assert got.loc["gpu-admin", "exposed_groups"] == 1 and got.loc["gpu-admin", "exposure_level"] == "latent"
    assert got.loc["gpu-admin", "privilege_tier"] == "admin"
    # the base template requires tokens: its role is not exposed by this group's launches
    assert got.loc["web-read", "exposed_groups"] == 0 and got.loc["web-read", "exposure_level"] == "none"
    assert got.index[0] == "gpu-admin"


def test_findings_keep_the_base_role_for_the_group():
    groups = analyze(mixed()).groups.set_index("asg_name")
    assert groups.loc["mixed", "iam_role"] == "web-read" and groups.loc["mixed", "status"] == "non_compliant"


def test_instances_count_for_the_role_they_carry():
    """i-1 carries an old profile and still allows IMDSv1; i-2 says nothing of its profile but was
    launched from the override template; i-3 from the base, IMDSv2-only."""
    s = mixed(instances=[_instance("i-1", "lt-base", "optional", profile_role="old-role"),
                         _instance("i-2", "lt-gpu", "optional"),
                         _instance("i-3", "lt-base", "required")],
              usage=[("i-1", 5.0), ("i-2", 40.0), ("i-3", 0.0)])  # every instance's usage was read
    got = roles(s)
    assert (got.loc["old-role", "exposed_instances"], got.loc["old-role", "imdsv1_calls"]) == (1, 5.0)
    assert got.loc["old-role", "exposure_level"] == "active"
    assert (got.loc["gpu-admin", "exposed_instances"], got.loc["gpu-admin", "imdsv1_calls"]) == (1, 40.0)
    assert got.loc["web-read", "exposed_instances"] == 0


def test_usage_not_read_stays_unknown_per_role():
    calls = ok_calls(apis=("GetInstanceMetadataDefaults", "DescribeImages")) + ok_calls(
        apis=("GetMetricData",), outcome="access_denied") + ok_calls(A, "global", ("GetAccountAuthorizationDetails",))
    got = roles(mixed(instances=[_instance("i-2", "lt-gpu", "optional")], calls=calls))
    assert got["imdsv1_calls"].isna().all()
    assert "IMDSv1 usage unknown" in got.loc["gpu-admin", "reason_en"]


@pytest.mark.parametrize("tokens", ["optional", "required"])
def test_a_single_source_group_gives_the_group_row(tokens):
    from factory import template_group

    s = template_group(tokens=tokens)
    s.tables["instance_profiles"] = snap.conform("instance_profiles", [_profile("web-read")])
    s.tables["launch_template_versions"]["iam_instance_profile_arn"] = _profile("web-read")["instance_profile_arn"]
    f = analyze(s)
    g = f.groups.iloc[0]
    r = f.roles.set_index("role_name").loc["web-read"]
    assert r["exposed_groups"] == int(g["status"] == "non_compliant") == int(tokens == "optional")
    assert r["groups_total"] == 1


def test_the_group_risk_tier_is_its_worst_role():
    """The base role only reads; the override's role is admin: the group's risk tier says admin."""
    g = analyze(mixed()).groups.set_index("asg_name").loc["mixed"]
    assert g["iam_role"] == "web-read" and g["risk_tier"] == "admin"


def test_a_more_privileged_role_on_a_compliant_override_does_not_raise_the_tier():
    """The override launches IMDSv2-only instances: its admin role is not exposed through this group."""
    g = analyze(mixed(base_tokens="optional", override_tokens="required")).groups.set_index("asg_name").loc["mixed"]
    assert g["risk_tier"] == "read_only"


def test_a_group_without_any_instance_profile_has_no_role_pairs(tmp_path):
    """No profile, no instance: nothing to rank (and the empty frames merge without error, also when
    read back from parquet, where pandas' arrow-backed empty columns once broke the merge)."""
    from factory import template_group

    path = snap.write(template_group(name="web", tokens="optional"), tmp_path / "s")
    f = analyze(snap.read(path))
    assert f.roles.empty and f.groups.iloc[0]["risk_tier"] == "no_role"


def test_launch_source_names_the_base_then_each_override():
    g = analyze(mixed()).groups.set_index("asg_name").loc["mixed"]
    assert g["launch_source"] == "lt-base (lt-base) 1→v1; override lt-gpu (lt-gpu) 1→v1"


def test_findings_name_the_other_roles_a_group_carries():
    s = mixed(instances=[_instance("i-1", "lt-base", "optional", profile_role="old-role")])
    g = analyze(s).groups.set_index("asg_name").loc["mixed"]
    assert g["iam_role"] == "web-read" and g["other_iam_roles"] == "gpu-admin; old-role"


def test_a_group_with_one_role_has_no_other_roles():
    from factory import template_group

    s = template_group(tokens="optional")
    s.tables["instance_profiles"] = snap.conform("instance_profiles", [_profile("web-read")])
    s.tables["launch_template_versions"]["iam_instance_profile_arn"] = _profile("web-read")["instance_profile_arn"]
    assert analyze(s).groups.iloc[0]["other_iam_roles"] == ""


def test_the_groups_table_shows_the_other_roles():
    from imds_audit import i18n
    from imds_audit.present import tables

    g = analyze(mixed(instances=[_instance("i-1", "lt-base", "optional", profile_role="old-role")])).groups
    table = tables.groups_table(g, i18n.Catalogue("en"))
    assert any(c.text == "web-read + gpu-admin; old-role" for c in table.rows[0])
