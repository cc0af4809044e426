"""Who owns a group: the service through which it must be fixed (issue 13.5).

Changing a group another service owns, behind that service's back, breaks the owner or is undone by it.
The owner is recognised from the tags the owning service sets on the group; each rule below names the
case it covers. The first that matches wins, in this order:

- ``eks``: ``eks:nodegroup-name`` on the group. EKS sets it (with ``eks:cluster-name``) on the Auto
  Scaling group of a managed node group; a change to the group degrades the node group
  (Ec2LaunchTemplateVersionMismatch) or is undone by EKS. Self-managed nodes lack this key. Anyone
  allowed to tag a group can write it too, so it must be confirmed by the node group: DescribeNodegroup's
  ``resources.autoScalingGroups`` names the group. A node group that does not (or does not exist) makes
  the tags a claim, not an owner, and the rules below decide; one that could not be read leaves the
  group with EKS, whose fix then runs nothing (a snapshot without that list takes the tags as they are).
- ``elasticbeanstalk``: ``elasticbeanstalk:environment-name`` on the group, confirmed by the group's
  stack: Beanstalk makes an environment's group in the stack ``awseb-<environment id>-stack``. Beanstalk
  rebuilds the group's launch settings from the environment's options at the next deployment. (Its
  groups also carry CloudFormation tags: Beanstalk, not the stack, is the way in.) Only ``aws:`` keys are
  reserved: anyone allowed to tag a group can write ``elasticbeanstalk:`` tags, so without that stack
  they are a claim, not an owner, and the rules below decide.
- ``cloudformation``: ``aws:cloudformation:stack-name`` on the group, or on the launch template of a
  source that needs the fix. A direct change drifts the stack and the next stack update undoes it.
- ``ecs``: ``AmazonECSManaged`` on the group (an ECS capacity provider with managed scaling). ECS does
  not own the launch settings: the fix is direct, but ECS protects instances running tasks from scale-in.
- otherwise ``""``: the group is managed directly.
"""

from __future__ import annotations

import json

import pandas as pd

from imds_audit.model import GROUP

EKS, BEANSTALK, CLOUDFORMATION, ECS = "eks", "elasticbeanstalk", "cloudformation", "ecs"
STACK, LOGICAL_ID = "aws:cloudformation:stack-name", "aws:cloudformation:logical-id"
BEANSTALK_NAME, BEANSTALK_ID = "elasticbeanstalk:environment-name", "elasticbeanstalk:environment-id"
CLUSTER, NODEGROUP = EKS_KEYS = ("eks:cluster-name", "eks:nodegroup-name")
OWNER_COLUMNS = ["managed_by", "owner_name", "owner_resource", "owner_id",
                 "nodegroup_template_id", "nodegroup_template_name", "nodegroup_template_version",
                 "nodegroup_outcome", "template_stack", "template_logical_id"]


def _tags(text) -> dict:
    try:
        tags = json.loads(text) if isinstance(text, str) else {}
    except ValueError:
        return {}
    return tags if isinstance(tags, dict) else {}


def _value(tags: dict, key: str):
    """A tag's value; NA when the key is there without its value (a snapshot before schema 3 kept only
    the keys of container tags), absent, or not a tag value at all: AWS never writes a NUL or a lone
    surrogate in one (a snapshot's JSON can), and neither can be one argument of a command (bash drops a
    NUL, so the command would name another resource) nor be written as UTF-8."""
    value = tags.get(key)
    if not isinstance(value, str) or not value or "\x00" in value:
        return pd.NA
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return pd.NA
    return value


def _beanstalk_confirmed(tags: dict) -> bool:
    """Whether the group is in its environment's stack, awseb-<environment id>-stack: CloudFormation
    alone writes ``aws:`` tags. A snapshot before schema 3 kept such keys without their values: there is
    nothing to check, and the keys stand."""
    if STACK in tags and not tags[STACK]:
        return True
    stack, env_id = _value(tags, STACK), _value(tags, BEANSTALK_ID)
    return stack is not pd.NA and env_id is not pd.NA and stack == f"awseb-{env_id}-stack"


