"""Which accounts to audit: the caller's, a list of profiles, or an AWS Organizations walk."""

from __future__ import annotations

import boto3

from imds_audit.collect.calls import classify
from imds_audit.collect.regions import elsewhere
from imds_audit.collect.run import Target, caller_account, client


def parse_accounts(spec: str | None) -> tuple[set[str], set[str]]:
    """'111,222' includes only those; '!333' (or '-333') excludes; both may be mixed."""
    include, exclude = set(), set()
    for part in (spec or "").split(","):
        part = part.strip()
        if not part:
            continue
        if part[0] in "!-":
            exclude.add(part[1:])
        else:
            include.add(part)
    return include, exclude


def from_profiles(profiles: list[str | None], region: str | None = None,
                  fallback_region: str | None = None, exclude=()) -> tuple[list[Target], str, list]:
    """One target per profile (None: boto3's default chain). Returns (targets, caller ARN, failures).

    ``fallback_region`` is used where the profile configures no region (STS needs one): the first
    region the user named. A profile whose region is in ``exclude`` (--exclude-regions) is given the
    fallback region, or another region every account has enabled: no call goes to an excluded region."""
    targets, failures, arn = [], [], ""
    for profile in profiles:
        try:
            session = boto3.session.Session(profile_name=profile, region_name=region)
            if session.region_name in exclude:
                instead = fallback_region or elsewhere(session.region_name, exclude)
                session = boto3.session.Session(profile_name=profile, region_name=instead or session.region_name)
            if session.region_name is None and fallback_region:
                session = boto3.session.Session(profile_name=profile, region_name=fallback_region)
            account, who = caller_account(session)
        except Exception as exc:
            outcome, message = classify(exc)
            failures.append({"account_id": f"profile {profile}" if profile else "default credentials",
                             "api": "GetCallerIdentity",
                             "outcome": outcome, "message": message})
            continue
        arn = arn or who
        targets.append(Target(account, session, label=profile or "default"))
    return targets, arn, failures


def member_session(account_id: str, **kwargs) -> boto3.session.Session:
    """A session for a member account from assumed-role credentials."""
    return boto3.session.Session(**kwargs)


def from_organization(session, role_name: str, accounts: str | None = None,
                      session_factory=member_session) -> tuple[list[Target], list]:
    """Every ACTIVE member account, entered by assuming ``role_name``; suspended ones are skipped.

    The caller's own account is used directly. A member whose role cannot be assumed is returned as a
    failure (reported as not assessed), never dropped.
    """
    include, exclude = parse_accounts(accounts)
    own, _ = caller_account(session)
    org = client(session, "organizations")
    members = []
    for page in org.get_paginator("list_accounts").paginate():
        members += page["Accounts"]
    targets, failures = [], []
    sts = client(session, "sts")
    for m in sorted(members, key=lambda m: m["Id"]):
        aid = m["Id"]
        if (include and aid not in include) or aid in exclude:
            continue
        if m.get("Status") != "ACTIVE":  # suspended or closing accounts cannot be entered
            failures.append({"account_id": aid, "api": "Organizations", "outcome": "error",
                             "message": f"account status {m.get('Status')}: skipped"})
            continue
        if aid == own:
            targets.append(Target(aid, session, label=m.get("Name", "")))
            continue
        arn = f"arn:aws:iam::{aid}:role/{role_name}"
        try:
            creds = sts.assume_role(RoleArn=arn, RoleSessionName="imds-audit")["Credentials"]
        except Exception as exc:
            outcome, message = classify(exc)
            failures.append({"account_id": aid, "api": "AssumeRole", "outcome": outcome, "message": message})
            continue
        member = session_factory(
            aid,
            aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"], region_name=session.region_name)
        targets.append(Target(aid, member, label=m.get("Name", "")))
    return targets, failures
