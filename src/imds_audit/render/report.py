"""snapshot → report folder: exports, the executed notebook, audit.html and audit.pdf."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pandas as pd

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


def _moment(snapshot):
    """When a snapshot was collected, as a UTC timestamp (NaT when its manifest does not say)."""
    return pd.to_datetime(snapshot.collected_at or None, utc=True, errors="coerce", format="ISO8601")


def comparison_snapshot(current, earlier):
    """The snapshot to compare with: the latest of ``earlier`` collected before ``current``."""
    now = _moment(current)
    older = [s for s in earlier if not pd.isna(_moment(s)) and (pd.isna(now) or _moment(s) < now)]
    return max(older, key=_moment) if older else None


def build_report(snapshot_path, out_dir, formats=DEFAULT_FORMATS, lang: str = "en", previous=None,
                 client=None, engagement=None, window_days=None, history=None) -> dict[str, Path]:
    """Read and analyse the snapshot, then write every requested output; returns name → path.

    ``history``: earlier snapshot paths for the trend. Every one of them (and ``previous``) is a
    point of the series over time, with the current snapshot; without ``previous`` the latest one
    collected before the current snapshot is the comparison. A snapshot that cannot be read soundly
    (damaged, or of another schema) raises :class:`snapshot.SnapshotError`."""
    from imds_audit.analyze import analyze

    snapshot = snap.read(snapshot_path)
    # read every snapshot before analysing any: a damaged one is refused before the work starts
    earlier = [snap.read(p) for p in (history or [])]
    earlier = [s for s in earlier if s.digest != snapshot.digest]  # the current one, if filed there too
    prev_snapshot = snap.read(previous) if previous else comparison_snapshot(snapshot, earlier)

    analysed: dict[str, object] = {}

    def findings_of(s):
        if s.digest not in analysed:
            analysed[s.digest] = analyze(s, window_days=window_days) if window_days else analyze(s)
        return analysed[s.digest]

    findings = findings_of(snapshot)
    prev_findings = findings_of(prev_snapshot) if prev_snapshot is not None else None
    points = None
    if earlier:
        series_snaps = {s.digest: s for s in earlier}
        if prev_snapshot is not None:
            series_snaps.setdefault(prev_snapshot.digest, prev_snapshot)
        points = [(s.collected_at, findings_of(s)) for s in series_snaps.values()]
    return render_findings(findings, snapshot, out_dir, formats=formats, lang=lang,
                           previous=prev_findings, previous_snapshot=prev_snapshot, client=client,
                           engagement=engagement, window_days=window_days, history=points)


def render_findings(findings, snapshot, out_dir, formats=DEFAULT_FORMATS, lang: str = "en", previous=None,
                    previous_snapshot=None, client=None, engagement=None, window_days=None,
                    notebook=None, history=None) -> dict[str, Path]:
    """Write the outputs for findings already computed (``snapshot`` must be on disk: the notebook
    reads its manifest, and the executed notebook names it).

    ``history``: the earlier points of the trend, as ``(collected_at, findings)`` pairs, or the
    series itself (analyze.history.trend's frame, current snapshot included). Without it, a
    comparison's trend has two points: ``previous`` and the current findings."""
    from imds_audit.present import summary
    from imds_audit.present.view import ReportView, cache_findings

    formats = _check_formats(formats)
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    metadata = {"collected_at": snapshot.collected_at, "collected_by": snapshot.collected_by,
                "tool_version": snapshot.tool_version, "snapshot_sha256": snapshot.digest,
                "scope": snapshot.scope, "settings": snapshot.settings}
    series = None
    if isinstance(history, pd.DataFrame):
        series = history
    elif history:
        series = summary.trend_series(list(history) + [(snapshot.collected_at, findings)])
    comparison = None
    if previous is not None:
        comparison = summary.comparison(
            findings, previous, current_at=snapshot.collected_at or "",
            previous_at=previous_snapshot.collected_at if previous_snapshot is not None else "", series=series)
        series = comparison["series"]
        metadata["previous"] = ({"collected_at": previous_snapshot.collected_at,
                                 "snapshot_sha256": previous_snapshot.digest}
                                if previous_snapshot is not None else {})
        metadata["history_points"] = len(series)
    written.update(exports.write(findings, out_dir, formats, metadata, comparison))
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
                "history_cache": (str(cache_findings(series, tmp / "history.pickle"))
                                  if series is not None else None),
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
                          engagement=engagement or "", window_days=window_days, history=series)
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

__all__ = ["DEFAULT_FORMATS", "FORMATS", "build_report", "comparison_snapshot", "render_findings"]
