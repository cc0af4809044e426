"""Which accounts an audit covers: Organizations walk, suspended members, include/exclude, failures."""

import boto3
import pytest
from botocore.exceptions import ClientError

from imds_audit.collect import accounts
from imds_audit.demo import simulated_aws


@pytest.fixture
def org():
    with simulated_aws():
        mgmt = boto3.session.Session(region_name="us-east-1")
        o = mgmt.client("organizations")
        o.create_organization(FeatureSet="ALL")
        ids = {name: o.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]["AccountId"]
               for name in ("a", "b", "closed")}
        o.close_account(AccountId=ids["closed"])
        yield mgmt, ids


def test_parse_accounts():
    assert accounts.parse_accounts("111, 222,!333,-444") == ({"111", "222"}, {"333", "444"})
    assert accounts.parse_accounts(None) == (set(), set())


def test_walk_assumes_role_in_active_members_and_reports_suspended(org):
    mgmt, ids = org
    targets, failures = accounts.from_organization(mgmt, "OrganizationAccountAccessRole")
    got = {t.account_id for t in targets}
    assert got == {"123456789012", ids["a"], ids["b"]}
    # each member is entered with its own credentials: moto maps them to the member's account
    for t in targets:
        assert t.session.client("sts").get_caller_identity()["Account"] == t.account_id
    assert failures == [{"account_id": ids["closed"], "api": "Organizations", "outcome": "error",
                         "message": "account status SUSPENDED: skipped"}]


def test_include_and_exclude(org):
    mgmt, ids = org
    targets, _ = accounts.from_organization(mgmt, "R", accounts=ids["a"])
    assert [t.account_id for t in targets] == [ids["a"]]
    targets, _ = accounts.from_organization(mgmt, "R", accounts=f"!{ids['a']}")
    assert ids["a"] not in {t.account_id for t in targets} and ids["b"] in {t.account_id for t in targets}


def test_denied_assume_role_is_a_failure_not_a_drop(org):
    mgmt, ids = org

    def deny(params=None, **_):
        if ids["b"] in params.get("RoleArn", ""):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized to assume"},
                               "ResponseMetadata": {"HTTPStatusCode": 403}}, "AssumeRole")
    mgmt.events.register_first("before-parameter-build.sts.AssumeRole", deny)
    targets, failures = accounts.from_organization(mgmt, "OrganizationAccountAccessRole")
    assert ids["b"] not in {t.account_id for t in targets}
    assert {"account_id": ids["b"], "api": "AssumeRole", "outcome": "access_denied",
            "message": "AccessDenied: not authorized to assume"} in failures


def test_unreachable_profile_is_reported():
    targets, arn, failures = accounts.from_profiles(["does-not-exist"])
    assert targets == [] and arn == ""
    assert failures[0]["account_id"] == "profile does-not-exist"
