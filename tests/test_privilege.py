"""Privilege tier per IAM role, case by case, on policy documents as AWS hands them back."""

from __future__ import annotations

import json
import urllib.parse

import boto3
import pandas as pd
import pytest
from moto import mock_aws

from imds_audit.analyze import privilege
from imds_audit.i18n.reasons import privilege_text
from imds_audit.analyze.privilege import OUTPUT_COLUMNS, TIER_RANK, classify_roles

MANAGED = ["AdministratorAccess", "PowerUserAccess", "AmazonS3ReadOnlyAccess", "AmazonS3FullAccess",
           "AmazonEC2ReadOnlyAccess", "AmazonSSMManagedInstanceCore", "AmazonEKSWorkerNodePolicy",
           "service-role/AmazonEC2ContainerServiceforEC2Role", "ReadOnlyAccess"]


@pytest.fixture(scope="module")
def aws_docs() -> dict[str, str]:
    """The real documents of AWS managed policies, as IAM returns them (moto's bundled copy)."""
    docs = {}
    with mock_aws(config={"iam": {"load_aws_managed_policies": True}}):
        iam = boto3.client("iam", region_name="us-east-1")
        for name in MANAGED:
            arn = f"arn:aws:iam::aws:policy/{name}"
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            doc = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
            docs[name.split("/")[-1]] = json.dumps(doc)
    return docs


def table(roles: dict[str, list[tuple[str, object]]], account="111122223333") -> pd.DataFrame:
    """role_policies rows: {role: [(policy name, document dict or JSON text or None), ...]}."""
    rows = []
    for role, policies in roles.items():
        for name, doc in policies or [(None, None)]:
            rows.append({
                "account_id": account, "role_name": role,
                "role_arn": f"arn:aws:iam::{account}:role/{role}",
                "policy_kind": None if name is None else (
                    "inline" if name.startswith("inline-") else "boundary" if name.startswith("boundary-")
                    else "managed"),
                "policy_name": name,
                "policy_arn": None if name is None else f"arn:aws:iam::aws:policy/{name}",
                "document": doc if doc is None or isinstance(doc, str) else json.dumps(doc),
            })
    return pd.DataFrame(rows, columns=["account_id", "role_name", "role_arn", "policy_kind", "policy_name",
                                       "policy_arn", "document"]).astype("string")


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def policy(*statements, as_dict=False) -> dict:
    # A single statement is often written as a dict, not a list: both forms are exercised.
    body = statements[0] if as_dict and len(statements) == 1 else list(statements)
    return {"Version": "2012-10-17", "Statement": body}


def one(roles) -> pd.Series:
    """The role's privilege verdict, with its facts in words (``reason``: the catalogue's English)."""
    out = classify_roles(table(roles))
    assert len(out) == 1
    row = out.iloc[0].copy()
    row["reason"] = privilege_text(row.to_dict(), "en")
    return row


# --- admin ------------------------------------------------------------------------------------------

def test_administrator_access_is_admin_via_star_on_star(aws_docs):
    row = one({"ops": [("AdministratorAccess", aws_docs["AdministratorAccess"])]})
    assert row["privilege_tier"] == "admin"
    assert row["tier_rank"] == TIER_RANK["admin"] == max(TIER_RANK.values())
    assert bool(row["admin"]) is True
    assert row["notable_actions"] == "*"
    assert row["reason"] == "AdministratorAccess grants * on *"


def test_allow_notaction_on_star_is_admin(aws_docs):
    # PowerUserAccess: Allow NotAction [iam:*, organizations:*, account:*] on "*".
    row = one({"power": [("PowerUserAccess", aws_docs["PowerUserAccess"])]})
    assert row["privilege_tier"] == "admin"
    assert "every action except iam:*" in row["reason"]
    assert row["notable_actions"].startswith("* except iam:*")


def test_all_of_iam_on_star_is_admin():
    row = one({"iam-admin": [("inline-iam", policy(allow("iam:*"), as_dict=True))]})
    assert row["privilege_tier"] == "admin"
    assert "IAM permissions management" in row["reason"]


