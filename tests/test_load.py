"""Load (issue 8): an estate larger than every page size and moto's silent truncations, in 3 accounts
and 2 regions on a moto server on 127.0.0.1, is collected whole and reported. The figures (time,
memory, 5,000 groups) are `make bench`'s to print; this test checks nothing is lost on the way."""

from __future__ import annotations

import boto3
import pandas as pd

from imds_audit import snapshot as snap
from estates import populate_organization
from imds_audit.collect.accounts import from_organization
from imds_audit.collect.run import Options, collect

ACCOUNTS, REGIONS, PER_CELL, PER_TEMPLATE = 3, ("us-east-1", "eu-west-1"), 110, 5


def test_a_large_estate_is_collected_whole_and_reported(moto_server, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    mgmt = boto3.session.Session(region_name="us-east-1")
    # 110 groups a cell: more than a DescribeAutoScalingGroups page (100); 22 templates a cell: more than
    # the 15 moto returns from DescribeLaunchTemplates without a NextToken.
    populate_organization(mgmt, ACCOUNTS, REGIONS, PER_CELL, per_template=PER_TEMPLATE, with_instances_every=20)
    targets, failures = from_organization(mgmt, "OrganizationAccountAccessRole")
    result = collect(targets, Options(regions=list(REGIONS), quiet=True, workers=4), "load-test", failures)

    groups = result["auto_scaling_groups"]
    assert len(groups) == ACCOUNTS * len(REGIONS) * PER_CELL
    assert groups.groupby(["account_id", "region"]).size().eq(PER_CELL).all()
    failed = [c for c in result.api_calls if c["outcome"] not in ("ok", "not_implemented")]
    assert failed == []

    path = snap.write(result, tmp_path / "snapshot")
    from imds_audit.render.report import build_report

    out = build_report(path, tmp_path / "out", formats=("csv",), lang="en")
    findings = pd.read_csv(out["findings.csv"], dtype=str)
    assert len(findings) == len(groups)
    # populate: template t says HttpTokens required when t is odd, optional when even, and omits
    # HttpEndpoint; every group names version 1 or $Default (=1). moto does not implement
    # GetInstanceMetadataDefaults, so an omitted endpoint could be disabled by an unread account
    # default: "optional" groups are unknown (not guessed), "required" ones compliant either way.
    template = findings["asg_name"].str.removeprefix("bench-asg-").astype(int) // PER_TEMPLATE
    want = template.mod(2).map({1: "compliant", 0: "unknown"})
    assert (findings["status"] == want).all()
    # one running instance every 20 groups, each counted on its group
    assert pd.to_numeric(findings["instances"]).sum() == ACCOUNTS * len(REGIONS) * ((PER_CELL + 19) // 20)
