"""The figures a reader sees first: headline numbers, the riskiest roles, what to do next, the trend
(the diff and the series are the findings'; here they are only gathered for the report).

Pure functions over the findings frames; they pick and count, they never judge (analyze did that).
"""

from __future__ import annotations

import pandas as pd

from imds_audit.i18n import languages
from imds_audit.model import CHANGES, CRITICAL_TIERS, GROUP, OWNED_BY_SERVICE

ROLE_COLUMNS = ["account_id", "role_name", "role_arn", "privilege_tier", "tier_rank", "exposed_groups",
                "exposed_instances", "imdsv1_calls", "exposure_level", "risk_score", "risk_rank",
                *[f"reason_{lang}" for lang in languages()], "boundary"]


def roles_of(findings) -> pd.DataFrame:
    """The role frame with every documented column, even when analysis produced none."""
    roles = findings.roles if findings.roles is not None else pd.DataFrame()
    roles = roles.copy()
    for col in ROLE_COLUMNS:
        if col not in roles.columns:
            roles[col] = pd.Series(dtype="object")
    return roles


def exposed_roles(roles: pd.DataFrame) -> pd.DataFrame:
    out = roles[roles["exposure_level"].fillna("none").ne("none")]
    return out.sort_values(["risk_rank", "risk_score"], ascending=[True, False], na_position="last",
                           kind="stable")


def _total(findings) -> pd.Series:
    """The estate's coverage row (the findings' ``coverage_total``), zeros for an empty estate."""
    total = findings.coverage_total
    if total is None or total.empty:
        return pd.Series({"groups": 0, "compliant": 0, "non_compliant": 0, "unknown": 0, "coverage_pct": None,
                          "instances": 0, "instances_allowing_imdsv1": 0, "instance_coverage_pct": None})
    return total.iloc[0]


def headline(findings) -> dict:
    groups = findings.groups
    cov = _total(findings)
    roles = exposed_roles(roles_of(findings))
    assessed = int(cov["compliant"] + cov["non_compliant"])
    return {
        "groups": int(cov["groups"]), "assessed": assessed,
        "compliant": int(cov["compliant"]), "non_compliant": int(cov["non_compliant"]),
        "unknown": int(cov["unknown"]),
        "coverage_pct": None if pd.isna(cov["coverage_pct"]) else float(cov["coverage_pct"]),
        "bad_pct": None if not assessed else round(100.0 * float(cov["non_compliant"]) / assessed, 1),
        "instances": int(cov["instances"]), "instances_allowing": int(cov["instances_allowing_imdsv1"]),
        "instances_ok": int(cov["instances"] - cov["instances_allowing_imdsv1"]),
        "instance_coverage_pct": (None if pd.isna(cov["instance_coverage_pct"])
                                  else float(cov["instance_coverage_pct"])),
        "exposed_roles": len(roles),
        "active_roles": int(roles["exposure_level"].eq("active").sum()),
        "critical_roles": int(roles["privilege_tier"].isin(CRITICAL_TIERS).sum()),
        "drift_groups": int(groups["drift"].fillna(False).astype(bool).sum()),
        "blocked_groups": int(groups["readiness"].eq("blocked").sum()),
        "not_assessed": 0 if findings.not_assessed is None else len(findings.not_assessed),
        # accepted risks (--exceptions): groups that keep their status but are covered by a valid entry
        "accepted": int(_accepted(groups).sum()),
        "accepted_non_compliant": int((_accepted(groups) & groups["status"].eq("non_compliant").fillna(False)).sum()),
        **_scope_facts(findings),
        "launch_failures": int(_flag(groups, "launch_failure").sum()),
        "instances_unread": int(cov.get("instances_unread", 0) or 0),
    }


def _scope_facts(findings) -> dict:
    """What of the scope was read: the account regions whose groups could not be listed (an incomplete
    inventory), those read, and those read that hold no group."""
    scope = findings.scope if findings.scope is not None else pd.DataFrame()
    if scope.empty or "inventory_read" not in scope.columns:
        return {"inventory_gaps": [], "scopes_read": 0, "scopes_empty": []}
    def where(frame):
        return [f"{a}/{r}" for a, r in zip(frame["account_id"], frame["region"], strict=True)]
    read = scope[scope["inventory_read"].astype(bool)]
    return {"inventory_gaps": where(scope[~scope["inventory_read"].astype(bool)]), "scopes_read": len(read),
            "scopes_empty": where(read[read["groups"].eq(0)])}


