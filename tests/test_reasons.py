"""The verdict's reason codes in words (imds_audit.i18n.reasons): every rule of verdict.source_status in
English and Japanese, from the catalogues alone; the risk model's weights in the methodology; singular
counts."""

from __future__ import annotations

from markupsafe import escape as html_escape

import pandas as pd
import pytest

import report_fixtures as fx
from factory import A, R, ok_calls, template_group
from imds_audit import i18n, pipeline
from imds_audit import snapshot as snap
from imds_audit.analyze.verdict import group_status, resolve_sources
from imds_audit.i18n import reasons
from imds_audit.model import EXPOSURE_WEIGHT, PRIVILEGE_WEIGHT
from imds_audit.present import ReportView, tables
from imds_audit.present.view import risk_model

LT = "launch template tpl (lt-1) version 1"
LT_JA = "起動テンプレート tpl（lt-1）バージョン 1"


def _denied(api="GetInstanceMetadataDefaults"):
    """The usual read calls, with ``api`` refused."""
    calls = ok_calls()
    for c in calls:
        if c["api"] == api:
            c["outcome"] = "access_denied"
    return calls


def _lc_snapshot(name="g", lc_row=None, defaults=None, calls=None):
    """A group launching from launch configuration ``lc``; ``lc_row`` None means the record is missing."""
    tables_ = {
        "auto_scaling_groups": [{"account_id": A, "region": R, "asg_name": name,
                                 "launch_kind": "launch_configuration", "tags": "{}"}],
        "launch_sources": [{"account_id": A, "region": R, "asg_name": name, "source_kind": "launch_configuration",
                            "position": "single", "launch_configuration_name": "lc"}],
        "launch_configurations": ([{"account_id": A, "region": R, "launch_configuration_name": "lc",
                                    "image_id": "ami-1", **lc_row}] if lc_row is not None else []),
        "images": [{"account_id": A, "region": R, "image_id": "ami-1"}],
        "metadata_defaults": [{"account_id": A, "region": R, **(defaults or {})}],
    }
    return snap.new(tables_, api_calls=ok_calls() if calls is None else calls)


def _without_image(s):
    s.tables["images"] = s.tables["images"].iloc[0:0]
    return s


def _findings(s):
    """The verdict's sources and groups (codes only)."""
    sources = resolve_sources(s)
    return sources, group_status(s["auto_scaling_groups"], sources)


