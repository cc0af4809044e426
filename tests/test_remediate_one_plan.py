"""One plan per run: every channel (each group's fix in the report, remediate.sh, console.md, fixes.tf)
renders from the same plan, so they agree by construction -- checked on a synthetic estate with shared
templates, $Latest, mixed policies, launch configurations, unknown sources and hostile names, and on the
two disagreements the per-group rebuild had (issue 12); and the fast paths the rendering relies on
(quoting, template attribute lookup) change no output."""

from __future__ import annotations

import jinja2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import json
import re

from imds_audit.remediate import bundle_files, group_parts, quoting
from imds_audit.remediate.env import html_env, text_env
from remediation_examples import frames, group, lc_source, lt_source, plan
from test_remediate_quoting import HOSTILE

KEY = ["account_id", "region", "asg_name"]


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


def _version_data(cli: str) -> dict[tuple, str]:
    """(template id, source version) → the --launch-template-data of each create-launch-template-version."""
    out = {}
    for block in cli.split("create-launch-template-version")[1:]:
        lt = re.search(r"--launch-template-id\s+'?([^' \\]+)", block).group(1)
        version = re.search(r"--source-version\s+'?(\d+)", block).group(1)
        out[(lt, version)] = re.search(r"--launch-template-data\s+'([^']*)'", block).group(1)
    return out


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_channel_says_what_the_bundle_does(lang):
    g, s, lcs = synthetic(60)
    p = plan(g, s, lcs)
    files = bundle_files(p, lang)
    script = files["remediate.sh"][0]
    console = files["console.md" if lang == "en" else f"console.{lang}.md"][0]
    in_bundle = _version_data(script)
    assert in_bundle  # the estate does create versions
    for fix in p.fixes:
        parts = group_parts(fix, lang)
        # the same new versions, with the same MetadataOptions, as remediate.sh creates
        for key, data in _version_data(parts["cli"]).items():
            assert in_bundle[key] == data, (fix.group["asg_name"], key)
        # and the group's console steps are the bundle's own section for it
        assert parts["console"].strip() in console
    names = {tuple(f.group[k] for k in KEY) for f in p.fixes}
    assert names == {tuple(r) for r in g[g["status"].eq("non_compliant")][KEY].itertuples(index=False)
                     if p.fix_for(*r) is not None}


def test_a_version_shared_by_a_container_node_and_an_excessive_group_says_the_same_everywhere():
    """Issue 12, the first disagreement: two groups share launch template version v3; one runs EKS/ECS
    nodes (hop limit 2 expected), the other is flagged excessive. One version serves both, so it keeps
    hop limit 2 -- in the report's fix for each group, in remediate.sh and in Terraform -- and the
    excessive group's fix says why its hop limit stays at 2 and what would lower it."""
    g, s, lcs = frames([group("eks-nodes", hop=2, flag="expected_container"), group("web", hop=2, flag="excessive")],
                       [lt_source("eks-nodes", "lt-1", "shared", "$Default", 3, hop=2),
                        lt_source("web", "lt-1", "shared", "$Default", 3, hop=2)])
    p = plan(g, s, lcs)
    versions = [a for a in p.actions if a.kind == "create_version"]
    assert len(versions) == 1 and versions[0].facts["hop"] == 2
    script = bundle_files(p, "en")["remediate.sh"][0]
    for lang in ("en", "ja"):
        for name in ("eks-nodes", "web"):
            parts = group_parts(p.fix_for(g.loc[0, "account_id"], g.loc[0, "region"], name), lang)
            data = json.loads(next(iter(_version_data(parts["cli"]).values())))
            assert data["MetadataOptions"]["HttpPutResponseHopLimit"] == 2
            assert "http_put_response_hop_limit = 2" in parts["terraform"]
            assert "**2**" in parts["console"]
        assert json.loads(next(iter(_version_data(script).values())))["MetadataOptions"]["HttpPutResponseHopLimit"] == 2
    web = p.fix_for(g.loc[0, "account_id"], g.loc[0, "region"], "web")
    assert [(h.before, h.after, h.wanted, h.shared_with) for h in web.hop_changes] == [(2, 2, 1, ["eks-nodes"])]
    en, ja = group_parts(web, "en"), group_parts(web, "ja")
    assert "stays at 2" in en["console"] and "`eks-nodes`" in en["console"]
    assert "Hop limit stays 2 (this group alone would get 1)" in en["cli"]
    assert "eks-nodes" in ja["console"] and "2 のまま" in ja["console"]
    eks = p.fix_for(g.loc[0, "account_id"], g.loc[0, "region"], "eks-nodes")
    assert eks.hop_changes == []  # nothing changes for the node group


def test_japanese_remediation_gives_the_unknown_source_s_reason_in_japanese():
    """Issue 12, the second: an unfixable source's reason in console.ja.md and the Japanese CLI
    comments was the verdict's English ("...version 4: the record was not read")."""
    unknown = dict(lt_source("m", "lt-9", "gpu", "4", None, position="override:0"), status="unknown",
                   reason_code="record_not_read", tokens_from=None)
    g, s, lcs = frames([group("m", kind="mixed_instances_policy")],
                       [lt_source("m", "lt-1", "base", "$Default", 3, position="base"), unknown])
    p = plan(g, s, lcs)
    files = bundle_files(p, "ja")
    ja_console, ja_script = files["console.ja.md"][0], files["remediate.sh"][0]
    parts = group_parts(p.fixes[0], "ja")
    for text in (ja_console, ja_script, parts["console"], parts["cli"]):
        assert "設定内容を取得できなかったため判定不能" in text
        assert "not read" not in text and "the record" not in text
    en = group_parts(p.fixes[0], "en")
    assert "launch template gpu (lt-9) version 4: the record was not read" in en["cli"]


def test_the_report_shows_each_group_the_plan_s_fix():
    """ReportView.remediation_items renders every non-compliant group from the findings' stored plan:
    the same text as rendering the freshly built plan."""
    import report_fixtures as fx
    from imds_audit import pipeline
    from imds_audit.findings import Findings
    from imds_audit.present import ReportView

    g, s, lcs = synthetic(30)
    g = g.assign(drift=False, risk_tier="write")
    f = Findings(groups=g, sources=s)
    pipeline.with_plan(pipeline.with_coverage(f), lcs)
    snapshot = fx.write_snapshot(__import__("tempfile").mkdtemp() + "/snap")
    items = ReportView(fx.report_findings(snapshot, f), lang="ja").remediation_items()
    fresh = plan(g, s, lcs)
    bad = g[g["status"].eq("non_compliant")].sort_values(KEY)
    assert [(i["account_id"], i["region"], i["asg_name"]) for i in items] == [tuple(r) for r in bad[KEY].itertuples(index=False)]
    for item in items:
        fix = fresh.fix_for(item["account_id"], item["region"], item["asg_name"])
        expected = group_parts(fix, "ja") if fix else {"console": "", "cli": "", "terraform": "", "warning": None}
        assert item["error"] is None
        assert {k: item[k] for k in ("console", "cli", "terraform")} == {k: expected[k] for k in ("console", "cli", "terraform")}


def test_an_unknown_language_is_refused():
    g, s, lcs = frames([group("a")], [lt_source("a", "lt-1", "t", "$Default", 1)])
    with pytest.raises(ValueError, match="language"):
        group_parts(plan(g, s, lcs).fixes[0], "fr")


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
