"""The remediation plan as two tables of the findings artifact, and back.

``plan_actions``: one row per action (its kind, scope, the groups it serves, its facts as JSON, with
apply-time variables written ``{"$var": NAME}``). ``plan_fixes``: one row per fixed group (the
actions it needs, its sources that cannot be fixed, its hop-limit changes; a source is named by its
place among the group's rows of ``findings.sources``). The group and source records themselves are the
findings' own rows, joined back on reading.
"""

from __future__ import annotations

import json

import pandas as pd

from imds_audit.remediate.plan import Action, GroupFix, HopChange, Note, Plan, _records
from imds_audit.remediate.quoting import Var
from imds_audit.remediate.readiness import readiness_warning

ACTION_COLUMNS = ["index", "kind", "account_id", "region", "groups", "var", "facts"]
FIX_COLUMNS = ["account_id", "region", "asg_name", "actions", "unfixable", "hop_changes", "notes"]


def _encode(value):
    if isinstance(value, Var):
        return {"$var": value.name}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _decode(value):
    if isinstance(value, dict):
        if set(value) == {"$var"}:
            return Var(value["$var"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _json(value) -> str:
    return json.dumps(_encode(value), ensure_ascii=False)


def _place(fix: GroupFix, source: dict) -> int:
    return next(i for i, s in enumerate(fix.sources) if s is source)


def to_tables(plan: Plan) -> tuple[pd.DataFrame, pd.DataFrame]:
    index = {id(a): i for i, a in enumerate(plan.actions)}
    actions = pd.DataFrame([{
        "index": i, "kind": a.kind, "account_id": a.account_id, "region": a.region,
        "groups": _json(a.groups), "var": a.var.name if a.var is not None else None, "facts": _json(a.facts),
    } for i, a in enumerate(plan.actions)], columns=ACTION_COLUMNS)
    fixes = pd.DataFrame([{
        "account_id": f.group["account_id"], "region": f.group["region"], "asg_name": f.group["asg_name"],
        "actions": _json([index[id(a)] for a in f.actions]),
        "unfixable": _json([_place(f, s) for s in f.unfixable]),
        "hop_changes": _json([{"source": _place(f, h.source), "before": h.before, "after": h.after,
                               "wanted": h.wanted, "shared_with": h.shared_with} for h in f.hop_changes]),
        "notes": _json([{"code": n.code, "facts": n.facts} for n in f.notes]),
    } for f in plan.fixes], columns=FIX_COLUMNS)
    return actions.astype({"index": "int64"}), fixes


def from_tables(actions: pd.DataFrame, fixes: pd.DataFrame, groups: pd.DataFrame,
                sources: pd.DataFrame) -> Plan:
    """The plan again, its fixes joined to the findings' group and source records."""
    built = []
    for row in actions.sort_values("index").to_dict("records"):
        built.append(Action(kind=row["kind"], account_id=row["account_id"], region=row["region"],
                            facts=_decode(json.loads(row["facts"])), groups=json.loads(row["groups"]),
                            var=Var(row["var"]) if isinstance(row["var"], str) else None))
    group_rows = {(g["account_id"], g["region"], g["asg_name"]): g for g in _records(groups)}
    by_group: dict[tuple, list[dict]] = {}
    for s in _records(sources):
        by_group.setdefault((s["account_id"], s["region"], s["asg_name"]), []).append(s)
    out = []
    for row in fixes.to_dict("records"):
        key = (row["account_id"], row["region"], row["asg_name"])
        group, mine = group_rows[key], by_group.get(key, [])
        hops = [HopChange(source=mine[h["source"]], before=h["before"], after=h["after"],
                          wanted=h["wanted"], shared_with=h["shared_with"]) for h in json.loads(row["hop_changes"])]
        out.append(GroupFix(group=group, sources=mine, actions=[built[i] for i in json.loads(row["actions"])],
                            readiness=readiness_warning(group),
                            unfixable=[mine[i] for i in json.loads(row["unfixable"])], hop_changes=hops,
                            notes=[Note(n["code"], _decode(n["facts"]))
                                   for n in json.loads(row.get("notes") or "[]")]))
    scopes = sorted({(g["account_id"], g["region"]) for g in group_rows.values()})
    return Plan(actions=built, fixes=out, scopes=scopes)
