"""SSM: the AMIs launch templates name through a parameter (``ImageId: resolve:ssm:NAME``).

EC2 resolves ``resolve:ssm:NAME``, ``resolve:ssm:NAME:VERSION`` and ``resolve:ssm:NAME:LABEL`` (NAME
may be a parameter's ARN) at launch. The collector asks ssm:GetParameters the same, never decrypting,
and keeps the value only when it is an AMI id: a parameter holding anything else (a secret, say) is
recorded as ``not_an_ami`` with no value. The parameter may move after collection; the analysis says so.
"""

from __future__ import annotations

import re

from imds_audit.collect.calls import Caller

PREFIX = "resolve:ssm:"
AMI_ID = re.compile(r"ami-[0-9a-f]{8,17}")
PER_CALL = 10  # GetParameters: at most 10 names a call


def references(image_ids) -> list[str]:
    """The parameters (as referenced, without the prefix) that image ids name."""
    return sorted({i[len(PREFIX):] for i in image_ids if isinstance(i, str) and i.startswith(PREFIX)
                   and len(i) > len(PREFIX)})


def base_name(reference: str) -> str:
    """The parameter's name or ARN without its :VERSION or :LABEL selector (names hold no colon; an
    ARN, arn:partition:ssm:region:account:parameter/NAME, holds five)."""
    parts = reference.split(":")
    return ":".join(parts[:6] if reference.startswith("arn:") else parts[:1])


def _batches(refs: list[str]) -> list[list[str]]:
    """At most 10 a call, and one reference per parameter in each call: an answer names the parameter,
    not always the selector it was asked with (moto leaves Selector out), so that keeps it unambiguous."""
    batches: list[list[str]] = []
    for ref in refs:
        for batch in batches:
            if len(batch) < PER_CALL and all(base_name(b) != base_name(ref) for b in batch):
                batch.append(ref)
                break
        else:
            batches.append([ref])
    return batches


def collect_parameters(caller: Caller, client, refs: list[str]) -> list[dict]:
    rows = []

    def row(ref, image_id, outcome):
        return {"account_id": caller.account, "region": caller.region, "parameter": ref,
                "image_id": image_id, "outcome": outcome}

    for batch in _batches(refs):
        got = caller.call(client, "GetParameters", Names=batch, WithDecryption=False)
        if got is None:
            rows += [row(ref, None, "not_read") for ref in batch]  # the failure is in the manifest
            continue
        invalid = set(got.get("InvalidParameters") or [])
        answered = {}
        for p in got.get("Parameters") or []:
            for key in (p.get("Name"), p.get("ARN")):
                answered[key] = p
        lacking = 0
        for ref in batch:
            found = answered.get(base_name(ref))
            if ref in invalid:
                rows.append(row(ref, None, "not_found"))
            elif found is None:
                lacking += 1
                rows.append(row(ref, None, "not_returned"))
            elif isinstance(found.get("Value"), str) and AMI_ID.fullmatch(found["Value"]):
                rows.append(row(ref, found["Value"], "resolved"))
            else:
                rows.append(row(ref, None, "not_an_ami"))  # the value is dropped, whatever it holds
        if lacking:
            caller.incomplete("GetParameters", lacking, "SSM parameters")
    return rows
