"""The remediation bundle written next to the report: remediate.sh, terraform/, console steps, policies."""

from __future__ import annotations

from imds_audit.i18n import languages
from imds_audit.remediate import render
from imds_audit.remediate.plan import Plan
from imds_audit.remediate.preventive import declarative_policy, policy_json, scp_policy


def console_name(lang: str) -> str:
    return "console.md" if lang == "en" else f"console.{lang}.md"


def bundle_files(plan: Plan, lang: str = "en") -> dict[str, tuple[str, bool]]:
    """{relative path: (text, executable)}: remediate.sh and the Terraform with comments in ``lang``,
    cloudformation.yaml when a stack owns a group, the console steps in every catalogued language, the
    SCP and the declarative policy."""
    plan = render.prepare(plan)
    files = {
        "remediate.sh": (render.script(plan, lang), True),
        "terraform/fixes.tf": (render.terraform(plan.fixes, lang), False),
        "terraform/preventive.tf": (render.preventive_terraform(plan.scopes, lang), False),
    }
    stacks = render.cloudformation(plan.fixes, lang)
    if stacks:
        files["cloudformation.yaml"] = (stacks, False)
    for each in languages():
        files[console_name(each)] = (render.console(plan, each), False)
    files["scp-imdsv2.json"] = (policy_json(scp_policy()), False)
    files["declarative-policy-imdsv2.json"] = (policy_json(declarative_policy()), False)
    return files
