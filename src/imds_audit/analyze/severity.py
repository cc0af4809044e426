"""How urgent each group's finding is: its IAM role's privilege tier × how exposed the credentials are.

One decision, made here and only here, so that every channel (ASFF, OCSF, JUnit, the reports) says
the same thing. The labels are Security Hub's (INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL); OCSF's
severity_id follows them one to one.

Exposure of a non-compliant group:

- ``in_use``: IMDSv1 calls were seen on the group's instances in the usage window (``imdsv1_calls``
  > 0): the credentials are being handed out over IMDSv1 right now.
- ``open``: running instances allow IMDSv1 (``instances_allowing_imdsv1`` > 0) but no call was seen,
  or usage could not be read (``imdsv1_calls`` NA never counts as "in use").
- ``latent``: no running instance allows IMDSv1; the group's next launches will.

Severity of a **non_compliant** group (the table is :data:`SEVERITY`):

| risk tier                                          | in_use   | open   | latent |
|----------------------------------------------------|----------|--------|--------|
| admin, privilege_escalation                        | CRITICAL | HIGH   | HIGH   |
| credentials_exposure, resource_exposure, unknown   | HIGH     | HIGH   | MEDIUM |
| data_access, write                                 | HIGH     | MEDIUM | MEDIUM |
| read_only, none                                    | MEDIUM   | LOW    | LOW    |
| no_role                                            | LOW      | LOW    | LOW    |

``unknown`` (the role's policies could not be read) is placed with the escalation-adjacent tiers: it
cannot be ruled out, but it is not known to be the worst. A group with no role exposes no
credentials; IMDSv1 still exposes the instance's metadata (user data, network layout), hence LOW.

Other statuses:

- **compliant**: INFORMATIONAL; LOW when running instances still allow IMDSv1 (``drift``: an instance
  refresh is owed even though every launch source is fixed).
- **unknown** (the verdict needed a record that could not be read): MEDIUM, raised to the table's
  value when running instances are seen allowing IMDSv1 (that much is known without the verdict).
"""

from __future__ import annotations

import pandas as pd

LABELS = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
EXPOSURES = ("in_use", "open", "latent")

_ROWS = {
    ("admin", "privilege_escalation"): ("CRITICAL", "HIGH", "HIGH"),
    ("credentials_exposure", "resource_exposure", "unknown"): ("HIGH", "HIGH", "MEDIUM"),
    ("data_access", "write"): ("HIGH", "MEDIUM", "MEDIUM"),
    ("read_only", "none"): ("MEDIUM", "LOW", "LOW"),
    ("no_role",): ("LOW", "LOW", "LOW"),
}
# (risk_tier, exposure) → label, for a non_compliant group
SEVERITY: dict[tuple[str, str], str] = {
    (tier, exposure): label
    for tiers, labels in _ROWS.items() for tier in tiers for exposure, label in zip(EXPOSURES, labels, strict=True)
}
TIERS = tuple(tier for tiers in _ROWS for tier in tiers)


def _count(groups: pd.DataFrame, column: str) -> pd.Series:
    if column not in groups:
        return pd.Series(0.0, index=groups.index)
    return pd.to_numeric(groups[column], errors="coerce").astype("Float64").fillna(0)


def exposure(groups: pd.DataFrame) -> pd.Series:
    """in_use | open | latent per group, from imdsv1_calls and instances_allowing_imdsv1."""
    calls, allowing = _count(groups, "imdsv1_calls"), _count(groups, "instances_allowing_imdsv1")
    out = pd.Series("latent", index=groups.index, dtype="string")
    out = out.mask(allowing.gt(0).to_numpy(bool), "open")
    return out.mask(calls.gt(0).to_numpy(bool), "in_use")


def severity(groups: pd.DataFrame) -> pd.Series:
    """The severity label of each group's finding (see the module's table)."""
    exp = exposure(groups)
    tier = groups["risk_tier"].astype("string").fillna("unknown")
    tier = tier.where(tier.isin(TIERS), "unknown")
    table = pd.Series([SEVERITY[(t, e)] for t, e in zip(tier, exp, strict=True)], index=groups.index, dtype="string")
    status = groups["status"].astype("string")
    compliant = pd.Series("INFORMATIONAL", index=groups.index, dtype="string").mask(
        exp.ne("latent").to_numpy(bool), "LOW")
    unknown = pd.Series("MEDIUM", index=groups.index, dtype="string").mask(
        exp.ne("latent").to_numpy(bool) & table.map(LABELS.index).gt(LABELS.index("MEDIUM")).to_numpy(bool),
        table)
    out = table.where(status.eq("non_compliant").fillna(False).to_numpy(bool), unknown)
    return out.where(~status.eq("compliant").fillna(False).to_numpy(bool), compliant)


__all__ = ["EXPOSURES", "LABELS", "SEVERITY", "TIERS", "exposure", "severity"]
