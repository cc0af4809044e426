"""Console steps in Markdown, per group or for the whole estate, in English or Japanese."""

from __future__ import annotations

from imds_audit.remediate.env import render, text_env
from imds_audit.remediate.plan import GroupFix, Plan
from imds_audit.remediate.preventive import scopes_by_account

LANGS = ("en", "ja")


def render_group_console(fix: GroupFix, lang: str = "en") -> str:
    module = text_env().get_template(f"console.{lang}.md.j2").make_module()
    return str(module.group(fix))


def render_console(plan: Plan, lang: str = "en") -> str:
    return render(f"console.{lang}.md.j2", fixes=plan.fixes, accounts=scopes_by_account(plan.scopes))
