"""The exit code a CI job acts on (DESIGN.md §8), one test per code, through the real command line:
0 all assessed and IMDSv2-only (or excepted), 3 IMDSv1 allowed and not excepted, 4 nothing allowed but
something not assessed, 2 usage or input error, 1 unexpected failure; and --fail-on."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import factory
from imds_audit import snapshot as snap
from imds_audit.cli import app
from imds_audit.exit_codes import exit_code


def _report(tmp_path, snapshot, *args):
    path = snap.write(snapshot, tmp_path / "snap")
    return CliRunner().invoke(app, ["report", str(path), "--out", str(tmp_path / "out"), "--format", "csv", *args])


def _compliant():
    return factory.template_group(name="web", tokens="required")


def _non_compliant():
    return factory.template_group(name="web", tokens="optional", endpoint="enabled")


def _unknown():  # the template version the group names was not read
    return factory.template_group(name="web", version="7")


def test_0_when_every_group_is_imdsv2_only_and_everything_was_read(tmp_path):
    done = _report(tmp_path, _compliant())
    assert done.exit_code == 0, done.output
    assert "open " in done.output  # the end of a run says which file to open


def test_3_when_a_group_allows_imdsv1(tmp_path):
    assert _report(tmp_path, _non_compliant()).exit_code == 3
    assert _report(tmp_path, _non_compliant(), "--fail-on", "non_compliant").exit_code == 3
    assert _report(tmp_path, _non_compliant(), "--fail-on", "never").exit_code == 0


def test_3_is_lifted_by_a_valid_exception_and_not_by_an_expired_one(tmp_path):
    rules = tmp_path / "exceptions.yaml"
    rules.write_text("exceptions:\n  - asg: web\n    reason: vendor agent\n    owner: ops@example.com\n"
                     "    expires: 2099-01-01\n", encoding="utf-8")
    assert _report(tmp_path, _non_compliant(), "--exceptions", str(rules)).exit_code == 0
    rules.write_text(rules.read_text().replace("2099-01-01", "2020-01-01"), encoding="utf-8")
    assert _report(tmp_path, _non_compliant(), "--exceptions", str(rules)).exit_code == 3


def test_4_when_nothing_allows_imdsv1_but_something_was_not_assessed(tmp_path):
    assert _report(tmp_path, _unknown()).exit_code == 4
    assert _report(tmp_path, _unknown(), "--fail-on", "non_compliant").exit_code == 0
    # an API that was not read counts even when every group was judged
    denied = _compliant()
    denied.api_calls.append({"account_id": factory.A, "region": "eu-west-1", "api": "DescribeAutoScalingGroups",
                             "outcome": "access_denied", "message": "AccessDenied"})
    assert _report(tmp_path, denied).exit_code == 4


@pytest.mark.parametrize("args", [["--format", "docx"], ["--format", ""], ["--lang", "fr"],
                                  ["--fail-on", "sometimes"]])
def test_2_for_a_usage_error(tmp_path, args):
    path = snap.write(_compliant(), tmp_path / "snap")
    done = CliRunner().invoke(app, ["report", str(path), "--out", str(tmp_path / "out"), *args])
    assert done.exit_code == 2
    assert not (tmp_path / "out").exists()


def test_2_for_a_damaged_snapshot_or_an_out_that_is_a_file(tmp_path):
    path = snap.write(_compliant(), tmp_path / "snap")
    (path / "manifest.json").write_text("{", encoding="utf-8")
    done = CliRunner().invoke(app, ["report", str(path), "--out", str(tmp_path / "out")])
    assert done.exit_code == 2 and "damaged manifest" in done.output
    good = snap.write(_compliant(), tmp_path / "snap2")
    (tmp_path / "file").write_text("x")
    done = CliRunner().invoke(app, ["report", str(good), "--out", str(tmp_path / "file"), "--format", "csv"])
    assert done.exit_code == 2 and "not a folder" in done.output and "Traceback" not in done.output


def test_1_for_an_unexpected_failure(tmp_path, monkeypatch):
    from imds_audit.render import static_charts

    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-browser"))
    static_charts.stop()  # a browser an earlier test of this process started would otherwise be reused
    path = snap.write(_compliant(), tmp_path / "snap")
    done = CliRunner().invoke(app, ["report", str(path), "--out", str(tmp_path / "out"), "--format", "pdf"])
    assert done.exit_code == 1


def test_the_rule_itself():
    from imds_audit import pipeline

    for build, code in ((_compliant, 0), (_non_compliant, 3), (_unknown, 4)):
        f = pipeline.analysed(build())
        assert exit_code(f) == code
        assert exit_code(f, "never") == 0
    with pytest.raises(ValueError):
        exit_code(pipeline.analysed(_compliant()), "bogus")
