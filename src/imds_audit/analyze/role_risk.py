"""Risk per IAM role: exposure × privilege (DESIGN.md §5). This is ``roles.csv``.

``rank_roles(pairs, privileges)`` → one row per role that any group uses, with the facts the
catalogues write its reason from (``i18n.reasons.role_reason``).

The model (weights in ``imds_audit.model``, words in the catalogues, printed in the methodology)::

    risk_score = exposure weight × privilege weight

    exposure   weight  when
    none         0     no group allows IMDSv1 and no running instance does
    latent       1     a group's launch source allows IMDSv1, but no running instance does yet
    exposed      3     running instances allow IMDSv1: the role's credentials are readable now
    active       5     ... and IMDSv1 was actually called in the window

    privilege              weight        privilege              weight
    admin                    10          data_access              5
    privilege_escalation      8          unknown (not read)       5
    credentials_exposure      7          write                    3
    resource_exposure         6          read_only                1
                                         none                     0

Ties are broken, in order, by: exposure weight, tier rank, running instances allowing IMDSv1,
IMDSv1 calls, exposed groups, then account and role name. ``risk_rank`` 1 is the worst.

A group "exposes" its role when it is non_compliant (a launch source allows IMDSv1); running instances
allowing IMDSv1 count wherever they are, compliant groups included (instances launched before the fix).
A role whose policies were not read has tier ``unknown``: it is weighted like data access, not as none.
"""

from __future__ import annotations

import pandas as pd

from imds_audit.model import EXPOSURE_WEIGHT, PRIVILEGE_WEIGHT, ROLE, TIERS

UNKNOWN_RANK = -1  # tier_rank of a role whose policies were not read (not orderable against the tiers)

OUTPUT_COLUMNS = [
    "account_id", "role_name", "role_arn", "privilege_tier", "tier_rank", "exposed_groups",
    "exposed_group_names", "unknown_groups", "instances_unknown_groups", "groups_total", "exposed_instances",
    "imdsv1_calls",
    "imdsv1_in_use", "exposure_level", "risk_score", "risk_rank",
    # beyond the brief: what the report's role table shows next to the reason
    "policies", "notable_actions", "boundary",
    # the privilege verdict's facts, from which the catalogues write the reasons (privilege.*)
    "tier_rule", "tier_params", "tier_notes", "conditional_only",
]
assert set(PRIVILEGE_WEIGHT) == set(TIERS) | {"unknown"}
# How many exposed group names a row lists before "(+N more)".
MAX_NAMES = 10


