"""snapshot → report folder: the findings once, then every requested output from them."""

from __future__ import annotations

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
    findings.path = out_dir / "findings"
    return {name: out_dir / path.relative_to(stage) for name, path in written.items()}


def build_report(snapshot_path, out_dir, formats=DEFAULT_FORMATS, lang: str = "en", previous=None,
                 client=None, engagement=None, history=None) -> dict[str, Path]:
    """Analyse the snapshot (and the earlier ones given), then write every requested output.

    A snapshot that cannot be read soundly raises :class:`snapshot.SnapshotError` before anything is
    written."""
    formats = check_formats(formats)
    findings = pipeline.build(snapshot_path, previous=previous, history_paths=history or (),
                              client=client or "", engagement=engagement or "", lang=lang)
    return render_findings(findings, out_dir, formats=formats, lang=lang)


__all__ = ["DEFAULT_FORMATS", "WRITERS", "build_report", "render_findings"]
