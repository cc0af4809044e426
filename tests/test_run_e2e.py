"""`imds-audit run` end to end against a moto server, and what must never leak into its outputs."""

import base64
import subprocess
import sys
from pathlib import Path

import zipfile

import boto3
import pandas as pd
import pytest

from imds_audit.demo import estate

CLI = str(Path(sys.executable).with_name("imds-audit"))
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSECRETMARKER"
SESSION_TOKEN = "FwoGZXIvYXdzEJr//////////wEaDTOKENMARKERxyz"
USER_DATA = "#!/bin/bash\nexport DB_PASSWORD=hunter2USERDATAMARKER\n"


@pytest.mark.slow
def test_run_against_moto_server_and_nothing_secret_leaks(moto_server, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    session = boto3.session.Session(region_name="us-east-1")
    estate.build(session)
    ec2 = session.client("ec2", "us-east-1")
    image = ec2.register_image(Name="ud-ami", RootDeviceName="/dev/xvda")["ImageId"]
    lt = ec2.create_launch_template(LaunchTemplateName="with-user-data", LaunchTemplateData={
        "ImageId": image, "UserData": base64.b64encode(USER_DATA.encode()).decode(),
        "MetadataOptions": {"HttpTokens": "optional", "HttpEndpoint": "enabled"}})["LaunchTemplate"]
    session.client("autoscaling", "us-east-1").create_auto_scaling_group(
        AutoScalingGroupName="has-user-data", LaunchTemplate={"LaunchTemplateId": lt["LaunchTemplateId"]},
        MinSize=0, MaxSize=1, DesiredCapacity=1, AvailabilityZones=["us-east-1a"])

    out = tmp_path / "report"
    done = subprocess.run([CLI, "run", "--regions", "us-east-1,eu-west-1", "--out", str(out), "--quiet",
                           "--format", "html,pdf,csv,xlsx,json,remediation", "--client", "Test client"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 3, done.stderr[-3000:]  # a group allows IMDSv1: the exit code says so
    assert "Kernel is running over TCP without encryption" not in done.stderr + done.stdout  # issue 14.6
    assert done.stdout.rstrip().splitlines()[-1] == f"open {out / 'audit.html'}"  # the end says what to open
    for name in ("audit.html", "audit.pdf", "findings.csv", "roles.csv", "findings.xlsx", "findings.json",
                 "audit.ipynb", "snapshot/manifest.json", "remediation/remediate.sh"):
        assert (out / name).is_file(), name
    findings = (out / "findings.csv").read_text()
    assert "has-user-data,non_compliant" in findings

    # Nothing secret anywhere: every file written (PDF as text), and the command's own output.
    texts = [done.stdout, done.stderr]
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            texts.append(data.decode("utf-8", "replace"))
            if path.suffix == ".pdf":
                texts.append(subprocess.run(["pdftotext", str(path), "-"], capture_output=True,
                                            text=True).stdout)
            elif path.suffix == ".parquet":   # compressed columns: read them back as text
                texts.append(pd.read_parquet(path).to_csv())
            elif path.suffix == ".xlsx":      # a zip of XML parts
                with zipfile.ZipFile(path) as z:
                    texts += [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
    blob = "\n".join(texts)
    for marker in ("SECRETMARKER", "TOKENMARKER", "USERDATAMARKER", SECRET_KEY, SESSION_TOKEN,
                   base64.b64encode(USER_DATA.encode()).decode()[:40]):
        assert marker not in blob, marker