def test_iam_star_on_one_role_only_is_not_admin():
    # Admin needs "*" as the resource; iam:* on a single role is escalation, not full control.
    row = one({"r": [("inline-iam", policy(allow("iam:*", "arn:aws:iam::111122223333:role/app")))]})
    assert row["privilege_tier"] == "privilege_escalation"


def test_worst_policy_sets_the_tier_and_is_named(aws_docs):
    row = one({"node": [("AmazonSSMManagedInstanceCore", aws_docs["AmazonSSMManagedInstanceCore"]),
                        ("AdministratorAccess", aws_docs["AdministratorAccess"])]})
    assert row["privilege_tier"] == "admin"
    assert row["tier_policies"] == "AdministratorAccess"
    assert set(row["policies"].split("; ")) == {"AmazonSSMManagedInstanceCore", "AdministratorAccess"}


# --- privilege escalation, credentials, resource exposure ------------------------------------------

def test_passrole_with_runinstances_is_privilege_escalation():
    row = one({"launcher": [("inline-launch", policy(allow(["iam:PassRole", "ec2:RunInstances"])))]})
    assert row["privilege_tier"] == "privilege_escalation"
    assert "iam:PassRole with ec2:RunInstances" in row["reason"]
    assert {"iam:PassRole", "ec2:RunInstances"} <= set(row["notable_actions"].split("; "))


def test_runinstances_without_passrole_is_only_write():
    # The pair is what escalates: a new instance without a stronger role to pass gains nothing.
    row = one({"launcher": [("inline-launch", policy(allow("ec2:RunInstances")))]})
    assert row["privilege_tier"] == "write"


def test_create_access_key_is_in_three_library_lists_and_the_worst_wins():
    # policy_sentry lists iam:CreateAccessKey as privilege escalation, credentials exposure and
    # resource exposure: the worst of them, privilege escalation, is the tier.
    cats = privilege.categories()
    assert "iam:createaccesskey" in cats.privilege_escalation
    assert "iam:createaccesskey" in cats.credentials_exposure
    row = one({"keys": [("inline-keys", policy(allow("iam:CreateAccessKey", "arn:aws:iam::*:user/*")))]})
    assert row["privilege_tier"] == "privilege_escalation"
    assert row["notable_actions"] == "iam:CreateAccessKey"


def test_ecr_token_is_credentials_exposure(aws_docs):
    row = one({"ecs-node": [("AmazonEC2ContainerServiceforEC2Role",
                             aws_docs["AmazonEC2ContainerServiceforEC2Role"])]})
    assert row["privilege_tier"] == "credentials_exposure"
    assert "ecr:GetAuthorizationToken" in row["notable_actions"]


def test_put_bucket_policy_is_resource_exposure():
    row = one({"r": [("inline-s3", policy(allow("s3:PutBucketPolicy", "arn:aws:s3:::reports"), as_dict=True))]})
    assert row["privilege_tier"] == "resource_exposure"
    assert row["notable_actions"] == "s3:PutBucketPolicy"


def test_s3_full_access_names_its_bucket_policy_actions_first(aws_docs):
    row = one({"r": [("AmazonS3FullAccess", aws_docs["AmazonS3FullAccess"])]})
    assert row["privilege_tier"] == "resource_exposure"
    assert "s3:PutBucketPolicy" in row["notable_actions"]


# --- data access, write, read-only, none -----------------------------------------------------------

def test_get_object_is_data_access():
    row = one({"r": [("inline-read", policy(allow("s3:GetObject", "arn:aws:s3:::reports/*")))]})
    assert row["privilege_tier"] == "data_access"
    assert row["reason"] == "inline-read can read data: s3:GetObject"


def test_get_secret_value_is_data_access():
    row = one({"r": [("inline-secret", policy(allow(
        "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-*")))]})
    assert row["privilege_tier"] == "data_access"
    assert row["notable_actions"] == "secretsmanager:GetSecretValue"


