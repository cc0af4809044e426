"""The collection's filters in words (``findings.meta["filters"]``, see pipeline.filter_facts).

Groups the filters left out are outside the audit: the headline still counts only what was assessed,
then says how many groups the filters left out, so that a clean result over a filtered estate never
reads as an all-clear for the whole estate. The scope section names the filters, the count per
account and region, and the regions excluded.
"""

from __future__ import annotations

from imds_audit.collect.filters import command_line


SHOWN_REGIONS = 10  # account regions named with their count; the rest as "(+n more)"


def _left_out(f: dict, tr) -> str:
    rows = f.get("left_out_by_region") or []
    where = tr.join(tr("meta.filters_where", where=f"{row['account_id']}/{row['region']}", n=row["groups"])
                    for row in rows[:SHOWN_REGIONS])
    if len(rows) > SHOWN_REGIONS:
        where += tr("list.more", n=len(rows) - SHOWN_REGIONS)
    if not f.get("left_out"):
        return tr("meta.filters_left_none", filters=f.get("group_command_line", ""))
    return tr.count("meta.filters_left_out", f["left_out"], filters=f.get("group_command_line", ""), where=where)


def scope_rows(f: dict | None, tr) -> list[tuple[str, str]]:
    """(label key, text) rows for the scope section: the filters, what they left out, the regions excluded."""
    if not f:
        return [("meta.filters", tr("meta.filters_none"))]
    rows = [("meta.filters", f.get("command_line") or tr("meta.filters_none"))]
    if f.get("asg") or f.get("tags"):
        rows.append(("meta.filters_groups", _left_out(f, tr)))
    if f.get("exclude_regions"):
        rows.append(("meta.regions_excluded", tr("meta.regions_excluded_value", regions=tr.join(f["exclude_regions"]))))
    return rows


def headline_clause(f: dict | None, tr) -> str:
    """What the headline adds after its findings: the groups left out by the filters, the regions excluded."""
    if not f:
        return ""
    text = ""
    if f.get("left_out"):
        text += tr.count("headline.filtered", f["left_out"], filters=f.get("group_command_line", ""))
    if f.get("exclude_regions"):
        text += tr("headline.regions_excluded", regions=tr.join(f["exclude_regions"]))
    return text


def trend_clause(f: dict | None, previous_scope: dict | None, tr) -> str:
    """What the trend adds when the compared audit was collected with other filters: groups may then
    look added or removed only because of them."""
    now = (f or {}).get("command_line", "")
    then = command_line((previous_scope or {}).get("filters"))
    if now == then:
        return ""
    return tr("trend.filters_differ", now=now or tr("trend.no_filters"), then=then or tr("trend.no_filters"))


__all__ = ["headline_clause", "scope_rows", "trend_clause"]
