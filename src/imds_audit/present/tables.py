"""Tables as data for the templates: rows of cells (shown text, sort key, CSS class), never HTML.

The templates escape every cell; sort keys let the inline script sort numbers as numbers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pandas as pd

from imds_audit.model import TIERS, WORST_FIRST
from imds_audit.present.summary import exposed_roles, roles_of


@dataclass
class Cell:
    text: str
    sort: str | None = None
    cls: str = ""
    title: str | None = None
    href: str | None = None   # a link inside the report ("#fix-3"), never a URL from the data


@dataclass
class Table:
    id: str
    headers: list[tuple[str, str]]           # (label, "text" | "number")
    rows: list[list[Cell]]
    row_status: list[str] = field(default_factory=list)  # data-status per row, for the status filter
    caption: str | None = None
    # per-column filters: (column index, the values it offers, in order); the rows' cell texts match them
    filters: list[tuple[int, list[str]]] = field(default_factory=list)
    row_ids: list[str] = field(default_factory=list)     # an anchor per row (the groups' rows: fixes link back)


def _text(value, tr) -> str:
    if value is None:
        return tr("table.none")
    try:
        if pd.isna(value):
            return tr("table.none")
    except (TypeError, ValueError):
        pass
    return str(value)


def _num(value, tr, digits: int = 0) -> Cell:
    """A number; its text is its sort key (the table script reads "1,520" as 1520 and "—" as none)."""
    return Cell(tr.number(value, digits), None, "num")


def _yes(value, tr) -> Cell:
    flag = bool(value) if value is not None and not pd.isna(value) else False
    return Cell(tr("table.yes") if flag else tr("table.no"), "1" if flag else "0", "flag-yes" if flag else "")


GROUP_HEADERS = ["account_id", "region", "asg_name", "status", "launch_source", "effective_http_tokens",
                 "http_endpoint", "hop_limit", "iam_role", "risk_tier", "instances",
                 "instances_allowing_imdsv1", "imdsv1_calls", "drift", "readiness", "exception", "reason"]
# columns shown (and filtered on) only when the findings carry them with values: the service that owns
# the group (analyze.owner: its fix goes through it), and network reachability
OPTIONAL_GROUP_COLUMNS = ("managed_by", "reachability")
# the groups table's filters: a select per column, offering the values its rows show
GROUP_FILTERS = ("account_id", "region", "status", "risk_tier", *OPTIONAL_GROUP_COLUMNS)
NUMERIC = {"hop_limit", "instances", "instances_allowing_imdsv1", "imdsv1_calls", "risk_score",
           "risk_rank", "exposed_groups", "exposed_instances"}
TIER_ORDER = [*TIERS[::-1], "unknown", "no_role"]


def _owner_cell(g: dict, tr) -> Cell:
    """The owning service (EKS, Elastic Beanstalk, CloudFormation, ECS), what of it (the title), or none."""
    owner = g.get("managed_by")
    if not isinstance(owner, str) or not owner:
        return Cell(tr("table.none"))
    if not tr.has(f"owner.{owner}"):  # not one this version knows (findings from elsewhere): as it is
        return Cell(owner, owner, "owner")
    name, part = g.get("owner_name"), g.get("owner_resource")
    detail = tr(f"owner.{owner}", name=name if isinstance(name, str) else "?",
                part=part if isinstance(part, str) else "?")
    return Cell(tr.label("owner.label", owner), owner, f"owner owner-{owner}", title=detail)


def group_anchor(account_id, region, asg_name) -> str:
    """A stable element id for a group's row (fixes link back to it), whatever its name holds."""
    key = "\0".join(str(x) for x in (account_id, region, asg_name)).encode("utf-8")
    return "g-" + hashlib.sha1(key, usedforsecurity=False).hexdigest()[:12]


def _present(groups: pd.DataFrame, column: str) -> bool:
    if column not in groups.columns:
        return False
    values = groups[column].dropna().astype(str).str.strip()
    return bool(values.ne("").any())


def _filter_values(rows: list[list[Cell]], index: int, order: list[str] | None = None) -> list[str]:
    seen = {row[index].text for row in rows}
    if order is not None:
        first = [v for v in order if v in seen]
        return first + sorted(seen - set(first))
    return sorted(seen)