def test_ssm_managed_instance_core_reads_parameters(aws_docs):
    row = one({"ssm": [("AmazonSSMManagedInstanceCore", aws_docs["AmazonSSMManagedInstanceCore"])]})
    assert row["privilege_tier"] == "data_access"
    assert "ssm:GetParameter" in row["notable_actions"].split("; ")


def test_wildcard_is_expanded_through_the_library(aws_docs):
    expanded = privilege.expand("s3:Get*")
    assert "s3:getobject" in expanded and "s3:getbucketpolicy" in expanded
    assert "s3:putobject" not in expanded
    assert privilege.expand("S3:GET?BJECT") == frozenset({"s3:getobject"})  # case-insensitive, "?" too
    # AmazonS3ReadOnlyAccess says only s3:Get*: it is data access because s3:Get* covers s3:GetObject.
    row = one({"r": [("AmazonS3ReadOnlyAccess", aws_docs["AmazonS3ReadOnlyAccess"])]})
    assert row["privilege_tier"] == "data_access"
    assert "s3:GetObject" in row["notable_actions"].split("; ")


def test_describe_only_is_read_only(aws_docs):
    row = one({"r": [("inline-describe", policy(allow("ec2:Describe*"), as_dict=True))]})
    assert row["privilege_tier"] == "read_only"
    assert row["notable_actions"].startswith("ec2:Describe")
    eks = one({"eks": [("AmazonEKSWorkerNodePolicy", aws_docs["AmazonEKSWorkerNodePolicy"])]})
    assert eks["privilege_tier"] == "read_only"


def test_put_object_is_write():
    row = one({"r": [("inline-put", policy(allow("s3:PutObject", "arn:aws:s3:::logs/*")))]})
    assert row["privilege_tier"] == "write"


def test_an_action_the_database_does_not_know_counts_as_write():
    row = one({"r": [("inline-new", policy(allow("newservice:DoSomething")))]})
    assert row["privilege_tier"] == "write"
    assert row["notable_actions"] == "newservice:dosomething"


def test_role_without_policies_is_none():
    row = one({"bare": []})
    assert row["privilege_tier"] == "none"
    assert row["tier_rank"] == 0
    assert row["reason"] == "no policies"
    assert row["policies"] == ""


def test_empty_table_gives_the_columns():
    out = classify_roles(table({}))
    assert list(out.columns) == OUTPUT_COLUMNS and out.empty


# --- Deny and Condition ----------------------------------------------------------------------------

def test_deny_on_star_removes_the_allowed_action():
    row = one({"r": [("inline-read", policy(allow(["s3:GetObject", "s3:ListBucket"]))),
                     ("inline-guard", policy(deny("s3:GetObject")))]})
    assert row["privilege_tier"] == "read_only"
    assert "Deny s3:GetObject on * (inline-guard)" in row["denied"]
    assert "some allowed actions are denied" in row["reason"]


def test_deny_everything_leaves_none(aws_docs):
    row = one({"r": [("AdministratorAccess", aws_docs["AdministratorAccess"]),
                     ("inline-lock", policy(deny("*"), as_dict=True))]})
    assert row["privilege_tier"] == "none"
    assert row["reason"].startswith("every allowed action is denied")


def test_deny_with_condition_or_on_one_resource_is_shown_but_removes_nothing():
    row = one({"r": [("inline-read", policy(allow("s3:GetObject"))),
                     ("inline-guard", policy(
                         deny("s3:GetObject", Condition={"Bool": {"aws:SecureTransport": "false"}}),
                         deny("s3:GetObject", "arn:aws:s3:::secret-bucket/*")))]})
    assert row["privilege_tier"] == "data_access"
    assert "if aws:SecureTransport" in row["denied"]
    assert "arn:aws:s3:::secret-bucket/*" in row["denied"]