# (case, snapshot, expected English, expected Japanese) — the English is verdict.source_status's.
CASES = [
    ("tokens optional, declared",
     lambda: template_group(tokens="optional", endpoint="enabled"),
     f"{LT}: HttpTokens optional (declared), endpoint enabled: IMDSv1 allowed",
     f"{LT_JA}：HttpTokens が optional（起動テンプレートで指定）、エンドポイント有効のため IMDSv1 を許可"),
    ("tokens optional, api default",
     lambda: template_group(),
     f"{LT}: HttpTokens optional (api default), endpoint enabled: IMDSv1 allowed",
     f"{LT_JA}：HttpTokens が optional（API のデフォルト）、エンドポイント有効のため IMDSv1 を許可"),
    ("tokens optional, account default",
     lambda: template_group(defaults={"http_tokens": "optional"}),
     f"{LT}: HttpTokens optional (account default), endpoint enabled: IMDSv1 allowed",
     f"{LT_JA}：HttpTokens が optional（アカウントの IMDS のデフォルト）、エンドポイント有効のため IMDSv1 を許可"),
    ("tokens required, declared",
     lambda: template_group(tokens="required"),
     f"{LT}: HttpTokens required (declared)",
     f"{LT_JA}：HttpTokens が required（起動テンプレートで指定）のため IMDSv2 のみ許可"),
    ("tokens required, account default",
     lambda: template_group(defaults={"http_tokens": "required"}),
     f"{LT}: HttpTokens required (account default)",
     f"{LT_JA}：HttpTokens が required（アカウントの IMDS のデフォルト）のため IMDSv2 のみ許可"),
    ("tokens required, AMI",
     lambda: template_group(imds_support="v2.0"),
     f"{LT}: HttpTokens required (ami)",
     f"{LT_JA}：HttpTokens が required（AMI の ImdsSupport）のため IMDSv2 のみ許可"),
    ("endpoint disabled, declared",
     lambda: template_group(endpoint="disabled"),
     f"{LT}: IMDS endpoint disabled (declared)",
     f"{LT_JA}：IMDS エンドポイントが無効（起動テンプレートで指定）のため IMDSv1 は利用不可"),
    ("endpoint disabled, account default",
     lambda: template_group(defaults={"http_endpoint": "disabled"}),
     f"{LT}: IMDS endpoint disabled (account default)",
     f"{LT_JA}：IMDS エンドポイントが無効（アカウントの IMDS のデフォルト）のため IMDSv1 は利用不可"),
    ("version not read",
     lambda: template_group(version="7"),
     "launch template tpl (lt-1) version 7: the record was not read",
     "起動テンプレート tpl（lt-1）バージョン 7：設定内容を取得できなかったため判定不能"),
    ("template not read",
     lambda: template_group(default=None, latest=None),
     "launch template tpl (lt-1) version $Default: the launch template or its version was not read",
     "起動テンプレート tpl（lt-1）バージョン $Default：起動テンプレートまたは該当バージョンを取得できなかったため判定不能"),
    ("template not read, defaults unread too",
     lambda: template_group(version="7", calls=_denied()),
     "launch template tpl (lt-1) version 7: the record was not read",
     "起動テンプレート tpl（lt-1）バージョン 7：設定内容を取得できなかったため判定不能"),
    ("account defaults unreadable",
     lambda: template_group(calls=_denied()),
     f"{LT}: HttpTokens is not set and the account-level IMDS defaults could not be read",
     f"{LT_JA}：HttpTokens が未指定で、アカウントレベルの IMDS のデフォルトを取得できなかったため判定不能"),
    ("account defaults unreadable, endpoint declared",
     lambda: template_group(endpoint="enabled", calls=_denied()),
     f"{LT}: HttpTokens is not set and the account-level IMDS defaults could not be read",
     f"{LT_JA}：HttpTokens が未指定で、アカウントレベルの IMDS のデフォルトを取得できなかったため判定不能"),
    ("AMI from SSM",
     lambda: template_group(image_id="resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"),
     f"{LT}: HttpTokens is not set and the SSM parameter that names the AMI could not be read",
     f"{LT_JA}：HttpTokens が未指定で、AMI を指す SSM パラメータを取得できなかったため判定不能"),
    ("AMI ImdsSupport unreadable",
     lambda: _without_image(template_group(endpoint="enabled")),
     f"{LT}: HttpTokens is not set and the AMI's ImdsSupport could not be read",
     f"{LT_JA}：HttpTokens が未指定で、AMI の ImdsSupport を取得できなかったため判定不能"),
    ("AMI ImdsSupport unreadable, nothing declared",
     lambda: _without_image(template_group()),
     f"{LT}: HttpTokens is not set and the AMI's ImdsSupport could not be read",
     f"{LT_JA}：HttpTokens が未指定で、AMI の ImdsSupport を取得できなかったため判定不能"),
    ("endpoint unset, defaults unreadable",
     lambda: template_group(tokens="optional", calls=_denied()),
     f"{LT}: HttpEndpoint is not set and the account-level IMDS defaults could not be read",
     f"{LT_JA}：HttpEndpoint が未指定で、アカウントレベルの IMDS のデフォルトを取得できなかったため判定不能"),
    ("launch configuration optional, declared",
     lambda: _lc_snapshot(lc_row={"http_tokens": "optional"}),
     "launch configuration lc: HttpTokens optional (declared), endpoint enabled: IMDSv1 allowed",
     "起動設定 lc：HttpTokens が optional（起動設定で指定）、エンドポイント有効のため IMDSv1 を許可"),
    ("launch configuration endpoint disabled",
     lambda: _lc_snapshot(lc_row={"http_endpoint": "disabled"}),
     "launch configuration lc: IMDS endpoint disabled (declared)",
     "起動設定 lc：IMDS エンドポイントが無効（起動設定で指定）のため IMDSv1 は利用不可"),
    ("launch configuration not read",
     lambda: _lc_snapshot(lc_row=None),
     "launch configuration lc: the record was not read",
     "起動設定 lc：設定内容を取得できなかったため判定不能"),
    ("launch configuration not read, defaults unread",
     lambda: _lc_snapshot(lc_row=None, calls=_denied()),
     "launch configuration lc: the record was not read",
     "起動設定 lc：設定内容を取得できなかったため判定不能"),
]


