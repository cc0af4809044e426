"""``findings.asff.json``: one AWS Security Finding Format finding per Auto Scaling group, ready for
Security Hub's BatchImportFindings (a JSON list; send it with ``imds-audit send-securityhub``).

- ``Id``: stable per account, region, group and rule (:func:`rule.finding_id`), so a re-import
  updates the finding instead of adding one; ``GeneratorId`` the rule; ``ProductArn`` the account's
  default custom product ``arn:P:securityhub:R:A:product/A/default``.
- ``Compliance.Status``: PASSED (compliant), FAILED (non_compliant), NOT_AVAILABLE (unknown), with
  the requirements of ``rule.json`` (AWS FSBP AutoScaling.3 / EC2.8 / EC2.170, CIS AWS Foundations
  v3.0.0 5.6 and v5.0.0 5.7).
- ``Severity`` (also in ``FindingProviderFields``, the place a provider updates it from) comes from
  :mod:`imds_audit.analyze.severity`, or the frame's own ``severity`` column when it has one.
- ``Resources``: the group (its real ARN from ``asg_arn``; built with ``*`` for the UUID when the
  frame lacks it, and ``ProductFields["imds-audit/ArnBuilt"]`` then says ``true``) with
  ``Details.AwsAutoScalingAutoScalingGroup`` from the launch sources, and the IAM role it exposes.
- An accepted exception (``exception == "accepted"``) on a group that is not compliant sets
  ``Workflow.Status`` SUPPRESSED with the justification in ``Note``; an expired one keeps NEW and
  says so in the note. Security Hub applies Workflow and Note from BatchImportFindings only when it
  creates a finding: ``send-securityhub`` sets them on existing findings with BatchUpdateFindings.

:func:`validate` checks findings against botocore's own model of BatchImportFindings (its
ParamValidator) and against what that model states but the client does not check: enumerations,
non-blank strings, and the lengths and item counts its documentation gives.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd

from imds_audit.analyze.severity import exposure, severity
from imds_audit.render import rule

SCHEMA_VERSION = "2018-10-08"
FILE_NAME = "findings.asff.json"
BATCH = 100  # BatchImportFindings takes at most 100 findings a call
MAX_BYTES = 240 * 1024
COMPLIANCE = {"compliant": "PASSED", "non_compliant": "FAILED", "unknown": "NOT_AVAILABLE"}
REASON_CODE = {"compliant": "IMDSV2_REQUIRED", "non_compliant": "IMDSV1_ALLOWED", "unknown": "NOT_ASSESSED"}
RESOURCE_PARTITIONS = {"aws", "aws-cn", "aws-us-gov"}  # ARN partitions that ASFF's Partition enum names alike


def product_arn(account_id: str, region: str) -> str:
    return f"arn:{rule.partition(region)}:securityhub:{region}:{account_id}:product/{account_id}/default"


def _group_details(row, sources: pd.DataFrame | None) -> dict:
    """Details.AwsAutoScalingAutoScalingGroup: the launch source the group names (ASFF has no field
    for a mixed instances override's own template)."""
    if sources is None or sources.empty:
        return {}
    mine = sources[sources["account_id"].eq(row["account_id"]) & sources["region"].eq(row["region"])
                   & sources["asg_name"].eq(row["asg_name"])]
    base = mine[mine["position"].isin(["single", "base"])]
    if base.empty:
        return {}
    src = base.iloc[0]
    if rule.text(src, "source_kind") == "launch_configuration":
        name = rule.text(src, "launch_configuration_name")
        return {"LaunchConfigurationName": name} if name.strip() else {}
    spec = {k: rule.text(src, c) for k, c in (("LaunchTemplateId", "launch_template_id"),
                                               ("LaunchTemplateName", "launch_template_name"),
                                               ("Version", "version_requested"))}
    spec = {k: v for k, v in spec.items() if v.strip()}
    if not spec:
        return {}
    if rule.text(row, "launch_kind") == "mixed_instances_policy":
        return {"MixedInstancesPolicy": {"LaunchTemplate": {"LaunchTemplateSpecification": spec}}}
    return {"LaunchTemplate": spec}


def _resources(row, sources) -> tuple[list[dict], bool]:
    arn, built = rule.group_arn(row)
    region = rule.text(row, "region")
    group = {"Type": "AwsAutoScalingAutoScalingGroup", "Id": arn, "Region": region}
    part = rule.partition(region)
    if part in RESOURCE_PARTITIONS:
        group["Partition"] = part
    tags = {k: v for k, v in rule.tags(row).items() if k.strip() and v.strip()}
    if tags:
        group["Tags"] = tags
    details = _group_details(row, sources)
    if details:
        group["Details"] = {"AwsAutoScalingAutoScalingGroup": details}
    resources = [group]
    role_arn, role = rule.text(row, "iam_role_arn"), rule.text(row, "iam_role")
    if role_arn.strip():
        iam = {"Type": "AwsIamRole", "Id": role_arn, "Region": region}
        if role.strip():
            iam["Details"] = {"AwsIamRole": {"RoleName": role}}
        resources.append(iam)
    return resources, built


def _note(row, updated_at: str) -> dict | None:
    state = rule.text(row, "exception")
    if state not in ("accepted", "expired") or rule.text(row, "status") == "compliant":
        return None
    ticket = rule.text(row, "exception_ticket")
    who = f"owner {rule.text(row, 'exception_owner')}" + (f", ticket {ticket}" if ticket else "")
    expires = rule.text(row, "exception_expires")
    head = f"Accepted risk until {expires}" if state == "accepted" else f"Exception expired on {expires}"
    return {"Text": rule.clip(f"{head} ({who}): {rule.text(row, 'exception_reason')}", 512),
            "UpdatedBy": "imds-audit", "UpdatedAt": updated_at}


def _workflow(row) -> str:
    status = rule.text(row, "status")
    if status == "compliant":
        return "RESOLVED"
    return "SUPPRESSED" if rule.text(row, "exception") == "accepted" else "NEW"


def _product_fields(row, metadata: dict, exp: str, built: bool) -> dict[str, str]:
    fields = {
        "ProviderName": "imds-audit", "ProviderVersion": str(metadata.get("tool_version") or ""),
        "imds-audit/RuleId": rule.RULE_ID, "imds-audit/AsgName": rule.text(row, "asg_name"),
        "imds-audit/RiskTier": rule.text(row, "risk_tier"), "imds-audit/Exposure": exp,
        "imds-audit/LaunchKind": rule.text(row, "launch_kind"),
        "imds-audit/LaunchSource": rule.text(row, "launch_source"),
        "imds-audit/Readiness": rule.text(row, "readiness"),
        "imds-audit/ManagedBy": rule.text(row, "managed_by"),
        "imds-audit/Exception": rule.text(row, "exception"),
        "imds-audit/ArnBuilt": "true" if built else "false",
        "imds-audit/SnapshotSha256": str(metadata.get("snapshot_sha256") or ""),
    }
    return {k: rule.clip(v, 2048) for k, v in fields.items() if v.strip()}


def findings(groups: pd.DataFrame, metadata: dict | None = None, sources: pd.DataFrame | None = None) -> list[dict]:
    """One ASFF finding per row of ``groups`` (see the module docstring); ``sources`` (the analysis'
    per-source frame) fills the group's resource details."""
    metadata = metadata or {}
    observed, generated = rule.moments(metadata)
    observed_at, updated_at = rule.iso_z(observed), rule.iso_z(generated)
    labels = groups["severity"] if "severity" in groups.columns else severity(groups)
    exposures = exposure(groups)
    types = list(rule.RULE["types"])
    out = []
    for (_, row), label, exp in zip(groups.iterrows(), labels, exposures, strict=True):
        account, region, status = rule.text(row, "account_id"), rule.text(row, "region"), rule.text(row, "status")
        resources, built = _resources(row, sources)
        finding = {
            "SchemaVersion": SCHEMA_VERSION,
            "Id": rule.finding_id(account, region, rule.text(row, "asg_name")),
            "ProductArn": product_arn(account, region),
            "ProductName": rule.RULE["product"]["name"], "CompanyName": rule.RULE["product"]["company"],
            "GeneratorId": f"imds-audit/{rule.RULE_ID}",
            "AwsAccountId": account, "Region": region,
            "Types": types,
            "FirstObservedAt": observed_at, "LastObservedAt": observed_at,
            "CreatedAt": observed_at, "UpdatedAt": updated_at,
            "Severity": {"Label": label, "Original": label},
            "FindingProviderFields": {"Severity": {"Label": label, "Original": label}, "Types": types},
            "Title": rule.title(row), "Description": rule.description(row),
            "Remediation": {"Recommendation": {"Text": rule.recommendation(row), "Url": rule.remediation_url(row)}},
            "ProductFields": _product_fields(row, metadata, exp, built),
            "Resources": resources,
            "Compliance": {"Status": COMPLIANCE.get(status, "NOT_AVAILABLE"),
                           "RelatedRequirements": rule.requirements(),
                           "StatusReasons": [{"ReasonCode": REASON_CODE.get(status, "NOT_ASSESSED"),
                                              "Description": rule.clip(rule.text(row, "reason") or status, 2048)}]},
            "Workflow": {"Status": _workflow(row)},
            "RecordState": "ACTIVE",
        }
        note = _note(row, updated_at)
        if note:
            finding["Note"] = note
        out.append(finding)
    return out


def write(groups: pd.DataFrame, path: str | os.PathLike, metadata: dict | None = None,
          sources: pd.DataFrame | None = None) -> Path:
    path = Path(path)
    path.write_text(json.dumps(findings(groups, metadata, sources), ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def read(path: str | os.PathLike) -> list[dict]:
    """The findings of a findings.asff.json (a JSON list, or a BatchImportFindings request body)."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    found = doc.get("Findings") if isinstance(doc, dict) else doc
    if not isinstance(found, list) or not all(isinstance(f, dict) for f in found):
        raise ValueError(f"{path}: not a list of ASFF findings")
    return found


# -- validation against botocore's model ------------------------------------------------------------

_STRING_MAX = re.compile(r"Maximum (?:length )?of (\d+)")
_LIST_MAX = re.compile(r"Maximum number of (\d+) items")
_MAP_PAIRS = re.compile(r"up to (\d+) key-value pairs")
_MAP_KEY = re.compile(r"key can contain up to (\d+) characters")
_MAP_VALUE = re.compile(r"value can contain up to (\d+) characters")


def _limit(pattern: re.Pattern, doc: str) -> int | None:
    m = pattern.search(doc or "")
    return int(m.group(1)) if m else None


def _check(shape, value, where: str, doc: str, problems: list[str]) -> None:
    """Walk ``value`` along botocore's ``shape``: enumerations, non-blank strings (the model's
    ``.*\\S.*``) and the maxima its documentation states (botocore's own validator checks types,
    required members and minima only)."""
    kind = shape.type_name
    if kind == "string" and isinstance(value, str):
        if shape.enum and value not in shape.enum:
            problems.append(f"{where}: {value!r} is not one of {', '.join(shape.enum)}")
        pattern = shape.metadata.get("pattern")
        if pattern and not re.fullmatch(pattern, value, flags=re.DOTALL):
            problems.append(f"{where}: {value!r} does not match {pattern}")
        most = _limit(_STRING_MAX, doc)
        if most is not None and rule.utf16_len(value) > most:
            problems.append(f"{where}: {rule.utf16_len(value)} characters, more than {most}")
    elif kind == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                _check(member, value[name], f"{where}.{name}", member.documentation, problems)
    elif kind == "list" and isinstance(value, list):
        most = _limit(_LIST_MAX, doc)
        if most is not None and len(value) > most:
            problems.append(f"{where}: {len(value)} items, more than {most}")
        for i, item in enumerate(value):
            _check(shape.member, item, f"{where}[{i}]", shape.member.documentation, problems)
    elif kind == "map" and isinstance(value, dict):
        pairs, key_max, value_max = (_limit(p, doc) for p in (_MAP_PAIRS, _MAP_KEY, _MAP_VALUE))
        if pairs is not None and len(value) > pairs:
            problems.append(f"{where}: {len(value)} pairs, more than {pairs}")
        for k, v in value.items():
            if key_max is not None and rule.utf16_len(k) > key_max:
                problems.append(f"{where}: key {k!r} longer than {key_max}")
            if value_max is not None and isinstance(v, str) and rule.utf16_len(v) > value_max:
                problems.append(f"{where}[{k!r}]: longer than {value_max}")
            _check(shape.key, k, f"{where} key", "", problems)
            _check(shape.value, v, f"{where}[{k!r}]", "", problems)


def validate(found: list[dict]) -> list[str]:
    """Problems with ``found`` as BatchImportFindings input (empty when every finding is valid)."""
    import botocore.session
    from botocore.validate import ParamValidator

    model = botocore.session.get_session().get_service_model("securityhub")
    shape = model.operation_model("BatchImportFindings").input_shape
    problems: list[str] = []
    for start in range(0, len(found), BATCH):
        report = ParamValidator().validate({"Findings": found[start:start + BATCH]}, shape)
        if report.has_errors():
            problems.append(report.generate_report())
    member = shape.members["Findings"].member
    for i, finding in enumerate(found):
        where = f"Findings[{i}] ({finding.get('Id')!r})"
        _check(member, finding, where, "", problems)
        size = len(json.dumps(finding).encode("utf-8"))
        if size > MAX_BYTES:
            problems.append(f"{where}: {size} bytes, more than Security Hub's 240 KB")
    return problems


__all__ = ["BATCH", "COMPLIANCE", "FILE_NAME", "findings", "product_arn", "read", "validate", "write"]