def test_admin_minus_a_denied_service_stays_admin_and_says_so(aws_docs):
    row = one({"r": [("AdministratorAccess", aws_docs["AdministratorAccess"]),
                     ("inline-noiam", policy(deny("iam:*")))]})
    assert row["privilege_tier"] == "admin"
    assert "except denied actions" in row["reason"]


def test_conditioned_allow_counts_and_is_shown():
    cond = {"StringEquals": {"aws:ResourceTag/team": "payments"}}
    row = one({"r": [("inline-params", policy(allow("ssm:GetParameter", Condition=cond)))]})
    assert row["privilege_tier"] == "data_access"
    assert "ssm:GetParameter" in row["conditional"] and "aws:ResourceTag/team" in row["conditional"]
    assert "(inline-params)" in row["conditional"]
    assert row["reason"].endswith("(only under conditions)")


# --- documents and tables as they come -------------------------------------------------------------

def test_url_encoded_document_is_read():
    doc = urllib.parse.quote(json.dumps(policy(allow("s3:GetObject"))))
    row = one({"r": [("inline-enc", doc)]})
    assert row["privilege_tier"] == "data_access"


def test_unreadable_document_is_reported():
    # Issue 16: what an unreadable policy grants is unknown, so the tier is unknown (it was read_only,
    # from the one policy read: an understatement), and the reason names the policy
    row = one({"r": [("inline-bad", "{not json"), ("inline-read", policy(allow("ec2:DescribeInstances")))]})
    assert row["privilege_tier"] == "unknown"
    assert "could not read inline-bad" in row["reason"]


@pytest.mark.parametrize("bad", ['{"Statement": [{"Effect": "Allow", "Action": 12345, "Resource": "*"}]}',
                                 '[1, 2, 3]', '"just a string"', '{"Statement": ["not a statement"]}'])
def test_a_document_iam_would_refuse_is_not_read_never_none(bad):
    row = one({"r": [("inline-odd", bad)]})
    assert row["privilege_tier"] == "unknown" and "could not read inline-odd" in row["reason"]


def test_a_managed_policy_whose_document_was_not_read_makes_the_tier_unknown():
    """GetPolicy / GetPolicyVersion failed: the row has no document. Not "no policies: none"."""
    frame = pd.DataFrame([{"account_id": "1", "role_name": "r", "role_arn": "arn:aws:iam::1:role/r",
                           "policy_kind": "managed", "policy_name": "AdministratorAccess",
                           "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess", "document": None}]).astype("string")
    row = classify_roles(frame).iloc[0]
    assert row["privilege_tier"] == "unknown" and row["tier_rule"] == "policies_not_read"


def test_what_was_read_already_admin_stays_admin():
    row = one({"r": [("inline-bad", "{not json"), ("inline-admin", policy(allow("*")))]})
    assert row["privilege_tier"] == "admin"


def test_one_row_per_role_with_typed_columns(aws_docs):
    out = classify_roles(table({
        "a": [("AdministratorAccess", aws_docs["AdministratorAccess"])],
        "b": [("AmazonEC2ReadOnlyAccess", aws_docs["AmazonEC2ReadOnlyAccess"])],
        "c": [],
    }))
    assert list(out.columns) == OUTPUT_COLUMNS
    assert out["role_name"].tolist() == ["a", "b", "c"]
    assert out["tier_rank"].dtype == "int64" and out["admin"].dtype == bool
    assert out["role_arn"].tolist()[0] == "arn:aws:iam::111122223333:role/a"
    assert out["privilege_tier"].tolist() == ["admin", "read_only", "none"]


def test_same_role_name_in_two_accounts_are_two_roles(aws_docs):
    both = pd.concat([table({"app": [("AdministratorAccess", aws_docs["AdministratorAccess"])]}, "111"),
                      table({"app": [("inline-d", policy(allow("ec2:DescribeInstances")))]}, "222")])
    out = classify_roles(both).set_index("account_id")
    assert out.loc["111", "privilege_tier"] == "admin" and out.loc["222", "privilege_tier"] == "read_only"