@pytest.mark.parametrize(("case", "build", "en", "ja"), CASES, ids=[c[0] for c in CASES])
def test_every_rule_in_both_languages(case, build, en, ja):
    sources, groups = _findings(build())
    row = sources.iloc[0].to_dict()
    assert reasons.source_reason(row, "en") == en
    assert reasons.source_reason(row, "ja") == ja
    # a group with one source has that source's reason
    assert reasons.group_reasons(groups, sources, "en").tolist() == [en]
    assert reasons.group_reasons(groups, sources, "ja").tolist() == [ja]


def test_every_code_the_verdict_emits_has_words_in_every_language():
    from imds_audit.analyze import verdict

    for lang in i18n.languages():
        tr = i18n.Catalogue(lang)
        for code in [*verdict.REASONS, "no_source"]:
            assert tr.has(f"reason.code.{code}"), (lang, code)


def test_group_without_launch_source():
    s = snap.new({"auto_scaling_groups": [{"account_id": A, "region": R, "asg_name": "g", "launch_kind": "none"}]},
                 api_calls=ok_calls())
    sources, groups = _findings(s)
    assert groups["reason_code"].tolist() == ["no_source"]
    assert reasons.group_reasons(groups, sources, "en").tolist() == [
        "no launch template or launch configuration recorded for the group"]
    assert reasons.group_reasons(groups, sources, "ja").tolist() == [
        "起動テンプレートも起動設定も記録されていないため判定不能"]


def _two_sources(second_template_id, second_tokens):
    extra = {
        "launch_sources": [{"account_id": A, "region": R, "asg_name": "g", "source_kind": "launch_template",
                            "position": "override:1", "launch_template_id": second_template_id,
                            "launch_template_name": "gpu", "version_requested": "1"}],
        "launch_templates": [{"account_id": A, "region": R, "launch_template_id": "lt-2",
                              "launch_template_name": "gpu", "default_version": 1, "latest_version": 1}],
        "launch_template_versions": [{"account_id": A, "region": R, "launch_template_id": "lt-2",
                                      "launch_template_name": "gpu", "version_number": 1,
                                      "http_tokens": second_tokens, "image_id": "ami-1"}],
    }
    return template_group(tokens="required", extra_tables=extra)


@pytest.mark.parametrize(("second", "tokens", "en_end", "ja_end"), [
    ("lt-2", "optional", "gpu (lt-2) version 1: HttpTokens optional (declared), endpoint enabled: IMDSv1 allowed",
     "gpu（lt-2）バージョン 1：HttpTokens が optional（起動テンプレートで指定）、エンドポイント有効のため IMDSv1 を許可"),
    ("lt-9", None, "gpu (lt-9) version 1: the record was not read",
     "gpu（lt-9）バージョン 1：設定内容を取得できなかったため判定不能"),
    # all compliant: the first source in the analysis' order (position "override:1" sorts before "single")
    ("lt-2", "required", "gpu (lt-2) version 1: HttpTokens required (declared)",
     "gpu（lt-2）バージョン 1：HttpTokens が required（起動テンプレートで指定）のため IMDSv2 のみ許可"),
])
def test_the_worst_source_decides_the_group(second, tokens, en_end, ja_end):
    sources, groups = _findings(_two_sources(second, tokens))
    assert len(sources) == 2
    en = reasons.group_reasons(groups, sources, "en").tolist()
    assert en[0].endswith(en_end)
    assert reasons.group_reasons(groups, sources, "ja").iloc[0].endswith(ja_end)


def test_hostile_names_are_text_not_format_fields():
    row = {"source_kind": "launch_template", "launch_template_name": "{0}{name}{{7*7}}", "launch_template_id": "lt-1",
           "version_resolved": 1, "http_tokens": "required", "http_endpoint": "enabled", "tokens_from": "declared",
           "endpoint_from": "declared", "status": "compliant", "reason_code": "tokens_required"}
    assert reasons.source_reason(row, "ja").startswith("起動テンプレート {0}{name}{{7*7}}（lt-1）バージョン 1：")


