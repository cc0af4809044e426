"""Shell text: one group's commands (for the report) and the whole remediate.sh (for the bundle)."""

from __future__ import annotations

from imds_audit.remediate.cli_steps import uses_workdir
from imds_audit.remediate.env import render
from imds_audit.remediate.plan import GroupFix, Plan
from imds_audit.remediate.quoting import short_hash


def profile_var(account_id: str) -> str:
    """The variable naming an account's profile; account ids are digits, anything else is hashed."""
    suffix = account_id if str(account_id).isdigit() else "X" + short_hash(account_id).upper()
    return f"IMDS_AUDIT_PROFILE_{suffix}"


def render_group_cli(fix: GroupFix, lang: str = "en") -> str:
    return render(f"cli.{lang}.sh.j2", fix=fix, workdir=uses_workdir(fix.actions))


def render_script(plan: Plan, lang: str = "en") -> str:
    """remediate.sh: per account, per region, every action once, in order."""
    accounts = []
    for account_id in sorted({acct for acct, _ in plan.scopes}):
        regions = []
        for acct, region in plan.scopes:
            if acct != account_id:
                continue
            regions.append({
                "region": region,
                "actions": [a for a in plan.actions if (a.account_id, a.region) == (acct, region)],
                "fixes": [f for f in plan.fixes
                          if (f.group["account_id"], f.group["region"]) == (acct, region)]})
        accounts.append({"account_id": account_id, "profile_var": profile_var(account_id),
                         "regions": regions})
    return render("remediate.sh.j2", accounts=accounts, lang=lang)
