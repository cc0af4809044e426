"""EKS: the launch template each managed node group was given (DescribeNodegroup).

An Auto Scaling group tagged ``eks:cluster-name`` and ``eks:nodegroup-name`` belongs to an EKS managed
node group. Its launch template is EKS's own copy; the template to fix is the one the node group names
(``launchTemplate``), or none when the node group was created without one, and the Auto Scaling
groups the node group owns (``resources``): tags alone prove nothing, anyone allowed to tag a group can
write ``eks:`` keys. One call per node group.
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


def own_groups(nodegroup: dict) -> list[str]:
    """The names of the Auto Scaling groups EKS made for the node group (``resources``): the proof that
    a group tagged with the node group's name is one of them."""
    found = ((nodegroup.get("resources") or {}).get("autoScalingGroups")) or []
    return sorted({g["name"] for g in found if isinstance(g, dict) and isinstance(g.get("name"), str)})


def collect_nodegroups(caller: Caller, client, groups: list[dict]) -> list[dict]:
    rows = []
    for cluster, nodegroup in node_groups(groups):
        row = {"account_id": caller.account, "region": caller.region, "cluster_name": cluster,
               "nodegroup_name": nodegroup, "launch_template_id": None, "launch_template_name": None,
               "launch_template_version": None, "auto_scaling_groups": None}
        got = caller.call(client, "DescribeNodegroup", absent=("ResourceNotFoundException",),
                          clusterName=cluster, nodegroupName=nodegroup)
        if got is None:
            row["outcome"] = "not_read"          # the failure is in the manifest
        elif isinstance(got, Missing):
            row["outcome"] = "not_found"
        else:
            found = got.get("nodegroup") or {}
            spec = found.get("launchTemplate") or {}
            row.update(outcome="read", launch_template_id=spec.get("id"),
                       launch_template_name=spec.get("name"), launch_template_version=spec.get("version"),
                       auto_scaling_groups=json.dumps(own_groups(found)))
        rows.append(row)
    return rows
