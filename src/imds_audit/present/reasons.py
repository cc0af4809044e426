"""Why a launch source (or a group) got its verdict, in the report's language.

``analyze.verdict`` writes ``reason`` as English text. The report rebuilds it here from the structured
columns of ``findings.sources`` (source_kind, template name/id/version, launch configuration name,
http_tokens, http_endpoint, tokens_from, endpoint_from, status, image_id), following the rules of
``verdict.source_status`` one by one, with the words taken from the i18n catalogue. In English the
text is the analysis' own ``reason``, character for character; in Japanese it reads as a Japanese
engineer would write it.

Two facts of the verdict decide the words of an unknown verdict. The analysis states them in the
columns ``record_read`` and ``defaults_read`` of ``findings.sources``; where a frame lacks them
(findings built by hand, or by an older version), they are inferred:

- *was the record the group names read at all?* A source whose effective settings would decide a
  verdict but whose status is ``unknown`` was not read; a template with no resolved version was not
  read; an undecided source that declares nothing and has no AMI was not read either (a launch
  configuration always names an AMI).
- *were the account-level IMDS defaults read?* An endpoint decided by ``unknown`` means no; a value
  decided by the account default, the AMI or the API default means yes. Only when the endpoint is
  declared and HttpTokens is ``unknown`` is it undecided: then the regions whose
  GetInstanceMetadataDefaults call failed (``findings.not_assessed``) decide, and without them the
  AMI is taken to be what could not be known.

A row that carries ``record_read`` / ``defaults_read`` (bool) states the fact instead.

Pure functions: no I/O; the catalogue is the only thing read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from imds_audit.present.i18n import Catalogue

KEY = ["account_id", "region", "asg_name"]
RANK = {"compliant": 0, "unknown": 1, "non_compliant": 2}
DEFAULTS_API = "GetInstanceMetadataDefaults"
SSM_PREFIX = "resolve:ssm:"
LAYERS = ("declared", "account_default", "ami", "api_default", "unknown")


def _missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _get(row, key):
    try:
        value = row.get(key) if hasattr(row, "get") else getattr(row, key, None)
    except (KeyError, AttributeError):
        return None
    return None if _missing(value) else value


def _str(row, key) -> str | None:
    value = _get(row, key)
    return None if value is None else str(value)


def _tr(lang) -> Catalogue:
    return lang if isinstance(lang, Catalogue) else Catalogue(lang)


# ---- the facts the verdict used ------------------------------------------------------------------
def _decided(tokens: str | None, endpoint: str | None) -> bool:
    """Would the effective settings alone decide the verdict (the found-record rules of source_status)?"""
    return endpoint == "disabled" or tokens == "required" or (tokens == "optional" and endpoint == "enabled")


def record_read(row) -> bool:
    """Was the template version / launch configuration the source names in the snapshot?"""
    given = _get(row, "record_read")
    if given is not None:
        return bool(given)
    if _get(row, "source_kind") == "launch_template" and _get(row, "version_resolved") is None:
        return False
    status = _str(row, "status")
    if status in ("compliant", "non_compliant"):
        return True
    tokens, endpoint = _str(row, "http_tokens"), _str(row, "http_endpoint")
    if _decided(tokens, endpoint):
        return False  # the settings decide, yet the verdict is unknown: the record itself was missing
    declared = (_get(row, "declared_http_tokens") is not None
                or "declared" in (_str(row, "tokens_from"), _str(row, "endpoint_from")))
    return declared or _get(row, "image_id") is not None


def defaults_read(row, unread_regions: Iterable[tuple] | None = None) -> bool:
    """Were the account-level IMDS defaults of the source's account and region read?"""
    given = _get(row, "defaults_read")
    if given is not None:
        return bool(given)
    tokens_from, endpoint_from = _str(row, "tokens_from"), _str(row, "endpoint_from")
    if endpoint_from == "unknown":
        return False  # only unread defaults leave an undeclared endpoint unknown
    if tokens_from in ("account_default", "ami", "api_default") or endpoint_from in ("account_default",
                                                                                       "api_default"):
        return True   # these layers are reached only past the account defaults
    if unread_regions is not None:
        return (_str(row, "account_id"), _str(row, "region")) not in set(unread_regions)
    for col in ("default_http_tokens", "d_endpoint", "d_hop", "http_tokens_enforced", "managed_by"):
        if _get(row, col) is not None:
            return True
    image = _str(row, "image_id") or ""
    if tokens_from == "unknown" and not image.startswith(SSM_PREFIX) and _get(row, "imds_support") is not None:
        return False  # the AMI was read, so it is not what left HttpTokens unknown
    return True


def unread_defaults(not_assessed: pd.DataFrame | None) -> set[tuple[str, str]]:
    """(account_id, region) pairs whose GetInstanceMetadataDefaults call failed."""
    if not_assessed is None or not len(not_assessed) or "api" not in not_assessed.columns:
        return set()
    failed = not_assessed[not_assessed["api"].eq(DEFAULTS_API)
                          & not_assessed.get("outcome", pd.Series("error", index=not_assessed.index)).ne("ok")]
    return {(str(a), str(r)) for a, r in zip(failed["account_id"], failed["region"], strict=True)}