def groups_table(groups: pd.DataFrame, tr, table_id: str = "ia-groups-table",
                 reasons: pd.Series | None = None, fixes: dict | None = None) -> Table:
    """Every group with its verdict, settings, role, instances and reason.

    ``reasons`` (aligned to ``groups``' index) are the reasons in the report's language; without them
    the English ``reason`` is shown. ``fixes``: (account_id, region, asg_name) → the number of the fix
    in the remediation section, linked from the group's status."""
    optional = [c for c in OPTIONAL_GROUP_COLUMNS if _present(groups, c)]
    columns = GROUP_HEADERS[:-1] + optional + GROUP_HEADERS[-1:]
    headers = [(tr(f"col.{c}"), "number" if c in NUMERIC else "text") for c in columns]
    rows, statuses, ids = [], [], []
    order = {status: i for i, status in enumerate(WORST_FIRST)}
    if reasons is not None:
        groups = groups.assign(reason=reasons.reindex(groups.index).fillna(groups["reason"]))
    ordered = groups.assign(_o=groups["status"].map(order)).sort_values(
        ["_o", "account_id", "region", "asg_name"], kind="stable")
    fixes = fixes or {}
    for g in ordered.to_dict("records"):
        status = g["status"]
        hop_cls = "warn" if g.get("hop_limit_flag") == "excessive" else ""
        key = (g["account_id"], g["region"], g["asg_name"])
        fix = fixes.get(key)
        row = [
            Cell(_text(g["account_id"], tr)), Cell(_text(g["region"], tr)),
            Cell(_text(g["asg_name"], tr), cls="name"),
            Cell(tr.label("status", status), status, f"status status-{status}",
                 title=tr("remediation.fix_label", n=fix) if fix else None, href=f"#fix-{fix}" if fix else None),
            Cell(_text(g["launch_source"], tr), cls="name"),
            Cell(_text(g["effective_http_tokens"], tr)), Cell(_text(g["http_endpoint"], tr)),
            Cell(tr.number(g["hop_limit"]), None, f"num {hop_cls}".strip(),
                 tr.label("hop", g.get("hop_limit_flag")) if g.get("hop_limit_flag") not in (None, "ok") else None),
            _role_cell(g, tr),
            Cell(tr.label("tier", g["risk_tier"]), cls=f"tier tier-{g['risk_tier']}"),
            _num(g["instances"], tr), _num(g["instances_allowing_imdsv1"], tr), _num(g["imdsv1_calls"], tr),
            _yes(g["drift"], tr),
            Cell(tr.label("readiness", g["readiness"]), cls=f"ready-{g['readiness']}",
                 title=g.get("imdsv1_callers") or None),
            _exception_cell(g, tr),
        ]
        row += [_owner_cell(g, tr) if c == "managed_by" else
                Cell(_text(g.get(c) if isinstance(g.get(c), str) and g.get(c) else None, tr)) for c in optional]
        row.append(Cell(_text(g["reason"], tr), cls="reason"))
        rows.append(row)
        statuses.append(status)
        ids.append(group_anchor(*key))
    labels = {"status": [tr.label("status", s) for s in WORST_FIRST],
              "risk_tier": [tr.label("tier", t) for t in TIER_ORDER]}
    filters = [(columns.index(c), _filter_values(rows, columns.index(c), labels.get(c)))
               for c in GROUP_FILTERS if c in columns]
    return Table(table_id, headers, rows, statuses, filters=filters, row_ids=ids)


def _exception_cell(g: dict, tr) -> Cell:
    state = g.get("exception")
    if not isinstance(state, str) or not state:
        return Cell("")
    return Cell(tr.label("exception", state), state, f"exception-{state}", _text(g.get("exception_reason"), tr))


EXCEPTION_HEADERS = ["account_id", "region", "asg_name", "status", "exception", "exception_reason",
                     "exception_owner", "exception_expires", "exception_ticket"]


def exceptions_table(groups: pd.DataFrame, tr, table_id: str = "ia-exceptions-table") -> Table:
    """The groups an accepted-risk exception covers (or covered, when it expired), with the justification."""
    headers = [(tr(f"col.{c}"), "text") for c in EXCEPTION_HEADERS]
    if "exception" not in groups.columns:
        return Table(table_id, headers, [])
    marked = groups[groups["exception"].isin(["accepted", "expired"]).fillna(False)]
    rows, statuses = [], []
    for g in marked.sort_values(["exception", "account_id", "region", "asg_name"], kind="stable").to_dict("records"):
        rows.append([Cell(_text(g["account_id"], tr)), Cell(_text(g["region"], tr)),
                     Cell(_text(g["asg_name"], tr), cls="name"),
                     Cell(tr.label("status", g["status"]), g["status"], f"status status-{g['status']}"),
                     _exception_cell(g, tr), Cell(_text(g.get("exception_reason"), tr), cls="reason"),
                     Cell(_text(g.get("exception_owner"), tr)), Cell(tr.date(g.get("exception_expires"))),
                     Cell(_text(g.get("exception_ticket") or None, tr))])
        statuses.append(g["status"])
    return Table(table_id, headers, rows, statuses)


def _role_cell(g: dict, tr) -> Cell:
    """The base role, then any other role the group's sources or instances carry."""
    others = g.get("other_iam_roles")
    others = others if isinstance(others, str) and others else ""
    text = _text(g["iam_role"], tr) + (f" + {others}" if others else "")
    return Cell(text, _text(g["iam_role"], tr) if others else None, cls="name")


ROLE_HEADERS = ["risk_rank", "role_name", "account_id", "privilege_tier", "exposure_level",
                "exposed_groups", "exposed_instances", "imdsv1_calls", "risk_score", "why"]


