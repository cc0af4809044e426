"""Hop limit: above 1, containers on the instance can reach IMDS through the extra network hop."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd

# Signals that a group runs container nodes, where a hop limit of 2 is expected (EKS/ECS docs).
CONTAINER_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerServiceforEC2Role",
                      "AmazonEKS_CNI_Policy", "AmazonECS_FullAccess")
# Matched against tag KEYS only: a Name tag whose value reads "kubernetes.io/cluster/prod" is no EKS node.
CONTAINER_TAG_KEY = re.compile(r"eks:cluster-name|aws:eks:cluster-name|kubernetes\.io/cluster/.*|"
                               r"k8s\.io/cluster-autoscaler/.*|AmazonECSManaged|eks:nodegroup-name")
CONTAINER_AMI_PATTERN = r"(?i)\b(?:eks|ecs|bottlerocket)\b|amazon-eks|amzn2-ami-ecs"


def container_nodes(groups: pd.DataFrame, role_policies: pd.DataFrame,
                    images: pd.DataFrame, sources: pd.DataFrame) -> pd.Series:
    """True where the group runs EKS or ECS nodes, recognised from its role's policies, tags or AMI."""
    policies = role_policies.assign(_cp=role_policies["policy_name"].isin(CONTAINER_POLICIES)).groupby(
        ["account_id", "role_name"], as_index=False)["_cp"].any()
    by_role = groups[["account_id", "iam_role"]].merge(
        policies.rename(columns={"role_name": "iam_role"}), on=["account_id", "iam_role"], how="left")
    from_role = by_role["_cp"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    from_tags = _container_tagged(groups["tags"])
    base = sources[sources["position"].isin(["single", "base"])][
        ["account_id", "region", "asg_name", "image_id"]].drop_duplicates(
        ["account_id", "region", "asg_name"])
    named = base.merge(images[["account_id", "region", "image_id", "name"]].drop_duplicates(
        ["account_id", "region", "image_id"]), on=["account_id", "region", "image_id"], how="left")
    named = groups[["account_id", "region", "asg_name"]].merge(
        named, on=["account_id", "region", "asg_name"], how="left")
    from_ami = named["name"].str.contains(CONTAINER_AMI_PATTERN, regex=True, na=False).to_numpy()
    return pd.Series(from_role | from_tags | from_ami, index=groups.index)


def _container_tagged(tags: pd.Series) -> np.ndarray:
    """Per group: does a key of its tags (a JSON object) mark a container node? Parsed once per
    distinct tags text."""
    def marked(text) -> bool:
        try:
            keys = json.loads(text)
        except (TypeError, ValueError):
            return False
        return isinstance(keys, dict) and any(CONTAINER_TAG_KEY.fullmatch(k) for k in keys)
    flags = {t: marked(t) for t in tags.dropna().unique()}
    return tags.map(flags).fillna(False).to_numpy(dtype=bool)


def hop_limit_flag(hop_limit: pd.Series, containers: pd.Series) -> pd.Series:
    """ok (1), expected_container (>1 on EKS/ECS nodes), excessive (>1 elsewhere), or unknown (the
    effective hop limit could not be resolved: a record or the account default was not read)."""
    above = hop_limit.fillna(1).astype(int).to_numpy() > 1
    return pd.Series(np.select([hop_limit.isna().to_numpy(bool), above & containers.to_numpy(bool), above],
                               ["unknown", "expected_container", "excessive"], default="ok"),
                     index=hop_limit.index, dtype="string")
