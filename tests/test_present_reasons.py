"""Per-source and per-group reasons in the report's language, rebuilt from the structured columns of
findings.sources: every rule of verdict.source_status in English (equal to the analysis' own ``reason``)
and in Japanese; the risk model's weights in the methodology; singular counts."""

from __future__ import annotations

from markupsafe import escape as html_escape

import pandas as pd
import pytest

import report_fixtures as fx
from factory import A, R, ok_calls, template_group
from imds_audit import snapshot as snap
from imds_audit.analyze import analyze
from imds_audit.analyze.role_risk import RISK_MODEL
from imds_audit.analyze.verdict import group_status, resolve_sources
from imds_audit.present import ReportView, i18n, reasons, tables
from imds_audit.present.view import risk_model

LT = "launch template tpl (lt-1) version 1"
LT_JA = "起動テンプレート tpl (lt-1) バージョン 1"


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
    """What the report gets: sources, groups and the calls that failed."""
    sources = resolve_sources(s)
    groups = group_status(s["auto_scaling_groups"], sources)
    calls = s.calls
    return sources, groups, calls[calls["outcome"] != "ok"].reset_index(drop=True)


# (case, snapshot, expected English, expected Japanese) — the English is verdict.source_status's.
CASES = [
    ("tokens optional, declared",
     lambda: template_group(tokens="optional", endpoint="enabled"),
     f"{LT}: HttpTokens optional (declared), endpoint enabled: IMDSv1 allowed",
     f"{LT_JA}: HttpTokens が optional (テンプレートで指定)、エンドポイント有効のため IMDSv1 を許可"),
    ("tokens optional, api default",
     lambda: template_group(),
     f"{LT}: HttpTokens optional (api default), endpoint enabled: IMDSv1 allowed",
     f"{LT_JA}: HttpTokens が optional (API の既定値)、エンドポイント有効のため IMDSv1 を許可"),
    ("tokens optional, account default",
     lambda: template_group(defaults={"http_tokens": "optional"}),
     f"{LT}: HttpTokens optional (account default), endpoint enabled: IMDSv1 allowed",
     f"{LT_JA}: HttpTokens が optional (アカウントのデフォルト設定)、エンドポイント有効のため IMDSv1 を許可"),
    ("tokens required, declared",
     lambda: template_group(tokens="required"),
     f"{LT}: HttpTokens required (declared)",
     f"{LT_JA}: HttpTokens が required (テンプレートで指定) のため IMDSv2 のみ許可"),
    ("tokens required, account default",
     lambda: template_group(defaults={"http_tokens": "required"}),
     f"{LT}: HttpTokens required (account default)",
     f"{LT_JA}: HttpTokens が required (アカウントのデフォルト設定) のため IMDSv2 のみ許可"),
    ("tokens required, AMI",
     lambda: template_group(imds_support="v2.0"),
     f"{LT}: HttpTokens required (ami)",
     f"{LT_JA}: HttpTokens が required (AMI の ImdsSupport) のため IMDSv2 のみ許可"),
    ("endpoint disabled, declared",
     lambda: template_group(endpoint="disabled"),
     f"{LT}: IMDS endpoint disabled (declared)",
     f"{LT_JA}: IMDS エンドポイントが無効 (テンプレートで指定) のため IMDSv1 は利用不可"),
    ("endpoint disabled, account default",
     lambda: template_group(defaults={"http_endpoint": "disabled"}),
     f"{LT}: IMDS endpoint disabled (account default)",
     f"{LT_JA}: IMDS エンドポイントが無効 (アカウントのデフォルト設定) のため IMDSv1 は利用不可"),
    ("version not read",
     lambda: template_group(version="7"),
     "launch template tpl (lt-1) version 7: the record was not read",
     "起動テンプレート tpl (lt-1) バージョン 7: 設定内容を取得できなかったため判定できず"),
    ("template not read",
     lambda: template_group(default=None, latest=None),
     "launch template tpl (lt-1) version $Default: the launch template or its version was not read",
     "起動テンプレート tpl (lt-1) バージョン $Default: 起動テンプレートまたは該当バージョンを取得できなかったため判定できず"),
    ("template not read, defaults unread too",
     lambda: template_group(version="7", calls=_denied()),
     "launch template tpl (lt-1) version 7: the record was not read",
     "起動テンプレート tpl (lt-1) バージョン 7: 設定内容を取得できなかったため判定できず"),
    ("account defaults unreadable",
     lambda: template_group(calls=_denied()),
     f"{LT}: HttpTokens is not set and the account-level IMDS defaults could not be read",
     f"{LT_JA}: HttpTokens が未指定で、アカウントレベルの IMDS デフォルト設定を取得できなかったため判定できず"),
    ("account defaults unreadable, endpoint declared",
     lambda: template_group(endpoint="enabled", calls=_denied()),
     f"{LT}: HttpTokens is not set and the account-level IMDS defaults could not be read",
     f"{LT_JA}: HttpTokens が未指定で、アカウントレベルの IMDS デフォルト設定を取得できなかったため判定できず"),
    ("AMI from SSM",
     lambda: template_group(image_id="resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"),
     f"{LT}: HttpTokens is not set and the AMI is resolved from SSM at launch",
     f"{LT_JA}: HttpTokens が未指定で、AMI が起動時に SSM パラメータから解決されるため判定できず"),
    ("AMI ImdsSupport unreadable",
     lambda: _without_image(template_group(endpoint="enabled")),
     f"{LT}: HttpTokens is not set and the AMI's ImdsSupport could not be read",
     f"{LT_JA}: HttpTokens が未指定で、AMI の ImdsSupport を取得できなかったため判定できず"),
    ("AMI ImdsSupport unreadable, nothing declared",
     lambda: _without_image(template_group()),
     f"{LT}: HttpTokens is not set and the AMI's ImdsSupport could not be read",
     f"{LT_JA}: HttpTokens が未指定で、AMI の ImdsSupport を取得できなかったため判定できず"),
    ("endpoint unset, defaults unreadable",
     lambda: template_group(tokens="optional", calls=_denied()),
     f"{LT}: HttpEndpoint is not set and the account-level IMDS defaults could not be read",
     f"{LT_JA}: HttpEndpoint が未指定で、アカウントレベルの IMDS デフォルト設定を取得できなかったため判定できず"),
    ("launch configuration optional, declared",
     lambda: _lc_snapshot(lc_row={"http_tokens": "optional"}),
     "launch configuration lc: HttpTokens optional (declared), endpoint enabled: IMDSv1 allowed",
     "起動設定 lc: HttpTokens が optional (起動設定で指定)、エンドポイント有効のため IMDSv1 を許可"),
    ("launch configuration endpoint disabled",
     lambda: _lc_snapshot(lc_row={"http_endpoint": "disabled"}),
     "launch configuration lc: IMDS endpoint disabled (declared)",
     "起動設定 lc: IMDS エンドポイントが無効 (起動設定で指定) のため IMDSv1 は利用不可"),
    ("launch configuration not read",
     lambda: _lc_snapshot(lc_row=None),
     "launch configuration lc: the record was not read",
     "起動設定 lc: 設定内容を取得できなかったため判定できず"),
    ("launch configuration not read, defaults unread",
     lambda: _lc_snapshot(lc_row=None, calls=_denied()),
     "launch configuration lc: the record was not read",
     "起動設定 lc: 設定内容を取得できなかったため判定できず"),
]


