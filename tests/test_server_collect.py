"""`imds-audit collect` pointed at a moto server through boto3's standard AWS_ENDPOINT_URL."""

import subprocess
import sys
from pathlib import Path

import boto3

from imds_audit import snapshot as snap
from imds_audit.analyze import verdict
from imds_audit.i18n import reasons
from imds_audit.demo import estate


def test_collect_verb_against_moto_server(moto_server, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    estate.build(boto3.session.Session(region_name="us-east-1"))
    out = tmp_path / "snap"
    cli = Path(sys.executable).with_name("imds-audit")
    done = subprocess.run([str(cli), "collect", "--regions", "us-east-1,eu-west-1", "--out", str(out), "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    s = snap.read(out)
    sources = verdict.resolve_sources(s)
    groups = verdict.group_status(s["auto_scaling_groups"], sources)
    groups["reason"] = reasons.group_reasons(groups, sources, "en")
    got = dict(zip(groups["asg_name"], groups["status"], strict=True))
    truth = {g.name: g.expect for g in estate.GROUPS
             if g.account == "core" and g.region in ("us-east-1", "eu-west-1")}
    assert set(got) == set(truth)
    # moto lacks GetInstanceMetadataDefaults: recorded as not implemented, never guessed.
    calls = s.calls.set_index(["region", "api"])
    assert calls.loc[("us-east-1", "GetInstanceMetadataDefaults"), "outcome"] == "not_implemented"
    # Groups whose template decides are judged as in the truth; groups that needed the unread
    # account default are unknown, with that reason.
    for name, status in got.items():
        if status == "unknown" and truth[name] != "unknown":
            reason = groups.set_index("asg_name").loc[name, "reason"]
            assert "account-level IMDS defaults could not be read" in reason, name
        else:
            assert status == truth[name], name
    assert got["web-prod"] == "compliant" and got["web-canary"] == "non_compliant"
    assert got["batch-nightly"] == "unknown"
