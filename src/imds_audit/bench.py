"""`make bench`: figures printed, never asserted. Every load goes to 127.0.0.1 only.

1. Collection: API calls per group and wall time against a moto server on 127.0.0.1, for estates of
   100, 1,000 and 5,000 groups (the figure to watch: calls per group).
2. Analysis: time and peak memory for a synthetic snapshot of 100,000 groups.
3. Report rendering: HTML and PDF for the simulated estate and a 5,000-group estate.

Set IMDS_AUDIT_BENCH_SIZES=100,1000 to change the collection sizes.
"""

from __future__ import annotations

import collections
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import boto3

FAKE = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}


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


def _counting(real, sent: dict, by_api: collections.Counter | None = None):
    """A client factory that counts every HTTP request its clients send (retries included) and, in
    ``by_api``, the calls per operation (retries not included)."""
    def counting(sess, service, region=None, limits=None):
        c = real(sess, service, region, limits)
        c.meta.events.register("before-send", lambda **_: sent.__setitem__("n", sent["n"] + 1))
        if by_api is not None:
            c.meta.events.register("before-call", lambda model, **_: by_api.update([model.name]))
        return c
    return counting


def bench_collection(sizes: list[int]) -> None:
    from imds_audit.collect import run

    print("\n== collection against moto_server on 127.0.0.1 (1 account, 1 region) ==")
    print("(10 groups per template, every fifth template named by number; moto answers an account-wide\n"
          " DescribeLaunchTemplateVersions with at most 200 versions and no NextToken, so beyond 200 templates\n"
          " the collector asks the rest per template; AWS would page on)")
    print(f"{'groups':>8} {'API calls':>10} {'calls/group':>12} {'seconds':>9} {'populate s':>11}   by API")
    for n in sizes:
        with MotoServer() as server:
            saved = {k: os.environ.get(k) for k in [*FAKE, "AWS_ENDPOINT_URL"]}
            os.environ.update(FAKE)
            os.environ["AWS_ENDPOINT_URL"] = server.url
            try:
                session = boto3.session.Session(region_name="us-east-1")
                t0 = time.perf_counter()
                populate(session, n)
                populate_s = time.perf_counter() - t0
                sent = {"n": 0}
                by_api: collections.Counter = collections.Counter()
                real = run.client
                run.client = _counting(real, sent, by_api)
                try:
                    t0 = time.perf_counter()
                    snap = run.collect([run.Target("123456789012", session)],
                                       run.Options(regions=["us-east-1"], quiet=True), "bench")
                    took = time.perf_counter() - t0
                finally:
                    run.client = real
                got = len(snap["auto_scaling_groups"])
                assert got == n, f"collected {got} of {n} groups"
                print(f"{n:>8} {sent['n']:>10} {sent['n'] / n:>12.3f} {took:>9.2f} {populate_s:>11.1f}   "
                      + ", ".join(f"{api} {count}" for api, count in by_api.most_common()))
            finally:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v


def _analysis_child(groups: int) -> None:
    from imds_audit.analyze import analyze
    from imds_audit.demo.synthetic import synthetic

    s = synthetic(groups)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    findings = analyze(s)
    took = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"groups": len(findings.groups), "roles": len(findings.roles), "seconds": took,
                      "peak_rss_mb": peak / 1024, "rss_before_mb": before / 1024}))


def bench_analysis(groups: int = 100_000) -> None:
    print(f"\n== analysis of a synthetic snapshot of {groups:,} groups (one process, one core) ==")
    out = subprocess.run([sys.executable, "-c", f"from imds_audit.bench import _analysis_child; "
                          f"_analysis_child({groups})"], capture_output=True, text=True)
    if out.returncode:
        print("analysis failed:\n" + out.stderr[-2000:])
        return
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"groups {r['groups']:,}  roles {r['roles']:,}  analysis {r['seconds']:.2f} s  "
          f"peak RSS {r['peak_rss_mb']:.0f} MB (snapshot in memory before analysis: {r['rss_before_mb']:.0f} MB)")


def bench_render() -> None:
    from imds_audit import snapshot as snap
    from imds_audit.demo import collect_demo
    from imds_audit.demo.synthetic import synthetic

    try:
        from imds_audit.render.report import build_report
    except ImportError as exc:
        print(f"\n== report rendering: not available ({exc}) ==")
        return
    print("\n== report rendering ==")
    with tempfile.TemporaryDirectory() as tmp:
        demo = collect_demo(Path(tmp) / "demo-snap")
        big = snap.write(synthetic(5000, accounts=3), Path(tmp) / "big-snap")
        for label, path in (("simulated estate", demo.path), ("5,000 groups", big)):
            for fmt in ("html", "pdf"):
                t0 = time.perf_counter()
                build_report(path, Path(tmp) / f"out-{label[:3]}-{fmt}", formats=(fmt,), lang="en")
                print(f"{label:>18} {fmt:>5}: {time.perf_counter() - t0:6.1f} s")


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


def bench_load(total: int = 5000, accounts: int = 3,
               regions: tuple[str, ...] = ("us-east-1", "eu-west-1", "ap-northeast-1", "us-west-2")) -> None:
    """5,000 groups in 3 accounts × 4 regions on a moto server: collected and reported, memory watched."""
    from imds_audit import snapshot as snap
    from imds_audit.collect.accounts import from_organization
    from imds_audit.collect.run import Options, collect

    print(f"\n== load: {total:,} groups in {accounts} accounts × {len(regions)} regions on moto_server ==")
    with MotoServer() as server, tempfile.TemporaryDirectory() as tmp:
        saved = {k: os.environ.get(k) for k in [*FAKE, "AWS_ENDPOINT_URL"]}
        os.environ.update(FAKE)
        os.environ["AWS_ENDPOINT_URL"] = server.url
        try:
            mgmt = boto3.session.Session(region_name="us-east-1")
            per_cell = total // (accounts * len(regions))
            t0 = time.perf_counter()
            populate_organization(mgmt, accounts, regions, per_cell, with_instances_every=50)
            print(f"populated {per_cell * accounts * len(regions):,} groups in {time.perf_counter() - t0:.0f} s")
            rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            t0 = time.perf_counter()
            targets, failures = from_organization(mgmt, "OrganizationAccountAccessRole")
            result = collect(targets, Options(regions=list(regions), quiet=True), "bench", failures)
            took = time.perf_counter() - t0
            path = snap.write(result, Path(tmp) / "snap")
            bad = [c for c in result.api_calls if c["outcome"] not in ("ok", "not_implemented")]
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"collected {len(result['auto_scaling_groups']):,} groups in {took:.1f} s; "
                  f"{len(bad)} failed API outcomes; peak RSS {peak:.0f} MB (before collection {rss0 / 1024:.0f} MB)")
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        try:
            from imds_audit.render.report import build_report
        except ImportError:
            return
        t0 = time.perf_counter()
        build_report(path, Path(tmp) / "out", formats=("html", "pdf", "csv"), lang="en")
        print(f"reported (html, pdf, csv) in {time.perf_counter() - t0:.1f} s; peak RSS "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def main() -> None:
    sizes = [int(x) for x in os.environ.get("IMDS_AUDIT_BENCH_SIZES", "100,1000,5000").split(",") if x]
    bench_analysis()
    bench_collection(sizes)
    bench_load()
    bench_render()


if __name__ == "__main__":
    main()
