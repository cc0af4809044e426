"""EC2: the groups' instances, the AMIs sources launch from and the account IMDS defaults.

Only the fields the verdict needs are kept. Launch templates are in templates.py.
"""

from __future__ import annotations

from imds_audit.collect import metadata
from imds_audit.collect.calls import Caller
from imds_audit.collect.lookup import chunks, describe

# The error codes with which EC2 says an AMI does not exist (deregistered, never existed, malformed).
IMAGE_MISSING = ("InvalidAMIID.NotFound", "InvalidAMIID.Unavailable", "InvalidAMIID.Malformed")


def collect_instances(caller: Caller, client, asg_instances: list[dict]) -> list[dict]:
    """The groups' instances with their own MetadataOptions (200 ids per filter, the API's maximum).

    Auto Scaling has listed these instances: an answer that leaves some out is incomplete, recorded
    as such, never taken for "no instance" (asg_instances keeps Auto Scaling's list).
    """
    by_id = {i["instance_id"]: i for i in asg_instances}
    rows = []
    for chunk in chunks(sorted(by_id), 200):
        reservations = caller.pages(client, "DescribeInstances", "Reservations",
                                    Filters=[{"Name": "instance-id", "Values": chunk}])
        if reservations is None:
            continue  # the failure is recorded
        described = set()
        for res in reservations:
            for inst in res.get("Instances", []):
                if inst["InstanceId"] not in by_id:
                    continue
                described.add(inst["InstanceId"])
                rows.append(_instance_row(caller, inst, by_id[inst["InstanceId"]]))
        lacking = len(set(chunk) - described)
        if lacking and reservations.complete:
            caller.incomplete("DescribeInstances", lacking, "instances that Auto Scaling reports")
    return rows


def _instance_row(caller: Caller, inst: dict, group: dict) -> dict:
    profile = inst.get("IamInstanceProfile") or {}
    return {
        "account_id": caller.account, "region": caller.region,
        "instance_id": inst["InstanceId"], "asg_name": group.get("asg_name"),
        "state": (inst.get("State") or {}).get("Name"),
        "launch_template_id": group.get("launch_template_id"),
        "launch_template_version": group.get("launch_template_version"),
        "launch_configuration_name": group.get("launch_configuration_name"),
        **metadata.columns(inst.get("MetadataOptions"), metadata.INSTANCE_FIELDS),
        "image_id": inst.get("ImageId"), "iam_instance_profile_arn": profile.get("Arn"),
    }


def collect_images(caller: Caller, client, image_ids: set[str]) -> dict[str, list[dict]]:
    """The AMIs sources launch from, for ImdsSupport, and those EC2 says do not exist.

    A deregistered AMI fails a call naming several (InvalidAMIID.NotFound) or is silently left out
    (recently deregistered): either way it is recorded in missing_images, not as a failed read.
    """
    ids = sorted(i for i in image_ids if i and i.startswith("ami-"))

    def ask(chunk):
        got = caller.call(client, "DescribeImages", absent=IMAGE_MISSING, ImageIds=chunk)
        return got if not isinstance(got, dict) else [(i["ImageId"], i) for i in got.get("Images", [])]

    result = describe(caller, "DescribeImages", ids, 100, "images", ask)
    a, r = caller.account, caller.region
    rows = [{"account_id": a, "region": r, "image_id": img["ImageId"], "name": img.get("Name"),
             "imds_support": img.get("ImdsSupport")} for _, img in sorted(result.found.items())]
    missing = [{"account_id": a, "region": r, "image_id": i, "error_code": code}
               for i, code in sorted(result.missing.items())]
    missing += [{"account_id": a, "region": r, "image_id": i, "error_code": None} for i in result.omitted]
    return {"images": rows, "missing_images": missing}


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
        "instance_metadata_tags": level.get("InstanceMetadataTags"),
        "http_tokens_enforced": level.get("HttpTokensEnforced"), "managed_by": level.get("ManagedBy"),
    }]
