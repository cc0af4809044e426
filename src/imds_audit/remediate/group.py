"""Remediation for one group, as the report shows it next to the finding."""

from __future__ import annotations

import markupsafe

from imds_audit.remediate.cli_steps import attach_commands, uses_workdir
from imds_audit.remediate.console import render_group_console
from imds_audit.remediate.env import html_env, render_html, text_env
from imds_audit.remediate.plan import _records, build_plan, lc_index, plan_from_records, sources_by_group
from imds_audit.remediate.readiness import readiness_warning
from imds_audit.remediate.script import render_group_cli
from imds_audit.remediate.terraform import model, render_terraform

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


class _GroupRenderer:
    """The per-group renderers of one language, each template compiled and loaded once: the console
    macros module, the CLI and the Terraform template. Same calls as render_group_console,
    render_group_cli and render_terraform, so the text is the same."""

    def __init__(self, lang: str):
        env = text_env()
        self.lang = lang
        self.console = env.get_template(f"console.{lang}.md.j2").make_module()
        self.cli = env.get_template(f"cli.{lang}.sh.j2")
        self.terraform = env.get_template(f"terraform.{lang}.tf.j2")
        WARNING[lang]   # an unknown language fails here, before any group, as remediation_for_group would

    def parts(self, group: dict, fix) -> dict:
        if fix is None:
            return {"console": "", "cli": "", "terraform": "", "warning": warning_text(group, self.lang)}
        return {"console": str(self.console.group(fix)),
                "cli": self.cli.render(fix=fix, workdir=uses_workdir(fix.actions)),
                "terraform": self.terraform.render(scopes=model([fix])),
                "warning": warning_text(group, self.lang)}


def remediation_for_groups(groups, sources, lang: str = "en", launch_configurations=None,
                           errors: str = "raise") -> dict[tuple, dict]:
    """``remediation_for_group`` for many groups at once: {(account_id, region, asg_name): parts}.

    ``groups``: the group findings (a DataFrame, a list of dicts, or one row); every row gets an entry,
    compliant or unknown ones empty strings (plus the warning), like remediation_for_group.
    ``sources``: the launch sources of any number of groups (e.g. the whole findings table); each group
    sees only its own rows, i.e. each entry equals ``remediation_for_group(row, <the rows of sources with
    that group's account_id, region and asg_name>, lang, launch_configurations)``, which is what the
    report shows. Shared templates are handled per group, as there; the bundle deduplicates.

    Each frame is converted to records once, the launch configurations indexed once and the templates
    loaded once; each group's (small) plan is then built from those records. One plan over all groups
    would not give the same text: variable numbering, the larger hop limit of a shared template and
    the ``$Latest`` copy are decided per plan.

    ``errors="collect"``: a group that fails maps to ``{"error": exception}`` instead of stopping the
    batch (the report shows the error next to that group)."""
    if errors not in ("raise", "collect"):
        raise ValueError(f"errors must be 'raise' or 'collect', not {errors!r}")
    renderer = _GroupRenderer(lang)
    lcs = lc_index(_records(launch_configurations))
    by_group = sources_by_group(_records(sources))
    out: dict[tuple, dict] = {}
    for group in _records(groups):
        key = (group["account_id"], group["region"], group["asg_name"])
        try:
            mine = by_group.get(key, [])
            plan = attach_commands(plan_from_records([group], mine, lcs, {key: mine} if mine else {}))
            out[key] = renderer.parts(group, plan.fix_for(*key))
        except Exception as exc:  # noqa: BLE001 -- collected for the caller, who asked for it
            if errors == "raise":
                raise
            out[key] = {"error": exc}
    return out


def remediation_html_for_groups(groups, sources, lang: str = "en", launch_configurations=None) -> dict:
    """``remediation_html`` for many groups at once: {(account_id, region, asg_name): Markup}."""
    template = html_env().get_template("group.html.j2")
    return {key: markupsafe.Markup(template.render(parts=parts, lang=lang))
            for key, parts in remediation_for_groups(groups, sources, lang, launch_configurations).items()}
