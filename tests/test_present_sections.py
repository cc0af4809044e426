"""The report's sections from hand-made findings: numbers, escaping of hostile names, Japanese text,
remediation shown or honestly absent."""

import html

import pytest

import report_fixtures as fx
from imds_audit import i18n
from imds_audit.present import ReportView, charts, summary, tables


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    return fx.write_snapshot(tmp_path_factory.mktemp("snap") / "snapshot")


def _view(snapshot, lang="en", **kw):
    kw.setdefault("client", "ACME <b>Corp</b>")
    kw.setdefault("engagement", "Q1 " + fx.TEMPLATE)
    return ReportView(fx.report_findings(snapshot, lang=lang, **kw), lang=lang)


def _all_html(view):
    parts = [view.assets(plotlyjs=False), view.headline(), view.scope(), view.coverage_chart(),
             view.chart("roles"), view.chart("tiers"), view.chart("drift"), view.roles(), view.next_steps(),
             view.groups(), view.exceptions(), view.remediation(), view.methodology(), view.trend(),
             view.metadata()]
    return "".join(parts)


def test_headline_numbers():
    h = summary.headline(fx.make_findings())
    assert (h["groups"], h["compliant"], h["non_compliant"], h["unknown"]) == (12, 5, 6, 1)
    assert h["coverage_pct"] == pytest.approx(45.5)
    assert (h["instances"], h["instances_allowing"]) == (26, 13)
    assert h["exposed_roles"] == 5 and h["active_roles"] == 2 and h["critical_roles"] == 2
    assert h["not_assessed"] == 2


def test_next_steps_are_ordered_and_counted():
    steps = summary.next_steps(fx.make_findings())
    keys = [s["key"] for s in steps]
    assert keys[0] == "fix_critical" and keys[-1] == "prevent"
    by = {s["key"]: s for s in steps}
    assert by["readiness"]["count"] == 2 and by["readiness"]["effort"] == "high"
    assert by["migrate_lc"]["count"] == 2 and by["not_assessed"]["unit"] == "calls"


def test_groups_that_cannot_launch_come_first_and_owned_groups_go_through_their_owner(snapshot):
    f = fx.make_findings()
    g = f.groups
    bad = g.index[g["status"].eq("non_compliant") & ~g["risk_tier"].isin(summary.CRITICAL_TIERS)
                  & g["readiness"].ne("blocked")]
    before = {s["key"]: s["count"] for s in summary.next_steps(f)}
    g["launch_failure"] = False
    g.loc[g["status"].eq("unknown"), "launch_failure"] = True   # e.g. a pinned version that is gone
    g["managed_by"] = ""
    g.loc[bad[0], "managed_by"] = "eks"                          # fixed through the node group
    g.loc[bad[1], "managed_by"] = "ecs"                          # ECS leaves the group's settings to us
    steps = summary.next_steps(f)
    by = {s["key"]: s["count"] for s in steps}
    assert steps[0]["key"] == "repair_launch" and by["repair_launch"] == 1
    assert by["through_owner"] == 1 and by["enforce_rest"] == before["enforce_rest"] - 1
    assert "through_owner" not in before and "repair_launch" not in before
    for lang, words in (("en", "One group cannot launch at all"), ("ja", "1 件のグループはインスタンスを起動できません")):
        view = ReportView(fx.report_findings(snapshot, f, lang=lang), lang=lang)
        assert words in view.sentence()
        assert i18n.Catalogue(lang)("next.through_owner") in html.unescape(str(view.next_steps()))


def test_top_roles_in_risk_order_with_language():
    top = summary.top_roles(fx.make_findings(), 3, "ja")
    assert list(top["role_name"]) == ["web-admin", "ci-deployer", "etl-data"]
    assert "全リソース" in top.loc[0, "reason"]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_hostile_names_are_escaped_everywhere(snapshot, lang):
    page = _all_html(_view(snapshot, lang))
    assert fx.XSS not in page
    assert "<b>Corp</b>" not in page and "<b>not bold</b>" not in page
    assert html.escape(fx.XSS, quote=False) in page
    assert fx.TEMPLATE in page  # shown literally, never evaluated by Jinja
    assert fx.SHELL in page and fx.JAPANESE in page


def test_japanese_report_reads_japanese(snapshot):
    page = _all_html(_view(snapshot, "ja"))
    for text in ("対象範囲", "評価できなかった項目", "次に取るべき対応", "評価方法", "IMDSv1 許可"):
        assert text in page
    assert "Scope" not in page.replace("ia-scope", "")


def test_sections_have_anchor_targets_for_the_contents(snapshot):
    page = _all_html(_view(snapshot))
    for anchor, _ in __import__("imds_audit.present.view", fromlist=["TOC"]).TOC:
        assert f'id="{anchor}"' in page, anchor


