"""Accepted risks: valid, expired and stale entries; every way a file can be malformed."""

from __future__ import annotations

import json
from datetime import date

import pytest
import yaml

from finding_rows import A, HOSTILE, frame, row
from imds_audit.analyze import exceptions as exc

TODAY = date(2026, 11, 30)
B = "222222222222"


def entries(text: str):
    return exc.parse(yaml.safe_load(text), source="x.yaml")


def estate():
    return frame(row(asg_name="legacy-billing", tags='{"Environment": "prod", "Owner": "pay"}'),
                 row(asg_name="legacy-batch", status="compliant", tags='{"Environment": "dev"}'),
                 row(asg_name="web", region="eu-west-1", tags="{}"),
                 row(asg_name="api", account_id=B, status="unknown", tags='{"Environment": "prod"}'))


def by_name(outcome):
    return outcome.groups.set_index("asg_name")


def test_a_valid_entry_marks_its_groups_and_keeps_their_status():
    listed = entries("""
exceptions:
  - asg: "legacy-*"
    reason: vendor agent needs IMDSv1
    owner: platform@example.com
    expires: 2026-12-31
    ticket: SEC-1
""")
    outcome = exc.apply(estate(), listed, TODAY)
    g = by_name(outcome)
    assert g.loc["legacy-billing", "exception"] == "accepted" and g.loc["legacy-batch", "exception"] == "accepted"
    assert g.loc["web", "exception"] == "" and g.loc["api", "exception"] == ""
    assert g["status"].tolist() == estate()["status"].tolist()  # statuses untouched
    assert g.loc["legacy-billing", ["exception_reason", "exception_owner", "exception_expires", "exception_ticket"]
                 ].tolist() == ["vendor agent needs IMDSv1", "platform@example.com", "2026-12-31", "SEC-1"]
    assert g.loc["legacy-billing", "exception_entry"] == 1 and g.loc["web", "exception_entry"] == 0
    assert outcome.expired == [] and outcome.stale == []
    assert set(exc.EXCEPTION_COLUMNS) <= set(outcome.groups.columns)


def test_selectors_combine_account_region_glob_and_tags():
    listed = entries(f"""
exceptions:
  - account: "{B}"
    tag: Environment=prod
    reason: r
    owner: o
    expires: 2027-01-01
  - region: "eu-*"
    reason: r2
    owner: o2
    expires: 2027-01-01
  - tag: [Environment=prod, Owner=pay]
    reason: r3
    owner: o3
    expires: "2027-01-01"
""")
    g = by_name(exc.apply(estate(), listed, TODAY))
    assert g["exception_entry"].to_dict() == {"legacy-billing": 3, "legacy-batch": 0, "web": 2, "api": 1}


def test_expiry_is_inclusive_and_an_expired_entry_counts_as_none_but_is_listed():
    listed = entries("""
exceptions:
  - asg: legacy-billing
    reason: old
    owner: o
    expires: 2026-11-29
  - asg: web
    reason: today is the last day
    owner: o
    expires: 2026-11-30
""")
    outcome = exc.apply(estate(), listed, TODAY)
    g = by_name(outcome)
    assert g.loc["legacy-billing", "exception"] == "expired" and g.loc["web", "exception"] == "accepted"
    assert [e.number for e in outcome.expired] == [1] and outcome.stale == []
    summary = outcome.summary()
    assert summary["accepted_groups"] == 1 and summary["expired_groups"] == 1
    assert summary["expired"][0]["expires"] == "2026-11-29"
    lines = exc.warnings(summary)
    assert len(lines) == 1 and "expired on 2026-11-29" in lines[0] and "entry 1 (asg 'legacy-billing')" in lines[0]


def test_a_valid_entry_wins_over_an_expired_one_whatever_the_order():
    listed = entries("""
exceptions:
  - asg: "legacy-*"
    reason: expired one
    owner: o
    expires: 2020-01-01
  - asg: legacy-billing
    reason: renewed
    owner: o
    expires: 2030-01-01
""")
    g = by_name(exc.apply(estate(), listed, TODAY))
    assert g.loc["legacy-billing", ["exception", "exception_reason"]].tolist() == ["accepted", "renewed"]
    assert g.loc["legacy-batch", ["exception", "exception_reason"]].tolist() == ["expired", "expired one"]


def test_an_entry_matching_nothing_is_stale():
    listed = entries("""
exceptions:
  - asg: "gone-*"
    reason: r
    owner: o
    expires: 2030-01-01
  - tag: Environment=staging
    reason: r
    owner: o
    expires: 2030-01-01
""")
    outcome = exc.apply(estate(), listed, TODAY)
    assert [e.number for e in outcome.stale] == [1, 2] and (outcome.groups["exception"] == "").all()
    lines = exc.warnings(outcome.summary())
    assert len(lines) == 2 and all("stale" in line for line in lines)


