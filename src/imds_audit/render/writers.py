"""Every output format and the one function that writes it: format → writer.

A writer takes the findings (already written to ``out/findings``), the output folder and the
language, and returns {name: path} of what it wrote. Adding a format is adding one entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from imds_audit.findings import Findings

Writer = Callable[[Findings, Path, str], dict[str, Path]]


def _csv(findings: Findings, out: Path, lang: str) -> dict[str, Path]:
    from imds_audit.render import exports

    return exports.write_csv(findings, out)


def _xlsx(findings: Findings, out: Path, lang: str) -> dict[str, Path]:
    from imds_audit.render import exports

    return {"findings.xlsx": exports.write_xlsx(findings, out / "findings.xlsx")}


def _json(findings: Findings, out: Path, lang: str) -> dict[str, Path]:
    from imds_audit.render import exports

    return {"findings.json": exports.write_json(findings, out / "findings.json")}


def _html(findings: Findings, out: Path, lang: str) -> dict[str, Path]:
    """The notebook, executed on the findings directory, then rendered by nbconvert."""
    from imds_audit.render.execute import execute
    from imds_audit.render.html import render_html

    ipynb = execute({"findings_dir": "findings", "lang": lang}, out / "audit.ipynb")
    client = ((findings.meta or {}).get("options") or {}).get("client")
    title = "imds-audit" + (f" · {client}" if client else "")
    return {"audit.ipynb": ipynb, "audit.html": render_html(ipynb, out / "audit.html", lang=lang, title=title)}


def _pdf(findings: Findings, out: Path, lang: str) -> dict[str, Path]:
    from imds_audit.present.view import ReportView
    from imds_audit.render.pdf import render_pdf

    return {"audit.pdf": render_pdf(ReportView(findings, lang=lang), out / "audit.pdf")}


def _remediation(findings: Findings, out: Path, lang: str) -> dict[str, Path]:
    from imds_audit.remediate import bundle_files, plan_store
    from imds_audit.render.output import write_text

    plan = plan_store.from_tables(findings.plan_actions, findings.plan_fixes, findings.groups, findings.sources)
    return {f"remediation/{name}": write_text(out / "remediation" / name, text, executable)
            for name, (text, executable) in bundle_files(plan, lang).items()}


def _interchange(fmt: str) -> Writer:
    """ASFF (Security Hub), OCSF or JUnit: the findings for other systems."""
    def write(findings: Findings, out: Path, lang: str) -> dict[str, Path]:
        from imds_audit.render import exports, interchange

        return interchange.write(findings, out, (fmt,), exports.metadata(findings.meta))
    return write


WRITERS: dict[str, Writer] = {
    "html": _html, "pdf": _pdf, "csv": _csv, "xlsx": _xlsx, "json": _json, "remediation": _remediation,
    "asff": _interchange("asff"), "ocsf": _interchange("ocsf"), "junit": _interchange("junit"),
}
DEFAULT_FORMATS = ("html", "pdf", "csv", "xlsx", "json", "remediation")


class FormatError(ValueError):
    """An unknown or empty --format; the message names what is wrong."""


def check_formats(value) -> tuple[str, ...]:
    """``"html,pdf"`` or a sequence → the formats, in order, each once; unknown or none is an error."""
    items = value.split(",") if isinstance(value, str) else list(value)
    chosen = tuple(dict.fromkeys(f.strip().lower() for f in items if f and f.strip()))
    if not chosen:
        raise FormatError(f"--format names no format; choose from {', '.join(WRITERS)}")
    unknown = [f for f in chosen if f not in WRITERS]
    if unknown:
        raise FormatError(f"unknown format(s) {', '.join(unknown)}; choose from {', '.join(WRITERS)}")
    return chosen


def write(findings: Findings, out: Path, formats, lang: str = "en") -> dict[str, Path]:
    written: dict[str, Path] = {}
    for fmt in check_formats(formats):
        written.update(WRITERS[fmt](findings, Path(out), lang))
    return written