def test_demo_reasons_in_every_language(demo_paths):
    findings = pipeline.analysed(snap.read(demo_paths[0]))
    g = findings.groups
    assert g["reason"].notna().all() and g["reason_ja"].notna().all()
    assert not g["reason_ja"].str.contains("launch template|HttpTokens is not|not read").any()
    assert findings.roles["reason_ja"].notna().all()
    assert not findings.roles["reason_ja"].str.contains(" groups?\\b| times in | not read").any()


# ---- the report ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    return fx.write_snapshot(tmp_path_factory.mktemp("snap") / "snapshot")


def _view(snapshot, lang, findings=None):
    return ReportView(fx.report_findings(snapshot, findings), lang=lang)


def test_groups_table_shows_the_japanese_reason(snapshot):
    html = str(_view(snapshot, "ja").groups())
    assert "起動テンプレート lt-web-prod（lt-0abc）バージョン 3" in html
    assert "launch template lt-web-prod" not in html
    # the English report shows the English reason, as findings.csv does
    table = tables.groups_table(fx.make_findings().groups, i18n.Catalogue("en"))
    assert any(c.text == "launch template lt-api-v2 (lt-0abc) version 3: HttpTokens required (declared)"
               for row in table.rows for c in row)


def test_methodology_prints_the_risk_model(snapshot):
    for lang in ("en", "ja"):
        html = str(_view(snapshot, lang).methodology())
        tr = i18n.Catalogue(lang)
        assert html_escape(tr("model.formula")) in html
        for level in EXPOSURE_WEIGHT:
            assert html_escape(tr(f"model.exposure.{level}")) in html
        for tier in PRIVILEGE_WEIGHT:
            assert html_escape(tr(f"model.tier.{tier}")) in html
        model = risk_model(tr)
        assert [r["weight"] for r in model["privilege"]] == sorted(PRIVILEGE_WEIGHT.values(), reverse=True)
        assert {r["code"] for r in model["exposure"]} == set(EXPOSURE_WEIGHT)
        assert all(r["label"] == tr.label("tier", r["code"]) for r in model["privilege"])


def test_one_unknown_group_is_singular(snapshot):
    view = _view(snapshot, "en")
    assert view.h["unknown"] == 1
    assert "Another group could not be assessed" in view.sentence()
    assert "1 groups" not in view.sentence()
    ja = _view(snapshot, "ja").sentence()
    assert "このほか 1 件のグループは判定不能でした" in ja
    many = fx.make_findings()
    many.groups.loc[many.groups["asg_name"].eq("api-v2"), "status"] = "unknown"
    pipeline.with_coverage(many)
    assert "Another 2 groups could not be assessed" in _view(snapshot, "en", many).sentence()


def test_next_step_counts_are_singular_for_one(snapshot):
    html = str(_view(snapshot, "en").next_steps())
    assert "1 group<" in html and "1 groups" not in html


def test_pdf_summary_has_the_compact_model(snapshot):
    from imds_audit.render.pdf import summary_html

    for lang in ("en", "ja"):
        html = summary_html(_view(snapshot, lang), {"coverage": "<svg/>"})
        html = html.replace("<span data-p>", "").replace("</span>", "")  # the Japanese phrases' markup
        tr = i18n.Catalogue(lang)
        assert html_escape(tr("methodology.risk_title")) in html
        for tier in PRIVILEGE_WEIGHT:
            assert html_escape(tr.label("tier", tier)) in html
        assert 'class="tier tier-admin"' in html
        assert "1 groups" not in html


def test_reasons_for_many_groups_are_complete():
    """Every one of 5,000 groups gets a reason (the time it takes is `make bench`'s to print, not a
    test's to assert)."""
    f = fx.synthetic_findings(5000)
    out = reasons.group_reasons(f.groups, f.sources, "ja")
    assert len(out) == 5000 and out.notna().all()
    assert isinstance(out, pd.Series)
