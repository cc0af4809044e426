"""The simulated estate: moto in-process, for the demo and the tests."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

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

    saved = {k: os.environ.get(k) for k in [*FAKE_ENV, "AWS_ENDPOINT_URL", "AWS_PROFILE"]}
    os.environ.update(FAKE_ENV)
    for k in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        os.environ.pop(k, None)
    try:
        with mock_aws(config={"iam": {"load_aws_managed_policies": True}}):
            mock_random.seed(20261128)
            yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def demo_session() -> boto3.session.Session:
    session = boto3.session.Session(region_name="us-east-1")
    simulator.install(session, estate.ACCOUNT_DEFAULTS)
    return session


def collect_demo(out: Path, quiet: bool = True) -> snap.Snapshot:
    """Build the estate in moto, collect it like a real account, and write the snapshot to ``out``."""
    from imds_audit.collect.run import Options, Target, collect

    with simulated_aws():
        session = demo_session()
        estate.build(session)
        identity = session.client("sts").get_caller_identity()
        result = collect([Target(identity["Account"], session, label="demo")],
                         Options(regions=list(estate.REGIONS), quiet=quiet, settings={"simulated": True}),
                         collected_by=identity["Arn"])
    snap.write(result, out)
    return result
