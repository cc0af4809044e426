"""The simulated estate: moto in-process, for the demo and the tests."""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from unittest import mock

import boto3

from imds_audit import snapshot as snap
from imds_audit.demo import estate, simulator

FAKE_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1",
            "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}


@contextmanager
def simulated_aws():
    """moto in-process with AWS managed policies loaded, fake credentials, no endpoint override."""
    from moto import mock_aws
    from moto.moto_api._internal import mock_random

    with mock.patch.dict(os.environ, FAKE_ENV):
        for k in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
            os.environ.pop(k, None)
        with mock_aws(config={"iam": {"load_aws_managed_policies": True}}):
            mock_random.seed(20261128)
            yield


def demo_session(label: str = "core", auditor: bool = False, **kwargs) -> boto3.session.Session:
    """A session into the simulated estate, answering what moto lacks for account ``label``; an
    auditor's session also meets the regions an SCP denies."""
    kwargs["region_name"] = kwargs.get("region_name") or "us-east-1"
    session = boto3.session.Session(**kwargs)
    denied = estate.DENIED_REGIONS.get(label, ()) if auditor else ()
    simulator.install(session, estate.ACCOUNT_DEFAULTS[label], denied)
    return session


def build_organization() -> tuple[dict[str, boto3.session.Session], dict[str, str]]:
    """The whole estate: the management account plus two members created through AWS Organizations.

    Returns the builder's session and the account id of each account label.
    """
    mgmt = demo_session("core")
    estate.build_account(mgmt, "core")
    org = mgmt.client("organizations")
    org.create_organization(FeatureSet="ALL")
    ids = {"core": mgmt.client("sts").get_caller_identity()["Account"]}
    sessions = {"core": mgmt}
    for label, (name, _) in estate.ACCOUNTS.items():
        if label == "core":
            continue
        ids[label] = org.create_account(AccountName=name, Email=f"{label}@example.com")[
            "CreateAccountStatus"]["AccountId"]
        sessions[label] = _member(mgmt, ids[label], label)
        estate.build_account(sessions[label], label)
    return sessions, ids


def _member(mgmt, account_id: str, label: str) -> boto3.session.Session:
    creds = mgmt.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{estate.MEMBER_ROLE}", RoleSessionName="estate-builder"
    )["Credentials"]
    return demo_session(label, aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])


def _collect_org(mgmt, ids: dict[str, str], quiet: bool) -> snap.Snapshot:
    from imds_audit.collect.accounts import from_organization
    from imds_audit.collect.run import Options, collect

    labels = {v: k for k, v in ids.items()}

    def factory(account_id, **kwargs):
        return demo_session(labels[account_id], auditor=True, **kwargs)

    targets, failures = from_organization(mgmt, estate.MEMBER_ROLE, session_factory=factory)
    identity = mgmt.client("sts").get_caller_identity()
    return collect(targets, Options(regions=list(estate.REGIONS), quiet=quiet, settings={"simulated": True}),
                   collected_by=identity["Arn"], failed_accounts=failures)


def collect_demo(out: Path, quiet: bool = True, previous: Path | None = None,
                 previous_days_ago: int = 91) -> snap.Snapshot:
    """Build the estate in moto, collect it as an Organizations audit would, write the snapshot to ``out``.

    With ``previous``, the estate is first rewound to a quarter earlier (estate.rewind) and collected
    into ``previous`` (its collection date set back by ``previous_days_ago``), then moved forward to
    today's state: the demo then has a real trend between two snapshots.
    """
    with simulated_aws():
        sessions, ids = build_organization()
        if previous is not None:
            estate.rewind(sessions)
            earlier = _collect_org(sessions["core"], ids, quiet)
            when = datetime.fromisoformat(earlier.collected_at) - timedelta(days=previous_days_ago)
            earlier.collected_at = when.isoformat(timespec="seconds")
            snap.write(earlier, previous)
            estate.forward(sessions)
        result = _collect_org(sessions["core"], ids, quiet)
    snap.write(result, out)
    return result


def demo_findings(findings_dir, lang: str = "en") -> Path:
    """The simulated estate collected (now and a quarter ago, beside ``findings_dir``) and analysed
    into ``findings_dir``: what ``audit.ipynb`` shows when run from the repository with its defaults."""
    from imds_audit import pipeline

    root = Path(findings_dir).parent
    collect_demo(root / "snapshot", previous=root / "history" / "previous-quarter")
    findings = pipeline.build(root / "snapshot", history_paths=[root / "history" / "previous-quarter"],
                              client="ACME Corp (simulated)", engagement="IMDSv2 enforcement review", lang=lang)
    return pipeline.write(findings, findings_dir)
