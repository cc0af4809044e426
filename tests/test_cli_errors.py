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
