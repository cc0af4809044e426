"""Region names are checked against botocore's endpoint data before any call (issue 13.1)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from imds_audit.collect import accounts, regions
from imds_audit.demo import simulated_aws

CLI = str(Path(sys.executable).with_name("imds-audit"))


def test_known_names_pass_and_all_is_kept():
    assert regions.parse("us-east-1, eu-west-1,us-east-1") == ["us-east-1", "eu-west-1"]
    assert regions.parse("all") == ["all"]
    assert regions.parse("") is None and regions.parse(None) is None
    assert regions.parse("cn-north-1") == ["cn-north-1"]  # another partition, on its own
    assert {"us-east-1", "ap-northeast-1"} <= regions.known()["aws"]


@pytest.mark.parametrize("text, needle", [
    ("us-est-1", "unknown region 'us-est-1'; did you mean .*us-east-1"),
    ("nowhere", "unknown region 'nowhere'"),
    ("us-east-1,eu-wset-1", "unknown region 'eu-wset-1'; did you mean .*eu-west-1"),
    ("zz-top-1", "unknown region 'zz-top-1'$"),
    ("ap-xyzzyplugh-7", "upgrade boto3"),  # the shape of an aws region botocore does not know (yet)
    ("us-east-1,cn-north-1", "several AWS partitions"),
    ("all,us-east-1", "cannot be combined"),
])
def test_unknown_or_mixed_names_are_refused(text, needle):
    with pytest.raises(regions.RegionError, match=needle.replace("(", r"\(")) as exc:
        regions.parse(text)
    assert "\n" not in str(exc.value)


def test_first_named_region():
    assert regions.first(["eu-west-1", "us-east-1"]) == "eu-west-1"
    assert regions.first(["all"]) is None and regions.first(None) is None


def test_sts_uses_the_first_named_region_when_none_is_configured(monkeypatch):
    with simulated_aws():
        monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
        monkeypatch.delenv("AWS_REGION", raising=False)
        targets, _, failures = accounts.from_profiles([None], fallback_region="eu-west-1")
        assert failures == [] and targets[0].session.region_name == "eu-west-1"
        monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-northeast-1")
        targets, _, _ = accounts.from_profiles([None], fallback_region="eu-west-1")
        assert targets[0].session.region_name == "ap-northeast-1"  # a configured region is kept


@pytest.mark.parametrize("verb", ["run", "collect"])
def test_cli_refuses_an_unknown_region_before_any_call(verb, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: a call would fail
    started = time.monotonic()
    done = subprocess.run([CLI, verb, "--regions", "nowhere,us-est-1", "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=60)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert "unknown region 'nowhere'" in lines[0] and "Traceback" not in done.stderr
    assert not (tmp_path / "o").exists() and time.monotonic() - started < 30
