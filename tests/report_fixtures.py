"""Hand-made findings for the present/render tests: every status, tier and exposure level, plus
hostile names (markup, shell, template syntax) and Japanese text that must come out escaped and intact."""

from __future__ import annotations

import pandas as pd

from imds_audit import pipeline
from imds_audit import snapshot as snap
from imds_audit.findings import Findings
from imds_audit.model import FINDING_COLUMNS, SOURCE_COLUMNS

LONG_ROLE = "reporting-readonly-cross-account-analytics-pipeline-role-eu-001"

ROLE_COLUMNS = ["account_id", "role_name", "role_arn", "privilege_tier", "tier_rank", "exposed_groups",
                "exposed_instances", "imdsv1_calls", "exposure_level", "risk_score", "risk_rank",
                "reason_en", "reason_ja", "boundary"]
# the verdict's reason code per status, as the analysis would give it for these groups
CODES = {"compliant": "tokens_required", "non_compliant": "imdsv1_allowed", "unknown": "template_not_read"}

XSS = "<script>alert(1)</script>"
SHELL = "$(rm -rf /)"
TEMPLATE = "{{7*7}}"
JAPANESE = "本番-ウェブ-グループ"
LONG = "payments-" + "very-long-auto-scaling-group-name-" * 4 + "end"
HOSTILE = (XSS, SHELL, TEMPLATE, JAPANESE)

A1, A2 = "111111111111", "222222222222"


def _group(account, region, name, status, *, role="app-role", tier="read_only", instances=2,
           allowing=0, calls=0.0, kind="launch_template", drift=False, readiness="ready",
           hop=1, hop_flag="ok", callers=""):
    tokens = {"compliant": "required", "non_compliant": "optional", "unknown": None}[status]
    return {
        "account_id": account, "region": region, "asg_name": name, "status": status,
        "launch_source": (f"LC lc-{name}" if kind == "launch_configuration"
                          else f"lt-{name} (lt-0abc) $Default→v3"),
        "effective_http_tokens": tokens, "http_endpoint": None if status == "unknown" else "enabled",
        "hop_limit": hop, "iam_role": role, "risk_tier": tier if role else "no_role",
        "instances": instances, "instances_allowing_imdsv1": allowing, "imdsv1_calls": calls,
        "reason_code": CODES[status], "reason_position": "single",
        "launch_kind": kind, "desired_capacity": instances,
        "iam_instance_profile": f"{role}-profile" if role else None,
        "iam_role_arn": f"arn:aws:iam::{account}:role/{role}" if role else None,
        "instances_outdated": 1 if drift else 0, "drift": drift, "imdsv1_callers": callers,
        "readiness": readiness, "hop_limit_flag": hop_flag, "launch_failure": False, "other_iam_roles": "",
    }


def groups_frame() -> pd.DataFrame:
    rows = [
        _group(A1, "us-east-1", "web-prod", "non_compliant", role="web-admin", tier="admin",
               instances=4, allowing=4, calls=1520.0, readiness="blocked", callers="i-0aaa i-0bbb",
               drift=True),
        _group(A1, "us-east-1", "batch-etl", "non_compliant", role="etl-data", tier="data_access",
               instances=3, allowing=3, drift=True),
        _group(A1, "us-east-1", "api-v2", "compliant", role="api-role", tier="write"),
        _group(A1, "us-east-1", XSS, "non_compliant", role="ci-deployer", tier="privilege_escalation",
               instances=1, allowing=1, calls=12.0, readiness="blocked", callers="i-0ccc"),
        _group(A1, "ap-northeast-1", JAPANESE, "non_compliant", role="web-admin", tier="admin",
               instances=2, allowing=2, kind="launch_configuration"),
        _group(A1, "ap-northeast-1", "eks-nodes", "compliant", role="eks-node", tier="write", hop=2,
               hop_flag="expected_container"),
        _group(A1, "ap-northeast-1", SHELL, "compliant", role=None, instances=0, drift=True,
               allowing=0),
        _group(A2, "us-east-1", TEMPLATE, "non_compliant", role=LONG_ROLE, tier="read_only",
               instances=0, allowing=0, readiness="unknown"),
        _group(A2, "us-east-1", LONG, "compliant", role=LONG_ROLE, tier="read_only", instances=6),
        _group(A2, "us-east-1", "legacy-lc", "non_compliant", role="legacy", tier="none", instances=1,
               allowing=1, kind="launch_configuration", hop=3, hop_flag="excessive"),
        _group(A2, "eu-west-1", "unread-template", "unknown", role="unknown-role", tier="unknown",
               instances=2, readiness="unknown"),
        _group(A2, "eu-west-1", "drifted-fixed", "compliant", role="api-role", tier="write",
               instances=3, allowing=2, drift=True),
    ]
    return pd.DataFrame(rows).reindex(columns=FINDING_COLUMNS)


