"""EC2: the launch template versions groups use, their instances, AMIs and the account IMDS defaults.

Only the fields the verdict needs are kept: never user data, never anything else of the template.
"""

from __future__ import annotations

from collections import defaultdict

from imds_audit.collect.calls import Caller


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def collect_templates(caller: Caller, client, sources: list[dict]) -> dict[str, list[dict]]:
    """Launch templates named by the groups, and every version a group can launch from.

    $Default and $Latest come from account-wide walks (see _versions_account_wide); the rest per
    template with exactly the version strings groups name, one DescribeLaunchTemplateVersions call each.
    """
    wanted: dict[str, set[str]] = defaultdict(set)
    by_name: dict[str, set[str]] = defaultdict(set)
    for s in sources:
        if s.get("source_kind") != "launch_template":
            continue
        version = s.get("version_requested") or "$Default"
        if s.get("launch_template_id"):
            wanted[s["launch_template_id"]].add(version)
        elif s.get("launch_template_name"):
            by_name[s["launch_template_name"]].add(version)
    a, r = caller.account, caller.region
    templates = _describe_templates(caller, client, "LaunchTemplateIds", "LaunchTemplateId", sorted(wanted))
    found = _describe_templates(caller, client, "LaunchTemplateNames", "LaunchTemplateName", sorted(by_name))
    templates += found
    for t in found:
        wanted[t["LaunchTemplateId"]] |= by_name.get(t["LaunchTemplateName"], set())
    template_rows = [{
        "account_id": a, "region": r, "launch_template_id": t["LaunchTemplateId"],
        "launch_template_name": t.get("LaunchTemplateName"),
        "default_version": t.get("DefaultVersionNumber"), "latest_version": t.get("LatestVersionNumber"),
    } for t in templates]
    known = {t["LaunchTemplateId"] for t in templates}
    versions = _versions_account_wide(caller, client, wanted, known)
    covered = _covered(wanted, versions)
    for template_id in sorted(wanted):
        if template_id not in known or template_id in covered:
            continue
        todo = sorted(wanted[template_id])
        found = caller.pages(client, "DescribeLaunchTemplateVersions", "LaunchTemplateVersions",
                             LaunchTemplateId=template_id, Versions=todo)
        if found is None:
            # One missing version fails the whole call: fetch the others one by one so they are kept.
            found = []
            for v in todo:
                found += caller.pages(client, "DescribeLaunchTemplateVersions", "LaunchTemplateVersions",
                                      LaunchTemplateId=template_id, Versions=[v]) or []
        versions += found
    seen = set()
    version_rows = []
    for v in versions:
        if (v["LaunchTemplateId"], v["VersionNumber"]) in seen or v["LaunchTemplateId"] not in wanted:
            continue
        seen.add((v["LaunchTemplateId"], v["VersionNumber"]))
        data = v.get("LaunchTemplateData") or {}
        meta = data.get("MetadataOptions") or {}
        profile = data.get("IamInstanceProfile") or {}
        version_rows.append({
            "account_id": a, "region": r, "launch_template_id": v["LaunchTemplateId"],
            "launch_template_name": v.get("LaunchTemplateName"), "version_number": v["VersionNumber"],
            "http_tokens": meta.get("HttpTokens"), "http_endpoint": meta.get("HttpEndpoint"),
            "hop_limit": meta.get("HttpPutResponseHopLimit"), "image_id": data.get("ImageId"),
            "instance_type": data.get("InstanceType"),
            "iam_instance_profile_arn": profile.get("Arn"),
            "iam_instance_profile_name": profile.get("Name"),
        })
    return {"launch_templates": template_rows, "launch_template_versions": version_rows}


ACCOUNT_WIDE_THRESHOLD = 4  # below this many templates, per-template calls are as cheap


def _versions_account_wide(caller: Caller, client, wanted: dict[str, set[str]], known: set[str]) -> list[dict]:
    """The $Default and $Latest versions of every template in one paginated walk each.

    DescribeLaunchTemplateVersions without a template id returns the default (or latest) version of
    every template, 200 a page: far fewer calls than one per template. Only templates whose every
    wanted version is $Default/$Latest are served this way; numbered versions are asked per template.
    """
    symbolic = [t for t in known if wanted.get(t) and wanted[t] <= {"$Default", "$Latest"}]
    if len(symbolic) < ACCOUNT_WIDE_THRESHOLD:
        return []
    out = []
    for version in ("$Default", "$Latest"):
        if any(version in wanted[t] for t in symbolic):
            got = caller.pages(client, "DescribeLaunchTemplateVersions", "LaunchTemplateVersions",
                               Versions=[version], PaginationConfig={"PageSize": 200})
            out += [dict(v, _symbol=version) for v in got or [] if v["LaunchTemplateId"] in wanted]
    return out