@pytest.mark.parametrize(("case", "build", "en", "ja"), CASES, ids=[c[0] for c in CASES])
def test_every_rule_in_both_languages(case, build, en, ja):
    sources, groups, failed = _findings(build())
    row = sources.iloc[0]
    assert row["reason"] == en, "the expected English is the analysis' own"
    assert reasons.explain(row, "en", unread_regions=reasons.unread_defaults(failed)) == en
    assert reasons.explain(row, "ja", unread_regions=reasons.unread_defaults(failed)) == ja
    # the analysis states whether the record and the account defaults were read; without those two
    # columns (hand-made findings) the reasons infer them, and the inference agrees in every case
    assert {"record_read", "defaults_read"} <= set(sources.columns)
    bare = row.drop(labels=["record_read", "defaults_read"])
    assert reasons.explain(bare, "ja", unread_regions=reasons.unread_defaults(failed)) == ja
    # a group with one source has that source's reason
    assert reasons.group_reasons(groups, sources, "en", failed).tolist() == [groups.loc[0, "reason"]] == [en]
    assert reasons.group_reasons(groups, sources, "ja", failed).tolist() == [ja]
    assert reasons.explain(groups.iloc[0], "ja", sources=sources,
                           unread_regions=reasons.unread_defaults(failed)) == ja


