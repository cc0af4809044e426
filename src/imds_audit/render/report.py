"""snapshot → report folder: the findings once, then every requested output from them."""

from __future__ import annotations

import json
from pathlib import Path

from imds_audit import pipeline
from imds_audit.findings import Findings
from imds_audit.render import output, writers
from imds_audit.render.writers import DEFAULT_FORMATS, WRITERS, check_formats


def render_findings(findings: Findings, out_dir, formats=DEFAULT_FORMATS, lang: str = "en") -> dict[str, Path]:
    """Write ``out_dir/findings`` and every requested output, all or nothing (render.output); returns
    name → final path."""
    formats = check_formats(formats)
    out_dir = output.check(Path(out_dir))
    with output.staged(out_dir) as stage:
        pipeline.write(findings, stage / "findings")
        written = {"findings/": stage / "findings", **writers.write(findings, stage, formats, lang)}
        if (findings.meta or {}).get("exceptions") is not None:  # what --exceptions matched, expired, missed
            written["exceptions.json"] = output.write_text(
                stage / "exceptions.json", json.dumps(findings.meta["exceptions"], ensure_ascii=False, indent=1))
    findings.path = out_dir / "findings"
    return {name: out_dir / path.relative_to(stage) for name, path in written.items()}


def build_report(snapshot_path, out_dir, formats=DEFAULT_FORMATS, lang: str = "en", previous=None,
                 client=None, engagement=None, history=None, exceptions=None, today=None) -> dict[str, Path]:
    """Analyse the snapshot (and the earlier ones given), then write every requested output.

    ``exceptions``: accepted-risk entries (analyze.exceptions.load) applied as of ``today``.
    A snapshot that cannot be read soundly raises :class:`snapshot.SnapshotError` before anything is
    written."""
    findings = build_findings(snapshot_path, formats, lang, previous, client, engagement, history, exceptions,
                              today)
    return render_findings(findings, out_dir, formats=formats, lang=lang)


def build_findings(snapshot_path, formats=DEFAULT_FORMATS, lang: str = "en", previous=None, client=None,
                   engagement=None, history=None, exceptions=None, today=None, verify_key=None) -> Findings:
    """The findings a report is written from (the formats are checked first: nothing is analysed for
    a request that would be refused). With ``verify_key`` the snapshot must be signed by it."""
    check_formats(formats)
    return pipeline.build(snapshot_path, previous=previous, history_paths=history or (), client=client or "",
                          engagement=engagement or "", lang=lang, exceptions=exceptions, today=today,
                          verify_key=verify_key)


__all__ = ["DEFAULT_FORMATS", "WRITERS", "build_findings", "build_report", "render_findings"]
