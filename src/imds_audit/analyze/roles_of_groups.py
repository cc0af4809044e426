"""Which IAM role a group's instances carry: launch source → instance profile → role."""

from __future__ import annotations

import pandas as pd

KEY = ["account_id", "region"]


def group_roles(sources: pd.DataFrame, profiles: pd.DataFrame) -> pd.DataFrame:
    """account_id, region, asg_name, iam_instance_profile, iam_role, iam_role_arn for each group.

    The base (or single) source names the profile; a launch template may name it by ARN or by name,
    a launch configuration by either too, so both are matched.
    """
    base = sources[sources["position"].isin(["single", "base"])][
        KEY + ["asg_name", "iam_instance_profile"]].drop_duplicates(KEY + ["asg_name"])
    by_arn = profiles[["account_id", "instance_profile_arn", "role_name", "role_arn"]].rename(
        columns={"instance_profile_arn": "iam_instance_profile"})
    by_name = profiles[["account_id", "instance_profile_name", "role_name", "role_arn"]].rename(
        columns={"instance_profile_name": "iam_instance_profile"})
    lookup = pd.concat([by_arn, by_name], ignore_index=True).drop_duplicates(
        ["account_id", "iam_instance_profile"])
    out = base.merge(lookup, on=["account_id", "iam_instance_profile"], how="left")
    return out.rename(columns={"role_name": "iam_role", "role_arn": "iam_role_arn"})