def rank_roles(groups: pd.DataFrame, privileges: pd.DataFrame) -> pd.DataFrame:
    """One row per role any group uses (``OUTPUT_COLUMNS``), worst first."""
    g = groups[groups["iam_role"].notna()].reset_index(drop=True)
    if g.empty:
        return _empty()
    status = g["status"].astype("string").fillna("unknown")
    # A non_compliant group's launch source allows IMDSv1: every instance it launches exposes the role.
    exposed = status.eq("non_compliant").to_numpy()
    work = pd.DataFrame({
        "account_id": g["account_id"].astype("string").to_numpy(),
        "role_name": g["iam_role"].astype("string").to_numpy(),
        "group_arn": g["iam_role_arn"].astype("string").to_numpy(),
        "exposed": exposed,
        # unknown: a record the verdict needed could not be read.
        "unknown": status.eq("unknown").to_numpy(),
        "allowing": pd.to_numeric(g["instances_allowing_imdsv1"], errors="coerce").fillna(0).to_numpy(),
        # running instances that could not be read: the exposure below is a lower bound
        "instances_unread": pd.to_numeric(g["instances_allowing_imdsv1"], errors="coerce").isna().to_numpy(),
        "calls": pd.to_numeric(g["imdsv1_calls"], errors="coerce").astype("Float64").array,
    })
    by = work.groupby(ROLE, sort=False)
    out = pd.DataFrame({
        "groups_total": by.size(),
        "exposed_groups": by["exposed"].sum(),
        "unknown_groups": by["unknown"].sum(),
        "instances_unknown_groups": by["instances_unread"].sum(),
        "exposed_instances": by["allowing"].sum(),
        # NA stays NA only when no group of the role has a known figure.
        "imdsv1_calls": by["calls"].sum(min_count=1),
        "group_arn": by["group_arn"].first(),
    }).reset_index()
    out["exposed_group_names"] = _names(g, exposed, out)

    privs = privileges[[c for c in ("account_id", "role_name", "role_arn", "privilege_tier", "tier_rank",
                                    "policies", "notable_actions", "boundary", "tier_rule", "tier_params",
                                    "tier_notes", "conditional_only")
                        if c in privileges.columns]]
    out = out.merge(privs, on=ROLE, how="left")
    out["role_arn"] = out["role_arn"].astype("string").fillna(out["group_arn"].astype("string"))
    out["privilege_tier"] = out["privilege_tier"].astype("string").fillna("unknown")
    out["tier_rank"] = out["tier_rank"].fillna(UNKNOWN_RANK).astype("int64")

    calls = out["imdsv1_calls"].astype("Float64")
    out["imdsv1_in_use"] = calls.gt(0).fillna(False).astype(bool)
    has_exposed_groups = out["exposed_groups"].gt(0)
    has_instances = out["exposed_instances"].gt(0)
    # Worst applicable level wins: calls on an exposure > running instances > a launch source only.
    level = pd.Series("none", index=out.index, dtype="string")
    level = level.mask(has_exposed_groups, "latent")
    level = level.mask(has_instances, "exposed")
    level = level.mask(out["imdsv1_in_use"] & (has_exposed_groups | has_instances), "active")
    out["exposure_level"] = level

    exposure_w = out["exposure_level"].map(EXPOSURE_WEIGHT).astype("int64")
    privilege_w = out["privilege_tier"].map(PRIVILEGE_WEIGHT).fillna(PRIVILEGE_WEIGHT["unknown"]).astype("int64")
    out["risk_score"] = exposure_w * privilege_w
    out["_exposure_w"] = exposure_w
    out["_calls"] = calls.fillna(-1.0)
    out = out.sort_values(
        ["risk_score", "_exposure_w", "tier_rank", "exposed_instances", "_calls", "exposed_groups",
         "account_id", "role_name"],
        ascending=[False, False, False, False, False, False, True, True], kind="stable", ignore_index=True)
    out["risk_rank"] = range(1, len(out) + 1)

    for col in ("policies", "notable_actions", "boundary", "tier_rule", "tier_params", "tier_notes"):
        if col not in out.columns:
            out[col] = pd.NA
    out["conditional_only"] = (out["conditional_only"].astype("boolean").fillna(False)
                               if "conditional_only" in out.columns else False)
    return _typed(out[OUTPUT_COLUMNS])


def _names(g: pd.DataFrame, exposed, out: pd.DataFrame) -> pd.Series:
    """'; '-joined 'region/asg_name' of each role's exposed groups, at most MAX_NAMES then '(+N more)'."""
    names = pd.DataFrame({
        "account_id": g["account_id"].astype("string").to_numpy()[exposed],
        "role_name": g["iam_role"].astype("string").to_numpy()[exposed],
        "name": (g["region"].astype("string") + "/" + g["asg_name"].astype("string")).to_numpy()[exposed],
    }).sort_values(ROLE + ["name"], kind="stable")
    shown = names.groupby(ROLE, sort=False).head(MAX_NAMES)
    # Joining in plain Python over at most MAX_NAMES rows a role: a groupby .agg(join) is ten times slower.
    lists: dict[tuple, list[str]] = {}
    pairs = zip(shown["account_id"].tolist(), shown["role_name"].tolist(), strict=True)
    for key, name in zip(pairs, shown["name"].tolist(), strict=True):
        lists.setdefault(key, []).append(name)
    keys = zip(out["account_id"].tolist(), out["role_name"].tolist(), strict=True)
    more = (out["exposed_groups"].to_numpy() - MAX_NAMES).tolist()
    return pd.Series(["; ".join(lists.get(k, [])) + (f" (+{m} more)" if m > 0 else "")
                      for k, m in zip(keys, more, strict=True)], index=out.index, dtype="string")


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    ints = ["tier_rank", "exposed_groups", "unknown_groups", "instances_unknown_groups", "groups_total",
            "exposed_instances",
            "risk_score", "risk_rank"]
    types = {c: "string" for c in OUTPUT_COLUMNS}
    types.update({c: "int64" for c in ints})
    types.update({"imdsv1_calls": "Float64", "imdsv1_in_use": "bool", "conditional_only": "bool"})
    return frame.astype(types)


def _empty() -> pd.DataFrame:
    return _typed(pd.DataFrame({c: [] for c in OUTPUT_COLUMNS}))
