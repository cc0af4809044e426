"""The catalogues carry the same keys, every key the code and templates use exists, every coded value the
findings can hold has a label, and a third language is one more catalogue file."""

import re
from pathlib import Path

import pytest

from imds_audit import i18n
from imds_audit.model import STATUSES
from imds_audit.present.charts import TIER_ORDER

SRC = Path(i18n.__file__).resolve().parents[1]  # the package: every module and template in it


def test_same_keys_in_every_language():
    assert i18n.languages()[0] == "en" and "ja" in i18n.languages()
    for lang in i18n.languages():
        assert i18n.keys(lang) == i18n.keys("en"), lang


def test_same_format_fields_in_every_language():
    """A translation uses the fields the code gives (none missing, none extra)."""
    import string

    def fields(text):
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    # a date is given all its parts; each language picks the ones it writes
    given = {"format.date": {"year", "month", "month_number", "day"}}
    en = i18n.Catalogue("en").strings
    for lang in i18n.languages():
        other = i18n.Catalogue(lang).strings
        bad = {k for k in en if (fields(other[k]) - given[k] if k in given else fields(en[k]) ^ fields(other[k]))}
        assert not bad, (lang, sorted(bad))


def test_no_empty_strings_except_deliberate():
    for lang in i18n.languages():
        empty = {k for k, v in i18n.Catalogue(lang).strings.items() if not v.strip()}
        assert empty <= {"pdf.page", "rem.none", "privilege.sep"}, (lang, empty)


def test_japanese_catalogue_is_japanese():
    ja = i18n.Catalogue("ja").strings
    kana = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    prose = [k for k in ja if k.startswith(("section.", "methodology.", "next.", "headline.sentence"))]
    assert prose and all(kana.search(ja[k]) for k in prose)


def test_every_literal_key_used_exists():
    used = set()
    for path in list(SRC.rglob("*.py")) + list(SRC.rglob("*.j2")):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\b(?:tr|t)\(\s*["']([a-z_]+\.[a-z_.]+)["']""", text))
        used |= set(re.findall(r"""\bt\.count\(\s*["']([a-z_]+\.[a-z_.]+)["']""", text))
    used = {k for k in used if not k.endswith(("_", "."))}  # prefixes of dynamic keys
    assert len(used) > 60
    for lang in i18n.languages():
        missing = {k for k in used if k not in i18n.keys(lang) and f"{k}.one" not in i18n.keys(lang)}
        assert not missing, (lang, sorted(missing))


@pytest.mark.parametrize("lang", i18n.languages())
def test_coded_values_have_labels(lang):
    tr = i18n.Catalogue(lang)
    for status in STATUSES:
        assert f"status.{status}" in tr.strings
    for tier in TIER_ORDER + ["no_role"]:
        assert f"tier.{tier}" in tr.strings
    for level in ("none", "latent", "exposed", "active"):
        assert f"exposure.{level}" in tr.strings
    for outcome in ("ok", "access_denied", "throttled", "not_implemented", "error"):
        assert f"outcome.{outcome}" in tr.strings


def test_missing_key_is_an_error_and_unknown_language_refused():
    with pytest.raises(KeyError, match="no string"):
        i18n.Catalogue("en")("no.such.key")
    with pytest.raises(ValueError):
        i18n.Catalogue("fr")


def test_formatting_helpers_handle_missing_values():
    import pandas as pd

    tr = i18n.Catalogue("en")
    assert tr.pct(None) == tr.pct(float("nan")) == tr.pct(pd.NA) == "—"
    assert tr.pct(50.0) == "50%" and tr.pct(45.5) == "45.5%"
    assert tr.number(1520.0) == "1,520"
    assert tr.label("status", "compliant") == "IMDSv2 only"
    assert tr.label("tier", "something_new") == "something_new"


def test_a_third_language_is_one_catalogue_file(tmp_path, monkeypatch):
    """Drop a copy of the English catalogue in as 'xx': every channel renders in it."""
    import shutil

    import report_fixtures as fx
    from imds_audit.present import ReportView
    from imds_audit.remediate import bundle_files, plan_store

    folder = tmp_path / "i18n"
    shutil.copytree(Path(i18n.__file__).parent, folder)
    (folder / "xx.json").write_text((folder / "en.json").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(i18n, "_HERE", folder)
    i18n.languages.cache_clear(), i18n._load.cache_clear()
    try:
        assert "xx" in i18n.languages()
        f = fx.report_findings(fx.write_snapshot(tmp_path / "snap"), fx.make_findings(), lang="xx")
        view = ReportView(f, lang="xx")
        assert "IMDSv2" in str(view.headline()) and view.group_reasons().notna().all() is not None
        plan = plan_store.from_tables(f.plan_actions, f.plan_fixes, f.groups, f.sources)
        files = bundle_files(plan, "xx")
        assert "console.xx.md" in files and files["remediate.sh"][0].startswith("#!/usr/bin/env bash")
    finally:
        i18n.languages.cache_clear(), i18n._load.cache_clear()
