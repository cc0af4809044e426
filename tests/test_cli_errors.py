"""User errors get one clear line and a non-zero exit, never a traceback."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from factory import template_group
from imds_audit import snapshot as snap

CLI = str(Path(sys.executable).with_name("imds-audit"))


def _run(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120)


def _assert_user_error(done, needle):
    assert done.returncode == 2, done
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0], done.stderr


@pytest.fixture
def good(tmp_path):
    return snap.write(template_group(), tmp_path / "snap")


def test_not_a_snapshot(tmp_path):
    _assert_user_error(_run("report", str(tmp_path), "--out", str(tmp_path / "o")), "no manifest.json")


def test_truncated(good, tmp_path):
    t = good / "instances.parquet"
    t.write_bytes(t.read_bytes()[:10])
    _assert_user_error(_run("report", str(good), "--out", str(tmp_path / "o")), "does not match the hash")


def test_future_schema(good, tmp_path):
    m = json.loads((good / "manifest.json").read_text())
    m["schema_version"] = 99
    (good / "manifest.json").write_text(json.dumps(m))
    _assert_user_error(_run("report", str(good), "--out", str(tmp_path / "o")), "newer than this tool reads")


def test_bad_previous(good, tmp_path):
    _assert_user_error(_run("report", str(good), "--out", str(tmp_path / "o"), "--previous", str(tmp_path / "x")),
                       "not a snapshot directory")


def test_unknown_format_and_language(good, tmp_path):
    _assert_user_error(_run("report", str(good), "--out", str(tmp_path / "o"), "--format", "docx"), "unknown format")
    _assert_user_error(_run("report", str(good), "--out", str(tmp_path / "o"), "--lang", "fr"), "--lang must be")


def test_no_credentials_names_the_ways_in(tmp_path, monkeypatch):
    """No credentials at all: one line naming `aws sso login`, AWS_PROFILE and the demo; never
    'profile:None'."""
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                "AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1"})
    done = subprocess.run([CLI, "collect", "--out", str(tmp_path / "s"), "--regions", "us-east-1"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    line = done.stderr.strip()
    assert len(line.splitlines()) == 1
    assert "aws sso login" in line and "AWS_PROFILE" in line and "imds-audit demo" in line
    assert "profile:None" not in line and "None" not in line


def test_org_role_outside_an_organization_says_so(monkeypatch):
    """AWS answers ListAccounts outside an organization with AWSOrganizationsNotInUseException (botocore's
    Stubber stands in for it: moto answers with no accounts, which is said too)."""
    from botocore.stub import Stubber
    from moto import mock_aws

    from imds_audit.collect import run
    from imds_audit.collect.audit import CollectError, collect_estate

    with mock_aws():
        with pytest.raises(CollectError, match="no account of an AWS Organization"):
            collect_estate(org_role="OrganizationAccountAccessRole", regions=["us-east-1"])
        real = run.client

        def stubbed(session, service, region=None):
            c = real(session, service, region)
            if service == "organizations":
                stub = Stubber(c)
                stub.add_client_error("list_accounts", "AWSOrganizationsNotInUseException",
                                      "Your account is not a member of an organization.")
                stub.activate()
            return c
        monkeypatch.setattr(run, "client", stubbed)
        monkeypatch.setattr("imds_audit.collect.accounts.client", stubbed)
        with pytest.raises(CollectError, match="is not in an AWS Organization; audit it with --profile"):
            collect_estate(org_role="OrganizationAccountAccessRole", regions=["us-east-1"])