def roles_table(findings, tr, top: int | None = None, table_id: str = "ia-roles-table") -> Table:
    """Exposed roles in risk order, with the reason in the report's language."""
    roles = exposed_roles(roles_of(findings))
    if top:
        roles = roles.head(top)
    headers = [(tr(f"col.{c}"), "number" if c in NUMERIC else "text") for c in ROLE_HEADERS]
    rows = []
    for r in roles.to_dict("records"):
        reason = r.get(f"reason_{tr.lang}")
        rows.append([
            _num(r["risk_rank"], tr), Cell(_text(r["role_name"], tr), cls="name", title=_text(r["role_arn"], tr)),
            Cell(_text(r["account_id"], tr)),
            Cell(tr.label("tier", r["privilege_tier"]), cls=f"tier tier-{r['privilege_tier']}"),
            Cell(tr.label("exposure", r["exposure_level"]), cls=f"exposure-{r['exposure_level']}"),
            _num(r["exposed_groups"], tr), _num(r["exposed_instances"], tr), _num(r["imdsv1_calls"], tr),
            _num(r["risk_score"], tr, 0), Cell(_text(reason, tr), cls="reason"),
        ])
    return Table(table_id, headers, rows)


def not_assessed_table(not_assessed: pd.DataFrame, tr, table_id: str = "ia-not-assessed-table") -> Table:
    cols = ["account", "region", "api", "outcome", "message"]
    headers = [(tr(f"not_assessed.{c}"), "text") for c in cols]
    rows = []
    frame = not_assessed if not_assessed is not None else pd.DataFrame()
    for r in frame.to_dict("records"):
        rows.append([Cell(_text(r.get("account_id"), tr)), Cell(_text(r.get("region"), tr)),
                     Cell(_text(r.get("api"), tr)),
                     Cell(tr.label("outcome", r.get("outcome")), cls=f"outcome-{r.get('outcome')}"),
                     Cell(_text(r.get("message"), tr), cls="reason")])
    return Table(table_id, headers, rows)


def _status_cell(status, tr) -> Cell:
    if status is None or (not isinstance(status, str) and pd.isna(status)):
        return Cell(tr("table.none"), "")
    return Cell(tr.label("status", status), status, f"status status-{status}")


DIFF_HEADERS = ["account_id", "region", "asg_name", "status_before", "status_after", "iam_role", "risk_tier",
                "allowing_before", "allowing_after"]


def diff_table(diff: pd.DataFrame, tr, table_id: str) -> Table:
    """Groups of one change category (analyze.history.diff_groups rows): status then and now."""
    headers = [(tr(f"col.{c}"), "number" if c.startswith("allowing") else "text") for c in DIFF_HEADERS]
    rows = []
    for d in diff.to_dict("records"):
        rows.append([
            Cell(_text(d["account_id"], tr)), Cell(_text(d["region"], tr)),
            Cell(_text(d["asg_name"], tr), cls="name"),
            _status_cell(d["status_before"], tr), _status_cell(d["status_after"], tr),
            Cell(_text(d["iam_role"], tr), cls="name"),
            Cell(tr.label("tier", d["risk_tier"]), cls=f"tier tier-{d['risk_tier']}"),
            _num(d["instances_allowing_imdsv1_before"], tr), _num(d["instances_allowing_imdsv1_after"], tr),
        ])
    return Table(table_id, headers, rows)


ROLES_DIFF_HEADERS = ["role_name", "account_id", "privilege_tier", "direction", "exposure_before",
                      "exposure_after", "groups_before", "groups_after", "instances_before", "instances_after"]


def roles_diff_table(roles_diff: pd.DataFrame, tr, table_id: str = "ia-diff-roles") -> Table:
    """Roles whose exposure changed (analyze.history.diff_roles), the worse first."""
    headers = [(tr(f"col.{c}"), "number" if c.startswith(("groups", "instances")) else "text")
               for c in ROLES_DIFF_HEADERS]
    ordered = roles_diff.assign(_o=roles_diff["direction"].ne("worse")).sort_values(
        ["_o", "account_id", "role_name"], kind="stable")
    rows = []
    for r in ordered.to_dict("records"):
        rows.append([
            Cell(_text(r["role_name"], tr), cls="name"), Cell(_text(r["account_id"], tr)),
            Cell(tr.label("tier", r["privilege_tier"]), cls=f"tier tier-{r['privilege_tier']}"),
            Cell(tr.label("direction", r["direction"]), r["direction"], f"direction-{r['direction']}"),
            Cell(tr.label("exposure", r["exposure_level_before"]), cls=f"exposure-{r['exposure_level_before']}"),
            Cell(tr.label("exposure", r["exposure_level_after"]), cls=f"exposure-{r['exposure_level_after']}"),
            _num(r["exposed_groups_before"], tr), _num(r["exposed_groups_after"], tr),
            _num(r["exposed_instances_before"], tr), _num(r["exposed_instances_after"], tr),
        ])
    return Table(table_id, headers, rows)