def _flag(groups: pd.DataFrame, column: str) -> pd.Series:
    if column not in groups.columns:
        return pd.Series(False, index=groups.index)
    return groups[column].fillna(False).astype(bool)


def _accepted(groups: pd.DataFrame) -> pd.Series:
    if "exception" not in groups.columns:
        return pd.Series(False, index=groups.index)
    return groups["exception"].eq("accepted").fillna(False).astype(bool)


def top_roles(findings, n: int = 5, lang: str = "en") -> pd.DataFrame:
    roles = exposed_roles(roles_of(findings)).head(n).copy()
    roles["reason"] = roles[f"reason_{lang}"]
    return roles.reset_index(drop=True)


def _effort(n: int, small: str = "low", large: str = "medium", threshold: int = 20) -> str:
    return small if n <= threshold else large


def next_steps(findings, accounts: list[str] | None = None) -> list[dict]:
    """Ordered actions, each with its key (an i18n ``next.*`` string), its scope and effort."""
    g = findings.groups
    bad = g["status"].eq("non_compliant")
    critical = g["risk_tier"].isin(CRITICAL_TIERS)
    blocked = g["readiness"].eq("blocked")
    drift = g["drift"].fillna(False).astype(bool)
    cannot_launch = _flag(g, "launch_failure")
    # a group another service owns is fixed through it (remediate.plan); ECS leaves the group to us
    owned = g["managed_by"].isin(OWNED_BY_SERVICE) if "managed_by" in g.columns else pd.Series(False, index=g.index)
    rest = bad & ~critical & ~blocked & ~owned
    steps = [
        ("repair_launch", int(cannot_launch.sum()), "groups", "low"),  # an outage waiting to happen
        ("fix_critical", int((bad & critical & ~blocked).sum()), "groups", "low"),
        ("readiness", int((bad & blocked).sum()), "groups", "high"),
        ("enforce_rest", int(rest.sum()), "groups", _effort(int(rest.sum()))),
        ("through_owner", int((bad & owned).sum()), "groups", "medium"),
        ("drift", int((g["status"].eq("compliant") & drift).sum()), "groups", "low"),
        ("migrate_lc", int((bad & g["launch_kind"].eq("launch_configuration")).sum()), "groups", "medium"),
        ("unknown", int(g["status"].eq("unknown").sum()), "groups", "low"),
        ("not_assessed", 0 if findings.not_assessed is None else len(findings.not_assessed), "calls", "low"),
    ]
    n_accounts = len(accounts) if accounts else g["account_id"].nunique()
    out = [{"key": k, "count": n, "unit": unit, "effort": effort} for k, n, unit, effort in steps if n]
    out.append({"key": "prevent", "count": n_accounts, "unit": "accounts", "effort": "low"})
    return out


def _records(diff: pd.DataFrame, change: str) -> list[dict]:
    return diff.loc[diff["change"].eq(change), GROUP].to_dict("records")


def _pct(value):
    return None if value is None or pd.isna(value) else float(value)


def comparison(findings) -> dict | None:
    """The findings' comparison with the previous audit, gathered for the report: the group and role
    diffs, counts per change, coverage then and now, and the series over time. None without one."""
    diff = findings.diff
    if diff is None:
        return None
    series = findings.trend if findings.trend is not None else pd.DataFrame()
    previous = (findings.meta or {}).get("previous") or {}
    after = headline(findings)
    counts = diff["change"].value_counts()
    return {
        "before_pct": _pct(previous.get("coverage_pct")), "after_pct": after["coverage_pct"],
        "before_instance_pct": _pct(previous.get("instance_coverage_pct")),
        "after_instance_pct": after["instance_coverage_pct"],
        "previous_at": previous.get("collected_at") or "",
        "current_at": ((findings.meta or {}).get("snapshot") or {}).get("collected_at") or "",
        "diff": diff, "roles_diff": findings.roles_diff if findings.roles_diff is not None else pd.DataFrame(),
        "counts": {c: int(counts.get(c, 0)) for c in CHANGES}, "series": series,
        # the named groups of the main categories, as {account_id, region, asg_name} records
        "fixed": _records(diff, "newly_compliant"), "regressed": _records(diff, "newly_non_compliant"),
        "new": _records(diff, "new_group"), "removed": _records(diff, "removed_group"),
    }