def _covered(wanted: dict[str, set[str]], versions: list[dict]) -> set[str]:
    """Templates for which the walk returned every version the groups name."""
    have: dict[str, set[str]] = defaultdict(set)
    for v in versions:
        have[v["LaunchTemplateId"]].add(v["_symbol"])
    return {t for t, symbols in have.items() if wanted[t] <= symbols}


def _describe_templates(caller: Caller, client, param: str, key: str, wanted: list[str]) -> list[dict]:
    """DescribeLaunchTemplates for every id (or name) in ``wanted``, 200 a call.

    Two defences, both for real failure modes: a call naming one deleted template fails whole, so a
    failed chunk is retried one by one (the others are kept); and an answer that silently omits some
    of the names asked for (seen with moto, which truncates at 15 without a NextToken) is asked again
    for the missing ones until nothing more arrives.
    """
    found: dict[str, dict] = {}
    pending = list(wanted)
    while pending:
        progress = False
        for chunk in _chunks(pending, 200):
            got = caller.pages(client, "DescribeLaunchTemplates", "LaunchTemplates", **{param: chunk})
            if got is None and len(chunk) > 1:
                got = []
                for one in chunk:
                    got += caller.pages(client, "DescribeLaunchTemplates", "LaunchTemplates",
                                        **{param: [one]}) or []
            for t in got or []:
                if t[key] not in found:
                    found[t[key]] = t
                    progress = True
        pending = [w for w in pending if w not in found]
        if not progress:
            break
    return list(found.values())


def collect_instances(caller: Caller, client, asg_instances: list[dict]) -> list[dict]:
    """The groups' instances with their own MetadataOptions (200 ids per filter, the API's maximum)."""
    by_id = {i["instance_id"]: i for i in asg_instances}
    rows = []
    for chunk in _chunks(sorted(by_id), 200):
        reservations = caller.pages(client, "DescribeInstances", "Reservations",
                                    Filters=[{"Name": "instance-id", "Values": chunk}]) or []
        for res in reservations:
            for inst in res.get("Instances", []):
                meta = inst.get("MetadataOptions") or {}
                group = by_id.get(inst["InstanceId"], {})
                profile = inst.get("IamInstanceProfile") or {}
                rows.append({
                    "account_id": caller.account, "region": caller.region,
                    "instance_id": inst["InstanceId"], "asg_name": group.get("asg_name"),
                    "state": (inst.get("State") or {}).get("Name"),
                    "launch_template_id": group.get("launch_template_id"),
                    "launch_template_version": group.get("launch_template_version"),
                    "launch_configuration_name": group.get("launch_configuration_name"),
                    "http_tokens": meta.get("HttpTokens"), "http_endpoint": meta.get("HttpEndpoint"),
                    "hop_limit": meta.get("HttpPutResponseHopLimit"), "image_id": inst.get("ImageId"),
                    "iam_instance_profile_arn": profile.get("Arn"),
                })
    return rows


def collect_images(caller: Caller, client, image_ids: set[str]) -> list[dict]:
    """The AMIs sources launch from, for ImdsSupport (SSM-resolved ids cannot be described)."""
    ids = sorted(i for i in image_ids if i and i.startswith("ami-"))
    rows = []
    for chunk in _chunks(ids, 100):
        images = caller.call(client, "DescribeImages", ImageIds=chunk)
        if images is None and len(chunk) > 1:
            # A single deregistered AMI fails the whole call: keep the others.
            images = {"Images": []}
            for image_id in chunk:
                one = caller.call(client, "DescribeImages", ImageIds=[image_id])
                images["Images"] += (one or {}).get("Images", [])
        for img in (images or {}).get("Images", []):
            rows.append({"account_id": caller.account, "region": caller.region,
                         "image_id": img["ImageId"], "name": img.get("Name"),
                         "imds_support": img.get("ImdsSupport")})
    return rows


def collect_metadata_defaults(caller: Caller, client) -> list[dict]:
    """The region's account-level IMDS defaults (GetInstanceMetadataDefaults)."""
    response = caller.call(client, "GetInstanceMetadataDefaults")
    if response is None:
        return []
    level = response.get("AccountLevel") or {}
    return [{
        "account_id": caller.account, "region": caller.region,
        "http_tokens": level.get("HttpTokens"), "http_endpoint": level.get("HttpEndpoint"),
        "hop_limit": level.get("HttpPutResponseHopLimit"),
        "http_tokens_enforced": level.get("HttpTokensEnforced"), "managed_by": level.get("ManagedBy"),
    }]
