"""Quarterly history: every diff category, the role exposure diff and the trend."""

import pandas as pd

from imds_audit.analyze import history


def _groups(rows):
    return pd.DataFrame([{"account_id": "1", "region": "r", "asg_name": n, "status": s,
                          "instances": i, "instances_allowing_imdsv1": v, "risk_tier": "admin", "iam_role": "x"}
                         for n, s, i, v in rows])


BEFORE = _groups([("fixed", "non_compliant", 2, 2), ("regressed", "compliant", 1, 0),
                  ("removed", "non_compliant", 1, 1), ("same", "compliant", 1, 0),
                  ("lost", "compliant", 0, 0), ("back", "unknown", 0, 0)])
AFTER = _groups([("fixed", "compliant", 2, 0), ("regressed", "non_compliant", 1, 1),
                 ("added", "non_compliant", 3, 3), ("same", "compliant", 1, 0),
                 ("lost", "unknown", 0, 0), ("back", "compliant", 0, 0)])


def test_every_change_category():
    d = history.diff_groups(AFTER, BEFORE).set_index("asg_name")["change"].to_dict()
    assert d == {"fixed": "newly_compliant", "regressed": "newly_non_compliant", "added": "new_group",
                 "removed": "removed_group", "same": "unchanged", "lost": "newly_unknown", "back": "now_assessed"}


def test_diff_is_ordered_worst_news_first_and_counts_every_category():
    d = history.diff_groups(AFTER, BEFORE)
    assert d.iloc[0]["change"] == "newly_non_compliant"
    assert history.summary(d) == {"newly_non_compliant": 1, "newly_compliant": 1, "new_group": 1,
                                  "removed_group": 1, "newly_unknown": 1, "now_assessed": 1, "unchanged": 1}
    assert list(d.columns) == history.DIFF_COLUMNS


def test_role_exposure_changes():
    cols = ["account_id", "role_name", "privilege_tier", "exposure_level", "exposed_groups", "exposed_instances"]
    before = pd.DataFrame([("1", "admin", "admin", "active", 2, 4), ("1", "web", "read_only", "none", 0, 0),
                           ("1", "same", "write", "exposed", 1, 1), ("1", "gone", "write", "exposed", 1, 1)],
                          columns=cols)
    after = pd.DataFrame([("1", "admin", "admin", "latent", 1, 0), ("1", "web", "read_only", "exposed", 1, 2),
                          ("1", "same", "write", "exposed", 1, 1)], columns=cols)
    d = history.diff_roles(after, before).set_index("role_name")
    assert d["direction"].to_dict() == {"admin": "better", "web": "worse", "gone": "better"}
    assert "same" not in d.index
    assert d.loc["gone", "exposure_level_after"] == "none"


def test_trend_is_oldest_first_with_coverage():
    roles = pd.DataFrame({"exposure_level": ["active", "none"]})
    later = AFTER.assign(status="compliant", instances_allowing_imdsv1=0)
    t = history.trend([("2026-11-01", AFTER, roles), ("2027-02-01", later, roles.iloc[1:]),
                       ("2026-08-01", BEFORE, roles)])
    assert t["collected_at"].tolist() == ["2026-08-01", "2026-11-01", "2027-02-01"]
    # 3 compliant of 5 assessed each time (one unknown excluded), then all 6 compliant
    assert t["coverage_pct"].tolist() == [60.0, 60.0, 100.0]
    assert t["instance_coverage_pct"].tolist() == [40.0, 42.9, 100.0]  # 3 of 5, then 3 of 7 instances
    assert t["exposed_roles"].tolist() == [1, 1, 0]


def test_demo_history_shows_the_quarter_s_changes(demo_paths):
    from imds_audit import snapshot as snap
    from imds_audit.analyze import verdict
    from imds_audit.demo import estate

    def judged(path):
        s = snap.read(path)
        g = verdict.group_status(s["auto_scaling_groups"], verdict.resolve_sources(s))
        return g.assign(instances=0, instances_allowing_imdsv1=0, risk_tier="-", iam_role="-"), s

    now, s_now = judged(demo_paths[0])
    before, s_before = judged(demo_paths[1])
    assert s_before.collected_at < s_now.collected_at
    d = history.diff_groups(now, before)
    changed = d[d["change"] != "unchanged"].set_index("asg_name")["change"].to_dict()
    assert changed == {"web-canary": "newly_non_compliant", "api-pinned-v3": "newly_compliant",
                       "pay-worker-01": "newly_compliant", "pay-api-blue": "newly_compliant",
                       "reports-hop3": "new_group"}
    assert {n for _, n in estate.ADDED_SINCE} <= set(changed)


def test_trend_chart_keeps_the_two_coverage_labels_apart():
    """Where groups and instances have close values, one label goes above its point and the other
    below (printed both above, 45% and 41.5% were drawn over each other in the PDF)."""
    from imds_audit import i18n
    from imds_audit.present import charts

    series = pd.DataFrame({"collected_at": ["2026-08-30T00:00:00+00:00", "2026-11-29T00:00:00+00:00"],
                           "coverage_pct": [45.0, 40.0], "instance_coverage_pct": [41.5, 41.7],
                           "exposed_roles": [7, 7]})
    fig = charts.trend(series, i18n.Catalogue("en"))
    groups, instances = (t for t in fig.data if t.type == "scatter")
    assert list(groups.textposition) == ["top center", "bottom center"]
    assert list(instances.textposition) == ["bottom center", "top center"]
