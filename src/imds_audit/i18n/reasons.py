"""The analysis' codes in words: why a source or a group got its verdict, why a role is ranked.

The analysis emits codes and facts; this module only looks them up in a catalogue and fills them in.
It holds no rule of its own: a new verdict rule is a new ``reason.code.<code>`` string in each
catalogue, whose fields are the source's own columns (any column of ``findings.sources`` can be used,
and a coded value is shown in words where the catalogue has ``reason.value.<column>.<value>``).

Pure functions over rows; the catalogue is the only thing read.
"""

from __future__ import annotations

import json
import string
from functools import lru_cache

import pandas as pd

from imds_audit.i18n import Catalogue
from imds_audit.model import GROUP

UNSET = "?"   # a field the analysis left empty


def _text(value) -> str:
    if value is None or value is pd.NA:
        return UNSET
    if isinstance(value, float):
        if value != value:
            return UNSET
        if value.is_integer():
            return str(int(value))
    return str(value)


@lru_cache(maxsize=512)
def _fields(template: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in string.Formatter().parse(template) if name)


def _value(tr: Catalogue, column: str, value, kind) -> str:
    """A coded value in words: ``reason.value.<column>.<value>.<source kind>``, then without the kind."""
    text = _text(value)
    for key in (f"reason.value.{column}.{text}.{kind}", f"reason.value.{column}.{text}"):
        if tr.has(key):
            return tr(key)
    return text


def _what(row: dict, tr: Catalogue) -> str:
    kind = row.get("source_kind")
    version = row.get("version_resolved")
    if version is None or version is pd.NA or (isinstance(version, float) and version != version):
        version = row.get("version_requested")
    return tr(f"reason.what.{kind}", name=_text(row.get("launch_configuration_name") if kind == "launch_configuration"
                                                else row.get("launch_template_name")),
              id=_text(row.get("launch_template_id")), version=_text(version))


def source_reason(row: dict, tr: Catalogue) -> str:
    """One source's (or group's) reason: ``reason.code.<reason_code>`` with the row's columns, after
    ``reason.what.<source_kind>`` when the row names a source."""
    tr = Catalogue(tr)
    code = _text(row.get("reason_code"))
    key = f"reason.code.{code}"
    template = tr.strings.get(key)
    if template is None:
        raise KeyError(f"no string {key!r} in the {tr.lang} catalogue")
    kind = row.get("source_kind")
    kind = None if kind is None or kind is pd.NA or kind != kind else kind
    why = tr(key, **{f: _value(tr, f, row.get(f), kind) for f in _fields(template)})
    if kind is None:
        return why
    return tr("reason.line", what=_what(row, tr), why=why)


def source_reasons(sources: pd.DataFrame, tr) -> pd.Series:
    """One reason per row of ``findings.sources``, aligned to its index."""
    tr = Catalogue(tr)
    return pd.Series([source_reason(r, tr) for r in sources.to_dict("records")], index=sources.index,
                     dtype="string")


def group_reasons(groups: pd.DataFrame, sources: pd.DataFrame, tr) -> pd.Series:
    """One reason per group: the reason of the source that decided it (``reason_position``), or the
    group's own code when no source did (``no_source``)."""
    tr = Catalogue(tr)
    keys = GROUP + ["reason_position"]
    own = groups[GROUP + ["reason_code", "reason_position"]].reset_index(drop=True)
    if sources is not None and len(sources):
        deciding = sources.drop(columns=["reason_code"], errors="ignore").rename(
            columns={"position": "reason_position"}).drop_duplicates(keys)
        own = own.merge(deciding, on=keys, how="left")
    out = [source_reason(r, tr) for r in own.to_dict("records")]
    return pd.Series(out, index=groups.index, dtype="string")


# ---- the words of a role's privilege and exposure -----------------------------------------------
def listing(tr: Catalogue, value) -> str:
    """A list in words: joined with the language's separator; a ``{"items": [...], "more": n}`` list
    is followed by ``list.more`` when something was left out."""
    if isinstance(value, dict) and "items" in value:
        more = int(value.get("more") or 0)
        return tr.join(value["items"]) + (tr("list.more", n=f"{more:,}") if more else "")
    return tr.join(value)


def phrase(tr: Catalogue, key: str, params: dict) -> str:
    """A catalogue string filled with facts, lists in words (:func:`listing`)."""
    return tr(key, **{name: listing(tr, v) if isinstance(v, (dict, list, tuple)) else v
                      for name, v in (params or {}).items()})


def _json(value, default):
    if value is None or value is pd.NA or (isinstance(value, float) and value != value) or value == "":
        return default
    return json.loads(value) if isinstance(value, str) else value


def privilege_text(row: dict, tr) -> str:
    """What the role may do, in words: the rule that set its tier, then the notes beside it."""
    tr = Catalogue(tr)
    rule = row.get("tier_rule")
    if rule is None or rule is pd.NA or rule != rule:
        return tr("privilege.not_read")  # the role's policies were not read: its tier is unknown
    params = _json(row.get("tier_params"), {})
    if "cuts" in params:  # the admin exclusions are words too
        params["cuts"] = [tr(f"privilege.cut.{c}") for c in params["cuts"]]
        patterns = params.get("patterns") or {}
        params["excluded"] = tr.join(([listing(tr, patterns)] if patterns.get("items") else []) + params["cuts"])
    text = phrase(tr, f"privilege.rule.{rule}", params)
    if bool(row.get("conditional_only")):
        text = tr("privilege.conditional", text=text)
    notes = [phrase(tr, f"privilege.note.{code}", note) for code, note in _json(row.get("tier_notes"), [])]
    return tr("privilege.sep").join([text] + notes)


def _exposure(row: dict, tr: Catalogue) -> str:
    groups, instances = int(row["exposed_groups"]), int(row["exposed_instances"])
    g = tr.count("role.groups", groups) if groups else ""
    i = tr.count("role.instances", instances) if instances else ""
    if groups and instances:
        return tr("role.exposure.both", groups=g, instances=i)
    if groups:
        return tr.count("role.exposure.groups_only", groups, groups=g)
    if instances:
        return tr.count("role.exposure.instances_only", instances, instances=i)
    return tr("role.exposure.none")


def role_reason(row: dict, tr, window_days: int) -> str:
    """A role's line in roles.csv and the report: privilege, exposure, IMDSv1 use, unassessed groups."""
    tr = Catalogue(tr)
    parts = [privilege_text(row, tr), _exposure(row, tr)]
    calls = row.get("imdsv1_calls")
    if calls is None or calls is pd.NA or calls != calls:
        parts.append(tr("role.calls.unknown"))
    elif float(calls) > 0:
        parts.append(tr("role.calls.some", calls=f"{round(float(calls)):,}", days=window_days))
    else:
        parts.append(tr("role.calls.none", days=window_days))
    if int(row.get("unknown_groups") or 0):
        parts.append(tr.count("role.unknown_groups", int(row["unknown_groups"])))
    if int(row.get("instances_unknown_groups") or 0):
        parts.append(tr.count("role.instances_unknown_groups", int(row["instances_unknown_groups"])))
    return tr("role.sep").join(parts)


def role_reasons(roles: pd.DataFrame, tr, window_days: int) -> pd.Series:
    tr = Catalogue(tr)
    return pd.Series([role_reason(r, tr, window_days) for r in roles.to_dict("records")], index=roles.index,
                     dtype="string")


__all__ = ["group_reasons", "listing", "phrase", "privilege_text", "role_reason", "role_reasons", "source_reason",
           "source_reasons"]
