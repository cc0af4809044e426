"""The remediation bundle written next to the report: remediate.sh, terraform/, console.md, policies."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from imds_audit.remediate.cli_steps import attach_commands
from imds_audit.remediate.console import render_console
from imds_audit.remediate.plan import build_plan
from imds_audit.remediate.preventive import (
    declarative_policy,
    policy_json,
    render_preventive_terraform,
    scp_policy,
)
from imds_audit.remediate.script import render_script
from imds_audit.remediate.terraform import render_terraform

LANGS = ("en", "ja")


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    return lang


def _write(path: Path, text: str, executable: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    if executable:
        tmp.chmod(tmp.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    os.replace(tmp, path)
    return path


def write_bundle(groups, sources, launch_configurations, out_dir, lang: str = "en") -> dict:
    """Write ``out_dir/remediation/``; return {name: path} of what was written.

    remediate.sh (comments in ``lang``), terraform/fixes.tf and terraform/preventive.tf (comments in
    ``lang``), console.md (English) and console.ja.md (Japanese) always both, scp-imdsv2.json and
    declarative-policy-imdsv2.json."""
    check_lang(lang)
    plan = attach_commands(build_plan(groups, sources, launch_configurations))
    root = Path(out_dir) / "remediation"
    written = {
        "remediate.sh": _write(root / "remediate.sh", render_script(plan, lang), executable=True),
        "terraform/fixes.tf": _write(root / "terraform" / "fixes.tf", render_terraform(plan.fixes, lang)),
        "terraform/preventive.tf": _write(root / "terraform" / "preventive.tf",
                                          render_preventive_terraform(plan.scopes, lang)),
        "console.md": _write(root / "console.md", render_console(plan, "en")),
        "console.ja.md": _write(root / "console.ja.md", render_console(plan, "ja")),
        "scp-imdsv2.json": _write(root / "scp-imdsv2.json", policy_json(scp_policy())),
        "declarative-policy-imdsv2.json": _write(root / "declarative-policy-imdsv2.json",
                                                 policy_json(declarative_policy())),
    }
    return written
