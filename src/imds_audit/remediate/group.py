"""Remediation for one group, as the report shows it next to the finding."""

from __future__ import annotations

from imds_audit.remediate.cli_steps import attach_commands
from imds_audit.remediate.console import render_group_console
from imds_audit.remediate.env import render_html
from imds_audit.remediate.plan import _records, build_plan
from imds_audit.remediate.readiness import readiness_warning
from imds_audit.remediate.script import render_group_cli
from imds_audit.remediate.terraform import render_terraform

WARNING = {
    "en": "IMDSv1 is still being called on this group: {calls} call(s) in the usage window{callers}. "
          "Requiring IMDSv2 makes these calls fail: update the callers first.",
    "ja": "このグループでは IMDSv1 がまだ使われています。集計期間中の呼び出しは {calls} 回です{callers}。"
          "IMDSv2 を必須にするとこれらの呼び出しは失敗するため、先に呼び出し元を更新してください。",
}
CALLERS = {"en": ", from {0}", "ja": " (呼び出し元: {0})"}


def warning_text(group: dict, lang: str = "en") -> str:
    """The readiness warning in one sentence, or '' when no IMDSv1 call was seen."""
    from imds_audit.remediate.quoting import visible
    r = readiness_warning(group)
    if r is None:
        return ""
    callers = CALLERS[lang].format(" ".join(visible(c) for c in r.callers)) if r.callers else ""
    return WARNING[lang].format(calls=r.calls, callers=callers)


def remediation_for_group(group_row, source_rows, lang: str = "en", launch_configurations=None) -> dict:
    """console (Markdown, names in code spans), cli (bash), terraform (HCL), warning (a sentence, or '').

    Plain text: the report HTML-escapes it (or renders the console Markdown). A compliant or unknown
    group gets empty strings. Shared templates are handled per group here; the bundle deduplicates."""
    group = _records(group_row)[0]
    plan = attach_commands(build_plan([group], source_rows, launch_configurations))
    fix = plan.fix_for(group["account_id"], group["region"], group["asg_name"])
    if fix is None:
        return {"console": "", "cli": "", "terraform": "", "warning": warning_text(group, lang)}
    return {"console": render_group_console(fix, lang), "cli": render_group_cli(fix, lang),
            "terraform": render_terraform([fix], lang), "warning": warning_text(group, lang)}


def remediation_html(group_row, source_rows, lang: str = "en", launch_configurations=None):
    """The same as HTML (autoescaped by Jinja2): a fragment for the report."""
    parts = remediation_for_group(group_row, source_rows, lang, launch_configurations)
    return render_html("group.html.j2", parts=parts, lang=lang)
