"""Region names given on the command line, checked before any call.

A name is known when botocore's endpoint data lists it for a partition: the EC2 regions of
``get_available_regions`` and the partition's regions in botocore's partitions data. ``all`` is not a
name: it asks DescribeRegions for the regions enabled in each account. A typo is a usage error naming
the bad name and the closest known ones, instead of an empty audit that exits 0. ``--exclude-regions``
is checked the same way (a misspelt exclusion would otherwise call the region it meant to spare).
"""

from __future__ import annotations

import difflib
import re

import boto3
import botocore
import botocore.session

ALL = "all"


class RegionError(ValueError):
    """A region list that cannot be used; the message is one line."""


def known() -> dict[str, set[str]]:
    """Every region botocore knows, per partition (pseudo-regions such as aws-global left out)."""
    session = boto3.session.Session()
    regions = {p: set(session.get_available_regions("ec2", partition_name=p))
               for p in session.get_available_partitions()}
    for p in botocore.session.get_session().get_data("partitions")["partitions"]:
        regions.setdefault(p["id"], set()).update(r for r in p.get("regions", {}) if not r.endswith("-global"))
    return regions


def _patterns() -> dict[str, str]:
    return {p["id"]: p.get("regionRegex", "$^")
            for p in botocore.session.get_session().get_data("partitions")["partitions"]}


def parse(text: str | None, option: str = "--regions") -> list[str] | None:
    """``r1,r2`` as a checked list, ``all`` as ["all"], nothing as None (the caller's default region)."""
    names = list(dict.fromkeys(n.strip() for n in (text or "").split(",") if n.strip()))
    if not names:
        return None
    if ALL in names:
        if len(names) > 1:
            raise RegionError(f"{option}: '{ALL}' cannot be combined with region names")
        return [ALL]
    by_partition = known()
    every = sorted(set().union(*by_partition.values()))
    for name in names:
        if name not in every:
            raise RegionError(_unknown(name, every, option))
    partitions = {n: sorted(p for p, rs in by_partition.items() if n in rs)[0] for n in names}
    if len(set(partitions.values())) > 1:
        spread = "; ".join(f"{p}: {', '.join(n for n in names if partitions[n] == p)}"
                           for p in sorted(set(partitions.values())))
        raise RegionError(f"{option}: regions of several AWS partitions ({spread}); one audit reaches "
                          "one partition")
    return names


def parse_excluded(text: str | None) -> tuple[str, ...]:
    """``--exclude-regions r1,r2``: names checked as ``--regions`` checks them; ``all`` is refused."""
    names = parse(text, "--exclude-regions")
    if names == [ALL]:
        raise RegionError("--exclude-regions: 'all' would leave no region to audit; name the regions to leave out")
    return tuple(names or ())


# Regions every account has enabled (those AWS opened before March 2019): where DescribeRegions and STS
# can be asked when the session's own region is excluded.
ENABLED_BY_DEFAULT = ("us-east-1", "us-east-2", "us-west-2", "us-west-1", "eu-west-1", "eu-central-1",
                      "eu-west-2", "eu-west-3", "eu-north-1", "ap-northeast-1", "ap-southeast-1",
                      "ap-southeast-2", "ap-northeast-2", "ap-south-1", "ap-northeast-3", "ca-central-1",
                      "sa-east-1", "cn-north-1", "cn-northwest-1", "us-gov-west-1", "us-gov-east-1")


def elsewhere(region: str, exclude=()) -> str | None:
    """``region`` itself unless it is in ``exclude``; else the first region of its partition that every
    account has enabled and that is not excluded (None when there is none)."""
    if region not in exclude:
        return region
    partitions = known()
    own = {p for p, names in partitions.items() if region in names} or {"aws"}
    for name in ENABLED_BY_DEFAULT:
        if name not in exclude and any(name in partitions.get(p, ()) for p in own):
            return name
    return None


def first(regions: list[str] | None) -> str | None:
    """The first named region (for STS when no default region is configured), if any."""
    return regions[0] if regions and regions != [ALL] else None


def _unknown(name: str, every: list[str], option: str) -> str:
    shown = name if len(name) <= 40 else name[:39] + "…"
    text = f"{option}: unknown region {shown!r}"
    close = difflib.get_close_matches(name, every, n=3, cutoff=0.6)
    if close:
        text += f"; did you mean {', '.join(close)}?"
    elif any(re.fullmatch(rx, name) for rx in _patterns().values()):
        text += f" (botocore {botocore.__version__} does not know it; if AWS opened it recently, upgrade boto3)"
    return text
