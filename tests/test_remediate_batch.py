"""The batch API: remediation_for_groups gives every group exactly what remediation_for_group gives it
(with that group's own source rows, as the report calls it), for the example estate and for a synthetic
one with shared templates, $Latest, mixed policies, launch configurations, unknown sources and hostile
names; and the fast paths it relies on (quoting, template attribute lookup) change no output."""

from __future__ import annotations

import jinja2
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imds_audit.remediate import (
    remediation_for_group,
    remediation_for_groups,
    remediation_html,
    remediation_html_for_groups,
)
from imds_audit.remediate import quoting
from imds_audit.remediate.env import html_env, text_env
from imds_audit.remediate.example import example_findings, frames, group, lc_source, lt_source
from test_remediate_quoting import HOSTILE

KEY = ["account_id", "region", "asg_name"]


def own_rows(s: pd.DataFrame, row) -> pd.DataFrame:
    return s[s["account_id"].eq(row["account_id"]) & s["region"].eq(row["region"])
             & s["asg_name"].eq(row["asg_name"])]


def one_by_one(g, s, lcs, lang):
    return {(row["account_id"], row["region"], row["asg_name"]):
            remediation_for_group(row, own_rows(s, row), lang, launch_configurations=lcs)
            for _, row in g.iterrows()}


