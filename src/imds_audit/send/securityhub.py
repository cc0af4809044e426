"""``findings.asff.json`` → AWS Security Hub, with the caller's credentials.

Security Hub takes findings for the default product only from the account they name, in the region
of their ProductArn. So the findings are grouped by (account, region); each group is imported in
batches of 100 (BatchImportFindings' limit) with a client for that region, using the session given
for that account. Findings of an account no session reaches are not sent: each is reported failed
with the reason, like the findings Security Hub refuses (``FailedFindings``).

BatchImportFindings applies ``Workflow`` and ``Note`` only when it creates a finding. Afterwards, for
every finding imported, the workflow the file asks for is set with BatchUpdateFindings: SUPPRESSED
with the exception's note for an accepted risk, RESOLVED for a passed check, and NEW with a note for
an exception that has expired (so a finding suppressed last quarter is not left hidden). A finding
of a plain FAILED check keeps whatever workflow the team gave it in Security Hub. Findings Security
Hub has not settled yet (FindingNotFound, ConcurrentUpdateError right after the import) are retried
twice, a few seconds apart, before they are reported.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import boto3

from imds_audit.render import asff

UPDATE_BATCH = 100  # BatchUpdateFindings takes at most 100 finding identifiers a call
RETRYABLE = {"FindingNotFound", "ConcurrentUpdateError", "InternalFailure"}
RETRY_DELAYS = (2.0, 5.0)  # seconds before each retry of the findings not settled yet


@dataclass
class SendResult:
    imported: int = 0
    updated: int = 0
    failed: list[dict] = field(default_factory=list)  # {"Id", "ErrorCode", "ErrorMessage"}, one per finding

    @property
    def ok(self) -> bool:
        return not self.failed


def _region_of(finding: dict) -> str:
    """The region of the ProductArn (arn:P:securityhub:REGION:ACCOUNT:product/...)."""
    parts = str(finding.get("ProductArn", "")).split(":")
    return parts[3] if len(parts) > 5 else str(finding.get("Region") or "")


def _workflow_update(finding: dict) -> tuple[str, str | None] | None:
    """(workflow status, note text) to set after the import, or None to leave the workflow alone."""
    workflow = (finding.get("Workflow") or {}).get("Status")
    note = (finding.get("Note") or {}).get("Text")
    if workflow == "SUPPRESSED":
        return "SUPPRESSED", note
    if workflow == "RESOLVED":
        return "RESOLVED", None
    if note and workflow == "NEW":  # an expired exception: lift an earlier suppression
        return "NEW", note
    return None


def _code(exc: Exception) -> str:
    """AWS's error code for a ClientError, else the exception's class name."""
    return (getattr(exc, "response", None) or {}).get("Error", {}).get("Code") or type(exc).__name__


def _fail(found: list[dict], code: str, message: str) -> list[dict]:
    return [{"Id": f.get("Id", ""), "ErrorCode": code, "ErrorMessage": message} for f in found]


def _import(client, found: list[dict], result: SendResult) -> list[dict]:
    """Import in batches of 100; returns the findings Security Hub accepted."""
    accepted = []
    for start in range(0, len(found), asff.BATCH):
        batch = found[start:start + asff.BATCH]
        try:
            answer = client.batch_import_findings(Findings=batch)
        except Exception as exc:  # noqa: BLE001 - the whole batch failed: report each finding, go on
            result.failed += _fail(batch, _code(exc), str(exc))
            continue
        failed = answer.get("FailedFindings") or []
        result.failed += [{"Id": f.get("Id", ""), "ErrorCode": f.get("ErrorCode", ""),
                           "ErrorMessage": f.get("ErrorMessage", "")} for f in failed]
        refused = {f.get("Id") for f in failed}
        ok = [f for f in batch if f["Id"] not in refused]
        result.imported += len(ok)
        accepted += ok
    return accepted


def _update_batch(client, args: dict, status: str, result: SendResult) -> None:
    """One BatchUpdateFindings call, retried for the findings Security Hub has not settled yet (a
    finding imported a moment ago may be "not found" or "concurrently updated" for a while)."""
    batch = args["FindingIdentifiers"]
    for delay in (*RETRY_DELAYS, None):
        try:
            answer = client.batch_update_findings(**{**args, "FindingIdentifiers": batch})
        except Exception as exc:  # noqa: BLE001
            result.failed += [{"Id": i["Id"], "ErrorCode": _code(exc),
                               "ErrorMessage": f"imported, but workflow {status} not set: {exc}"} for i in batch]
            return
        unprocessed = answer.get("UnprocessedFindings") or []
        result.updated += len(batch) - len(unprocessed)
        retry = [u for u in unprocessed if u.get("ErrorCode") in RETRYABLE]
        final = [u for u in unprocessed if u.get("ErrorCode") not in RETRYABLE]
        if delay is None:
            final += retry
        result.failed += [{"Id": u.get("FindingIdentifier", {}).get("Id", ""), "ErrorCode": u.get("ErrorCode", ""),
                           "ErrorMessage": f"imported, but workflow {status} not set: {u.get('ErrorMessage', '')}"}
                          for u in final]
        if delay is None or not retry:
            return
        time.sleep(delay)
        batch = [u["FindingIdentifier"] for u in retry]


def _update_workflows(client, found: list[dict], result: SendResult) -> None:
    wanted: dict[tuple[str, str | None], list[dict]] = {}
    for f in found:
        update = _workflow_update(f)
        if update:
            wanted.setdefault(update, []).append({"Id": f["Id"], "ProductArn": f["ProductArn"]})
    for (status, note), ids in wanted.items():
        for start in range(0, len(ids), UPDATE_BATCH):
            args = {"FindingIdentifiers": ids[start:start + UPDATE_BATCH], "Workflow": {"Status": status}}
            if note:
                args["Note"] = {"Text": note, "UpdatedBy": "imds-audit"}
            _update_batch(client, args, status, result)


Sessions = Mapping[str, boto3.session.Session] | Callable[[str], boto3.session.Session | None]


def send(found: list[dict], sessions: Sessions, workflows: bool = True) -> SendResult:
    """Import ``found`` into Security Hub. ``sessions``: account id → session (or a function of the
    account id returning one, or None when that account cannot be reached). ``workflows=False``
    imports only, leaving the workflow and notes of existing findings as they are."""
    lookup = sessions.get if isinstance(sessions, Mapping) else sessions
    result = SendResult()
    by_target: dict[tuple[str, str], list[dict]] = {}
    for f in found:
        by_target.setdefault((str(f.get("AwsAccountId", "")), _region_of(f)), []).append(f)
    for (account, region), batch in sorted(by_target.items()):
        try:
            session = lookup(account)
        except Exception as exc:  # noqa: BLE001 - e.g. the role cannot be assumed there
            result.failed += _fail(batch, _code(exc), f"cannot reach account {account}: {exc}")
            continue
        if session is None:
            result.failed += _fail(batch, "NoCredentials",
                                   f"no credentials for account {account}: give a --profile for it or --role")
            continue
        client = session.client("securityhub", region_name=region)
        accepted = _import(client, batch, result)
        if workflows:
            _update_workflows(client, accepted, result)
    return result


def sessions_for(profiles: list[str | None], role: str | None = None) -> Callable[[str], boto3.session.Session | None]:
    """Account id → session: the account of each profile (sts:GetCallerIdentity), and with ``role``
    any other account through ``arn:P:iam::ACCOUNT:role/ROLE`` assumed from the first profile."""
    known: dict[str, boto3.session.Session] = {}
    first = None
    for profile in profiles or [None]:
        session = boto3.session.Session(profile_name=profile)
        identity = session.client("sts").get_caller_identity()
        known.setdefault(identity["Account"], session)
        first = first or (session, identity["Arn"].split(":")[1])

    def lookup(account: str) -> boto3.session.Session | None:
        if account in known or not role:
            return known.get(account)
        session, part = first
        creds = session.client("sts").assume_role(RoleArn=f"arn:{part}:iam::{account}:role/{role}",
                                                  RoleSessionName="imds-audit-send")["Credentials"]
        known[account] = boto3.session.Session(aws_access_key_id=creds["AccessKeyId"],
                                               aws_secret_access_key=creds["SecretAccessKey"],
                                               aws_session_token=creds["SessionToken"])
        return known[account]

    return lookup


def send_file(out_dir: str | os.PathLike, profiles: list[str | None] | None = None, role: str | None = None,
              workflows: bool = True) -> SendResult:
    """Send ``OUT/findings.asff.json`` (or the file itself when given one)."""
    path = Path(out_dir)
    path = path / asff.FILE_NAME if path.is_dir() else path
    return send(asff.read(path), sessions_for(profiles or [None], role), workflows=workflows)


__all__ = ["SendResult", "send", "send_file", "sessions_for"]
