"""IAM: instance profiles, their roles, every policy document attached to those roles and their
permissions boundaries.

One GetAccountAuthorizationDetails walk replaces per-role calls. IAM is global: rows carry the
account only, and the call is recorded under the region "global".
"""

from __future__ import annotations

import json
from urllib.parse import unquote

from imds_audit.collect.calls import Caller


def _document(doc) -> str:
    """Policy documents arrive decoded (boto3) or URL-encoded (some proxies): store canonical JSON."""
    if isinstance(doc, str):
        doc = json.loads(unquote(doc))
    return json.dumps(doc, sort_keys=True)


def collect_iam(caller: Caller, client) -> dict[str, list[dict]]:
    roles = caller.pages(client, "GetAccountAuthorizationDetails", "RoleDetailList", Filter=["Role"])
    if roles is None:
        return {}
    a = caller.account
    profiles, policies, attached_arns = [], [], set()
    for role in roles:
        for prof in role.get("InstanceProfileList", []):
            profiles.append({"account_id": a, "instance_profile_name": prof["InstanceProfileName"],
                             "instance_profile_arn": prof["Arn"], "role_name": role["RoleName"],
                             "role_arn": role["Arn"]})
    profiled = {p["role_name"] for p in profiles}
    for role in roles:
        if role["RoleName"] not in profiled:
            continue  # only roles that instances can carry matter here
        for inline in role.get("RolePolicyList", []):
            policies.append({"account_id": a, "role_name": role["RoleName"], "role_arn": role["Arn"],
                             "policy_kind": "inline", "policy_name": inline["PolicyName"],
                             "policy_arn": None, "document": _document(inline["PolicyDocument"])})
        if not role.get("RolePolicyList") and not role.get("AttachedManagedPolicies"):
            # A role with no policy at all: recorded, so it reads as "no privileges", not "not read".
            policies.append({"account_id": a, "role_name": role["RoleName"], "role_arn": role["Arn"],
                             "policy_kind": "none", "policy_name": None, "policy_arn": None, "document": None})
        for att in role.get("AttachedManagedPolicies", []):
            attached_arns.add(att["PolicyArn"])
            policies.append({"account_id": a, "role_name": role["RoleName"], "role_arn": role["Arn"],
                             "policy_kind": "managed", "policy_name": att["PolicyName"],
                             "policy_arn": att["PolicyArn"], "document": None})
        boundary = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        if boundary:
            # A permissions boundary caps what the policies grant; its document is a managed policy's.
            attached_arns.add(boundary)
            policies.append({"account_id": a, "role_name": role["RoleName"], "role_arn": role["Arn"],
                             "policy_kind": "boundary", "policy_name": boundary.rsplit("/", 1)[-1],
                             "policy_arn": boundary, "document": None})
    documents = _managed_documents(caller, client, attached_arns)
    for p in policies:
        if p["policy_kind"] in ("managed", "boundary"):
            p["document"] = documents.get(p["policy_arn"])
    return {"instance_profiles": profiles, "role_policies": policies}


def _managed_documents(caller: Caller, client, arns: set[str]) -> dict[str, str]:
    """Default-version documents of the attached managed policies.

    Customer managed policies come from one walk; AWS managed ones (over a thousand exist, a role uses
    a few) are read one by one, which is far fewer calls than walking them all.
    """
    if not arns:
        return {}
    local = [a for a in arns if not a.startswith("arn:aws:iam::aws:")]
    found = caller.pages(client, "GetAccountAuthorizationDetails", "Policies",
                         Filter=["LocalManagedPolicy"]) or [] if local else []
    docs = {}
    for pol in found:
        if pol["Arn"] not in arns:
            continue
        for version in pol.get("PolicyVersionList", []):
            if version.get("IsDefaultVersion"):
                docs[pol["Arn"]] = _document(version["Document"])
    for arn in sorted(arns - set(docs)):
        # AWS managed, or not listed by the walk: read the default version.
        meta = caller.call(client, "GetPolicy", PolicyArn=arn)
        if not meta:
            continue
        version = caller.call(client, "GetPolicyVersion", PolicyArn=arn,
                              VersionId=meta["Policy"]["DefaultVersionId"])
        if version:
            docs[arn] = _document(version["PolicyVersion"]["Document"])
    return docs
