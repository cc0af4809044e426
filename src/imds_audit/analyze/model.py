"""What analysis hands to presentation: plain DataFrames with documented columns."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

# One row per (group, launch source) with the effective IMDS settings an instance would get.
SOURCE_COLUMNS = [
    "account_id", "region", "asg_name", "source_kind", "position",
    "launch_template_id", "launch_template_name", "version_requested", "version_resolved",
    "launch_configuration_name", "image_id", "iam_instance_profile",
    "http_tokens", "http_endpoint", "hop_limit",          # effective values
    "tokens_from", "endpoint_from", "hop_from",           # declared | account_default | ami | api_default | unknown
    "declared_http_tokens",                               # what the template/configuration itself says
    "status", "reason",                                   # compliant | non_compliant | unknown, and why
]

# One row per group: findings.csv. The first columns are the stable contract of DESIGN.md §8.
FINDING_COLUMNS = [
    "account_id", "region", "asg_name", "status", "launch_source", "effective_http_tokens",
    "http_endpoint", "hop_limit", "iam_role", "risk_tier", "instances", "instances_allowing_imdsv1",
    "imdsv1_calls",
    # beyond the contract
    "reason", "launch_kind", "desired_capacity", "iam_instance_profile", "iam_role_arn",
    "instances_outdated", "drift", "imdsv1_callers", "readiness", "hop_limit_flag", "launch_failure",
    "other_iam_roles",  # roles beyond iam_role that other sources or running instances carry ("; ")
]

STATUSES = ("compliant", "non_compliant", "unknown")


@dataclass
class Findings:
    groups: pd.DataFrame            # FINDING_COLUMNS
    sources: pd.DataFrame           # SOURCE_COLUMNS
    roles: pd.DataFrame = field(default_factory=pd.DataFrame)       # roles.csv (risk per IAM role)
    not_assessed: pd.DataFrame = field(default_factory=pd.DataFrame)  # account_id, region, api, outcome, message
