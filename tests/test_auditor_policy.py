"""The shipped auditor policy grants exactly the API actions the collector makes."""

import json
from importlib import resources

from imds_audit.collect import accounts, run
from imds_audit.collect.calls import CallLog
from imds_audit.demo import collect_demo, demo_session, simulated_aws

NO_PERMISSION_NEEDED = {"sts:GetCallerIdentity"}
PREFIX = {"autoscaling": "autoscaling", "ec2": "ec2", "iam": "iam", "cloudwatch": "cloudwatch",
          "sts": "sts", "organizations": "organizations"}


def _policy_actions(name):
    doc = json.loads(resources.files("imds_audit.policies").joinpath(name).read_text())
    return {a for st in doc["Statement"] for a in st["Action"]}


def test_collector_calls_are_exactly_the_policy(monkeypatch, tmp_path):
    seen = set()
    real = run.client

    def recording_client(session, service, region=None):
        c = real(session, service, region)

        def record(model, **_):
            seen.add(f"{PREFIX[service]}:{model.name}")
        # before-parameter-build fires for every call, before any handler can answer it
        c.meta.events.register("before-parameter-build", record)
        return c

    monkeypatch.setattr(run, "client", recording_client)
    monkeypatch.setattr(accounts, "client", recording_client)
    collect_demo(tmp_path / "snap")
    with simulated_aws():
        target = run.Target("123456789012", demo_session())
        run.resolve_regions(target, ["all"], CallLog())   # --regions all
    granted = _policy_actions("auditor-policy.json") | _policy_actions("organization-walk-policy.json")
    assert seen - NO_PERMISSION_NEEDED == granted
