"""A small set of findings that exercises every remediation rule (a test fixture: tests and the bench)."""

from __future__ import annotations

import pandas as pd

GROUP_COLUMNS = ["account_id", "region", "asg_name", "status", "launch_kind", "desired_capacity", "instances",
                 "instances_allowing_imdsv1", "imdsv1_calls", "imdsv1_callers", "readiness", "iam_role",
                 "hop_limit", "reason", "hop_limit_flag"]
SOURCE_COLUMNS = ["account_id", "region", "asg_name", "source_kind", "position", "launch_template_id",
                  "launch_template_name", "version_requested", "version_resolved", "launch_configuration_name",
                  "image_id", "iam_instance_profile", "http_tokens", "http_endpoint", "hop_limit",
                  "declared_http_tokens", "status", "reason_code", "tokens_from", "reason",
                  "instance_metadata_tags", "http_protocol_ipv6"]
LC_COLUMNS = ["account_id", "region", "launch_configuration_name", "http_tokens", "http_endpoint", "hop_limit",
              "image_id", "instance_type", "iam_instance_profile"]

ACCOUNT = "123456789012"
REGION = "ap-northeast-1"


def group(name, *, status="non_compliant", kind="launch_template", instances=2, calls=0.0, callers="",
          hop=1, flag="ok", account=ACCOUNT, region=REGION, desired=None) -> dict:
    return {"account_id": account, "region": region, "asg_name": name, "status": status, "launch_kind": kind,
            "desired_capacity": instances if desired is None else desired, "instances": instances,
            "instances_allowing_imdsv1": instances if status == "non_compliant" else 0,
            "imdsv1_calls": calls, "imdsv1_callers": callers,
            "readiness": "blocked" if calls else "ready", "iam_role": "app-role", "hop_limit": hop,
            "reason": "", "hop_limit_flag": flag}


def lt_source(name, lt_id, lt_name, requested, resolved, *, position="single", tokens="optional", hop=1,
              account=ACCOUNT, region=REGION, **extra) -> dict:
    status = "non_compliant" if tokens == "optional" else "compliant"
    return {**extra, "account_id": account, "region": region, "asg_name": name, "source_kind": "launch_template",
            "position": position, "launch_template_id": lt_id, "launch_template_name": lt_name,
            "version_requested": requested, "version_resolved": resolved, "launch_configuration_name": None,
            "image_id": "ami-0123456789abcdef0", "iam_instance_profile": "app-profile", "http_tokens": tokens,
            "http_endpoint": "enabled", "hop_limit": hop, "declared_http_tokens": tokens, "status": status,
            "reason_code": "imdsv1_allowed" if tokens == "optional" else "tokens_required", "tokens_from": "declared"}


def lc_source(name, lc_name, *, hop=1, account=ACCOUNT, region=REGION) -> dict:
    return {"account_id": account, "region": region, "asg_name": name, "source_kind": "launch_configuration",
            "position": "single", "launch_template_id": None, "launch_template_name": None,
            "version_requested": None, "version_resolved": None, "launch_configuration_name": lc_name,
            "image_id": "ami-0123456789abcdef0", "iam_instance_profile": "app-profile", "http_tokens": "optional",
            "http_endpoint": "enabled", "hop_limit": hop, "declared_http_tokens": None,
            "status": "non_compliant", "reason_code": "imdsv1_allowed", "tokens_from": "declared"}


def frames(groups: list[dict], sources: list[dict], lcs: list[dict] | None = None):
    g = pd.DataFrame(groups, columns=GROUP_COLUMNS)
    g["desired_capacity"] = g["desired_capacity"].astype("Int64")
    s = pd.DataFrame(sources, columns=SOURCE_COLUMNS)
    s["version_resolved"] = s["version_resolved"].astype("Int64")
    return g, s, pd.DataFrame(lcs or [], columns=LC_COLUMNS)


def example_findings():
    """Findings covering: $Default, $Latest, a number, a mixed instances policy, a launch configuration,
    a group with no instances, a template shared by two groups, IMDSv1 still called, container nodes."""
    lt_web, lt_batch, lt_eks = "lt-0a1b2c3d4e5f60718", "lt-0b1b2c3d4e5f60718", "lt-0c1b2c3d4e5f60718"
    groups = [
        group("web-asg", calls=412.0, callers="i-0aaa1111bbbb2222c i-0ddd3333eeee4444f"),
        group("web-canary-asg", instances=1),                       # shares web-lt at $Default
        group("batch-asg", instances=0, desired=0),                 # a number, no instances
        group("latest-asg"),                                        # $Latest
        group("eks-nodes", hop=2, flag="expected_container"),       # container nodes keep hop 2
        group("mixed-asg", kind="mixed_instances_policy"),
        group("legacy-asg", kind="launch_configuration", instances=3),
        group("good-asg", status="compliant"),
    ]
    sources = [
        lt_source("web-asg", lt_web, "web-lt", "$Default", 3),
        lt_source("web-canary-asg", lt_web, "web-lt", "$Default", 3),
        lt_source("batch-asg", lt_batch, "batch-lt", "7", 7),
        lt_source("latest-asg", lt_batch, "batch-lt", "$Latest", 9),
        lt_source("eks-nodes", lt_eks, "eks-node-lt", "$Default", 2, hop=2),
        lt_source("mixed-asg", lt_batch, "batch-lt", "7", 7, position="base"),
        lt_source("mixed-asg", lt_eks, "eks-node-lt", "4", 4, position="override:1"),
        lc_source("legacy-asg", "legacy-lc"),
        lt_source("good-asg", "lt-0d1b2c3d4e5f60718", "good-lt", "$Default", 1, tokens="required"),
    ]
    lcs = [{"account_id": ACCOUNT, "region": REGION, "launch_configuration_name": "legacy-lc",
            "http_tokens": "optional", "http_endpoint": "enabled", "hop_limit": 1,
            "image_id": "ami-0123456789abcdef0", "instance_type": "t3.small",
            "iam_instance_profile": "app-profile"}]
    return frames(groups, sources, lcs)


def plan(groups, sources, lcs=None):
    """The run's one plan over these frames, commands attached (as every channel renders it)."""
    from imds_audit.remediate import build_plan
    from imds_audit.remediate.render import prepare

    return prepare(build_plan(groups, sources, lcs))


def write_bundle(groups, sources, lcs, out, lang: str = "en"):
    """remediation/ of a report from these frames, written as ``render.writers`` writes it."""
    from pathlib import Path

    from imds_audit.remediate import bundle_files
    from imds_audit.render.output import write_text

    for name, (text, executable) in bundle_files(plan(groups, sources, lcs), lang).items():
        write_text(Path(out) / "remediation" / name, text, executable)
    return Path(out) / "remediation"


def remediation_for_group(groups, sources, name: str, lang: str = "en", lcs=None) -> dict:
    """One group's console / CLI / Terraform / warning, from the one plan over all ``groups``."""
    from imds_audit.remediate import group_parts, warning_text

    p = plan(groups, sources, lcs)
    row = groups[groups["asg_name"].eq(name)].iloc[0]
    fix = p.fix_for(row["account_id"], row["region"], name)
    if fix is None:
        return {"console": "", "cli": "", "terraform": "", "cloudformation": "",
                "warning": warning_text(row.to_dict(), lang)}
    return group_parts(fix, lang)
