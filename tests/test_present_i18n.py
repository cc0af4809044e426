"""The two catalogues carry the same keys, every key the code and templates use exists, and every
coded value the findings can hold has a label."""

import re
from pathlib import Path

import pytest

from imds_audit.analyze.model import STATUSES
from imds_audit.present import i18n
from imds_audit.present.charts import TIER_ORDER

SRC = Path(i18n.__file__).resolve().parents[1]
RENDER = SRC.parent / "render"


def test_same_keys_in_every_language():
    assert i18n.keys("en") == i18n.keys("ja")


def test_no_empty_strings_except_deliberate():
    for lang in i18n.LANGUAGES:
        empty = {k for k, v in i18n.Catalogue(lang).strings.items() if not v.strip()}
        assert empty <= {"pdf.page"}, (lang, empty)


def test_japanese_catalogue_is_japanese():
    ja = i18n.Catalogue("ja").strings
    kana = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    prose = [k for k in ja if k.startswith(("section.", "methodology.", "next.", "headline.sentence"))]
    assert prose and all(kana.search(ja[k]) for k in prose)


def test_every_literal_key_used_exists():
    used = set()
    for path in list(SRC.rglob("*.py")) + list(SRC.rglob("*.j2")) + list(RENDER.rglob("*.j2")):
        used |= set(re.findall(r"""\btr\(\s*["']([a-z_]+\.[a-z_.]+)["']""", path.read_text(encoding="utf-8")))
    used = {k for k in used if not k.endswith(("_", "."))}  # prefixes of dynamic keys
    assert len(used) > 60
    for lang in i18n.LANGUAGES:
        missing = used - i18n.keys(lang)
        assert not missing, (lang, sorted(missing))


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
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
