"""The report folder cannot be turned against the user (issue 16): planted links are never written
through, nothing outside is chmod-ed, and a report killed halfway leaves the folder as it was."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import factory
from imds_audit import snapshot as snap

CLI = str(Path(sys.executable).with_name("imds-audit"))


def _tree(root: Path) -> dict[str, str]:
    """Every entry under root (links as their target, files as their hash), to compare states."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_symlink():
            out[rel] = "-> " + os.readlink(p)
        elif p.is_file():
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _report(snapshot_path, out, formats="csv,json,xlsx,remediation", **kw):
    return subprocess.run([CLI, "report", str(snapshot_path), "--out", str(out), "--format", formats,
                           "--fail-on", "never"], capture_output=True, text=True, timeout=600, **kw)


@pytest.fixture
def snapshot_path(tmp_path):
    return snap.write(factory.template_group(name="web", tokens="optional", endpoint="enabled"), tmp_path / "snap")


def test_planted_links_are_replaced_not_written_through(snapshot_path, tmp_path):
    victims = tmp_path / "victims"
    victims.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    names = ["findings.csv", "roles.csv", "findings.json", "findings.xlsx", "audit.html", "audit.pdf",
             "audit.ipynb"]
    for name in names:
        victim = victims / name
        victim.write_text("precious")
        victim.chmod(0o600)
        (out / name).symlink_to(victim)
    (victims / "remediation").mkdir()
    (out / "remediation").symlink_to(victims / "remediation")      # a linked folder, too
    (out / "findings").symlink_to(victims)
    (out / "notes.txt").symlink_to(victims / "findings.csv")        # not ours: carried over as a link
    before = _tree(victims)
    done = _report(snapshot_path, out)
    assert done.returncode == 0, done.stderr
    assert _tree(victims) == before                                  # nothing written outside
    assert all((victims / n).stat().st_mode & 0o777 == 0o600 for n in names)  # nothing chmod-ed
    for name in ("findings.csv", "roles.csv", "findings.json", "findings.xlsx", "remediation", "findings"):
        assert not (out / name).is_symlink(), name
    assert (out / "remediation" / "remediate.sh").is_file() and (out / "findings.csv").read_text() != "precious"
    assert (out / "notes.txt").is_symlink()


def test_out_naming_a_link_to_a_folder_is_refused(snapshot_path, tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    done = _report(snapshot_path, tmp_path / "link")
    assert done.returncode == 2 and "symbolic link" in done.stderr and "Traceback" not in done.stderr
    assert list((tmp_path / "real").iterdir()) == []


def test_a_report_killed_halfway_leaves_the_folder_as_it_was(snapshot_path, tmp_path):
    out = tmp_path / "out"
    first = _report(snapshot_path, out, formats="csv,json")
    assert first.returncode == 0, first.stderr
    (out / "mine.txt").write_text("the user's own file")
    before = _tree(out)
    proc = subprocess.Popen([CLI, "report", str(snapshot_path), "--out", str(out), "--format", "csv,json,html",
                             "--fail-on", "never"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        # kill it once it is writing: its private staging folder beside --out holds the findings
        while time.monotonic() < deadline:
            staged = [p for p in tmp_path.glob(".out.new.*") if (p / "findings" / "manifest.json").exists()]
            if staged or proc.poll() is not None:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the report finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _tree(out) == before  # as it was: no mix of old and new files
    again = _report(snapshot_path, out, formats="csv,json")
    assert again.returncode == 0 and (out / "mine.txt").read_text() == "the user's own file"
