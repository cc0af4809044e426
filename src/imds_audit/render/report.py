"""snapshot → report folder: exports, the executed notebook, audit.html and audit.pdf."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from imds_audit import snapshot as snap
from imds_audit.render import exports

FORMATS = ("html", "pdf", "csv", "xlsx", "json")
DEFAULT_FORMATS = ("html", "pdf", "csv")


def _check_formats(formats) -> tuple[str, ...]:
    formats = tuple(f.strip().lower() for f in (formats.split(",") if isinstance(formats, str) else formats))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    return formats


def build_report(snapshot_path, out_dir, formats=DEFAULT_FORMATS, lang: str = "en", previous=None,
                 client=None, engagement=None, window_days=None, history=None) -> dict[str, Path]:
    """Read and analyse the snapshot, then write every requested output; returns name → path.

    ``history``: earlier snapshot paths for the trend (the latest is the comparison when no
    ``previous`` is given)."""
    from imds_audit.analyze import analyze

    snapshot = snap.read(snapshot_path)
    findings = analyze(snapshot, window_days=window_days) if window_days else analyze(snapshot)
    prev_snapshot = prev_findings = None
    if previous:
        prev_snapshot = snap.read(previous)
        prev_findings = analyze(prev_snapshot)
    return render_findings(findings, snapshot, out_dir, formats=formats, lang=lang,
                           previous=prev_findings, previous_snapshot=prev_snapshot, client=client,
                           engagement=engagement, window_days=window_days)


def render_findings(findings, snapshot, out_dir, formats=DEFAULT_FORMATS, lang: str = "en", previous=None,
                    previous_snapshot=None, client=None, engagement=None, window_days=None,
                    notebook=None) -> dict[str, Path]:
    """Write the outputs for findings already computed (``snapshot`` must be on disk: the notebook
    reads its manifest, and the executed notebook names it)."""
    from imds_audit.present.view import ReportView, cache_findings

    formats = _check_formats(formats)
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    metadata = {"collected_at": snapshot.collected_at, "collected_by": snapshot.collected_by,
                "tool_version": snapshot.tool_version, "snapshot_sha256": snapshot.digest,
                "scope": snapshot.scope, "settings": snapshot.settings}
    written.update(exports.write(findings, out_dir, formats, metadata))
    written.update(_remediation_bundle(findings, snapshot, out_dir, lang))

    if "html" in formats:
        from imds_audit.render.execute import execute
        from imds_audit.render.html import render_html

        tmp = Path(tempfile.mkdtemp(prefix="imds-audit-"))
        try:
            params = {
                "snapshot_path": str(Path(snapshot.path).resolve()), "lang": lang, "audience": "engineer",
                "previous_snapshot": str(Path(previous_snapshot.path).resolve()) if previous_snapshot else None,
                "client": client or "", "engagement": engagement or "", "out_dir": str(out_dir),
                "window_days": window_days,
                "findings_cache": str(cache_findings(findings, tmp / "findings.pickle")),
                "previous_cache": (str(cache_findings(previous, tmp / "previous.pickle"))
                                   if previous is not None else None),
            }
            ipynb = execute(params, out_dir / "audit.ipynb", notebook=notebook)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        written["audit.ipynb"] = ipynb
        title = "imds-audit" + (f" · {client}" if client else "")
        written["audit.html"] = render_html(ipynb, out_dir / "audit.html", lang=lang, title=title)

    if "pdf" in formats:
        from imds_audit.render.pdf import render_pdf

        view = ReportView(findings, snapshot, lang=lang, previous=previous,
                          previous_snapshot=previous_snapshot, client=client or "",
                          engagement=engagement or "", window_days=window_days)
        written["audit.pdf"] = render_pdf(view, out_dir / "audit.pdf")
    return written


def _remediation_bundle(findings, snapshot, out_dir: Path, lang: str) -> dict[str, Path]:
    """The remediation bundle, when the remediation module offers one (it is written separately)."""
    try:
        from imds_audit.remediate import write_bundle
    except ImportError:
        return {}
    written = write_bundle(findings.groups, findings.sources, snapshot["launch_configurations"], out_dir, lang)
    return {f"remediation/{name}": Path(path) for name, path in (written or {}).items()}

__all__ = ["DEFAULT_FORMATS", "FORMATS", "build_report", "render_findings"]
