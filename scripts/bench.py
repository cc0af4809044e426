"""`make bench`: figures printed, never asserted. Every load goes to 127.0.0.1 only.

1. Collection: API calls per group and wall time against a moto server on 127.0.0.1, for estates of
   100, 1,000 and 5,000 groups (the figure to watch: calls per group).
2. Analysis: time and peak memory for a synthetic snapshot of 100,000 groups.
3. Report rendering: CLI start-up, then `report --format csv`, HTML and PDF, times and file sizes, for
   the simulated estate and a 5,000-group estate.

Set IMDS_AUDIT_BENCH_SIZES=100,1000 to change the collection sizes; `python scripts/bench.py render`
runs only the start-up and rendering figures (they come first in the full run too).
"""

from __future__ import annotations

import collections
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import boto3

# the estates and the synthetic snapshot are the tests' fixtures: shared, not shipped in the package
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from estates import MotoServer, populate, populate_organization  # noqa: E402
from synthetic_estate import synthetic  # noqa: E402

FAKE = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}


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
        with MotoServer() as server, mock.patch.dict(os.environ, {**FAKE, "AWS_ENDPOINT_URL": server.url}):
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


def _analysis_child(groups: int) -> None:
    from imds_audit.analyze import analyze

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
    out = subprocess.run([sys.executable, __file__, "analysis-child", str(groups)], capture_output=True, text=True)
    if out.returncode:
        print("analysis failed:\n" + out.stderr[-2000:])
        return
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"groups {r['groups']:,}  roles {r['roles']:,}  analysis {r['seconds']:.2f} s  "
          f"peak RSS {r['peak_rss_mb']:.0f} MB (snapshot in memory before analysis: {r['rss_before_mb']:.0f} MB)")


def _cli() -> list[str]:
    exe = Path(sys.executable).with_name("imds-audit")
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "imds_audit.cli"]


def bench_startup(runs: int = 5) -> None:
    """The command line's start: `imds-audit --help` and the bare import (the best of a few runs)."""
    print("\n== command-line start-up (best of %d) ==" % runs)
    for label, cmd in (("imds-audit --help", [*_cli(), "--help"]),
                       ("import imds_audit.cli", [sys.executable, "-c", "import imds_audit.cli"])):
        best = min(_timed(cmd) for _ in range(runs))
        print(f"{label:>22}: {best:6.2f} s")


def _timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _size(path: Path) -> str:
    return f"{path.stat().st_size / 1024 / 1024:6.2f} MB" if path.exists() else "     —"


def bench_render() -> None:
    """`imds-audit report` as a user runs it (a new process each time: start-up, analysis and rendering
    included), per format, for the simulated estate and 5,000 groups; then the sizes of what it wrote."""
    from imds_audit import snapshot as snap
    from imds_audit.demo import collect_demo

    print("\n== report rendering (imds-audit report, one process per format) ==")
    with tempfile.TemporaryDirectory() as tmp:
        demo = collect_demo(Path(tmp) / "demo-snap")
        big = snap.write(synthetic(5000, accounts=3), Path(tmp) / "big-snap")
        for label, path in (("simulated estate", demo.path), ("5,000 groups", big)):
            outs = {}
            for fmt in ("csv", "html", "pdf"):
                out = Path(tmp) / f"out-{label[:3]}-{fmt}"
                took = _timed([*_cli(), "report", str(path), "--out", str(out), "--format", fmt,
                               "--fail-on", "never"])
                outs[fmt] = out
                print(f"{label:>18} {fmt:>5}: {took:6.1f} s")
            print(f"{label:>18} sizes: audit.html {_size(outs['html'] / 'audit.html')}, "
                  f"audit.ipynb {_size(outs['html'] / 'audit.ipynb')}, audit.pdf {_size(outs['pdf'] / 'audit.pdf')}, "
                  f"findings.csv {_size(outs['csv'] / 'findings.csv')}")


def bench_load(total: int = 5000, accounts: int = 3,
               regions: tuple[str, ...] = ("us-east-1", "eu-west-1", "ap-northeast-1", "us-west-2")) -> None:
    """5,000 groups in 3 accounts × 4 regions on a moto server: collected and reported, memory watched."""
    from imds_audit import snapshot as snap
    from imds_audit.collect.accounts import from_organization
    from imds_audit.collect.run import Options, collect

    print(f"\n== load: {total:,} groups in {accounts} accounts × {len(regions)} regions on moto_server ==")
    with MotoServer() as server, tempfile.TemporaryDirectory() as tmp:
        with mock.patch.dict(os.environ, {**FAKE, "AWS_ENDPOINT_URL": server.url}):
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
        from imds_audit.render.report import build_report

        t0 = time.perf_counter()
        build_report(path, Path(tmp) / "out", formats=("html", "pdf", "csv"), lang="en")
        print(f"reported (html, pdf, csv) in {time.perf_counter() - t0:.1f} s; peak RSS "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def main() -> None:
    if sys.argv[1:2] == ["analysis-child"]:
        _analysis_child(int(sys.argv[2]))
        return
    bench_startup()
    bench_render()
    if sys.argv[1:2] == ["render"]:
        return
    sizes = [int(x) for x in os.environ.get("IMDS_AUDIT_BENCH_SIZES", "100,1000,5000").split(",") if x]
    bench_analysis()
    bench_collection(sizes)
    bench_load()


if __name__ == "__main__":
    main()