# ---- the words ---------------------------------------------------------------------------------
def _what(row, tr: Catalogue) -> str:
    if _get(row, "source_kind") == "launch_configuration":
        return tr("reason.what.launch_configuration", name=_str(row, "launch_configuration_name") or "?")
    version = _get(row, "version_resolved")
    if version is None:
        version = _get(row, "version_requested")
    if isinstance(version, float) and version.is_integer():
        version = int(version)
    return tr("reason.what.launch_template", name=_str(row, "launch_template_name") or "?",
              id=_str(row, "launch_template_id") or "?", version="?" if version is None else str(version))


def _layer(code: str | None, kind: str | None, tr: Catalogue) -> str:
    """Which layer decided a value (tokens_from / endpoint_from), in words."""
    if code is None:
        return tr("reason.layer.unknown")
    if code == "declared":
        return tr("reason.layer.declared_lc" if kind == "launch_configuration" else "reason.layer.declared_lt")
    if code in LAYERS:
        return tr(f"reason.layer.{code}")
    return code.replace("_", " ")  # a code this version does not know: shown as the analysis wrote it


def explain_source(row, lang="en", unread_regions: Iterable[tuple] | None = None) -> str:
    """The reason of one row of ``findings.sources`` (verdict.source_status's rules, in order)."""
    tr = _tr(lang)
    what = _what(row, tr)
    kind = _str(row, "source_kind")
    tokens, endpoint = _str(row, "http_tokens"), _str(row, "http_endpoint")
    tokens_from, endpoint_from = _str(row, "tokens_from"), _str(row, "endpoint_from")
    if not record_read(row):
        missing_template = kind == "launch_template" and _get(row, "version_resolved") is None
        why = tr("reason.unread_template" if missing_template else "reason.unread_record")
    elif endpoint == "disabled":
        why = tr("reason.endpoint_disabled", layer=_layer(endpoint_from, kind, tr))
    elif tokens == "required":
        why = tr("reason.tokens_required", layer=_layer(tokens_from, kind, tr))
    elif tokens == "optional" and endpoint == "enabled":
        why = tr("reason.imdsv1_allowed", layer=_layer(tokens_from, kind, tr))
    elif tokens_from == "unknown" and not defaults_read(row, unread_regions):
        why = tr("reason.unknown.defaults")
    elif tokens_from == "unknown" and (_str(row, "image_id") or "").startswith(SSM_PREFIX):
        why = tr("reason.unknown.ssm")
    elif tokens_from == "unknown":
        why = tr("reason.unknown.ami")
    else:
        why = tr("reason.unknown.endpoint")
    return tr("reason.line", what=what, why=why)


def _worst(sources: pd.DataFrame) -> Mapping | None:
    """The source that decides a group (verdict.group_status): the worst status, first in order."""
    if sources is None or not len(sources):
        return None
    rank = sources["status"].map(RANK).fillna(RANK["unknown"]).to_numpy()
    return sources.iloc[int(rank.argmax())]


def explain_group(group, sources: pd.DataFrame | None, lang="en",
                  unread_regions: Iterable[tuple] | None = None) -> str:
    """The reason of a group: its worst source's, or that it records no launch source.

    ``sources`` are the group's own rows of ``findings.sources`` (or all of them: they are filtered)."""
    tr = _tr(lang)
    if sources is not None and len(sources) and {"asg_name", "status"} <= set(sources.columns):
        mine = sources
        for col in KEY:
            value = _get(group, col)
            if value is not None and col in sources.columns:
                mine = mine[mine[col].astype("string").eq(str(value)).fillna(False)]
        worst = _worst(mine)
        if worst is not None:
            return explain_source(worst, tr, unread_regions)
    return tr("reason.no_source")


def explain(row, lang="en", sources: pd.DataFrame | None = None,
            unread_regions: Iterable[tuple] | None = None) -> str:
    """The reason of a source row, or of a group row (give its ``sources``), in ``lang`` (en | ja)."""
    if _get(row, "source_kind") is not None:
        return explain_source(row, lang, unread_regions)
    return explain_group(row, sources, lang, unread_regions)


# ---- whole frames ------------------------------------------------------------------------------
def source_reasons(sources: pd.DataFrame, lang="en", not_assessed: pd.DataFrame | None = None) -> pd.Series:
    """One reason per row of ``findings.sources``, aligned to its index."""
    tr, unread = _tr(lang), unread_defaults(not_assessed)
    out = [explain_source(r, tr, unread) for r in sources.to_dict("records")]
    return pd.Series(out, index=sources.index, dtype="string")


def group_reasons(groups: pd.DataFrame, sources: pd.DataFrame | None, lang="en",
                  not_assessed: pd.DataFrame | None = None) -> pd.Series:
    """One reason per group (aligned to ``groups``' index): the worst source's, as the verdict chose it."""
    tr, unread = _tr(lang), unread_defaults(not_assessed)
    by_group: dict[tuple, str] = {}
    if sources is not None and len(sources) and set(KEY + ["status"]) <= set(sources.columns):
        ranked = sources.assign(_rank=sources["status"].map(RANK).fillna(RANK["unknown"]))
        worst = ranked.sort_values("_rank", ascending=False, kind="stable").drop_duplicates(KEY)
        for r in worst.to_dict("records"):
            by_group[tuple(str(r[k]) for k in KEY)] = explain_source(r, tr, unread)
    none = tr("reason.no_source")
    out = [by_group.get(tuple(str(g.get(k)) for k in KEY), none) for g in groups[KEY].to_dict("records")]
    return pd.Series(out, index=groups.index, dtype="string")


__all__ = ["defaults_read", "explain", "explain_group", "explain_source", "group_reasons", "record_read",
           "source_reasons", "unread_defaults"]