def test_roles_with_the_same_policies_are_classified_once(aws_docs):
    managed = [("AmazonSSMManagedInstanceCore", aws_docs["AmazonSSMManagedInstanceCore"]),
               ("ReadOnlyAccess", aws_docs["ReadOnlyAccess"])]
    privilege._classify.cache_clear()
    out = classify_roles(table({f"node-{i}": managed for i in range(500)}))
    info = privilege._classify.cache_info()
    assert len(out) == 500 and out["privilege_tier"].nunique() == 1
    assert info.misses == 1 and info.hits == 499


def test_hand_kept_names_exist_in_the_library_database():
    # A typo in a hand-kept list would silently never match: every name must be a known action.
    known = privilege.universe()
    hand = privilege._DATA_ACCESS + privilege._NEEDS_PASSROLE + privilege._ONLY_WITH_PARTNER
    assert [a for a in hand if a.lower() not in known] == []


# --- permissions boundaries ---------------------------------------------------------------------------
# A boundary caps the identity policies: an action counts only when both allow it.

def test_boundary_caps_administrator_access_to_what_it_allows(aws_docs):
    row = one({"r": [("AdministratorAccess", aws_docs["AdministratorAccess"]),
                     ("boundary-s3-read", policy(allow(["s3:GetObject", "s3:ListBucket"])))]})
    assert row["privilege_tier"] == "data_access" and not row["admin"]
    assert "limited by permissions boundary boundary-s3-read" in row["reason"]
    assert row["boundary"] == "boundary-s3-read" and row["boundary_limits"]
    assert row["policies"] == "AdministratorAccess"  # the boundary grants nothing: not a policy of the role


def test_boundary_drops_passrole_so_runinstances_is_only_write():
    row = one({"r": [("inline-deploy", policy(allow(["iam:PassRole", "ec2:RunInstances"]))),
                     ("boundary-no-iam", policy(allow("ec2:*")))]})
    assert row["privilege_tier"] == "write"
    assert row["notable_actions"] == "ec2:RunInstances"


def test_boundary_allowing_everything_changes_nothing(aws_docs):
    row = one({"r": [("AdministratorAccess", aws_docs["AdministratorAccess"]),
                     ("boundary-open", policy(allow("*")))]})
    assert row["privilege_tier"] == "admin" and row["notable_actions"] == "*"
    assert not row["boundary_limits"] and "permissions boundary" not in row["reason"]


def test_boundary_on_one_resource_keeps_the_action_but_not_admin(aws_docs):
    """Like an identity Allow, a boundary Allow on one bucket still lets the action through (on that
    bucket); but admin needs "*" on "*" in the boundary as well."""
    row = one({"r": [("AdministratorAccess", aws_docs["AdministratorAccess"]),
                     ("boundary-bucket", policy(allow("*", "arn:aws:s3:::one-bucket/*")))]})
    assert row["privilege_tier"] == "privilege_escalation" and not row["admin"]


def test_boundary_deny_removes_like_an_identity_deny(aws_docs):
    row = one({"r": [("AdministratorAccess", aws_docs["AdministratorAccess"]),
                     ("boundary-no-iam", policy(allow("*"), deny("iam:*")))]})
    assert row["privilege_tier"] == "admin"
    assert row["notable_actions"] == "* except actions outside the permissions boundary"


def test_boundary_allowing_none_of_the_actions_leaves_none():
    row = one({"r": [("inline-read", policy(allow("s3:GetObject"))),
                     ("boundary-ec2", policy(allow("ec2:DescribeInstances")))]})
    assert row["privilege_tier"] == "none"
    assert row["reason"].startswith("nothing allowed is within the permissions boundary")


def test_unread_boundary_caps_nothing_and_says_so(aws_docs):
    row = one({"r": [("AdministratorAccess", aws_docs["AdministratorAccess"]), ("boundary-gone", None)]})
    assert row["privilege_tier"] == "admin"
    assert "permissions boundary boundary-gone not read: not applied" in row["reason"]
    assert not row["boundary_limits"]
