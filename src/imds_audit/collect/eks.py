"""EKS: the launch template each managed node group was given (DescribeNodegroup).

An Auto Scaling group tagged ``eks:cluster-name`` and ``eks:nodegroup-name`` belongs to an EKS managed
node group. Its launch template is EKS's own copy; the template to fix is the one the node group names
(``launchTemplate``), or none when the node group was created without one. One call per node group.
"""

from __future__ import annotations

import json

from imds_audit.collect.calls import Caller, Missing

CLUSTER_TAG, NODEGROUP_TAG = "eks:cluster-name", "eks:nodegroup-name"


def node_groups(groups: list[dict]) -> list[tuple[str, str]]:
    """The (cluster, node group) pairs the groups' tags name, once each."""
    pairs = set()
    for g in groups:
        try:
            tags = json.loads(g.get("tags") or "{}")
        except ValueError:
            continue
        if tags.get(CLUSTER_TAG) and tags.get(NODEGROUP_TAG):
            pairs.add((tags[CLUSTER_TAG], tags[NODEGROUP_TAG]))
    return sorted(pairs)


def collect_nodegroups(caller: Caller, client, groups: list[dict]) -> list[dict]:
    rows = []
    for cluster, nodegroup in node_groups(groups):
        row = {"account_id": caller.account, "region": caller.region, "cluster_name": cluster,
               "nodegroup_name": nodegroup, "launch_template_id": None, "launch_template_name": None,
               "launch_template_version": None}
        got = caller.call(client, "DescribeNodegroup", absent=("ResourceNotFoundException",),
                          clusterName=cluster, nodegroupName=nodegroup)
        if got is None:
            row["outcome"] = "not_read"          # the failure is in the manifest
        elif isinstance(got, Missing):
            row["outcome"] = "not_found"
        else:
            spec = (got.get("nodegroup") or {}).get("launchTemplate") or {}
            row.update(outcome="read", launch_template_id=spec.get("id"),
                       launch_template_name=spec.get("name"), launch_template_version=spec.get("version"))
        rows.append(row)
    return rows
