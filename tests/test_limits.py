"""The collection's bounds (issue 16.4) are settings: defaults, the IMDS_AUDIT_* variables, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from imds_audit.collect.limits import Limits


def test_defaults_and_environment():
    assert Limits.from_env({}) == Limits()
    got = Limits.from_env({"IMDS_AUDIT_API_DEADLINE": "2.5", "IMDS_AUDIT_MAX_ATTEMPTS": "2",
                           "IMDS_AUDIT_RETRY_MODE": "standard", "IMDS_AUDIT_FALLBACK_CALLS": " "})
    assert (got.api_deadline, got.max_attempts, got.retry_mode, got.fallback_calls) == (2.5, 2, "standard", 100)
    config = got.client_config()
    assert config.retries == {"mode": "standard", "max_attempts": 2}
    assert Limits().settings()["api_deadline_seconds"] == 180.0


@pytest.mark.parametrize("env", [{"IMDS_AUDIT_API_DEADLINE": "soon"}, {"IMDS_AUDIT_MAX_ATTEMPTS": "0"},
                                 {"IMDS_AUDIT_MAX_ATTEMPTS": "2.5"}, {"IMDS_AUDIT_RETRY_MODE": "legacy"}])
def test_bad_values_are_refused(env):
    with pytest.raises(ValueError, match="IMDS_AUDIT_"):
        Limits.from_env(env)


def test_cli_says_a_bad_bound_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("IMDS_AUDIT_API_DEADLINE", "soon")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    cli = str(Path(sys.executable).with_name("imds-audit"))
    done = subprocess.run([cli, "collect", "--regions", "us-east-1", "--out", str(tmp_path / "s")],
                          capture_output=True, text=True, timeout=60)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2 and len(lines) == 1 and "IMDS_AUDIT_API_DEADLINE" in lines[0], done.stderr
