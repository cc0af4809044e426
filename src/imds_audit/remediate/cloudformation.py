"""cloudformation.yaml: the changes to the stacks that own groups, from the plan's stack_change actions.

CloudFormation logical ids are letters and digits; a logical id read from a tag is used as a YAML key
only when it is one, otherwise a placeholder names the resource to find.
"""

from __future__ import annotations

import re

from imds_audit.remediate.plan import GroupFix

LOGICAL_ID = re.compile(r"[A-Za-z][A-Za-z0-9]{0,254}")
PLACEHOLDER = {"launch_template": "LaunchTemplateLogicalId", "group_version": "AutoScalingGroupLogicalId",
               "launch_configuration": "LaunchConfigurationLogicalId"}
KEPT = ("InstanceMetadataTags", "HttpProtocolIpv6")


def model(fixes: list[GroupFix]) -> list[dict]:
    """Per (account, region, stack): its changes once each, the groups they serve, and the groups whose
    running instances must be replaced after the update."""
    stacks: dict[tuple, dict] = {}
    seen: set[int] = set()
    for fix in fixes:
        g = fix.group
        for a in fix.actions:
            if a.kind != "stack_change":
                continue
            f = a.facts
            st = stacks.setdefault((a.account_id, a.region, f["stack"]), {
                "account_id": a.account_id, "region": a.region, "stack": f["stack"], "groups": [],
                "changes": [], "refresh": []})
            st["groups"] = sorted(set(st["groups"]) | set(a.groups))
            if (g.get("instances") or 0) > 0 and g["asg_name"] not in st["refresh"]:
                st["refresh"].append(g["asg_name"])
            if id(a) in seen:
                continue
            seen.add(id(a))
            known = bool(f.get("logical_id")) and bool(LOGICAL_ID.fullmatch(str(f["logical_id"])))
            kept = [{"key": k, "value": v} for k, v in (f.get("metadata") or {}).items()
                    if k in KEPT and v in ("enabled", "disabled")]
            st["changes"].append({**f, "known": known, "key": f["logical_id"] if known else PLACEHOLDER[f["change"]],
                                  "kept": kept})
    return [stacks[k] for k in sorted(stacks, key=str)]
