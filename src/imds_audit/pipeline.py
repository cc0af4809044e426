"""snapshot(s) → findings: the one analysis step of a run.

Each snapshot is read once and analysed once; the comparison is chosen and computed once; the
remediation plan is built once; the reasons are put in words once per catalogued language. The result
is a :class:`~imds_audit.findings.Findings`, written as a findings directory that the notebook, the PDF
and every export read.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from imds_audit import findings as fnd
from imds_audit import snapshot as snap
from imds_audit.analyze import analyze, history
from imds_audit.analyze import exceptions as accepted
from imds_audit.analyze.severity import severity
from imds_audit.analyze.coverage import coverage
from imds_audit.collect.filters import command_line
from imds_audit.i18n import Catalogue, languages, reasons
from imds_audit.model import reason_column
from imds_audit.remediate import build_plan, plan_store


def verdicts_in_words(f: fnd.Findings) -> fnd.Findings:
    """The reasons of groups and sources in every catalogued language (``reason`` is English,
    ``reason_<lang>`` the others)."""
    for lang in languages():
        tr = Catalogue(lang)
        f.groups[reason_column(lang)] = reasons.group_reasons(f.groups, f.sources, tr)
        f.sources[reason_column(lang)] = reasons.source_reasons(f.sources, tr)
    return f


def roles_in_words(f: fnd.Findings) -> fnd.Findings:
    """The reason of each role in every catalogued language (``reason_<lang>``, English included, as
    roles.csv always had)."""
    for lang in languages():
        f.roles[f"reason_{lang}"] = reasons.role_reasons(f.roles, Catalogue(lang), f.window_days)
    return f


def in_words(f: fnd.Findings) -> fnd.Findings:
    return roles_in_words(verdicts_in_words(f))


def with_coverage(f: fnd.Findings) -> fnd.Findings:
    f.coverage = coverage(f.groups, by=["account_id", "region"])
    f.coverage_total = coverage(f.groups)
    return f


def analysed(snapshot: snap.Snapshot) -> fnd.Findings:
    """One snapshot's findings: verdicts, roles, severity, coverage, and the reasons in words."""
    f = analyze(snapshot)
    f.groups["severity"] = severity(f.groups)
    return with_coverage(in_words(f))


def with_exceptions(f: fnd.Findings, entries, today: date | None = None) -> dict:
    """Accepted risks (--exceptions) on the groups: a matched group keeps its status and carries the
    exception; returns the summary (accepted, expired and stale entries) the report lists."""
    outcome = accepted.apply(f.groups, entries, today or date.today())
    f.groups = outcome.groups
    return outcome.summary()


def _moment(snapshot):
    """When a snapshot was collected, as a UTC timestamp (NaT when its manifest does not say)."""
    return pd.to_datetime(snapshot.collected_at or None, utc=True, errors="coerce", format="ISO8601")


def comparison_snapshot(current, earlier):
    """The snapshot to compare with: the latest of ``earlier`` collected before ``current``."""
    now = _moment(current)
    older = [s for s in earlier if not pd.isna(_moment(s)) and (pd.isna(now) or _moment(s) < now)]
    return max(older, key=_moment) if older else None


def _snapshot_facts(s: snap.Snapshot) -> dict:
    sig = getattr(s, "signature", None)
    return {"path": str(s.path) if s.path else "", "sha256": s.digest, "collected_at": s.collected_at,
            "collected_by": s.collected_by, "tool_version": s.tool_version, "schema_version": s.schema_version,
            "migration_note": s.migration_note, "scope": s.scope, "settings": s.settings,
            "signed": bool(sig and sig.signed), "signature_key": (sig.fingerprint if sig and sig.signed else ""),
            "signature_verified": bool(sig and sig.verified)}


def filter_facts(s: snap.Snapshot) -> dict | None:
    """The filters ``s`` was collected with (collect/filters.py) and how many groups they left out, per
    account and region and in all; None when it was not filtered (as every snapshot written before
    filters existed). The groups left out are out of scope: not assessed, not counted, not unknown."""
    scope = s.scope or {}
    if "filters" not in scope:
        return None
    given = scope["filters"] or {}
    by_region = [dict(row) for row in scope.get("filtered_out") or []]
    return {"asg": list(given.get("asg") or []),
            "tags": {k: list(v) for k, v in (given.get("tags") or {}).items()},
            "exclude_regions": list(given.get("exclude_regions") or []),
            "command_line": command_line(given), "group_command_line": command_line(given, regions=False),
            "left_out": sum(row["groups"] for row in by_region), "left_out_by_region": by_region}