def sources_frame(groups: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for g in groups.itertuples():
        lc = g.launch_kind == "launch_configuration"
        rows.append({
            "account_id": g.account_id, "region": g.region, "asg_name": g.asg_name,
            "source_kind": g.launch_kind, "position": "single",
            "launch_template_id": None if lc else "lt-0abc", "launch_template_name": None if lc else f"lt-{g.asg_name}",
            "version_requested": None if lc else "$Default", "version_resolved": None if lc else 3,
            "launch_configuration_name": f"lc-{g.asg_name}" if lc else None, "image_id": "ami-0123",
            "iam_instance_profile": g.iam_instance_profile, "http_tokens": g.effective_http_tokens,
            "http_endpoint": g.http_endpoint, "hop_limit": g.hop_limit, "tokens_from": "declared",
            "endpoint_from": "api_default", "hop_from": "declared",
            "declared_http_tokens": g.effective_http_tokens, "status": g.status,
            "reason_code": g.reason_code,
        })
    frame = pd.DataFrame(rows)
    frame.loc[frame["status"].eq("unknown"), "version_resolved"] = None  # the template was not read
    frame["tokens_from"] = frame["tokens_from"].where(frame["status"].ne("unknown"), "unknown")
    return frame.reindex(columns=SOURCE_COLUMNS)


def roles_frame() -> pd.DataFrame:
    rows = [
        (A1, "web-admin", "admin", 1, 2, 6, 1520.0, "active", 100.0,
         "AdministratorAccess (* on *); IMDSv1 called 1,520 times", "AdministratorAccess(全リソースに全操作); IMDSv1 呼び出し 1,520 回"),
        (A1, "ci-deployer", "privilege_escalation", 2, 1, 1, 12.0, "active", 85.0,
         "iam:PassRole with ec2:RunInstances <b>not bold</b>", "iam:PassRole と ec2:RunInstances を許可"),
        (A1, "etl-data", "data_access", 5, 1, 3, 0.0, "exposed", 40.0,
         "s3:GetObject on arn:aws:s3:::data-lake/*", "s3:GetObject(arn:aws:s3:::data-lake/*)"),
        (A2, "legacy", "none", 8, 1, 1, 0.0, "exposed", 2.0, "no policies attached", "ポリシーなし"),
        (A2, LONG_ROLE, "read_only", 7, 1, 0, None, "latent", 5.0,
         "ReadOnlyAccess; " + TEMPLATE, "ReadOnlyAccess; " + TEMPLATE),
        (A1, "api-role", "write", 6, 0, 0, 0.0, "none", 0.0, "not exposed", "露出なし"),
        (A1, "eks-node", "write", 6, 0, 0, 0.0, "none", 0.0, "not exposed", "露出なし"),
    ]
    frame = pd.DataFrame(rows, columns=["account_id", "role_name", "privilege_tier", "tier_rank",
                                        "exposed_groups", "exposed_instances", "imdsv1_calls",
                                        "exposure_level", "risk_score", "reason_en", "reason_ja"])
    frame["role_arn"] = "arn:aws:iam::" + frame["account_id"] + ":role/" + frame["role_name"]
    frame["boundary"] = ["", "", "", "", "", "api-" + TEMPLATE, ""]
    frame["risk_rank"] = frame["risk_score"].rank(ascending=False, method="first").astype(int)
    return frame.sort_values("risk_rank", ignore_index=True)[ROLE_COLUMNS]


def not_assessed_frame() -> pd.DataFrame:
    return pd.DataFrame([
        {"account_id": A2, "region": "eu-west-1", "api": "DescribeLaunchTemplateVersions",
         "outcome": "access_denied",
         "message": "User: arn:aws:sts::222222222222:assumed-role/<Auditor>/x is not authorized"},
        {"account_id": A2, "region": "eu-west-1", "api": "GetInstanceMetadataDefaults",
         "outcome": "not_implemented", "message": "NotImplemented " + XSS},
    ])


def raw_findings() -> Findings:
    """The hand-made frames, as the analysis would give them (codes, no words yet)."""
    groups = groups_frame()
    return Findings(groups=groups, sources=sources_frame(groups), roles=roles_frame(),
                    not_assessed=not_assessed_frame())


def complete(f: Findings) -> Findings:
    """What the pipeline adds to the analysis: reasons in words, coverage, the plan. (The roles keep
    their hand-made reasons: they carry hostile text.)"""
    return pipeline.with_plan(pipeline.with_coverage(pipeline.verdicts_in_words(f)))


def make_findings() -> Findings:
    return complete(raw_findings())


def report_findings(snapshot, findings: Findings | None = None, *, previous: Findings | None = None,
                    previous_snapshot=None, history=None, client="", engagement="", lang="en") -> Findings:
    """What ``pipeline.build`` gives a report, for hand-made findings: the snapshot's facts, and with
    ``previous`` the comparison and the trend (``history``: earlier (collected_at, findings) points)."""
    f = findings if findings is not None else make_findings()
    points = []
    if previous is not None:
        points = list(history or []) + [(previous_snapshot.collected_at if previous_snapshot else "", previous)]
        points += [(snapshot.collected_at or "~", f)]
    pipeline.compare(f, previous, points)
    f.meta = pipeline.meta(snapshot, previous_snapshot, previous, len(points) if f.trend is not None else 0,
                           client=client, engagement=engagement, lang=lang)
    return f


def write_snapshot(path, *, collected_at="2025-01-15T09:30:00+00:00", collected_by=None) -> snap.Snapshot:
    """A (table-empty) snapshot on disk whose manifest facts the report shows."""
    calls = [dict(r) for r in not_assessed_frame().to_dict("records")]
    calls.append({"account_id": A1, "region": "us-east-1", "api": "DescribeAutoScalingGroups",
                  "outcome": "ok", "message": ""})
    s = snap.new({}, scope={"accounts": [A1, A2], "regions": ["us-east-1", "ap-northeast-1", "eu-west-1"]},
                 api_calls=calls, collected_at=collected_at,
                 collected_by=collected_by or f"arn:aws:sts::{A1}:assumed-role/Auditor/{XSS}",
                 settings={"usage_window_days": 14})
    snap.write(s, path)
    return snap.read(path)


def synthetic_findings(n_groups: int, seed: int = 7) -> Findings:
    """A large estate for benchmarks and scale tests: n groups across 20 accounts and 4 regions."""
    import numpy as np

    rng = np.random.default_rng(seed)
    accounts = [f"{100000000000 + i:012d}" for i in range(20)]
    regions = ["us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1"]
    tiers = ["admin", "privilege_escalation", "data_access", "write", "read_only", "none"]
    rows = []
    for i in range(n_groups):
        status = rng.choice(["compliant", "non_compliant", "unknown"], p=[0.6, 0.35, 0.05])
        role = f"role-{i % 300}"
        inst = int(rng.integers(0, 8))
        rows.append(_group(accounts[i % 20], regions[i % 4], f"asg-{i:05d}", str(status), role=role,
                           tier=tiers[i % 300 % len(tiers)], instances=inst,
                           allowing=inst if status == "non_compliant" else 0,
                           calls=float(rng.integers(0, 50)) if i % 7 == 0 else 0.0,
                           readiness="blocked" if i % 7 == 0 else "ready", drift=bool(i % 5 == 0)))
    groups = pd.DataFrame(rows).reindex(columns=FINDING_COLUMNS)
    roles = []
    for r in range(300):
        tier = tiers[r % len(tiers)]
        score = float(rng.integers(0, 100))
        roles.append({"account_id": accounts[r % 20], "role_name": f"role-{r}",
                      "role_arn": f"arn:aws:iam::{accounts[r % 20]}:role/role-{r}", "privilege_tier": tier,
                      "tier_rank": tiers.index(tier) + 1, "exposed_groups": int(rng.integers(0, 20)),
                      "exposed_instances": int(rng.integers(0, 50)), "imdsv1_calls": 0.0,
                      "exposure_level": ["none", "latent", "exposed", "active"][r % 4],
                      "risk_score": score, "risk_rank": 0, "reason_en": "synthetic", "reason_ja": "合成データ",
                      "boundary": ""})
    roles = pd.DataFrame(roles).sort_values("risk_score", ascending=False, ignore_index=True)
    roles["risk_rank"] = range(1, len(roles) + 1)
    f = Findings(groups=groups, sources=sources_frame(groups), roles=roles[ROLE_COLUMNS],
                 not_assessed=not_assessed_frame())
    return pipeline.with_plan(pipeline.with_coverage(pipeline.verdicts_in_words(f)))
