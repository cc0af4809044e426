"""The figures a reader sees first: headline numbers, the riskiest roles, what to do next, the trend.

Pure functions over the findings frames; they pick and count, they never judge (analyze did that).
"""

from __future__ import annotations

import pandas as pd

from imds_audit.analyze.coverage import coverage

KEY = ["account_id", "region", "asg_name"]
CRITICAL_TIERS = ("admin", "privilege_escalation", "credentials_exposure")
ROLE_COLUMNS = ["account_id", "role_name", "role_arn", "privilege_tier", "tier_rank", "exposed_groups",
                "exposed_instances", "imdsv1_calls", "exposure_level", "risk_score", "risk_rank",
                "reason_en", "reason_ja"]


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


def headline(findings) -> dict:
    groups = findings.groups
    cov = coverage(groups).iloc[0]
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
    }


def top_roles(findings, n: int = 5, lang: str = "en") -> pd.DataFrame:
    roles = exposed_roles(roles_of(findings)).head(n).copy()
    roles["reason"] = roles[f"reason_{lang}"].fillna(roles["reason_en"])
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
    steps = [
        ("fix_critical", int((bad & critical & ~blocked).sum()), "groups", "low"),
        ("readiness", int((bad & blocked).sum()), "groups", "high"),
        ("enforce_rest", int((bad & ~critical & ~blocked).sum()), "groups",
         _effort(int((bad & ~critical & ~blocked).sum()))),
        ("drift", int((g["status"].eq("compliant") & drift).sum()), "groups", "low"),
        ("migrate_lc", int((bad & g["launch_kind"].eq("launch_configuration")).sum()), "groups", "medium"),
        ("unknown", int(g["status"].eq("unknown").sum()), "groups", "low"),
        ("not_assessed", 0 if findings.not_assessed is None else len(findings.not_assessed), "calls", "low"),
    ]
    n_accounts = len(accounts) if accounts else g["account_id"].nunique()
    out = [{"key": k, "count": n, "unit": unit, "effort": effort} for k, n, unit, effort in steps if n]
    out.append({"key": "prevent", "count": n_accounts, "unit": "accounts", "effort": "low"})
    return out


def trend(current, previous) -> dict:
    """Current findings against a previous audit's: coverage then and now, and which groups moved.

    The hook for history (one previous snapshot today; a series later)."""
    now, before = current.groups, previous.groups
    merged = now[KEY + ["status"]].merge(before[KEY + ["status"]], on=KEY, how="outer",
                                         suffixes=("", "_before"), indicator=True)
    both = merged["_merge"].eq("both")

    def names(mask):
        return merged.loc[mask, KEY].to_dict("records")

    return {
        "before_pct": headline(previous)["coverage_pct"], "after_pct": headline(current)["coverage_pct"],
        "fixed": names(both & merged["status_before"].eq("non_compliant") & merged["status"].eq("compliant")),
        "regressed": names(both & merged["status_before"].ne("non_compliant")
                           & merged["status"].eq("non_compliant")),
        "new": names(merged["_merge"].eq("left_only")),
        "removed": names(merged["_merge"].eq("right_only")),
    }