def test_unread_defaults_are_inferred_when_the_ami_was_read():
    """Endpoint declared, HttpTokens unknown: without the failed calls, an AMI that was read (it has an
    ImdsSupport) shows that the account defaults are what is missing."""
    sources, _, _ = _findings(template_group(endpoint="enabled", imds_support="v2.1", calls=_denied()))
    row = sources.iloc[0]
    assert row["reason"].endswith("the account-level IMDS defaults could not be read")
    assert reasons.explain(row, "en") == row["reason"]


def test_facts_given_on_the_row_win():
    sources, _, _ = _findings(template_group(endpoint="enabled", calls=_denied()))
    row = sources.iloc[0].to_dict()
    assert reasons.explain({**row, "defaults_read": False}, "en") == row["reason"]
    assert reasons.explain({**row, "defaults_read": True}, "en").endswith("ImdsSupport could not be read")
    assert reasons.explain({**row, "record_read": False}, "ja").endswith("設定内容を取得できなかったため判定できず")


def test_group_without_launch_source():
    s = snap.new({"auto_scaling_groups": [{"account_id": A, "region": R, "asg_name": "g", "launch_kind": "none"}]},
                 api_calls=ok_calls())
    sources, groups, failed = _findings(s)
    assert reasons.group_reasons(groups, sources, "en", failed).tolist() == groups["reason"].tolist() == [
        "no launch template or launch configuration recorded for the group"]
    assert reasons.group_reasons(groups, sources, "ja").tolist() == [
        "起動テンプレートも起動設定も記録されていないため判定できず"]
    assert reasons.explain(groups.iloc[0], "ja", sources=sources) == "起動テンプレートも起動設定も記録されていないため判定できず"
    assert reasons.explain(groups.iloc[0], "ja") == "起動テンプレートも起動設定も記録されていないため判定できず"


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
     "gpu (lt-2) バージョン 1: HttpTokens が optional (テンプレートで指定)、エンドポイント有効のため IMDSv1 を許可"),
    ("lt-9", None, "gpu (lt-9) version 1: the record was not read",
     "gpu (lt-9) バージョン 1: 設定内容を取得できなかったため判定できず"),
    # all compliant: the first source in the analysis' order (position "override:1" sorts before "single")
    ("lt-2", "required", "gpu (lt-2) version 1: HttpTokens required (declared)",
     "gpu (lt-2) バージョン 1: HttpTokens が required (テンプレートで指定) のため IMDSv2 のみ許可"),
])
def test_the_worst_source_decides_the_group(second, tokens, en_end, ja_end):
    sources, groups, failed = _findings(_two_sources(second, tokens))
    assert len(sources) == 2
    en = reasons.group_reasons(groups, sources, "en", failed).tolist()
    assert en == groups["reason"].tolist() and en[0].endswith(en_end)
    assert reasons.group_reasons(groups, sources, "ja", failed).iloc[0].endswith(ja_end)


def test_hostile_names_are_text_not_format_fields():
    row = {"source_kind": "launch_template", "launch_template_name": "{0}{name}{{7*7}}", "launch_template_id": "lt-1",
           "version_resolved": 1, "http_tokens": "required", "http_endpoint": "enabled", "tokens_from": "declared",
           "endpoint_from": "declared", "status": "compliant"}
    assert reasons.explain(row, "ja").startswith("起動テンプレート {0}{name}{{7*7}} (lt-1) バージョン 1:")


