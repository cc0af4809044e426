"""The findings: what the analysis concluded from a snapshot, as an artifact every channel reads.

One pipeline step (``imds_audit.pipeline``) writes a findings directory once per run: the verdict
per group and per launch source (as reason codes, with the reasons rendered in every catalogued
language), the risk per role, what was not assessed, the comparison with an earlier snapshot and the
trend, the coverage figures, and the one remediation plan. The notebook, the PDF and every export read
this directory, so they all say the same thing; none of them analyses again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from imds_audit import __version__, artifact

KIND = "imds-audit-findings"
SCHEMA_VERSION = 1
ArtifactError = artifact.ArtifactError

# Tables every findings directory holds, and those present only when there is something to hold.
REQUIRED = ("groups", "sources", "roles", "not_assessed", "scope", "coverage", "coverage_total", "plan_actions",
            "plan_fixes")
OPTIONAL = ("diff", "roles_diff", "trend")


def _empty() -> pd.DataFrame:
    return pd.DataFrame()


@dataclass
class Findings:
    groups: pd.DataFrame                                   # model.FINDING_COLUMNS, one row per group
    sources: pd.DataFrame                                  # model.SOURCE_COLUMNS, one row per source
    roles: pd.DataFrame = field(default_factory=_empty)    # roles.csv (risk per IAM role)
    not_assessed: pd.DataFrame = field(default_factory=_empty)  # account_id, region, api, outcome, message
    window_days: int = 14                                  # the IMDSv1 usage window of the snapshot
    scope: pd.DataFrame = field(default_factory=_empty)    # per account and region: groups, inventory read
    coverage: pd.DataFrame = field(default_factory=_empty)        # per account and region
    coverage_total: pd.DataFrame = field(default_factory=_empty)  # one row: the whole estate
    diff: pd.DataFrame | None = None          # analyze.history.diff_groups against the comparison
    roles_diff: pd.DataFrame | None = None
    trend: pd.DataFrame | None = None         # coverage over time, every snapshot of the series
    plan_actions: pd.DataFrame = field(default_factory=_empty)  # remediate.plan, one row per action
    plan_fixes: pd.DataFrame = field(default_factory=_empty)    # remediate.plan, one row per fixed group
    meta: dict = field(default_factory=dict)  # snapshot / previous facts, report options, generated_at
    path: Path | None = None

    @property
    def compared(self) -> bool:
        return self.diff is not None

    def tables(self) -> dict[str, pd.DataFrame]:
        out = {name: getattr(self, name) for name in REQUIRED}
        out.update({name: getattr(self, name) for name in OPTIONAL if getattr(self, name) is not None})
        return out


def write(findings: Findings, out: str | os.PathLike) -> Path:
    """Write atomically (see :mod:`imds_audit.artifact`); returns the directory."""
    manifest = {"schema_version": SCHEMA_VERSION, "tool_version": __version__,
                "window_days": int(findings.window_days), "meta": findings.meta}
    tables = {name: _storable(frame) for name, frame in findings.tables().items()}
    findings.path = artifact.write(out, KIND, tables, manifest)
    return findings.path


def read(path: str | os.PathLike) -> Findings:
    """Read and verify a findings directory; :class:`ArtifactError` with the reason if it is not sound."""
    path = Path(path)
    manifest = artifact.read_manifest(path, KIND)
    version = manifest.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ArtifactError(f"{path}: findings schema {version!r} is not the one this tool reads "
                            f"({SCHEMA_VERSION}); run the analysis again")
    listed = manifest["tables"]
    missing = [t for t in REQUIRED if t not in listed]
    if missing:
        raise ArtifactError(f"{path}: findings lack the tables {', '.join(missing)}")
    tables = {name: artifact.read_table(path, manifest, name) for name in REQUIRED + OPTIONAL if name in listed}
    meta = manifest.get("meta")
    return Findings(**{name: tables.get(name) for name in REQUIRED + OPTIONAL},
                    window_days=int(manifest.get("window_days") or 14),
                    meta=meta if isinstance(meta, dict) else {}, path=path)


def _storable(frame: pd.DataFrame) -> pd.DataFrame:
    """Parquet wants one type per column: columns of mixed Python objects are stored as text."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            sample = out[col].dropna()
            if len(sample) and not all(isinstance(v, str) for v in sample):
                out[col] = out[col].map(lambda v: v if v is None or isinstance(v, str) or v != v else str(v))
    return out
