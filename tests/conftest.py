"""Shared fixtures: a moto server on 127.0.0.1, and a clean AWS environment for every test."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

FAKE = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch):
    """No test may reach real AWS or read the developer's profiles."""
    for k in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    for k, v in FAKE.items():
        monkeypatch.setenv(k, v)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_moto_server(logdir: Path):
    """A moto server on 127.0.0.1 (AWS managed policies loaded) while the block runs; yields its URL."""
    port = _free_port()
    env = {**os.environ, "MOTO_EC2_LOAD_DEFAULT_AMIS": "false", "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
    exe = Path(sys.executable).with_name("moto_server")
    log = open(logdir / "moto.log", "wb")
    proc = subprocess.Popen([str(exe), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/moto-api/", timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture
def moto_server(tmp_path):
    """A fresh moto server on 127.0.0.1 (AWS managed policies loaded); yields its endpoint URL."""
    with running_moto_server(tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def demo_paths(tmp_path_factory):
    """The simulated estate collected twice: a quarter ago (rewound) and now. Built once per run."""
    from imds_audit.demo import collect_demo

    root = tmp_path_factory.mktemp("demo")
    collect_demo(root / "snapshot", previous=root / "previous")
    return root / "snapshot", root / "previous"
