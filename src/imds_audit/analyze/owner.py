"""Who owns a group: the service through which it must be fixed (issue 13.5).

Changing a group another service owns, behind that service's back, breaks the owner or is undone by it.
The owner is recognised from the tags the owning service sets on the group; each rule below names the
case it covers. The first that matches wins, in this order:

- ``eks``: ``eks:nodegroup-name`` on the group. EKS sets it (with ``eks:cluster-name``) on the Auto
  Scaling group of a managed node group; a change to the group degrades the node group
  (Ec2LaunchTemplateVersionMismatch) or is undone by EKS. Self-managed nodes lack this key. Anyone
  allowed to tag a group can write it too; that the node group lists the group (DescribeNodegroup's
  resources.autoScalingGroups) is not checked yet.
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
    if "eks:nodegroup-name" in tags:
        return {"managed_by": EKS, "owner_name": _value(tags, "eks:cluster-name"),
                "owner_resource": _value(tags, "eks:nodegroup-name"), "owner_id": pd.NA}
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


def owners(groups: pd.DataFrame, sources: pd.DataFrame, eks_nodegroups: pd.DataFrame | None) -> pd.DataFrame:
    """Per group (same index): OWNER_COLUMNS. ``sources`` must carry template_owners' columns."""
    parsed = {t: _from_group_tags(_tags(t)) for t in groups["tags"].dropna().unique()}
    none = _from_group_tags({})
    rows = pd.DataFrame([parsed.get(t, none) for t in groups["tags"]], index=groups.index,
                        columns=list(none))
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
    nodegroup = pd.DataFrame({"nodegroup_template_id": pd.NA, "nodegroup_template_name": pd.NA,
                              "nodegroup_template_version": pd.NA, "nodegroup_outcome": pd.NA}, index=groups.index)
    if eks_nodegroups is not None and not eks_nodegroups.empty:
        ng = eks_nodegroups.rename(columns={
            "cluster_name": "owner_name", "nodegroup_name": "owner_resource",
            "launch_template_id": "nodegroup_template_id", "launch_template_name": "nodegroup_template_name",
            "launch_template_version": "nodegroup_template_version", "outcome": "nodegroup_outcome"})
        key = ["account_id", "region", "owner_name", "owner_resource"]
        merged = groups[["account_id", "region"]].assign(
            owner_name=rows["owner_name"].astype("string").to_numpy(),
            owner_resource=rows["owner_resource"].astype("string").to_numpy()).merge(
            ng.drop_duplicates(key), on=key, how="left")
        eks = rows["managed_by"].eq(EKS).to_numpy(bool)
        for col in nodegroup.columns:
            nodegroup[col] = merged[col].where(eks, pd.NA).to_numpy()
    rows = pd.concat([rows, nodegroup], axis=1)
    for col in OWNER_COLUMNS:
        rows[col] = rows[col].astype("string")
    return rows[OWNER_COLUMNS]
