"""Auto Scaling: groups, what each launches from, their instances, and launch configurations."""

from __future__ import annotations

import json

from imds_audit.collect import metadata
from imds_audit.collect.calls import Caller
from imds_audit.collect.filters import GroupFilter
from imds_audit.collect.lookup import chunks

DEFAULT_TAG_KEYS = ("Name", "Environment", "Env", "Owner", "Team", "Application", "Service")
# Keys kept (value dropped) only to recognise container nodes for the hop-limit finding.
CONTAINER_TAG_PREFIXES = ("eks:", "aws:eks:", "kubernetes.io/cluster/", "k8s.io/cluster-autoscaler/",
                          "AmazonECSManaged")
# Tags the owning service sets on the group (and on its launch template), kept with their values: they
# name the cluster, node group, environment or stack through which the group must be fixed. They hold
# names, not secrets. Only the aws: keys are reserved (CloudFormation's): eks: and elasticbeanstalk: tags
# anyone allowed to tag the group can write, so analyze.owner checks them where it can.
OWNER_TAG_KEYS = ("eks:cluster-name", "eks:nodegroup-name", "elasticbeanstalk:environment-name",
                  "elasticbeanstalk:environment-id", "aws:cloudformation:stack-name",
                  "aws:cloudformation:logical-id", "aws:cloudformation:stack-id")


def allowed_tags(tags: list[dict], keys: tuple[str, ...]) -> str:
    """Only allow-listed tag values are stored (tags can hold secrets); container markers keep their key."""
    kept = {}
    for tag in tags or []:
        key = tag.get("Key", "")
        if key in keys or key in OWNER_TAG_KEYS:
            kept[key] = tag.get("Value", "")
        elif key.startswith(CONTAINER_TAG_PREFIXES):
            kept[key] = ""
    return json.dumps(kept, ensure_ascii=False, sort_keys=True)


def _template_source(spec: dict, account: str, region: str, name: str, position: str) -> dict:
    return {
        "account_id": account, "region": region, "asg_name": name, "source_kind": "launch_template",
        "position": position, "launch_template_id": spec.get("LaunchTemplateId"),
        "launch_template_name": spec.get("LaunchTemplateName"), "version_requested": spec.get("Version"),
    }


def launch_sources(group: dict, account: str, region: str) -> tuple[str, list[dict]]:
    """(launch_kind, source rows) of one group as DescribeAutoScalingGroups returns it."""
    name = group["AutoScalingGroupName"]
    if group.get("MixedInstancesPolicy"):
        spec = group["MixedInstancesPolicy"].get("LaunchTemplate", {})
        base = spec.get("LaunchTemplateSpecification", {})
        rows = [_template_source(base, account, region, name, "base")]
        for i, override in enumerate(spec.get("Overrides") or []):
            # An override may name its own template; instances of that type launch from it.
            other = override.get("LaunchTemplateSpecification")
            if other:
                rows.append(_template_source(other, account, region, name, f"override:{i}"))
        return "mixed_instances_policy", rows
    if group.get("LaunchTemplate"):
        return "launch_template", [_template_source(group["LaunchTemplate"], account, region, name, "single")]
    if group.get("LaunchConfigurationName"):
        return "launch_configuration", [{
            "account_id": account, "region": region, "asg_name": name,
            "source_kind": "launch_configuration", "position": "single",
            "launch_configuration_name": group["LaunchConfigurationName"]}]
    return "none", []


def collect_groups(caller: Caller, client, tag_keys=DEFAULT_TAG_KEYS,
                   keep: GroupFilter | None = None) -> dict | None:
    """Groups, their launch sources and the instances Auto Scaling reports for them; with ``keep``
    (collect/filters.py) only the groups it keeps, and ``filtered_out`` says how many it left out
    (their names and tags go no further than this function)."""
    groups = caller.pages(client, "DescribeAutoScalingGroups", "AutoScalingGroups", PaginationConfig={
        "PageSize": 100})
    if groups is None:
        return None
    out: dict = {"auto_scaling_groups": [], "launch_sources": [], "asg_instances": [], "filtered_out": 0}
    a, r = caller.account, caller.region
    for g in groups:
        if keep is not None and not keep.keeps(g):
            out["filtered_out"] += 1
            continue
        kind, sources = launch_sources(g, a, r)
        out["auto_scaling_groups"].append({
            "account_id": a, "region": r, "asg_name": g["AutoScalingGroupName"],
            "asg_arn": g.get("AutoScalingGroupARN"), "launch_kind": kind,
            "desired_capacity": g.get("DesiredCapacity"), "min_size": g.get("MinSize"),
            "max_size": g.get("MaxSize"), "tags": allowed_tags(g.get("Tags", []), tuple(tag_keys)),
        })
        out["launch_sources"].extend(sources)
        for inst in g.get("Instances", []):
            # Auto Scaling's own list: the analysis can tell a group HAS instances even when
            # DescribeInstances could not be read.
            lt = inst.get("LaunchTemplate") or {}
            out["asg_instances"].append({
                "account_id": a, "region": r,
                "instance_id": inst["InstanceId"], "asg_name": g["AutoScalingGroupName"],
                "lifecycle_state": inst.get("LifecycleState"), "health_status": inst.get("HealthStatus"),
                "launch_template_id": lt.get("LaunchTemplateId"),
                "launch_template_version": lt.get("Version"),
                "launch_configuration_name": inst.get("LaunchConfigurationName"),
            })
    return out


def collect_launch_configurations(caller: Caller, client, names: list[str]) -> dict[str, list[dict]]:
    """The launch configurations groups use (50 names per call, the API's maximum), and those that do
    not exist: DescribeLaunchConfigurations simply leaves a missing name out of a complete answer."""
    rows, missing = [], []
    a, r = caller.account, caller.region
    for chunk in chunks(names, 50):
        items = caller.pages(client, "DescribeLaunchConfigurations", "LaunchConfigurations",
                             LaunchConfigurationNames=chunk)
        if items is None:
            continue  # the failure is recorded
        seen = set()
        for lc in items:  # the answer holds UserData too: only the fields below are kept
            seen.add(lc["LaunchConfigurationName"])
            rows.append({
                "account_id": a, "region": r, "launch_configuration_name": lc["LaunchConfigurationName"],
                **metadata.columns(lc.get("MetadataOptions"), metadata.LAUNCH_CONFIGURATION_FIELDS),
                "image_id": lc.get("ImageId"), "instance_type": lc.get("InstanceType"),
                "iam_instance_profile": lc.get("IamInstanceProfile"),
            })
        if items.complete:
            missing += [{"account_id": a, "region": r, "launch_configuration_name": n}
                        for n in chunk if n not in seen]
    return {"launch_configurations": rows, "missing_launch_configurations": missing}
