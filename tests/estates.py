"""Estates on a moto server for the load test and the bench: many groups sharing templates, over an
AWS Organization of several accounts and regions. Everything talks to 127.0.0.1 only."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MotoServer:
    def __enter__(self):
        port = _free_port()
        env = {**os.environ, "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}
        self.proc = subprocess.Popen([str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1",
                                      "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     env=env)
        self.url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(self.url + "/moto-api/", timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def populate(session, groups: int, region: str = "us-east-1", per_template: int = 10,
             with_instances_every: int = 20) -> None:
    """An estate of ``groups`` groups sharing templates (10 per template), some with one instance."""
    ec2 = session.client("ec2", region)
    asg = session.client("autoscaling", region)
    image = ec2.register_image(Name="bench-ami", RootDeviceName="/dev/xvda")["ImageId"]
    template_ids = []
    for t in range((groups + per_template - 1) // per_template):
        meta = {"HttpTokens": "required" if t % 2 else "optional"}
        template_ids.append(ec2.create_launch_template(
            LaunchTemplateName=f"bench-lt-{t:05d}",
            LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro", "MetadataOptions": meta},
        )["LaunchTemplate"]["LaunchTemplateId"])
    for g in range(groups):
        capacity = 1 if g % with_instances_every == 0 else 0
        asg.create_auto_scaling_group(
            AutoScalingGroupName=f"bench-asg-{g:05d}", MinSize=0, MaxSize=2, DesiredCapacity=capacity,
            AvailabilityZones=[f"{region}a"],
            LaunchTemplate={"LaunchTemplateId": template_ids[g // per_template],
                            "Version": "1" if (g // per_template) % 5 == 0 else "$Default"})


def populate_organization(mgmt, accounts: int, regions, per_cell: int, **populate_options) -> list:
    """An organization of ``accounts`` accounts (the caller's plus members) with ``per_cell`` groups in
    each account and region (see populate); returns a session per account, the caller's first."""
    org = mgmt.client("organizations")
    org.create_organization(FeatureSet="ALL")
    sessions = [mgmt]
    for i in range(accounts - 1):
        aid = org.create_account(AccountName=f"member-{i}", Email=f"m{i}@example.com")[
            "CreateAccountStatus"]["AccountId"]
        c = mgmt.client("sts").assume_role(RoleArn=f"arn:aws:iam::{aid}:role/OrganizationAccountAccessRole",
                                           RoleSessionName="bench")["Credentials"]
        sessions.append(boto3.session.Session(
            aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
            aws_session_token=c["SessionToken"], region_name=mgmt.region_name))
    for sess in sessions:
        for region in regions:
            populate(sess, per_cell, region=region, **populate_options)
    return sessions
