"""The findings for other systems: ASFF (Security Hub), OCSF and JUnit, one writer each."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from imds_audit.render import asff, junit, ocsf

FORMATS = ("asff", "ocsf", "junit")


def write(findings, out_dir, formats, metadata: dict | None = None) -> dict[str, Path]:
    """The interchange files named in ``formats`` (the groups carry their real ARN, tags, severity and
    any accepted-risk exception)."""
    wanted = [f for f in FORMATS if f in formats]
    if not wanted:
        return {}
    out_dir = Path(out_dir)
    metadata = dict(metadata or {})
    metadata.setdefault("generated_at", datetime.now(timezone.utc).isoformat())
    groups = findings.groups
    written: dict[str, Path] = {}
    if "asff" in wanted:
        written[asff.FILE_NAME] = asff.write(groups, out_dir / asff.FILE_NAME, metadata, findings.sources)
    if "ocsf" in wanted:
        written[ocsf.FILE_NAME] = ocsf.write(groups, out_dir / ocsf.FILE_NAME, metadata)
    if "junit" in wanted:
        written[junit.FILE_NAME] = junit.write(groups, out_dir / junit.FILE_NAME, metadata)
    return written


__all__ = ["FORMATS", "write"]