def _coverage_facts(f: fnd.Findings) -> dict:
    """The headline coverage of an earlier audit, for "from X% to Y%"."""
    row = f.coverage_total.iloc[0] if len(f.coverage_total) else {}
    return {k: (None if pd.isna(row.get(k)) else float(row.get(k)))
            for k in ("coverage_pct", "instance_coverage_pct")} if len(f.coverage_total) else {}


def compare(current: fnd.Findings, previous: fnd.Findings | None, series_points: list) -> fnd.Findings:
    """Attach the diff against ``previous`` and the trend over ``series_points`` ((when, findings))."""
    if previous is not None:
        current.diff = history.diff_groups(current.groups, previous.groups)
        current.roles_diff = history.diff_roles(current.roles, previous.roles)
    if len(series_points) >= 2:
        current.trend = history.trend([(when, f.groups, f.roles) for when, f in series_points])
    return current


def build(snapshot_path, previous=None, history_paths=(), client: str = "", engagement: str = "",
          lang: str = "en", exceptions=None, today: date | None = None, verify_key=None) -> fnd.Findings:
    """Everything a report shows, from a snapshot and optionally earlier ones.

    ``history_paths``: earlier snapshots for the trend; every one of them (and ``previous``) is a point
    of the series with the current snapshot. Without ``previous``, the latest one collected before the
    current snapshot is the comparison. Every snapshot is read (and refused if damaged) before any is
    analysed: :class:`snapshot.SnapshotError`."""
    Catalogue(lang)  # an unknown language is refused before any work
    current_snap = snap.read(snapshot_path, verify_key=verify_key)
    earlier = [snap.read(p) for p in history_paths or ()]
    earlier = [s for s in earlier if s.digest != current_snap.digest]  # the current one, if filed there too
    prev_snap = snap.read(previous) if previous else comparison_snapshot(current_snap, earlier)

    current = analysed(current_snap)
    excepted = with_exceptions(current, exceptions, today) if exceptions is not None else None
    done: dict[str, fnd.Findings] = {current_snap.digest: current}

    def of(s):
        if s.digest not in done:
            done[s.digest] = analysed(s)
        return done[s.digest]

    prev = of(prev_snap) if prev_snap is not None else None
    series = {s.digest: s for s in earlier}
    if prev_snap is not None:
        series.setdefault(prev_snap.digest, prev_snap)
    points = [(s.collected_at or "", of(s)) for s in series.values()] + [(current_snap.collected_at or "~", current)]
    compare(current, prev, points if prev is not None or earlier else [])

    with_plan(current, current_snap["launch_configurations"], current_snap["launch_templates"])
    current.meta = meta(current_snap, prev_snap, prev, len(points) if current.trend is not None else 0,
                        client=client, engagement=engagement, lang=lang)
    current.meta["exceptions"] = excepted
    return current


def with_plan(f: fnd.Findings, launch_configurations=None, launch_templates=None) -> fnd.Findings:
    """The one remediation plan of the run, stored with the findings."""
    plan = build_plan(f.groups, f.sources, launch_configurations, launch_templates)
    f.plan_actions, f.plan_fixes = plan_store.to_tables(plan)
    return f


def meta(snapshot, previous_snapshot=None, previous: fnd.Findings | None = None, history_points: int = 0,
         client: str = "", engagement: str = "", lang: str = "en") -> dict:
    """What a report says about where its findings come from, and the options it was asked for."""
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "snapshot": _snapshot_facts(snapshot),
        "previous": ({**_snapshot_facts(previous_snapshot), **(_coverage_facts(previous) if previous else {})}
                     if previous_snapshot is not None else None),
        "history_points": history_points,
        "filters": filter_facts(snapshot),
        "options": {"client": client or "", "engagement": engagement or "", "lang": lang},
    }


def write(f: fnd.Findings, findings_dir) -> Path:
    """Write the findings directory (atomically; see imds_audit.artifact)."""
    return fnd.write(f, Path(findings_dir))


__all__ = ["analysed", "build", "compare", "comparison_snapshot", "filter_facts", "in_words", "meta", "roles_in_words",
           "verdicts_in_words", "with_coverage", "with_exceptions", "with_plan", "write"]
