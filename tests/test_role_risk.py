"""Risk per IAM role (roles.csv): exposure × privilege, ranked, with reasons in English and Japanese."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from imds_audit import i18n, pipeline
from imds_audit.analyze.privilege import TIERS, classify_roles
from imds_audit.analyze.role_risk import MAX_NAMES, OUTPUT_COLUMNS, rank_roles
from imds_audit.findings import Findings
from imds_audit.model import EXPOSURE_WEIGHT, PRIVILEGE_WEIGHT


def rank(groups, privileges, window_days=14):
    """rank_roles, with the reasons in words as the pipeline puts them in roles.csv."""
    roles = rank_roles(groups, privileges)
    return pipeline.roles_in_words(Findings(groups=groups, sources=pd.DataFrame(), roles=roles,
                                            window_days=window_days)).roles

ACCOUNT = "111122223333"
ADMIN = {"Version": "2012-10-17", "Statement": [{"Action": "*", "Effect": "Allow", "Resource": "*"}]}
SSM_CORE = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Resource": "*", "Action": [
        "ssm:DescribeAssociation", "ssm:GetDocument", "ssm:GetParameter", "ssm:GetParameters",
        "ssm:UpdateInstanceInformation", "ssm:ListInstanceAssociations"]},
    {"Effect": "Allow", "Resource": "*", "Action": ["ssmmessages:CreateControlChannel",
                                                    "ssmmessages:OpenDataChannel"]},
    {"Effect": "Allow", "Resource": "*", "Action": ["ec2messages:GetMessages", "ec2messages:SendReply"]}]}
EC2_READ = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}}


def privileges(roles: dict[str, tuple[str, dict]], account=ACCOUNT) -> pd.DataFrame:
    rows = [{"account_id": account, "role_name": role, "role_arn": f"arn:aws:iam::{account}:role/{role}",
             "policy_kind": "managed", "policy_name": name, "policy_arn": f"arn:aws:iam::aws:policy/{name}",
             "document": json.dumps(doc)} for role, (name, doc) in roles.items()]
    return classify_roles(pd.DataFrame(rows).astype("string"))


PRIVS = privileges({"web-admin": ("AdministratorAccess", ADMIN), "ssm-node": ("AmazonSSMManagedInstanceCore",
                    SSM_CORE), "batch-read": ("AmazonEC2ReadOnlyAccess", EC2_READ),
                    "vault-admin": ("AdministratorAccess", ADMIN)})


def groups(*rows) -> pd.DataFrame:
    """(asg_name, status, iam_role, instances, instances_allowing_imdsv1, imdsv1_calls[, region])"""
    records = []
    for row in rows:
        name, status, role, inst, allowing, calls, *region = row
        records.append({"account_id": ACCOUNT, "region": region[0] if region else "eu-west-1",
                        "asg_name": name, "status": status, "iam_role": role,
                        "iam_role_arn": None if role is None else f"arn:aws:iam::{ACCOUNT}:role/{role}",
                        "instances": inst, "instances_allowing_imdsv1": allowing, "imdsv1_calls": calls})
    frame = pd.DataFrame(records)
    return frame.astype({"account_id": "string", "region": "string", "asg_name": "string", "status": "string",
                         "iam_role": "string", "iam_role_arn": "string", "instances": "Int64",
                         "instances_allowing_imdsv1": "Int64", "imdsv1_calls": "Float64"})


ESTATE = groups(
    ("web-1", "non_compliant", "web-admin", 4, 4, 4000.0),
    ("web-2", "non_compliant", "web-admin", 4, 4, 200.0),
    ("web-3", "non_compliant", "web-admin", 4, 4, 10.0),
    ("fleet", "non_compliant", "ssm-node", 100, 100, 50.0),      # many more instances, lower privilege
    ("vault", "compliant", "vault-admin", 3, 0, 0.0),              # admin, but IMDSv2-only
    ("batch", "non_compliant", "batch-read", 2, 2, 0.0),           # exposed, read-only
    ("roleless", "non_compliant", None, 5, 5, 9.0),                # no role: exposes no credentials
)


@pytest.fixture(scope="module")
def ranked() -> pd.DataFrame:
    return rank(ESTATE, PRIVS).set_index("role_name", drop=False)


def test_admin_exposed_with_imdsv1_active_ranks_first(ranked):
    first = ranked.sort_values("risk_rank").iloc[0]
    assert first["role_name"] == "web-admin"
    assert first["exposure_level"] == "active" and first["privilege_tier"] == "admin"
    # ... ahead of a data-access role exposed on 25 times as many instances
    assert ranked.loc["ssm-node", "exposed_instances"] > first["exposed_instances"]
    assert ranked.loc["ssm-node", "risk_rank"] > first["risk_rank"]


def test_compliant_only_role_has_no_exposure_and_ranks_below_exposed_ones(ranked):
    vault = ranked.loc["vault-admin"]
    assert vault["exposure_level"] == "none" and vault["risk_score"] == 0
    assert vault["exposed_groups"] == 0 and vault["groups_total"] == 1
    exposed = ranked[ranked["exposure_level"] != "none"]
    assert len(exposed) == 3 and (exposed["risk_rank"] < vault["risk_rank"]).all()


def test_one_row_per_role_used_by_a_group(ranked):
    assert sorted(ranked["role_name"]) == ["batch-read", "ssm-node", "vault-admin", "web-admin"]
    assert list(ranked.columns) == OUTPUT_COLUMNS + [f"reason_{lang}" for lang in i18n.languages()]
    assert sorted(ranked["risk_rank"]) == [1, 2, 3, 4]


def test_exposure_figures_are_summed_over_the_roles_groups(ranked):
    web = ranked.loc["web-admin"]
    assert (web["groups_total"], web["exposed_groups"], web["exposed_instances"]) == (3, 3, 12)
    assert web["imdsv1_calls"] == 4210.0 and bool(web["imdsv1_in_use"]) is True
    assert web["exposed_group_names"] == "eu-west-1/web-1; eu-west-1/web-2; eu-west-1/web-3"
    assert ranked.loc["batch-read", "exposure_level"] == "exposed"   # instances allow it, none call it
    assert bool(ranked.loc["batch-read", "imdsv1_in_use"]) is False


def test_score_is_exposure_weight_times_privilege_weight(ranked):
    expected = ranked["exposure_level"].map(EXPOSURE_WEIGHT) * ranked["privilege_tier"].map(PRIVILEGE_WEIGHT)
    assert (ranked["risk_score"] == expected).all()
    assert ranked.loc["web-admin", "risk_score"] == 5 * 10


def test_reasons_in_both_languages_give_the_numbers(ranked):
    web = ranked.loc["web-admin"]
    assert web["reason_en"] == ("AdministratorAccess grants * on *; 3 groups and 12 running instances allow "
                                "IMDSv1; IMDSv1 called 4,210 times in 14 days")
    assert web["reason_ja"] == ("AdministratorAccess により全リソースへの全操作が可能。3 グループと稼働中のインスタンス 12 台が"
                                " IMDSv1 を許可。過去 14 日間に IMDSv1 の呼び出しが 4,210 回")
    ssm = ranked.loc["ssm-node"]
    assert "100 running instances" in ssm["reason_en"] and "ssm:GetParameter" in ssm["reason_en"]
    assert "稼働中のインスタンス 100 台" in ssm["reason_ja"] and "データの読み取りが可能" in ssm["reason_ja"]
    assert "no IMDSv1 calls in 14 days" in ranked.loc["vault-admin", "reason_en"]
    assert "過去 14 日間に IMDSv1 の呼び出しなし" in ranked.loc["vault-admin", "reason_ja"]


def test_window_days_appears_in_the_reasons():
    out = rank(ESTATE, PRIVS, window_days=30).set_index("role_name")
    assert "in 30 days" in out.loc["web-admin", "reason_en"]
    assert "過去 30 日間" in out.loc["web-admin", "reason_ja"]


@pytest.mark.parametrize("status,allowing,calls,level", [
    ("non_compliant", 0, 0.0, "latent"),        # the template allows IMDSv1; nothing running yet
    ("non_compliant", 0, None, "latent"),
    ("non_compliant", 3, 0.0, "exposed"),       # running instances allow IMDSv1
    ("non_compliant", 3, 7.0, "active"),        # ... and it is called
    ("non_compliant", 0, 7.0, "active"),        # called in the window by instances since replaced
    ("compliant", 2, 0.0, "exposed"),           # drift: fixed template, old instances still allow it
    ("compliant", 0, 0.0, "none"),
    ("unknown", 0, None, "none"),
])
def test_exposure_level_per_case(status, allowing, calls, level):
    out = rank_roles(groups(("g", status, "web-admin", 3, allowing, calls)), PRIVS)
    assert out.loc[0, "exposure_level"] == level


def test_latent_reason_says_no_instance_runs_yet():
    out = rank(groups(("g", "non_compliant", "batch-read", 0, 0, None)), PRIVS).iloc[0]
    assert "1 group allows IMDSv1 but no running instance does yet" in out["reason_en"]
    assert "IMDSv1 usage unknown" in out["reason_en"]
    assert "1 グループが IMDSv1 を許可（稼働中のインスタンスはまだない）" in out["reason_ja"] and "使用状況は不明" in out["reason_ja"]


def test_calls_unknown_stay_unknown_but_known_ones_are_summed():
    out = rank_roles(groups(("a", "non_compliant", "web-admin", 1, 1, None),
                            ("b", "non_compliant", "web-admin", 1, 1, 5.0),
                            ("c", "non_compliant", "batch-read", 1, 1, None)), PRIVS).set_index("role_name")
    assert out.loc["web-admin", "imdsv1_calls"] == 5.0
    assert pd.isna(out.loc["batch-read", "imdsv1_calls"])
    assert bool(out.loc["batch-read", "imdsv1_in_use"]) is False


def test_unknown_groups_are_counted_and_named_in_the_reason():
    out = rank(groups(("a", "unknown", "web-admin", 1, 0, None),
                            ("b", "non_compliant", "web-admin", 1, 1, 0.0)), PRIVS).iloc[0]
    assert (out["unknown_groups"], out["groups_total"], out["exposed_groups"]) == (1, 2, 1)
    assert "1 group not assessed" in out["reason_en"] and "1 グループは判定不能" in out["reason_ja"]


def test_role_whose_policies_were_not_read_is_unknown_not_none():
    out = rank(groups(("g", "non_compliant", "mystery", 2, 2, 0.0)), PRIVS).iloc[0]
    assert out["privilege_tier"] == "unknown" and out["tier_rank"] == -1
    assert out["risk_score"] == EXPOSURE_WEIGHT["exposed"] * PRIVILEGE_WEIGHT["unknown"] > 0
    assert out["role_arn"] == f"arn:aws:iam::{ACCOUNT}:role/mystery"   # from the group when not in privileges
    assert "policies not read" in out["reason_en"] and "権限は不明" in out["reason_ja"]


def test_exposed_group_names_are_capped():
    rows = [(f"g{i:02d}", "non_compliant", "web-admin", 1, 1, 0.0) for i in range(MAX_NAMES + 5)]
    out = rank_roles(groups(*rows), PRIVS).iloc[0]
    assert out["exposed_group_names"].count("eu-west-1/") == MAX_NAMES
    assert out["exposed_group_names"].endswith("(+5 more)")


def test_same_role_name_in_two_accounts_stays_apart():
    other = privileges({"web-admin": ("AmazonEC2ReadOnlyAccess", EC2_READ)}, account="999988887777")
    g = pd.concat([groups(("a", "non_compliant", "web-admin", 1, 1, 1.0)),
                   groups(("b", "non_compliant", "web-admin", 1, 1, 1.0)).assign(account_id="999988887777")])
    out = rank_roles(g, pd.concat([PRIVS, other])).set_index("account_id")
    assert out.loc[ACCOUNT, "privilege_tier"] == "admin"
    assert out.loc["999988887777", "privilege_tier"] == "read_only"
    assert out.loc[ACCOUNT, "risk_rank"] == 1


def test_no_groups_with_roles_gives_the_columns():
    out = rank_roles(groups(("g", "non_compliant", None, 1, 1, 0.0)), PRIVS)
    assert out.empty and list(out.columns) == OUTPUT_COLUMNS


def test_model_covers_every_tier_and_level_and_is_ordered():
    assert set(PRIVILEGE_WEIGHT) == set(TIERS) | {"unknown"}
    assert list(EXPOSURE_WEIGHT) == ["none", "latent", "exposed", "active"]
    assert [EXPOSURE_WEIGHT[k] for k in EXPOSURE_WEIGHT] == sorted(EXPOSURE_WEIGHT.values())
    assert [PRIVILEGE_WEIGHT[t] for t in TIERS] == sorted(PRIVILEGE_WEIGHT[t] for t in TIERS)
    assert EXPOSURE_WEIGHT["none"] == 0 and PRIVILEGE_WEIGHT["none"] == 0
    for lang in i18n.languages():
        tr = i18n.Catalogue(lang)
        assert all(tr(f"model.exposure.{level}") for level in EXPOSURE_WEIGHT)
        assert all(tr(f"model.tier.{tier}") for tier in PRIVILEGE_WEIGHT)


def test_aggregates_match_a_plain_groupby_at_scale():
    # 50,000 groups over 1,000 roles: the vectorised sums equal a straightforward groupby.
    rng = np.random.default_rng(7)
    n = 50_000
    role = pd.Series([f"r{i}" for i in rng.integers(0, 1000, n)], dtype="string")
    status = pd.Series(rng.choice(["compliant", "non_compliant", "unknown"], n), dtype="string")
    allowing = rng.integers(0, 5, n)
    calls = pd.array(np.where(rng.random(n) < 0.2, np.nan, rng.integers(0, 100, n)), dtype="Float64")
    g = pd.DataFrame({"account_id": pd.Series([ACCOUNT] * n, dtype="string"), "region": "eu-west-1",
                      "asg_name": [f"asg-{i}" for i in range(n)], "status": status, "iam_role": role,
                      "iam_role_arn": pd.NA, "instances": allowing + 1, "instances_allowing_imdsv1": allowing,
                      "imdsv1_calls": calls})
    out = rank_roles(g, PRIVS).set_index("role_name").sort_index()
    expect = g.assign(nc=status.eq("non_compliant")).groupby("iam_role").agg(
        groups_total=("asg_name", "size"), exposed_groups=("nc", "sum"),
        exposed_instances=("instances_allowing_imdsv1", "sum"), imdsv1_calls=("imdsv1_calls", "sum"))
    assert len(out) == 1000
    assert (out["groups_total"] == expect["groups_total"]).all()
    assert (out["exposed_groups"] == expect["exposed_groups"]).all()
    assert (out["exposed_instances"] == expect["exposed_instances"]).all()
    assert (out["imdsv1_calls"] == expect["imdsv1_calls"]).all()
    assert (out["privilege_tier"] == "unknown").all()


def test_a_permissions_boundary_lowers_the_risk_and_both_reasons_say_so():
    rows = [{"account_id": ACCOUNT, "role_name": "bounded", "role_arn": f"arn:aws:iam::{ACCOUNT}:role/bounded",
             "policy_kind": kind, "policy_name": name, "policy_arn": f"arn:aws:iam::{ACCOUNT}:policy/{name}",
             "document": json.dumps(doc)}
            for kind, name, doc in (("managed", "AdministratorAccess", ADMIN), ("boundary", "ec2-only", EC2_READ))]
    privs = classify_roles(pd.DataFrame(rows).astype("string"))
    out = rank(groups(("g", "non_compliant", "bounded", 2, 2, 5.0)), privs).iloc[0]
    assert out["privilege_tier"] == "read_only" and out["boundary"] == "ec2-only"
    assert "limited by permissions boundary ec2-only" in out["reason_en"]
    assert "権限境界 ec2-only による制限を反映済み" in out["reason_ja"]
    assert out["risk_score"] == EXPOSURE_WEIGHT["active"] * PRIVILEGE_WEIGHT["read_only"]


def test_admin_except_reads_in_japanese():
    deny_iam = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                                                       {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}
    privs = privileges({"almost": ("AlmostAdmin", deny_iam)})
    out = rank(groups(("g", "non_compliant", "almost", 1, 1, 0.0)), privs).iloc[0]
    assert out["privilege_tier"] == "admin"
    assert "AlmostAdmin により全操作が可能（除外：拒否された操作）" in out["reason_ja"] and "denied actions" not in out["reason_ja"]
