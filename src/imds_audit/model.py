"""The project's vocabulary: keys, orders and the columns every layer agrees on.

Analysis, the findings artifact, presentation and remediation all speak these words; none of them
keeps a copy. (It sits at the package root, not in ``analyze/``, because presentation must not import
the analysis.)
"""

from __future__ import annotations

import pandas as pd

# ---- keys ---------------------------------------------------------------------------------------
REGION = ["account_id", "region"]            # an account's region: where API outcomes are recorded
GROUP = REGION + ["asg_name"]                # an Auto Scaling group
SOURCE = GROUP + ["position"]                # one launch source of a group: single | base | override:<n>
ROLE = ["account_id", "role_name"]           # an IAM role (IAM is global: no region)

# ---- verdicts -----------------------------------------------------------------------------------
STATUSES = ("compliant", "non_compliant", "unknown")
# The worst source decides a group: an IMDSv1 opening outranks an unread record, which outranks
# IMDSv2 only. Reports list the worst first.
STATUS_RANK = {"compliant": 0, "unknown": 1, "non_compliant": 2}
WORST_FIRST = ("non_compliant", "unknown", "compliant")

# Change categories between two audits (diff.csv), in the order a reader wants them.
CHANGES = ("newly_non_compliant", "newly_compliant", "new_group", "removed_group", "newly_unknown",
           "now_assessed", "unchanged")

DIFF_COLUMNS = GROUP + ["change", "status_before", "status_after", "risk_tier", "iam_role",
                        "instances_allowing_imdsv1_before", "instances_allowing_imdsv1_after"]

# ---- privilege tiers, lowest first (tier_rank: higher is worse) ----------------------------------
TIERS = ("none", "read_only", "write", "data_access", "resource_exposure",
         "credentials_exposure", "privilege_escalation", "admin")
TIER_RANK = {tier: rank for rank, tier in enumerate(TIERS)}
# Tiers beyond the ranked ones: no role behind the profile, and policies that could not be read.
OTHER_TIERS = ("no_role", "unknown")
CRITICAL_TIERS = ("admin", "privilege_escalation", "credentials_exposure")

# Owners (analyze.owner's managed_by) through which a group must be fixed, never on the group itself;
# ECS is not one: it leaves the group's launch settings to their owner.
OWNED_BY_SERVICE = ("eks", "elasticbeanstalk", "cloudformation")

# ---- the risk model (DESIGN.md §5): weights only; the words are the catalogues' -----------------
EXPOSURE_WEIGHT = {"none": 0, "latent": 1, "exposed": 3, "active": 5}
PRIVILEGE_WEIGHT = {"admin": 10, "privilege_escalation": 8, "credentials_exposure": 7,
                    "resource_exposure": 6, "data_access": 5,
                    "unknown": 5,  # policies not read: weighed like data access, never as none
                    "write": 3, "read_only": 1, "none": 0}
RISK_TIE_BREAKERS = ("exposure_weight", "tier_rank", "exposed_instances", "imdsv1_calls", "exposed_groups",
                     "account_id", "role_name")

# ---- the tables of the findings -----------------------------------------------------------------
# One row per (group, launch source) with the effective IMDS settings an instance would get and the
# verdict's reason as a code (``reason_code``) whose words are the catalogues' (``reason.code.*``).
SOURCE_COLUMNS = [
    "account_id", "region", "asg_name", "source_kind", "position",
    "launch_template_id", "launch_template_name", "version_requested", "version_resolved",
    "launch_configuration_name", "image_id", "iam_instance_profile",
    "http_tokens", "http_endpoint", "hop_limit",          # effective values
    "tokens_from", "endpoint_from", "hop_from",           # declared | account_default | ami | api_default | unknown
    "declared_http_tokens",                               # what the template/configuration itself says
    "status", "reason_code", "reason_api",                # the verdict, why (a code), the API not read
    "launch_failure", "launch_failure_code",              # the group cannot launch from it, and why
    # MetadataOptions fields the fix must keep (a new version's MetadataOptions replaces the whole structure)
    "instance_metadata_tags", "http_protocol_ipv6",
    "resolved_image_id", "ssm_outcome",                   # the AMI a resolve:ssm: parameter names today
    "template_stack", "template_logical_id",              # the CloudFormation stack that made its template
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
    "reason_ja",        # the reason in Japanese (``reason`` is English); a catalogue per language
    "reason_code",      # the code the reasons are rendered from; ``reason_position`` names its source
    "reason_position",
    "asg_arn",
    "tags",             # the allow-listed tags (JSON object text): what --exceptions and owners match on
    "severity",         # INFORMATIONAL | LOW | MEDIUM | HIGH | CRITICAL (analyze.severity), as ASFF/OCSF carry it
    # an accepted risk (--exceptions): accepted | expired | "" (the group's status is never changed)
    "exception", "exception_reason", "exception_owner", "exception_expires", "exception_ticket",
    "launch_failure_code",  # why the group cannot launch (launch.<code> in the catalogues)
    "instances_reason_code",  # why instance figures are unknown (instances.<code>): not read
    # who owns the group, and so through what it is fixed (analyze.owner): eks | elasticbeanstalk |
    # cloudformation | ecs | "" (directly); the cluster / environment / stack, the node group / logical
    # id, the environment or stack id; for EKS the launch template the node group was given
    "managed_by", "owner_name", "owner_resource", "owner_id",
    "nodegroup_template_id", "nodegroup_template_name", "nodegroup_template_version", "nodegroup_outcome",
    "template_stack", "template_logical_id",
]
# Columns of every language's rendered reason: ``reason`` is English, others are ``reason_<lang>``.
REASON_COLUMN = "reason"


def reason_column(lang: str) -> str:
    return REASON_COLUMN if lang == "en" else f"{REASON_COLUMN}_{lang}"


# ---- API outcomes --------------------------------------------------------------------------------
def api_read(calls: pd.DataFrame, api: str, frame: pd.DataFrame, key: list[str] | None = None) -> pd.Series:
    """For each row of ``frame``: was ``api`` read successfully where the row lives?

    ``key`` is REGION by default (most APIs are regional); pass ``["account_id"]`` for IAM, whose
    outcome is recorded under the region "global". A row with no recorded outcome was not read."""
    key = list(key or REGION)
    if calls is None or calls.empty or frame.empty:
        return pd.Series(False, index=frame.index, dtype=bool)
    ok = calls[(calls["api"] == api) & (calls["outcome"] == "ok")][key].drop_duplicates().assign(_ok=True)
    merged = frame[key].merge(ok, on=key, how="left")
    return pd.Series(merged["_ok"].fillna(False).astype(bool).to_numpy(), index=frame.index)