def test_compliance_mapping_names_the_controls(snapshot):
    page = _view(snapshot).methodology()
    for control in ("AutoScaling.3", "EC2.8", "EC2.170", "5.6"):
        assert control in page
    assert "CIS AWS Foundations Benchmark" in page


def test_not_assessed_lists_failed_calls(snapshot):
    scope = _view(snapshot).scope()
    assert "DescribeLaunchTemplateVersions" in scope and "Access denied" in scope
    assert "&lt;Auditor&gt;" in scope


def test_each_fix_shown_once_per_template_version_and_linked_from_its_groups(snapshot):
    """The fixture's 6 non-compliant groups need 4 fixes: the three of 111…/us-east-1 launch from one
    template version (lt-0abc v3), one fix serves them; two groups use launch configurations, and
    222…/us-east-1 has one more lt-0abc group. Each group's row links to its fix, the fix back."""
    view = _view(snapshot)
    fixes = view.remediation_fixes()
    assert sorted(len(f["members"]) for f in fixes) == [1, 1, 1, 3]
    shared = next(f for f in fixes if len(f["members"]) == 3)
    assert {m["asg_name"] for m in shared["members"]} == {"web-prod", "batch-etl", fx.XSS}
    page = view.remediation()
    assert page.count('<details class="fix"') == 4
    assert page.count("aws ec2 create-launch-template-version") == 2  # once per version created
    assert fx.XSS not in page and html.escape(fx.XSS, quote=False) in page
    groups = view.groups()
    bad = fx.groups_frame().query("status == 'non_compliant'")
    for g in bad.itertuples():
        anchor = tables.group_anchor(g.account_id, g.region, g.asg_name)
        fix = next(f for f in fixes if any(m["anchor"] == anchor for m in f["members"]))
        row = groups[groups.index(f'<tr id="{anchor}"'):]
        assert row[:row.index("</tr>")].count(f'href="#fix-{fix["n"]}"') == 1  # the row links to its fix
        assert f'href="#{anchor}"' in page                                  # and the fix to the row
    assert groups.count('href="#fix-') == len(bad)


def test_packed_fixes_and_rows_unpack_to_the_plain_html(snapshot):
    """Large estates ship the fixes' steps and the groups' rows gzipped: the same HTML once unpacked."""
    import json
    import re

    from imds_audit.present import sections

    view = _view(snapshot)
    plain, packed = view.remediation(packed=False), view.remediation(packed=True)
    blob = re.search(r'<script type="application/x-imds-audit-pack" id="ia-fix-pack">([^<]+)</script>', packed)
    bodies = json.loads(sections.unpack(blob.group(1)))
    assert len(bodies) == packed.count('<div class="fix-body" data-fix=') == 4
    for body in bodies:
        assert body.strip() in plain
    assert "create-launch-template-version" not in packed
    rows = re.search(r'id="ia-groups-table-rows">([^<]+)</script>', view.groups(packed=True)).group(1)
    unpacked = sections.unpack(rows)
    assert unpacked.count("<tr ") == 12 and unpacked.strip() in view.groups(packed=False)


def test_group_table_rows_and_status_filter_values():
    t = tables.groups_table(fx.groups_frame(), i18n.Catalogue("en"))
    assert len(t.rows) == 12 and len(t.row_status) == 12
    assert t.row_status[0] == "non_compliant"  # worst first
    assert [kind for _, kind in t.headers].count("number") >= 4


def test_group_table_filters_per_column_and_the_optional_owner_and_reachability():
    """A select per column (account, region, status, risk tier), offering the values the rows show
    (statuses worst first); owner (managed_by) and reachability only when the findings carry values."""
    tr = i18n.Catalogue("en")
    t = tables.groups_table(fx.groups_frame(), tr)
    labels = [t.headers[i][0] for i, _ in t.filters]
    assert labels == [tr("col.account_id"), tr("col.region"), tr("col.status"), tr("col.risk_tier")]
    values = dict((t.headers[i][0], v) for i, v in t.filters)
    assert values[tr("col.status")] == ["IMDSv1 allowed", "Not assessed", "IMDSv2 only"]
    assert values[tr("col.account_id")] == [fx.A1, fx.A2]
    for index, offered in t.filters:  # every row's cell is one of its column's values
        assert {row[index].text for row in t.rows} == set(offered)
    g = fx.groups_frame().assign(managed_by=None)
    assert tr("col.managed_by") not in [h for h, _ in tables.groups_table(g, tr).headers]  # no values: no column
    g["managed_by"] = ["team-a", "team-b"] * 6
    g["reachability"] = ["internet", "private", None] * 4
    t = tables.groups_table(g, tr)
    values = dict((t.headers[i][0], v) for i, v in t.filters)
    assert values[tr("col.managed_by")] == ["team-a", "team-b"]
    assert values[tr("col.reachability")] == ["internet", "private", "—"]
    page = ReportView(fx.report_findings(fx.write_snapshot(__import__("tempfile").mkdtemp() + "/s")), "en").groups()
    assert page.count('<select class="ia-col"') == 4 and 'class="ia-csv"' in page


