"""``findings.ocsf.json``: OCSF 1.5 Compliance Finding events (class_uid 2003), one per Auto Scaling
group, with the cloud profile; the same finding ids, severity, compliance status and resource as
``findings.asff.json``.

Mapping: ``finding_info.uid`` is the ASFF ``Id``; ``severity_id`` follows the ASFF label
(INFORMATIONAL 1, LOW 2, MEDIUM 3, HIGH 4, CRITICAL 5); ``compliance.status_id`` is Pass (1) for
compliant, Fail (3) for non_compliant and Warning (2) for unknown, which OCSF defines as "did not
yield a result due to missing information" (ASFF's NOT_AVAILABLE); ``status_id`` is Suppressed (3)
under an accepted exception (the justification in ``comment``), New (1) otherwise, with the
verdict's reason in ``status_detail``; the group is
``resources[0]`` (ARN, name, type AwsAutoScalingAutoScalingGroup, region, partition, tags as
``labels``); the risk facts are in ``unmapped``.

The events are validated in the tests with **py-ocsf-models** (Prowler's pydantic models of the
OCSF schema, which Prowler itself emits its OCSF output with). It was chosen over **ocsf-lib**
because ocsf-lib validates *schemas* (compiling, comparing and checking compatibility of the
ocsf-schema repository) rather than events, and needs that repository or the schema server at run
time; py-ocsf-models ships the Compliance Finding class and its objects and works offline. The
writer itself builds plain dictionaries, so py-ocsf-models is only a test dependency.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from imds_audit.analyze.severity import exposure, severity
from imds_audit.render import rule

OCSF_VERSION = "1.5.0"
FILE_NAME = "findings.ocsf.json"
CLASS_UID, CATEGORY_UID, ACTIVITY_CREATE = 2003, 2, 1
SEVERITY_ID = {"INFORMATIONAL": 1, "LOW": 2, "MEDIUM": 3, "HIGH": 4, "CRITICAL": 5}
COMPLIANCE_STATUS = {"compliant": 1, "non_compliant": 3, "unknown": 2}  # Pass, Fail, Warning
AWS_ACCOUNT_TYPE_ID = 10


def _ms(moment) -> int:
    return int(moment.timestamp() * 1000)


def _resource(row) -> dict:
    arn, built = rule.group_arn(row)
    region = rule.text(row, "region")
    resource = {"uid": arn, "name": rule.text(row, "asg_name"), "type": "AwsAutoScalingAutoScalingGroup",
                "region": region, "cloud_partition": rule.partition(region),
                "data": {"launch_kind": rule.text(row, "launch_kind"), "launch_source": rule.text(row, "launch_source"),
                         "arn_built": built}}
    labels = [f"{k}={v}" for k, v in rule.tags(row).items()]
    if labels:
        resource["labels"] = labels
    return resource


def _comment(row) -> str | None:
    state = rule.text(row, "exception")
    if state not in ("accepted", "expired") or rule.text(row, "status") == "compliant":
        return None
    ticket = rule.text(row, "exception_ticket")
    head = "Accepted risk until" if state == "accepted" else "Exception expired on"
    return (f"{head} {rule.text(row, 'exception_expires')} (owner {rule.text(row, 'exception_owner')}"
            + (f", ticket {ticket}" if ticket else "") + f"): {rule.text(row, 'exception_reason')}")


def events(groups: pd.DataFrame, metadata: dict | None = None) -> list[dict]:
    """One Compliance Finding event per row of ``groups``."""
    metadata = metadata or {}
    observed, generated = rule.moments(metadata)
    labels = groups["severity"] if "severity" in groups.columns else severity(groups)
    exposures = exposure(groups)
    product = {"name": rule.RULE["product"]["name"], "vendor_name": rule.RULE["product"]["company"],
               "version": str(metadata.get("tool_version") or "")}
    product = {k: v for k, v in product.items() if v}
    out = []
    for (_, row), label, exp in zip(groups.iterrows(), labels, exposures, strict=True):
        account, region, status = rule.text(row, "account_id"), rule.text(row, "region"), rule.text(row, "status")
        status_id = COMPLIANCE_STATUS.get(status, 0)
        suppressed = rule.text(row, "exception") == "accepted" and status != "compliant"
        title, uid = rule.title(row), rule.finding_id(account, region, rule.text(row, "asg_name"))
        event = {
            "class_uid": CLASS_UID, "class_name": "Compliance Finding",
            "category_uid": CATEGORY_UID, "category_name": "Findings",
            "activity_id": ACTIVITY_CREATE, "activity_name": "Create",
            "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE, "type_name": "Compliance Finding: Create",
            "time": _ms(observed),
            "severity_id": SEVERITY_ID[label], "severity": label.capitalize(),
            "status_id": 3 if suppressed else 1, "status": "Suppressed" if suppressed else "New",
            "message": title, "status_detail": rule.text(row, "reason") or status,
            "metadata": {"version": OCSF_VERSION, "product": product, "profiles": ["cloud"],
                         "event_code": rule.RULE_ID, "uid": uid},
            "finding_info": {"uid": uid,
                             "title": title, "desc": rule.description(row), "types": list(rule.RULE["types"]),
                             "created_time": _ms(observed), "first_seen_time": _ms(observed),
                             "last_seen_time": _ms(observed), "modified_time": _ms(generated)},
            "compliance": {"control": rule.RULE["name"], "status_id": status_id,
                           "checks": [{"uid": rule.RULE_ID, "name": rule.RULE["name"], "status_id": status_id,
                                       "severity_id": SEVERITY_ID[label]}],
                           "standards": sorted({r["standard"] for r in rule.RULE["requirements"]}),
                           "requirements": rule.requirements()},
            "cloud": {"provider": "AWS", "region": region,
                      "account": {"uid": account, "name": account, "type_id": AWS_ACCOUNT_TYPE_ID,
                                  "type": "AWS Account"}},
            "resources": [_resource(row)],
            "remediation": {"desc": rule.recommendation(row), "references": [rule.remediation_url(row)]},
            "unmapped": {"risk_tier": rule.text(row, "risk_tier"), "exposure": exp,
                         "instances": rule.count(row, "instances"),
                         "instances_allowing_imdsv1": rule.count(row, "instances_allowing_imdsv1"),
                         "imdsv1_calls": rule.count(row, "imdsv1_calls"),
                         "readiness": rule.text(row, "readiness"), "iam_role": rule.text(row, "iam_role"),
                         "iam_role_arn": rule.text(row, "iam_role_arn"), "exception": rule.text(row, "exception"),
                         "snapshot_sha256": str(metadata.get("snapshot_sha256") or "")},
        }
        comment = _comment(row)
        if comment:
            event["comment"] = comment
        out.append(event)
    return out


def write(groups: pd.DataFrame, path: str | os.PathLike, metadata: dict | None = None) -> Path:
    """A JSON array of the events."""
    path = Path(path)
    path.write_text(json.dumps(events(groups, metadata), ensure_ascii=False, indent=1), encoding="utf-8")
    return path


__all__ = ["CLASS_UID", "COMPLIANCE_STATUS", "FILE_NAME", "OCSF_VERSION", "SEVERITY_ID", "events", "write"]
