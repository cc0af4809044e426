"""The one rule imds-audit reports against, as the interchange formats (ASFF, OCSF, JUnit) name it:
its id, the standards it maps to (``rule.json``, data), each group's stable finding id and ARN, and
the English words of a finding (title, description, recommendation) within the formats' limits.

Every writer takes the group rows of the findings (model.FINDING_COLUMNS: with ``asg_arn``, ``tags``,
``severity``, ``exception*``; optional ``managed_by``) and a small metadata dict
(``collected_at``, ``generated_at``, ``tool_version``, ``snapshot_sha256``; ISO timestamps).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from functools import cache
from importlib import resources
from urllib.parse import quote

import pandas as pd

from imds_audit.model import OWNED_BY_SERVICE

RULE = json.loads(resources.files("imds_audit.render").joinpath("rule.json").read_text(encoding="utf-8"))
RULE_ID: str = RULE["id"]
ID_MAX = 512  # ASFF Id (and kept for OCSF finding_info.uid, so both name a finding alike)


def value(row, key):
    """``row[key]``, with a missing column or a pandas NA as None."""
    v = row.get(key)
    try:
        return None if v is None or pd.isna(v) else v
    except (TypeError, ValueError):  # lists and the like
        return v


def text(row, key, default: str = "") -> str:
    v = value(row, key)
    return default if v is None else str(v)


def count(row, key) -> int | None:
    v = value(row, key)
    return None if v is None else int(v)


def utf16_len(s: str) -> int:
    """Length as AWS counts it (UTF-16 code units: an emoji counts 2)."""
    return len(s.encode("utf-16-le")) // 2


def clip(s: str, limit: int) -> str:
    """``s`` cut to ``limit`` UTF-16 units, ending in "…" when cut (never a lone surrogate half)."""
    if utf16_len(s) <= limit:
        return s
    out, used = [], 0
    for ch in s:
        width = utf16_len(ch)
        if used + width > limit - 1:
            break
        out.append(ch)
        used += width
    return "".join(out) + "…"


@cache
def partition(region: str) -> str:
    """The AWS partition of a region (botocore's endpoint data); ``aws`` for a region it does not know."""
    import botocore.session
    from botocore.exceptions import UnknownRegionError

    try:
        return botocore.session.get_session().get_partition_for_region(region)
    except UnknownRegionError:
        return "aws"


def finding_id(account_id: str, region: str, asg_name: str) -> str:
    """Stable per account, region, group and rule: a re-import updates the finding.

    The group name is percent-encoded (any name stays one unambiguous, printable path segment); a
    name too long for the 512-character limit once encoded is replaced by its SHA-256."""
    prefix = f"imds-audit/{RULE_ID}/{account_id}/{region}/"
    name = quote(asg_name, safe="")
    if len(prefix) + len(name) > ID_MAX:
        name = "sha256-" + hashlib.sha256(asg_name.encode("utf-8")).hexdigest()
    return prefix + name


def group_arn(row) -> tuple[str, bool]:
    """The group's ARN and whether it had to be built: the snapshot's ``asg_arn`` when the row has it;
    else ``arn:P:autoscaling:R:A:autoScalingGroup:*:autoScalingGroupName/NAME`` (the real ARN holds
    a UUID that only AWS knows; ``*`` stands for it, as in IAM policies)."""
    arn = text(row, "asg_arn")
    if arn:
        return arn, False
    region, account = text(row, "region"), text(row, "account_id")
    return (f"arn:{partition(region)}:autoscaling:{region}:{account}:autoScalingGroup:*:"
            f"autoScalingGroupName/{text(row, 'asg_name')}"), True


def tags(row) -> dict[str, str]:
    """The group's allow-listed tags (the ``tags`` column: a JSON object's text); {} when absent."""
    from imds_audit.analyze.exceptions import parse_tags

    return parse_tags(value(row, "tags"))


def timestamp(iso: str | None, default: datetime | None = None) -> datetime:
    """An ISO timestamp as an aware UTC datetime (naive means UTC); ``default`` (now) when empty."""
    if not iso:
        return default or datetime.now(timezone.utc)
    moment = datetime.fromisoformat(str(iso))
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def moments(metadata: dict | None) -> tuple[datetime, datetime]:
    """(observed, generated): when the snapshot was collected and when the findings were written;
    generated is never before observed."""
    metadata = metadata or {}
    generated = timestamp(metadata.get("generated_at"))
    observed = timestamp(metadata.get("collected_at"), default=generated)
    return observed, max(generated, observed)


def iso_z(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds, as Security Hub writes them: 2026-12-01T11:29:17.000Z."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def requirements() -> list[str]:
    """``Standard/Control`` strings, as Security Hub's Compliance.RelatedRequirements writes them."""
    return [f"{r['standard']}/{r['control']}" for r in RULE["requirements"]]


def remediation_url(row) -> str:
    urls = RULE["remediation_url"]
    if text(row, "status") == "unknown":
        return urls["unknown"]
    return urls.get(text(row, "launch_kind"), urls["launch_template"])


# The words of a finding are the English catalogue's (``finding.*``): Security Hub, SIEMs and CI read
# English; a finding's Id, types and requirements are the rule's, never words.
@cache
def _words():
    from imds_audit.i18n import Catalogue

    return Catalogue("en")


def _named(key: str, name: str, limit: int, **values) -> str:
    """The catalogue's ``key`` with ``{name}`` filled in, the name cut so that the whole fits ``limit``."""
    room = limit - utf16_len(_words()(key, name="", **values))
    return _words()(key, name=clip(name, max(room, 8)), **values)


def title(row) -> str:
    status = text(row, "status")
    key = f"finding.title.{status if status in ('compliant', 'non_compliant') else 'unknown'}"
    return clip(_named(key, text(row, "asg_name"), 256), 256)


def description(row) -> str:
    """The verdict's reason and the facts behind the severity, within ASFF's 1024 characters."""
    tr = _words()
    calls = value(row, "imdsv1_calls")
    facts = tr("finding.facts", role=text(row, "iam_role") or tr("finding.no_role"),
               tier=text(row, "risk_tier", "unknown"), allowing=count(row, "instances_allowing_imdsv1") or 0,
               instances=count(row, "instances") or 0,
               calls=tr("finding.calls_not_read") if calls is None else f"{int(calls)}")
    reason = text(row, "reason") or text(row, "status")
    return clip(tr("finding.description", reason=reason, facts=facts), 1024)


def recommendation(row) -> str:
    """What to do, with the group's real names, within ASFF's 512 characters."""
    tr = _words()
    name, status = text(row, "asg_name"), text(row, "status")
    allowing = count(row, "instances_allowing_imdsv1") or 0
    if status == "unknown":
        advice = tr("finding.advice.unknown", reason=text(row, "reason"))
    elif status == "compliant":
        advice = (tr("finding.advice.refresh", name=name, allowing=allowing) if allowing
                  else tr("finding.advice.nothing", name=name))
    elif text(row, "managed_by") in OWNED_BY_SERVICE:  # fixed through its owner, never the group itself
        advice = tr(f"finding.advice.{text(row, 'managed_by')}", name=name,
                    owner=text(row, "owner_name") or "?", part=text(row, "owner_resource") or "?")
    elif text(row, "launch_kind") == "launch_configuration":
        advice = tr("finding.advice.launch_configuration", name=name)
    else:
        advice = tr("finding.advice.launch_template", name=name, source=text(row, "launch_source"))
    calls = value(row, "imdsv1_calls")
    if status == "non_compliant" and calls is not None and calls > 0:
        advice = tr("finding.advice.callers_first", calls=int(calls),
                    callers=text(row, "imdsv1_callers") or tr("finding.the_instances")) + advice
    return clip(advice, 512)


__all__ = ["RULE", "RULE_ID", "clip", "description", "finding_id", "group_arn", "iso_z", "moments",
           "partition", "recommendation", "remediation_url", "requirements", "tags", "text", "title",
           "utf16_len", "value"]
