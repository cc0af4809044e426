"""The severity table: every branch, and the module's documented table says what the code does."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from finding_rows import frame, row
from imds_audit.analyze import severity as sev

EXPOSURE_ROWS = {  # exposure → the counts that produce it
    "in_use": {"instances_allowing_imdsv1": 2, "imdsv1_calls": 40.0},
    "open": {"instances_allowing_imdsv1": 2, "imdsv1_calls": 0.0},
    "latent": {"instances_allowing_imdsv1": 0, "imdsv1_calls": 0.0},
}
EXPECTED = {  # written out by hand: the table a reader of the README sees
    "admin": ("CRITICAL", "HIGH", "HIGH"), "privilege_escalation": ("CRITICAL", "HIGH", "HIGH"),
    "credentials_exposure": ("HIGH", "HIGH", "MEDIUM"), "resource_exposure": ("HIGH", "HIGH", "MEDIUM"),
    "unknown": ("HIGH", "HIGH", "MEDIUM"),
    "data_access": ("HIGH", "MEDIUM", "MEDIUM"), "write": ("HIGH", "MEDIUM", "MEDIUM"),
    "read_only": ("MEDIUM", "LOW", "LOW"), "none": ("MEDIUM", "LOW", "LOW"),
    "no_role": ("LOW", "LOW", "LOW"),
}


@pytest.mark.parametrize("tier", sorted(EXPECTED))
@pytest.mark.parametrize("exposure", sev.EXPOSURES)
def test_non_compliant_group_gets_the_table_value(tier, exposure):
    groups = frame(row(risk_tier=tier, **EXPOSURE_ROWS[exposure]))
    assert sev.exposure(groups).tolist() == [exposure]
    assert sev.severity(groups).tolist() == [EXPECTED[tier][sev.EXPOSURES.index(exposure)]]


def test_the_docstring_table_is_the_code_table():
    cells = {}
    for line in sev.__doc__.splitlines():
        m = re.match(r"\|\s*([a-z_, ]+?)\s*\|\s*(\w+)\s*\|\s*(\w+)\s*\|\s*(\w+)\s*\|$", line)
        if m and m.group(2) in sev.LABELS:
            for tier in m.group(1).split(","):
                cells[tier.strip()] = m.group(2, 3, 4)
    assert cells == EXPECTED


def test_usage_not_read_is_never_in_use():
    groups = frame(row(risk_tier="admin", imdsv1_calls=pd.NA, instances_allowing_imdsv1=3))
    assert sev.exposure(groups).tolist() == ["open"] and sev.severity(groups).tolist() == ["HIGH"]


def test_an_unrecognised_tier_is_treated_as_unknown():
    groups = frame(row(risk_tier="something-new", **EXPOSURE_ROWS["latent"]),
                   row(risk_tier=pd.NA, **EXPOSURE_ROWS["open"]))
    assert sev.severity(groups).tolist() == ["MEDIUM", "HIGH"]


def test_compliant_groups_are_informational_unless_instances_still_allow_imdsv1():
    groups = frame(row(status="compliant", risk_tier="admin", **EXPOSURE_ROWS["latent"]),
                   row(status="compliant", risk_tier="admin", **EXPOSURE_ROWS["open"]),
                   row(status="compliant", risk_tier="admin", **EXPOSURE_ROWS["in_use"]))
    assert sev.severity(groups).tolist() == ["INFORMATIONAL", "LOW", "LOW"]


def test_unknown_groups_are_medium_raised_only_by_what_running_instances_show():
    groups = frame(row(status="unknown", risk_tier="admin", **EXPOSURE_ROWS["latent"]),
                   row(status="unknown", risk_tier="admin", **EXPOSURE_ROWS["in_use"]),
                   row(status="unknown", risk_tier="read_only", **EXPOSURE_ROWS["in_use"]),
                   row(status="unknown", risk_tier="data_access", **EXPOSURE_ROWS["open"]))
    assert sev.severity(groups).tolist() == ["MEDIUM", "CRITICAL", "MEDIUM", "MEDIUM"]


def test_demo_estate_severities(demo_paths):
    from imds_audit import snapshot as snap
    from imds_audit.analyze import analyze

    groups = analyze(snap.read(demo_paths[0])).groups.set_index("asg_name")
    labels = sev.severity(groups.reset_index()).set_axis(groups.index)
    # admin role, IMDSv1 being called → CRITICAL; escalation role, IMDSv1 being called → CRITICAL
    assert labels["admin-tools"] == "CRITICAL" and labels["legacy-billing"] == "CRITICAL"
    assert labels["web-prod"] == "INFORMATIONAL"          # compliant, nothing running allows IMDSv1
    assert labels["drifted-fleet"] == "LOW"               # compliant, but running instances still allow it