def test_groups_without_a_tags_column_match_no_tag_selector():
    groups = estate().drop(columns=["tags"])
    outcome = exc.apply(groups, entries("exceptions:\n  - {tag: Environment=prod, reason: r, owner: o, "
                                        "expires: 2030-01-01}\n"), TODAY)
    assert [e.number for e in outcome.stale] == [1]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_matched_literally_by_their_own_glob_escape(name):
    from glob import escape

    groups = frame(row(asg_name=name), row(asg_name="other"))
    listed = exc.parse({"exceptions": [{"asg": escape(name), "reason": "r", "owner": "o",
                                        "expires": date(2030, 1, 1)}]})
    g = exc.apply(groups, listed, TODAY).groups
    assert g["exception"].tolist() == ["accepted", ""]


@pytest.mark.parametrize("text, message", [
    ("- asg: x\n", "expected a mapping with an 'exceptions' list"),
    ("exceptions: {asg: x}\n", "'exceptions' must be a list"),
    ("exceptions: []\nextra: 1\n", "unknown top-level key 'extra'"),
    ("exceptions:\n  - just a string\n", "entry 1: must be a mapping"),
    ("exceptions:\n  - {asg: x, owner: o, expires: 2030-01-01}\n", "entry 1: 'reason' is required"),
    ("exceptions:\n  - {asg: x, reason: r, expires: 2030-01-01}\n", "entry 1: 'owner' is required"),
    ("exceptions:\n  - {asg: x, reason: r, owner: o}\n", "entry 1: 'expires' is required"),
    ("exceptions:\n  - {reason: r, owner: o, expires: 2030-01-01}\n", "entry 1: needs at least one of account"),
    ("exceptions:\n  - {asg: x, reason: r, owner: o, expiry: 2030-01-01}\n",
     "entry 1: unknown field 'expiry' (did you mean 'expires'?)"),
    ("exceptions:\n  - {asg: x, reason: r, owner: o, expires: next year}\n",
     "entry 1: 'expires' must be a date (YYYY-MM-DD), not 'next year'"),
    ("exceptions:\n  - {asg: x, reason: r, owner: o, expires: 2030-01-01T10:00:00Z}\n", "'expires' must be a date"),
    ("exceptions:\n  - {asg: x, reason: '  ', owner: o, expires: 2030-01-01}\n", "'reason' must be a non-empty text"),
    ("exceptions:\n  - {account: 12345, reason: r, owner: o, expires: 2030-01-01}\n",
     "'account' must be a 12-digit account id"),
    ("exceptions:\n  - {asg: ok, reason: r, owner: o, expires: 2030-01-01}\n  - {tag: novalue, reason: r, owner: o, "
     "expires: 2030-01-01}\n", "entry 2: 'tag' must be KEY=VALUE"),
    ("exceptions:\n  - {asg: [a, b], reason: r, owner: o, expires: 2030-01-01}\n", "'asg' must be a non-empty text"),
])
def test_a_malformed_file_is_one_line_naming_the_entry_and_field(tmp_path, text, message):
    path = tmp_path / "exceptions.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(exc.ExceptionsError) as raised:
        exc.load(path)
    assert message in str(raised.value) and "\n" not in str(raised.value)
    assert str(raised.value).startswith("exceptions.yaml: ")


@pytest.mark.parametrize("text, message", [
    ("exceptions:\n  - asg: [unclosed\n", "not valid YAML at line"),
    ("exceptions:\n  - {asg: x, reason: r, owner: o, expires: 2026-13-45}\n", "not valid YAML"),
    ("exceptions: !!python/object/apply:os.system ['true']\n", "not valid YAML"),  # safe_load: no code
])
def test_invalid_yaml_is_one_line(tmp_path, text, message):
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(exc.ExceptionsError) as raised:
        exc.load(path)
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_a_missing_file_is_one_line(tmp_path):
    with pytest.raises(exc.ExceptionsError, match="cannot be read"):
        exc.load(tmp_path / "nope.yaml")


def test_account_given_as_a_yaml_number_is_accepted_when_it_has_12_digits():
    listed = entries(f"exceptions:\n  - {{account: {A}, reason: r, owner: o, expires: 2030-01-01, ticket: 42}}\n")
    assert listed[0].account == A and listed[0].ticket == "42"


def test_summary_is_json_and_names_entries(tmp_path):
    listed = entries("exceptions:\n  - {asg: 'gone', reason: r, owner: o, expires: 2030-01-01}\n")
    path = exc.write_summary(exc.apply(estate(), listed, TODAY), tmp_path / "exceptions.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["stale"] == [{"entry": 1, "label": "entry 1 (asg 'gone')", "asg": "gone", "reason": "r",
                             "owner": "o", "expires": "2030-01-01"}]
