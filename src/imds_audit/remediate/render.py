"""The plan in words: one group's fix for the report, and the whole estate's for the bundle.

Every channel renders from the same plan and takes its words from the same catalogue (``t`` in the
templates), so the report, remediate.sh, console.md and fixes.tf agree by construction.
"""

from __future__ import annotations

from functools import lru_cache

from imds_audit.i18n import Catalogue, reasons
from imds_audit.remediate.cli_steps import attach_commands, uses_workdir
from imds_audit.remediate.env import Words, text_env
from imds_audit.remediate.plan import GroupFix, Plan
from imds_audit.remediate.preventive import scopes_by_account
from imds_audit.remediate.quoting import hcl_label, short_hash, visible


def context(lang: str) -> dict:
    """What every text template gets: the catalogue (``t``), the verdict's reason in words, and why
    nothing runs for a group (``not_run``)."""
    tr = Catalogue(lang)
    return {"t": Words(lang), "reason": lambda source: reasons.source_reason(source, tr), "not_run": not_run}


def not_run(fix: GroupFix) -> str:
    """Why remediate.sh runs nothing for a group it serves ('' when it runs something): the key of the
    sentence it prints (``rem.sh.not_run.<key>``)."""
    owner = fix.group.get("managed_by") or ""
    if owner == "cloudformation":
        return "cloudformation"
    if fix.actions:
        return ""
    if owner == "eks":
        return "eks"
    if owner == "elasticbeanstalk":
        return "beanstalk"
    return "launch" if fix.group.get("launch_failure") else ""


@lru_cache(maxsize=8)
def _console_module(lang: str):
    return text_env().get_template("console.md.j2").make_module(context(lang))


def prepare(plan: Plan) -> Plan:
    """The plan with every action's command (argv) attached; done once per plan."""
    if not getattr(plan, "_commands", False):
        attach_commands(plan)
        plan._commands = True
    return plan


def render(name: str, lang: str, **values) -> str:
    return text_env().get_template(name).render(**context(lang), **values)


# ---- one group, for the report ----------------------------------------------------------------------
def warning_text(fix_or_group, lang: str = "en") -> str:
    """The readiness warning in one sentence, or '' when no IMDSv1 call was seen."""
    from imds_audit.remediate.readiness import readiness_warning

    r = getattr(fix_or_group, "readiness", None) if isinstance(fix_or_group, GroupFix) \
        else readiness_warning(fix_or_group)
    if r is None:
        return ""
    tr = Catalogue(lang)
    callers = tr("rem.warning_callers", callers=tr.join(visible(c) for c in r.callers)) if r.callers else ""
    return tr.count("rem.warning", r.calls, callers=callers)


def group_console(fix: GroupFix, lang: str = "en") -> str:
    return str(_console_module(lang).group(fix))


def group_cli(fix: GroupFix, lang: str = "en") -> str:
    return render("cli.sh.j2", lang, fix=fix, workdir=uses_workdir(fix.actions))


def group_parts(fix: GroupFix, lang: str = "en") -> dict:
    """console (Markdown, names in code spans), cli (bash), terraform (HCL), cloudformation (YAML, or ''
    when no stack owns the group), warning (a sentence, or ''). Plain text: the report HTML-escapes it
    (or renders the console Markdown)."""
    return {"console": group_console(fix, lang), "cli": group_cli(fix, lang),
            "terraform": terraform([fix], lang), "cloudformation": cloudformation([fix], lang),
            "warning": warning_text(fix, lang)}


# ---- the estate, for the bundle ---------------------------------------------------------------------
def profile_var(account_id: str) -> str:
    """The variable naming an account's profile; account ids are digits, anything else is hashed."""
    suffix = account_id if str(account_id).isdigit() else "X" + short_hash(account_id).upper()
    return f"IMDS_AUDIT_PROFILE_{suffix}"


def script(plan: Plan, lang: str = "en") -> str:
    """remediate.sh: per account, per region, every action once, in order."""
    accounts = []
    for account_id in sorted({acct for acct, _ in plan.scopes}):
        regions = [{"region": region,
                    "actions": [a for a in plan.actions if (a.account_id, a.region) == (acct, region)],
                    "fixes": [f for f in plan.fixes if (f.group["account_id"], f.group["region"]) == (acct, region)]}
                   for acct, region in plan.scopes if acct == account_id]
        accounts.append({"account_id": account_id, "profile_var": profile_var(account_id), "regions": regions})
    help_lines = 1 + len(Catalogue(lang)("rem.sh.header").split("\n"))
    return render("remediate.sh.j2", lang, accounts=accounts, help_lines=help_lines)


def console(plan: Plan, lang: str = "en") -> str:
    return render("console.md.j2", lang, fixes=plan.fixes, accounts=scopes_by_account(plan.scopes))


def terraform(fixes: list[GroupFix], lang: str = "en") -> str:
    from imds_audit.remediate.terraform import model

    return render("terraform.tf.j2", lang, scopes=model(fixes))


def cloudformation(fixes: list[GroupFix], lang: str = "en") -> str:
    """cloudformation.yaml for these fixes: '' when no stack owns any of them."""
    from imds_audit.remediate import cloudformation as cfn

    stacks = cfn.model(fixes)
    return render("cloudformation.yaml.j2", lang, stacks=stacks) if stacks else ""


def preventive_terraform(scopes, lang: str = "en") -> str:
    accounts = [{"account_id": acct, "label": hcl_label("acct", acct),
                 "regions": [{"region": r, "label": hcl_label("imds", acct, r)} for r in regions]}
                for acct, regions in scopes_by_account(scopes)]
    return render("preventive.tf.j2", lang, accounts=accounts)
