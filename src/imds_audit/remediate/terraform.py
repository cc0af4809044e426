"""Terraform for the fix: the ``metadata_options`` block of each launch template, ``instance_refresh`` on
each group, with ``import {}`` blocks (Terraform 1.5+) for resources not yet managed.

Only the attributes the fix needs are written. The audit does not hold a template's whole configuration,
so these blocks are to be merged into the resource that manages it (or into the configuration that
``terraform plan -generate-config-out`` writes after the import), never applied alone.
"""

from __future__ import annotations

from imds_audit.remediate.plan import GroupFix
from imds_audit.remediate.quoting import hcl_label

# MetadataOptions fields the fix carries over as they are (it sets the other three).
KEPT = ("InstanceMetadataTags", "HttpProtocolIpv6")


def _template_entry(templates: dict, account, region, lt_id, lt_name) -> dict:
    key = (account, region, lt_id)
    if key not in templates:
        templates[key] = {"label": hcl_label("lt", lt_name or lt_id, lt_id), "lt_id": lt_id,
                          "lt_name": lt_name, "hop": 1, "default": False, "groups": [], "new": False,
                          "keep": {}, "keep_from": -1}
    return templates[key]


def model(fixes: list[GroupFix]) -> list[dict]:
    """Per (account, region): the launch templates and groups to change, each once."""
    scopes: dict[tuple, dict] = {}
    for fix in fixes:
        g = fix.group
        acct, region, name = g["account_id"], g["region"], g["asg_name"]
        scope = scopes.setdefault((acct, region), {"account_id": acct, "region": region,
                                                   "provider": hcl_label("fix", acct, region),
                                                   "templates": {}, "groups": [], "nodegroups": {},
                                                   "environments": {}, "stacks": []})
        templates = scope["templates"]
        owner = g.get("managed_by") or ""
        if owner == "cloudformation":
            # the stack owns the change: Terraform would drift it (see cloudformation.yaml)
            scope["stacks"].append({"asg_name": name, "stack": g.get("owner_name") or "?"})
            continue
        entry = {"label": hcl_label("asg", name, acct, region), "asg_name": name, "kind": None,
                 "template": None, "version": None, "overrides": [], "lc_name": None,
                 "launch_kind": g.get("launch_kind")}
        for a in fix.actions:
            f = a.facts
            if a.kind == "create_version" and f.get("metadata"):
                t = _template_entry(templates, acct, region, f["lt_id"], f.get("lt_name"))
                t["hop"] = max(t["hop"], f["hop"])
                # The metadata options the fix does not change, as the newest fixed version has them:
                # one resource stands for the template, and its newest version is what it launches.
                if f["source_version"] > t["keep_from"]:
                    t["keep"] = {k: v for k, v in f["metadata"].items() if k in KEPT}
                    t["keep_from"] = f["source_version"]
                t["groups"] = sorted(set(t["groups"]) | {name})
            elif a.kind == "set_default":
                _template_entry(templates, acct, region, f["lt_id"], f.get("lt_name"))["default"] = True
            elif a.kind == "create_template":
                key = (acct, region, "new:" + f["lc_name"])
                templates.setdefault(key, {
                    "label": hcl_label("lt", f["new_name"], acct, region), "lt_id": None, "lt_name": f["new_name"],
                    "hop": f["hop"], "default": False, "groups": [], "new": True, "keep": {},
                    "lc_name": f["lc_name"], "snapshot": f.get("snapshot") or {}})
                templates[key]["groups"] = sorted(set(templates[key]["groups"]) | {name})
                entry.update(kind="lc", template=templates[key]["label"], lc_name=f["lc_name"])
            elif a.kind == "update_nodegroup":
                t = _template_entry(templates, acct, region, f["lt_id"], f.get("lt_name"))
                ng = scope["nodegroups"].setdefault((f["cluster"], f["nodegroup"]), {
                    "label": hcl_label("ng", f["cluster"], f["nodegroup"], acct, region), "cluster": f["cluster"],
                    "nodegroup": f["nodegroup"], "template": t["label"], "groups": []})
                ng["groups"] = sorted(set(ng["groups"]) | {name})
            elif a.kind == "update_environment":
                env = scope["environments"].setdefault(f["environment_id"], {
                    "label": hcl_label("eb", f["environment"], acct, region), "environment": f["environment"],
                    "environment_id": f.get("environment_id"), "groups": []})
                env["groups"] = sorted(set(env["groups"]) | {name})
        if owner in ("eks", "elasticbeanstalk"):
            continue   # the node group or the environment is changed, never the Auto Scaling group
        # How the group names its version decides the version expression Terraform writes.
        for src in fix.sources:
            if src.get("status") != "non_compliant" or src.get("source_kind") != "launch_template":
                continue
            t = _template_entry(templates, acct, region, src["launch_template_id"],
                                src.get("launch_template_name"))
            requested = str(src.get("version_requested") or "$Default")
            version = "latest_version" if requested != "$Default" else "default_version"
            if src.get("position") in (None, "single"):
                entry.update(kind="single", template=t["label"], version=version, requested=requested)
            elif src.get("position") == "base":
                entry.update(kind="mixed", template=t["label"], version=version, requested=requested)
            else:
                entry["kind"] = entry["kind"] or "mixed"
                entry["overrides"].append({"position": src["position"], "template": t["label"],
                                           "lt_name": src.get("launch_template_name"),
                                           "version": version, "requested": requested})
        entry["refresh"] = any(a.kind == "refresh" for a in fix.actions)
        if entry["kind"]:
            scope["groups"].append(entry)
    out = []
    for key in sorted(scopes):
        scope = scopes[key]
        scope["templates"] = [scope["templates"][k] for k in sorted(scope["templates"], key=str)]
        scope["nodegroups"] = [scope["nodegroups"][k] for k in sorted(scope["nodegroups"])]
        scope["environments"] = [scope["environments"][k] for k in sorted(scope["environments"])]
        out.append(scope)
    return out
