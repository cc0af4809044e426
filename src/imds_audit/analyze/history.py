"""Progress over time: compare findings of two snapshots, and the coverage trend over many."""

from __future__ import annotations

import numpy as np
import pandas as pd

from imds_audit.analyze.coverage import coverage
from imds_audit.model import CHANGES, DIFF_COLUMNS, GROUP, ROLE



def diff_groups(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """One row per group present in either snapshot, with what changed (CHANGES)."""
    cols = GROUP + ["status", "instances_allowing_imdsv1", "risk_tier", "iam_role"]
    merged = previous[cols].merge(current[cols], on=GROUP, how="outer", suffixes=("_before", "_after"),
                                  indicator=True)
    before, after = merged["status_before"], merged["status_after"]
    conds = [
        merged["_merge"].eq("right_only"),                          # not there last time
        merged["_merge"].eq("left_only"),                           # gone since
        before.eq("unknown") & after.ne("unknown"),                 # assessed again: no known "before"
        after.eq("unknown") & before.ne("unknown"),                 # could not be assessed this time
        after.eq("non_compliant") & before.eq("compliant"),         # regressed
        after.eq("compliant") & before.eq("non_compliant"),         # fixed
    ]
    merged["change"] = np.select([c.fillna(False).to_numpy(dtype=bool) for c in conds],
                                 ["new_group", "removed_group", "now_assessed", "newly_unknown",
                                  "newly_non_compliant", "newly_compliant"], default="unchanged")
    merged["risk_tier"] = merged["risk_tier_after"].fillna(merged["risk_tier_before"])
    merged["iam_role"] = merged["iam_role_after"].fillna(merged["iam_role_before"])
    order = {c: i for i, c in enumerate(CHANGES)}
    merged = merged.assign(_o=merged["change"].map(order)).sort_values(["_o"] + GROUP, kind="stable")
    return merged[DIFF_COLUMNS].reset_index(drop=True)


def diff_roles(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Roles whose exposure changed: exposure level, exposed groups or exposed instances."""
    cols = ROLE + ["privilege_tier", "exposure_level", "exposed_groups", "exposed_instances"]
    merged = previous[cols].merge(current[cols], on=ROLE, how="outer", suffixes=("_before", "_after"))
    for c in ("exposed_groups", "exposed_instances"):
        for side in ("_before", "_after"):
            merged[c + side] = merged[c + side].fillna(0).astype(int)
    for side in ("_before", "_after"):
        merged["exposure_level" + side] = merged["exposure_level" + side].fillna("none")
    changed = (merged["exposure_level_before"].ne(merged["exposure_level_after"])
               | merged["exposed_groups_before"].ne(merged["exposed_groups_after"])
               | merged["exposed_instances_before"].ne(merged["exposed_instances_after"]))
    out = merged[changed].copy()
    out["privilege_tier"] = out["privilege_tier_after"].fillna(out["privilege_tier_before"])
    out["direction"] = np.where(out["exposed_instances_after"] + out["exposed_groups_after"]
                                > out["exposed_instances_before"] + out["exposed_groups_before"],
                                "worse", "better")
    return out[ROLE + ["privilege_tier", "direction", "exposure_level_before", "exposure_level_after",
                           "exposed_groups_before", "exposed_groups_after", "exposed_instances_before",
                           "exposed_instances_after"]].reset_index(drop=True)


def trend(points: list[tuple[str, pd.DataFrame, pd.DataFrame]]) -> pd.DataFrame:
    """Coverage over time from (collected_at, groups, roles) tuples, oldest first."""
    rows = []
    for when, groups, roles in sorted(points, key=lambda p: p[0]):
        c = coverage(groups).iloc[0]
        exposed = int((roles["exposure_level"] != "none").sum()) if len(roles) else 0
        rows.append({"collected_at": when, "groups": int(c["groups"]), "compliant": int(c["compliant"]),
                     "non_compliant": int(c["non_compliant"]), "unknown": int(c["unknown"]),
                     "coverage_pct": c["coverage_pct"], "instances": int(c["instances"]),
                     "instance_coverage_pct": c["instance_coverage_pct"], "exposed_roles": exposed})
    return pd.DataFrame(rows)


def summary(changes: pd.DataFrame) -> dict[str, int]:
    """Counts per change category (every category present, zero when none)."""
    counts = changes["change"].value_counts()
    return {c: int(counts.get(c, 0)) for c in CHANGES}