def test_demo_reasons_equal_the_analysis(demo_paths):
    findings = analyze(snap.read(demo_paths[0]))
    s, g = findings.sources, findings.groups
    assert reasons.source_reasons(s, "en", findings.not_assessed).tolist() == s["reason"].tolist()
    assert reasons.group_reasons(g, s, "en", findings.not_assessed).tolist() == g["reason"].tolist()
    ja = reasons.group_reasons(g, s, "ja", findings.not_assessed)
    assert ja.notna().all() and not ja.str.contains("launch template|HttpTokens is not|not read").any()


def test_reason_keys_exist_in_both_catalogues():
    en, ja = i18n.keys("en"), i18n.keys("ja")
    wanted = {k for k in en if k.startswith("reason.")}
    assert len(wanted) >= 18 and wanted <= ja


# ---- the report ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    return fx.write_snapshot(tmp_path_factory.mktemp("snap") / "snapshot")


def test_groups_table_shows_the_japanese_reason(snapshot):
    view = ReportView(fx.make_findings(), snapshot, lang="ja")
    html = str(view.groups())
    assert "起動テンプレート lt-web-prod (lt-0abc) バージョン 3" in html
    assert "launch template v3" not in html
    # the English report keeps the analysis' words where they can be rebuilt
    table = tables.groups_table(fx.groups_frame(), i18n.Catalogue("en"))
    assert any(c.text == "launch template v3: HttpTokens required (template)" for row in table.rows for c in row)


def test_methodology_prints_the_risk_model(snapshot):
    for lang in ("en", "ja"):
        view = ReportView(fx.make_findings(), snapshot, lang=lang)
        html = str(view.methodology())
        assert RISK_MODEL["formula"] in html
        for row in RISK_MODEL["exposure"] + RISK_MODEL["privilege"]:
            assert html_escape(row[lang]) in html
        tr = i18n.Catalogue(lang)
        model = risk_model(tr)
        assert [r["weight"] for r in model["privilege"]] == sorted(
            (r["weight"] for r in RISK_MODEL["privilege"]), reverse=True)
        assert {r["code"] for r in model["exposure"]} == {r["level"] for r in RISK_MODEL["exposure"]}
        assert all(r["label"] == tr.label("tier", r["code"]) for r in model["privilege"])


def test_one_unknown_group_is_singular(snapshot):
    view = ReportView(fx.make_findings(), snapshot, lang="en")
    assert view.h["unknown"] == 1
    assert "Another group could not be assessed" in view.sentence()
    assert "1 groups" not in view.sentence()
    ja = ReportView(fx.make_findings(), snapshot, lang="ja").sentence()
    assert "このほか 1 件のグループは評価できませんでした" in ja
    many = fx.make_findings()
    many.groups.loc[many.groups["asg_name"].eq("api-v2"), "status"] = "unknown"
    assert "Another 2 groups could not be assessed" in ReportView(many, snapshot, lang="en").sentence()


def test_next_step_counts_are_singular_for_one(snapshot):
    html = str(ReportView(fx.make_findings(), snapshot, lang="en").next_steps())
    assert "1 group<" in html and "1 groups" not in html


def test_pdf_summary_has_the_compact_model(snapshot):
    from imds_audit.render.pdf import summary_html

    for lang in ("en", "ja"):
        html = summary_html(ReportView(fx.make_findings(), snapshot, lang=lang), {"coverage": "<svg/>"})
        tr = i18n.Catalogue(lang)
        assert html_escape(tr("methodology.risk_title")) in html
        for row in RISK_MODEL["privilege"]:
            assert html_escape(tr.label("tier", row["tier"])) in html
        assert 'class="tier tier-admin"' in html
        assert "1 groups" not in html


def test_reasons_for_many_groups_are_complete():
    """Every one of 5,000 groups gets a reason (the time it takes is `make bench`'s to print, not a
    test's to assert)."""
    f = fx.synthetic_findings(5000)
    out = reasons.group_reasons(f.groups, f.sources, "ja", f.not_assessed)
    assert len(out) == 5000 and out.notna().all()
    assert isinstance(out, pd.Series)