def unconfirmed_environment(text) -> str | None:
    """The environment a group's Beanstalk tags (JSON text) name when its stack does not confirm them:
    a claim the rules ignore ("?" when the claim names none); None when there is no such claim."""
    tags = _tags(text)
    if BEANSTALK_NAME not in tags or _beanstalk_confirmed(tags):
        return None
    name = _value(tags, BEANSTALK_NAME)
    return "?" if name is pd.NA else name


def _from_group_tags(tags: dict) -> dict:
    if NODEGROUP in tags:
        return {"managed_by": EKS, "owner_name": _value(tags, CLUSTER),
                "owner_resource": _value(tags, NODEGROUP), "owner_id": pd.NA}
    if BEANSTALK_NAME in tags and _beanstalk_confirmed(tags):
        return {"managed_by": BEANSTALK, "owner_name": _value(tags, BEANSTALK_NAME),
                "owner_resource": pd.NA, "owner_id": _value(tags, BEANSTALK_ID)}
    if STACK in tags:
        return {"managed_by": CLOUDFORMATION, "owner_name": _value(tags, STACK),
                "owner_resource": _value(tags, LOGICAL_ID), "owner_id": _value(tags, "aws:cloudformation:stack-id")}
    if "AmazonECSManaged" in tags:
        return {"managed_by": ECS, "owner_name": pd.NA, "owner_resource": pd.NA, "owner_id": pd.NA}
    return {"managed_by": "", "owner_name": pd.NA, "owner_resource": pd.NA, "owner_id": pd.NA}


def template_owners(sources: pd.DataFrame, launch_templates: pd.DataFrame | None) -> pd.DataFrame:
    """Per source: the CloudFormation stack and logical id its launch template carries (NA: none)."""
    out = pd.DataFrame({"template_stack": pd.Series(pd.NA, index=sources.index, dtype="string"),
                        "template_logical_id": pd.Series(pd.NA, index=sources.index, dtype="string")})
    if launch_templates is None or launch_templates.empty or "tags" not in launch_templates:
        return out
    key = ["account_id", "region", "launch_template_id"]
    stacks = launch_templates[key + ["tags"]].drop_duplicates(key)
    parsed = {t: _tags(t) for t in stacks["tags"].dropna().unique()}
    stacks = stacks.assign(
        template_stack=stacks["tags"].map(lambda t: _value(parsed.get(t, {}), STACK)).astype("string"),
        template_logical_id=stacks["tags"].map(lambda t: _value(parsed.get(t, {}), LOGICAL_ID)).astype("string"))
    merged = sources[key].merge(stacks.drop(columns="tags"), on=key, how="left")
    out["template_stack"] = merged["template_stack"].astype("string").to_numpy()
    out["template_logical_id"] = merged["template_logical_id"].astype("string").to_numpy()
    return out


NODEGROUP_COLUMNS = ["nodegroup_template_id", "nodegroup_template_name", "nodegroup_template_version",
                     "nodegroup_outcome"]


def _listed(names, asg_name) -> bool:
    """Whether a node group's own groups (JSON list, as collect.eks stores it) name ``asg_name``; NA (a
    snapshot without the list) confirms nothing and denies nothing: True."""
    if not isinstance(names, str):
        return True
    try:
        found = json.loads(names)
    except ValueError:
        return False
    return isinstance(found, list) and asg_name in found