def test_trend_only_when_previous_given(snapshot):
    assert _view(snapshot).trend() == ""
    prev = fx.make_findings()
    prev.groups.loc[prev.groups["asg_name"] == "web-prod", "status"] = "compliant"
    view = _view(snapshot, previous=prev, previous_snapshot=snapshot)
    assert view.trend_data["regressed"] == [{"account_id": fx.A1, "region": "us-east-1", "asg_name": "web-prod"}]
    assert "ia-chart-trend" in view.trend()


def test_chart_labels_escape_estate_text():
    f = fx.make_findings()
    f.roles.loc[0, "role_name"] = "<img src=x onerror=alert(3)>"
    fig = charts.role_risk(f.roles, i18n.Catalogue("en"))
    labels = [y for trace in fig.data for y in trace.y]
    assert any("&lt;img" in y for y in labels) and not any("<img" in y for y in labels)


def test_charts_cope_with_an_empty_estate(snapshot):
    f = fx.make_findings()
    f.groups = f.groups.iloc[0:0]
    f.roles = f.roles.iloc[0:0]
    f.coverage = f.coverage.iloc[0:0]
    figs = charts.all_figures(f, i18n.Catalogue("ja"))
    assert set(figs) == {"coverage", "roles", "tiers", "drift"}


def test_element_ids_are_unique(snapshot):
    import re
    from collections import Counter

    ids = Counter(re.findall(r'\bid="([^"]+)"', _all_html(_view(snapshot, previous=fx.make_findings(),
                                                                previous_snapshot=snapshot))))
    assert [i for i, n in ids.items() if n > 1] == []


def test_console_markdown_escapes_before_marking_up():
    from imds_audit.present.sections import console_markdown

    out = console_markdown("### Group `<script>x</script>`\n> **Warning** `$(rm -rf /)`\n1. plain")
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "<h3>" in out and "<strong>Warning</strong>" in out and "<blockquote>" in out
    assert "<code>$(rm -rf /)</code>" in out and "<ol>" in out


def test_console_markdown_follows_commonmark_code_spans():
    """The remediation module fences a name holding backquotes with a longer run of backquotes; the
    name is shown whole, and ** or <b> inside a code span stay text."""
    from imds_audit.present.sections import console_markdown

    out = console_markdown("Select ``a`b`` and `x**y**` and `<b>` and <i>raw</i> and [l](http://e)")
    assert "<code>a`b</code>" in out and "<code>x**y**</code>" in out and "<code>&lt;b&gt;</code>" in out
    assert "<strong>" not in out and "<i>" not in out and "<a " not in out


@pytest.mark.parametrize("lang,expect", [("en", "privilege tiers ignore any boundary"), ("ja", "権限境界を考慮していません")])
def test_metadata_says_when_the_snapshot_is_of_an_older_schema(snapshot, lang, expect):
    import dataclasses

    assert expect not in _view(snapshot, lang).metadata()
    old = dataclasses.replace(snapshot, schema_version=1)
    assert old.migration_note
    assert expect in _view(old, lang).metadata()


def test_accepted_risks_are_shown_with_their_justification(snapshot):
    from datetime import date

    from imds_audit import pipeline
    from imds_audit.analyze import exceptions as accepted

    f = fx.make_findings()
    entries = accepted.parse({"exceptions": [
        {"asg": "web-prod", "reason": "vendor <agent> 4.x", "owner": "ops@example.com", "expires": "2099-01-31"},
        {"asg": "batch-*", "reason": "old", "owner": "x@example.com", "expires": "2020-01-01"},
        {"asg": "gone-*", "reason": "gone", "owner": "y@example.com", "expires": "2099-01-01"}]})
    summary = pipeline.with_exceptions(f, entries, date(2026, 12, 1))
    f = fx.report_findings(snapshot, f)
    f.meta["exceptions"] = summary
    view = ReportView(f, lang="en")
    page = str(view.exceptions())
    assert "web-prod" in page and "vendor &lt;agent&gt; 4.x" in page and "31 January 2099" in page
    assert "Exception expired" in page and "batch-etl" in page        # kept in the table, marked expired
    assert "Stale entries" in page and "gone-*" in page and "Expired entries" in page
    assert "One of them is an accepted risk" in view.sentence()
    groups = str(view.groups())
    assert "Accepted risk" in groups and "web-prod" in groups          # never hidden from the groups table
    ja = ReportView(f, lang="ja")
    assert "受容済み" in str(ja.exceptions()) and "受容済みのリスク" in ja.sentence()
