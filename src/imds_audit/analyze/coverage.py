"""Coverage figures: how much of the estate is IMDSv2-only, at any level of grouping."""

from __future__ import annotations

import pandas as pd

COVERAGE_COLUMNS = [
    "groups", "compliant", "non_compliant", "unknown", "coverage_pct",
    "instances", "instances_allowing_imdsv1", "instance_coverage_pct",
    "instances_unread",  # instances whose settings could not be read: outside instance_coverage_pct
]


def coverage(groups: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Counts per status and coverage percentages, overall (``by`` empty) or per ``by`` columns.

    coverage_pct is compliant / assessed groups (unknown groups are excluded from the denominator:
    they were not assessed, so they count neither for nor against); instance_coverage_pct is the share
    of running instances that do not allow IMDSv1.
    """
    by = list(by or [])
    frame = groups.assign(
        _c=(groups["status"] == "compliant").astype(int),
        _n=(groups["status"] == "non_compliant").astype(int),
        _u=(groups["status"] == "unknown").astype(int),
        _i=groups["instances"].fillna(0).astype(int).where(groups["instances_allowing_imdsv1"].notna(), 0),
        _v=groups["instances_allowing_imdsv1"].fillna(0).astype(int),
        _x=groups["instances"].fillna(0).astype(int).where(groups["instances_allowing_imdsv1"].isna(), 0),
    )
    if by:
        agg = frame.groupby(by, dropna=False, observed=True)[["_c", "_n", "_u", "_i", "_v", "_x"]].sum()
        agg = agg.reset_index()
    else:
        agg = frame[["_c", "_n", "_u", "_i", "_v", "_x"]].sum().to_frame().T
    out = agg.rename(columns={"_c": "compliant", "_n": "non_compliant", "_u": "unknown",
                              "_i": "instances", "_v": "instances_allowing_imdsv1", "_x": "instances_unread"})
    out["groups"] = out["compliant"] + out["non_compliant"] + out["unknown"]
    assessed = out["compliant"] + out["non_compliant"]
    out["coverage_pct"] = (100.0 * out["compliant"] / assessed.where(assessed > 0)).round(1)
    inst = out["instances"]
    out["instance_coverage_pct"] = (
        100.0 * (inst - out["instances_allowing_imdsv1"]) / inst.where(inst > 0)).round(1)
    return out[by + COVERAGE_COLUMNS].reset_index(drop=True)