def _nodegroups(groups: pd.DataFrame, rows: pd.DataFrame, eks_nodegroups: pd.DataFrame | None) -> pd.DataFrame:
    """Per group the node group its eks: tags name, as DescribeNodegroup answered (NA: none named)."""
    out = pd.DataFrame({c: pd.NA for c in NODEGROUP_COLUMNS}, index=groups.index).assign(_listed=True)
    if eks_nodegroups is None or eks_nodegroups.empty:
        return out
    ng = eks_nodegroups.rename(columns={
        "cluster_name": "owner_name", "nodegroup_name": "owner_resource",
        "launch_template_id": "nodegroup_template_id", "launch_template_name": "nodegroup_template_name",
        "launch_template_version": "nodegroup_template_version", "outcome": "nodegroup_outcome"})
    if "auto_scaling_groups" not in ng.columns:
        ng["auto_scaling_groups"] = pd.NA
    key = ["account_id", "region", "owner_name", "owner_resource"]
    merged = groups[["account_id", "region", "asg_name"]].assign(
        owner_name=rows["owner_name"].astype("string").to_numpy(),
        owner_resource=rows["owner_resource"].astype("string").to_numpy()).merge(
        ng.drop_duplicates(key), on=key, how="left")
    eks = rows["managed_by"].eq(EKS).to_numpy(bool)
    for col in NODEGROUP_COLUMNS:
        out[col] = merged[col].where(eks, pd.NA).to_numpy()
    out["_listed"] = [_listed(n, a) for n, a in zip(merged["auto_scaling_groups"], merged["asg_name"], strict=True)]
    return out


def unconfirmed_nodegroup(group: dict) -> tuple[str, str] | None:
    """The (cluster, node group) a group's eks: tags name when the node group does not own the group
    (analyze.owner left it to the rules below EKS); None otherwise."""
    if group.get("nodegroup_outcome") not in ("unconfirmed", "not_found"):
        return None
    tags = _tags(group.get("tags"))
    return tuple("?" if _value(tags, k) is pd.NA else _value(tags, k) for k in EKS_KEYS)


def owners(groups: pd.DataFrame, sources: pd.DataFrame, eks_nodegroups: pd.DataFrame | None) -> pd.DataFrame:
    """Per group (same index): OWNER_COLUMNS. ``sources`` must carry template_owners' columns."""
    parsed = {t: _from_group_tags(_tags(t)) for t in groups["tags"].dropna().unique()}
    none = _from_group_tags({})
    rows = pd.DataFrame([parsed.get(t, none) for t in groups["tags"]], index=groups.index,
                        columns=list(none))
    # EKS: the node group the tags name, and whether it owns the group; a claim it denies is dropped
    nodegroup = _nodegroups(groups, rows, eks_nodegroups)
    outcome = nodegroup["nodegroup_outcome"].astype("string")
    denied = rows["managed_by"].eq(EKS) & (outcome.eq("not_found") | (
        outcome.eq("read") & ~nodegroup["_listed"].astype(bool))).fillna(False)
    for i in groups.index[denied.to_numpy(bool)]:
        tags = {k: v for k, v in _tags(groups.at[i, "tags"]).items() if k not in EKS_KEYS}
        rows.loc[i, list(none)] = list(_from_group_tags(tags).values())
    nodegroup.loc[denied, NODEGROUP_COLUMNS] = pd.NA
    nodegroup.loc[denied, "nodegroup_outcome"] = outcome[denied].replace({"read": "unconfirmed"})
    # A source that needs the fix and whose template a stack created: the stack owns that change too.
    fixed = sources[sources["status"].eq("non_compliant").fillna(False) & sources["template_stack"].notna()]
    stack = groups[GROUP].merge(fixed.drop_duplicates(GROUP)[GROUP + ["template_stack", "template_logical_id"]],
                                on=GROUP, how="left")
    by_template = rows["managed_by"].eq("").to_numpy(bool) & stack["template_stack"].notna().to_numpy(bool)
    rows.loc[by_template, "managed_by"] = CLOUDFORMATION
    rows.loc[by_template, "owner_name"] = stack.loc[by_template, "template_stack"].to_numpy()
    rows["template_stack"] = stack["template_stack"].to_numpy()
    rows["template_logical_id"] = stack["template_logical_id"].to_numpy()
    # EKS: the launch template the node group was given (DescribeNodegroup), which the fix changes
    rows = pd.concat([rows, nodegroup[NODEGROUP_COLUMNS]], axis=1)
    for col in OWNER_COLUMNS:
        rows[col] = rows[col].astype("string")
    return rows[OWNER_COLUMNS]
