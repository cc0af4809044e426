"""What was in scope and what of it was read: one row per account and region.

A report must never claim coverage it did not measure: an account region whose groups could not be
listed (DescribeAutoScalingGroups not ok) is an incomplete inventory, and one that was read and holds
no group has "no groups", not "all compliant". The headline reads this table.
"""

from __future__ import annotations

import pandas as pd

from imds_audit.model import REGION

API_INVENTORY = "DescribeAutoScalingGroups"
SCOPE_COLUMNS = REGION + ["groups", "inventory_read", "apis_not_read"]


def scope(calls: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """Every (account, region) a call was made in (IAM's "global" aside) or a group lives in: how many
    groups, whether the inventory was read, and how many APIs were not read there."""
    regional = calls[calls["region"].ne("global")] if not calls.empty else calls
    seen = pd.concat([regional[REGION], groups[REGION]], ignore_index=True).drop_duplicates()
    if seen.empty:
        return pd.DataFrame({c: pd.Series(dtype="string" if c in REGION else "int64") for c in SCOPE_COLUMNS}
                            ).astype({"inventory_read": "bool"})
    counts = groups.groupby(REGION).size().rename("groups")
    ok = regional[(regional["api"] == API_INVENTORY) & (regional["outcome"] == "ok")][REGION]
    ok = ok.assign(inventory_read=True)
    bad = regional[regional["outcome"] != "ok"].groupby(REGION).size().rename("apis_not_read")
    out = seen.merge(counts, on=REGION, how="left").merge(ok.drop_duplicates(), on=REGION, how="left")
    out = out.merge(bad, on=REGION, how="left")
    out["groups"] = out["groups"].fillna(0).astype("int64")
    out["inventory_read"] = out["inventory_read"].astype("boolean").fillna(False).astype(bool)
    out["apis_not_read"] = out["apis_not_read"].fillna(0).astype("int64")
    return out[SCOPE_COLUMNS].sort_values(REGION, ignore_index=True)
