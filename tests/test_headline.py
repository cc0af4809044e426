"""The headline never claims coverage it did not measure (issues 13 and 16): what could not be read is
said first; a scope read with no groups says so; nothing assessed is never "all compliant"."""

from __future__ import annotations

import factory
import report_fixtures as fx
from imds_audit import pipeline
from imds_audit import snapshot as snap
from imds_audit.present import ReportView


def _sentence(s, tmp_path, lang="en"):
    f = pipeline.analysed(s)
    pipeline.with_plan(f)
    return ReportView(fx.report_findings(fx.write_snapshot(tmp_path / "meta"), f), lang=lang).sentence()


def _calls(*outcomes):
    return [{"account_id": factory.A, "region": region, "api": api, "outcome": outcome, "message": ""}
            for region, api, outcome in outcomes]


def test_a_clean_estate_read_in_full_says_all_enforce(tmp_path):
    s = factory.template_group(tokens="required")
    s.api_calls += _calls((factory.R, "DescribeAutoScalingGroups", "ok"))
    assert _sentence(s, tmp_path).startswith("All 1 assessed Auto Scaling groups enforce IMDSv2")


def test_a_region_read_with_no_groups_says_no_groups_not_all_enforce(tmp_path):
    s = snap.new({}, api_calls=_calls((factory.R, "DescribeAutoScalingGroups", "ok"),
                                      (factory.R, "GetInstanceMetadataDefaults", "ok")))
    text = _sentence(s, tmp_path)
    assert text == "No Auto Scaling group was found in the account region that was read: there is nothing to assess."
    assert "enforce" not in text and "All 0" not in text
    assert "Auto Scaling グループはありませんでした" in _sentence(s, tmp_path, "ja")


def test_an_incomplete_inventory_is_said_first(tmp_path):
    s = factory.template_group(tokens="required")
    s.api_calls += _calls((factory.R, "DescribeAutoScalingGroups", "ok"),
                          ("eu-west-1", "DescribeAutoScalingGroups", "access_denied"))
    text = _sentence(s, tmp_path)
    assert text.startswith(f"The inventory is incomplete: the Auto Scaling groups of {factory.A}/eu-west-1 could "
                           "not be listed, so they are missing from these figures. All 1 assessed")
    assert _sentence(s, tmp_path, "ja").startswith("インベントリが不完全です。")


def test_any_other_api_not_read_is_said_first(tmp_path):
    s = factory.template_group(tokens="required")
    s.api_calls += _calls((factory.R, "DescribeAutoScalingGroups", "ok"), (factory.R, "GetMetricData", "throttled"))
    assert _sentence(s, tmp_path).startswith("Not everything in scope could be read (1 API call failed")


def test_nothing_assessed_is_never_all_compliant(tmp_path):
    s = factory.template_group(version="7")  # the version it names was not read
    s.api_calls += _calls((factory.R, "DescribeAutoScalingGroups", "ok"))
    text = _sentence(s, tmp_path)
    assert text == "The one Auto Scaling group found could not be assessed: no verdict is given."