def synthetic(n: int):
    """n groups over 2 accounts x 2 regions: templates shared by ~3 groups at $Default, $Latest and
    numbers, mixed policies (base, overrides, $Latest override), launch configurations shared by
    several groups, unknown and compliant sources, readiness callers, hop limits kept and lowered,
    groups without instances, hostile names, and compliant groups launching shared templates at $Latest."""
    accounts, regions = ["111111111111", "222222222222"], ["us-east-1", "ap-northeast-1"]
    groups, sources, lcs = [], [], {}
    for i in range(n):
        kw = dict(account=accounts[i % 2], region=regions[(i // 2) % 2])
        name = f"asg-{i:04d}" + (HOSTILE[i % len(HOSTILE)] if i % 5 == 0 else "")
        lt_id = f"lt-{i // 3:017x}"
        lt_name = f"tpl-{i // 3}" + (HOSTILE[(i // 3) % len(HOSTILE)] if i % 7 == 0 else "")
        calls, callers = (5.0, "i-0abc i-0def") if i % 4 == 0 else (0.0, "")
        hop, flag = (2, "expected_container") if i % 11 == 0 else ((3, "excessive") if i % 13 == 0 else (1, "ok"))
        inst = 0 if i % 9 == 0 else 2
        kind = i % 8
        if kind in (0, 1):
            groups.append(group(name, calls=calls, callers=callers, hop=hop, flag=flag, instances=inst, **kw))
            sources.append(lt_source(name, lt_id, lt_name, "$Default", 3 + i % 3, hop=hop, **kw))
        elif kind == 2:
            groups.append(group(name, calls=calls, instances=inst, **kw))
            sources.append(lt_source(name, lt_id, lt_name, "$Latest", 9, **kw))
        elif kind == 3:
            groups.append(group(name, hop=hop, flag=flag, instances=inst, **kw))
            sources.append(lt_source(name, lt_id, lt_name, str(2 + i % 4), 2 + i % 4, hop=hop, **kw))
        elif kind in (4, 5):
            groups.append(group(name, kind="mixed_instances_policy", calls=calls, instances=inst, **kw))
            sources.append(lt_source(name, lt_id, lt_name, "7", 7, position="base", **kw))
            sources.append(lt_source(name, f"lt-o{i:016x}", f"ovr-{i}", "$Default", 1, position="override:0", **kw))
            if i % 3 == 0:
                # an override at $Latest, fixed or already IMDSv2-only (then an unchanged copy keeps $Latest)
                sources.append(lt_source(name, lt_id, lt_name, "$Latest", 9, position="override:1",
                                         tokens="required" if i % 2 else "optional", **kw))
        elif kind == 6:
            lc = f"lc-{i // 16}" + (HOSTILE[i % len(HOSTILE)] if i % 3 == 0 else "")
            groups.append(group(name, kind="launch_configuration", calls=calls, instances=inst, **kw))
            sources.append(lc_source(name, lc, hop=hop, **kw))
            lcs[(kw["account"], kw["region"], lc)] = {
                "account_id": kw["account"], "region": kw["region"], "launch_configuration_name": lc,
                "http_tokens": "optional", "http_endpoint": "enabled", "hop_limit": 1,
                "image_id": "ami-0123456789abcdef0", "instance_type": "t3.small",
                "iam_instance_profile": "app-profile"}
        else:
            groups.append(group(name, calls=calls, instances=inst, **kw))
            sources.append(lt_source(name, lt_id, lt_name, "$Default", 3, **kw))
            unknown = lt_source(name, f"lt-u{i:016x}", "unknown-lt", "$Default", None, **kw)
            unknown["status"] = "unknown"
            sources.append(unknown)
            sources.append(lt_source(name, f"lt-c{i:016x}", "ok-lt", "$Default", 1, tokens="required", **kw))
    for i in range(0, n, 10):
        kw = dict(account=accounts[i % 2], region=regions[(i // 2) % 2])
        groups.append(group(f"good-{i}", status="compliant", **kw))
        sources.append(lt_source(f"good-{i}", f"lt-{i // 3:017x}", f"tpl-{i // 3}", "$Latest", 11,
                                 tokens="required", **kw))
    groups.append(group("no-sources", **dict(account=accounts[0], region=regions[0])))
    groups.append(group("unknown-group", status="unknown", calls=1.0))
    return frames(groups, sources, list(lcs.values()))


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_example_estate_same_as_one_group_at_a_time(lang):
    g, s, lcs = example_findings()
    batch = remediation_for_groups(g, s, lang, launch_configurations=lcs)
    assert batch == one_by_one(g, s, lcs, lang)
    assert set(batch) == {tuple(k) for k in g[KEY].itertuples(index=False)}
    # a row as a dict, one group, and the non-compliant subset sorted as the report passes it
    bad = g[g["status"].eq("non_compliant")].sort_values(KEY)
    assert remediation_for_groups(bad, s, lang, lcs) == {k: v for k, v in batch.items() if k[2] != "good-asg"}
    row = g[g.asg_name == "web-asg"].iloc[0]
    assert remediation_for_groups(row, s, lang, lcs) == {tuple(row[KEY]): batch[tuple(row[KEY])]}
    assert batch[("123456789012", "ap-northeast-1", "good-asg")] == {"console": "", "cli": "", "terraform": "",
                                                                     "warning": ""}


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_synthetic_estate_same_as_one_group_at_a_time(lang):
    g, s, lcs = synthetic(120)
    batch = remediation_for_groups(g, s, lang, launch_configurations=lcs)
    expected = one_by_one(g, s, lcs, lang)
    assert batch.keys() == expected.keys()
    for key in expected:
        assert batch[key] == expected[key], key
    # the estate exercises what it claims to
    texts = "".join(v["cli"] for v in batch.values())
    assert "describe-launch-configurations" in texts and "--mixed-instances-policy" in texts
    assert "keeps $Latest" in texts and "modify-launch-template" in texts
    assert any(v["warning"] for v in batch.values())
    # frames as lists of dicts give the same
    as_records = remediation_for_groups(g.to_dict("records"), s.to_dict("records"), lang, lcs.to_dict("records"))
    assert as_records == batch


def test_html_variant_same_as_remediation_html():
    g, s, lcs = synthetic(40)
    hostile = frames([group("<script>alert(1)</script>", calls=3.0, callers="i-1")],
                     [lt_source("<script>alert(1)</script>", "lt-1", "t<b>", "$Default", 1)])
    for gg, ss, ll in ((g, s, lcs), (*hostile[:2], None)):
        for lang in ("en", "ja"):
            batch = remediation_html_for_groups(gg, ss, lang, launch_configurations=ll)
            for _, row in gg.iterrows():
                one = remediation_html(row, own_rows(ss, row), lang, launch_configurations=ll)
                assert str(batch[tuple(row[KEY])]) == str(one)
    html = str(next(iter(remediation_html_for_groups(*hostile[:2], "ja").values())))
    assert "<script>" not in html and "&lt;script&gt;" in html and "<b>" not in html


def test_errors_raise_or_are_collected_per_group():
    g, s, lcs = example_findings()
    s = s.astype({"version_resolved": object})
    s.loc[s.asg_name == "batch-asg", "version_resolved"] = "not-a-number"
    with pytest.raises(ValueError):
        remediation_for_groups(g, s, "en", lcs)
    out = remediation_for_groups(g, s, "en", lcs, errors="collect")
    assert isinstance(out[("123456789012", "ap-northeast-1", "batch-asg")]["error"], ValueError)
    good = one_by_one(g[g.asg_name == "web-asg"], s, lcs, "en")
    assert {k: out[k] for k in good} == good
    with pytest.raises(ValueError):
        remediation_for_groups(g, s, "en", lcs, errors="ignore")
    with pytest.raises((KeyError, jinja2.TemplateNotFound)):
        remediation_for_groups(g, s, "fr", lcs)


def test_report_call_site_gives_the_same_items():
    """view.remediation_items gives the same items through the batch as one group at a time."""
    from types import SimpleNamespace

    from imds_audit.present import view as view_module
    g, s, lcs = synthetic(30)
    findings = SimpleNamespace(groups=g, sources=s)
    snapshot = SimpleNamespace(tables={"launch_configurations": lcs})
    fake = SimpleNamespace(findings=findings, snapshot=snapshot, lang="ja")
    items, why = view_module.ReportView.remediation_items(fake)
    assert why == "" and items
    bad = g[g["status"].eq("non_compliant")].sort_values(KEY)
    expected = one_by_one(bad, s, lcs, "ja")
    assert [(i["account_id"], i["region"], i["asg_name"]) for i in items] == list(expected)
    for item in items:
        key = (item["account_id"], item["region"], item["asg_name"])
        assert item["error"] is None
        assert {k: item[k] for k in ("console", "cli", "terraform", "warning")} == expected[key]


# the fast paths -----------------------------------------------------------------------------------

texts = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=60),
                  st.text(st.characters(min_codepoint=0, max_codepoint=0x7F), max_size=60))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts)
def test_quoting_fast_paths_match_the_character_by_character_versions(text):
    assert quoting.visible(text) == quoting._visible(text)
    assert quoting.hcl_string(text) == quoting._hcl_string(text)
    assert quoting.visible.uncached(text) == quoting._visible(text)
    for fn in (quoting.md_code, quoting.md_text, quoting.hcl_string, quoting.visible):
        assert fn(text) == fn.uncached(text)
    assert quoting.sh(text) == quoting.shlex.quote(text)
    assert quoting.hcl_label(text, "lt-1") == quoting._hcl_label((text, "lt-1"), 48)
    assert quoting.hcl_label(text, limit=5) == quoting._hcl_label((text,), 5)


def test_quoting_caches_keep_types_apart():
    assert quoting.visible(1) == "1" and quoting.visible(1.0) == "1.0" and quoting.visible(True) == "True"
    assert quoting.hcl_string(2) == '"2"' and quoting.hcl_string(2.0) == '"2.0"'
    assert quoting.sh(3) == "3" and quoting.sh(3.0) == "3.0"


@pytest.mark.parametrize("env", [text_env, html_env])
def test_template_dict_lookup_is_unchanged(env):
    e = env()
    with_filter = "|text" if env is text_env else ""
    # an attribute of dict wins over a key of the same name, as in Jinja2 itself
    assert e.from_string("{{ d.items is callable }}" if env is html_env else
                         "{% if d.items is callable %}{{ 1|num }}{% endif %}").render(d={"items": "x"}) in ("True", "1")
    assert e.from_string("{{ d.name" + with_filter + " }}").render(d={"name": "<n>"}) in ("<n>", "&lt;n&gt;")
    assert e.from_string("{{ d.get('k')" + with_filter + " }}").render(d={"k": "v"}) == "v"
    with pytest.raises(jinja2.UndefinedError):
        e.from_string("{{ d.missing" + with_filter + " }}").render(d={})
    # objects other than plain dicts keep the attribute-first lookup
    assert e.from_string("{{ o.real" + ("|num" if env is text_env else "") + " }}").render(o=5) == "5"
