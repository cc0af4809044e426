"""Preventive controls per account: the account-level IMDS default (per region), an SCP and a
declarative policy that keep IMDSv1 from coming back."""

from __future__ import annotations

import json



def scp_policy() -> dict:
    """Deny launching an instance unless IMDSv2 is required, and deny every call signed with role
    credentials that were read over IMDSv1 (condition keys as in the EC2 User Guide's examples)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {   # RunInstances carries ec2:MetadataHttpTokens on the instance resource
                "Sid": "RequireImdsV2OnLaunch",
                "Effect": "Deny",
                "Action": "ec2:RunInstances",
                "Resource": "arn:aws:ec2:*:*:instance/*",
                "Condition": {"StringNotEquals": {"ec2:MetadataHttpTokens": "required"}},
            },
            {   # credentials delivered over IMDSv1 carry ec2:RoleDelivery = 1.0
                "Sid": "DenyImdsV1RoleCredentials",
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"NumericLessThan": {"ec2:RoleDelivery": "2.0"}},
            },
        ],
    }


def declarative_policy() -> dict:
    """An EC2 declarative policy (AWS Organizations) that sets and locks the IMDS defaults."""
    return {"ec2_attributes": {"instance_metadata_defaults": {
        "http_tokens": {"@@assign": "required"},
        "http_endpoint": {"@@assign": "enabled"},
    }}}


def policy_json(policy: dict) -> str:
    return json.dumps(policy, indent=2) + "\n"


def scopes_by_account(scopes) -> list[tuple[str, list[str]]]:
    accounts: dict[str, list[str]] = {}
    for account_id, region in sorted(scopes):
        accounts.setdefault(account_id, []).append(region)
    return sorted(accounts.items())
