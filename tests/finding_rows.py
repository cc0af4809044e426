"""Hand-made group rows (the columns of analyze's findings) for the interchange-format tests."""

from __future__ import annotations

import pandas as pd

from imds_audit.model import FINDING_COLUMNS

A, R = "111111111111", "us-east-1"
METADATA = {"collected_at": "2026-11-30T09:00:00+00:00", "generated_at": "2026-11-30T09:05:00+00:00",
            "tool_version": "0.1.0", "snapshot_sha256": "ab" * 32}
# names an attacker could give a group: quotes, markup, newlines, RTL marks, shell and template syntax
HOSTILE = ["q'\"uote", "<script>alert(1)</script>", "line\nbreak\r\ttab", "\u202eevil\u200f-rtl",
           "$(touch /tmp/x)`id`", "名前-グループ", "a" * 255, "pct%2Fslash/x", "&amp;<![CDATA[x]]>"]


def row(**over) -> dict:
    base = {"account_id": A, "region": R, "asg_name": "web", "status": "non_compliant",
            "launch_source": "web-lt (lt-1) $Default→v1", "effective_http_tokens": "optional",
            "http_endpoint": "enabled", "hop_limit": 1, "iam_role": "web-role", "risk_tier": "data_access",
            "instances": 2, "instances_allowing_imdsv1": 2, "imdsv1_calls": 0.0,
            "reason": "launch template web-lt (lt-1) version 1: HttpTokens optional (declared)",
            "launch_kind": "launch_template", "iam_role_arn": f"arn:aws:iam::{A}:role/web-role",
            "readiness": "ready", "drift": True, "imdsv1_callers": "", "launch_failure": False,
            "asg_arn": f"arn:aws:autoscaling:{R}:{A}:autoScalingGroup:0000-uuid:autoScalingGroupName/web",
            "tags": '{"Environment": "prod"}'}
    base.update(over)
    if "asg_name" in over and "asg_arn" not in over:
        base["asg_arn"] = f"arn:aws:autoscaling:{base['region']}:{base['account_id']}:autoScalingGroup:0000-uuid:" \
                          f"autoScalingGroupName/{base['asg_name']}"
    return base


def frame(*rows: dict) -> pd.DataFrame:
    df = pd.DataFrame(list(rows))
    extra = [c for c in df.columns if c not in FINDING_COLUMNS]
    df = df.reindex(columns=[c for c in FINDING_COLUMNS if c in df.columns] + extra)
    df["imdsv1_calls"] = df["imdsv1_calls"].astype("Float64")
    return df
