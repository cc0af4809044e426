"""The verdict (DESIGN.md §4): the effective IMDS settings of every launch source, then of every group.

Pure, vectorised pandas over snapshot tables. Each rule carries a one-line reason; the tests in
tests/test_verdict.py are built from the case each rule covers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from imds_audit.model import GROUP, REGION, SOURCE_COLUMNS, STATUS_RANK, api_read


# The APIs a verdict's records come from, per (account, region).
API_DEFAULTS = "GetInstanceMetadataDefaults"
API_IMAGES = "DescribeImages"
API_TEMPLATES = "DescribeLaunchTemplates"
API_VERSIONS = "DescribeLaunchTemplateVersions"
API_CONFIGURATIONS = "DescribeLaunchConfigurations"
API_PARAMETERS = "GetParameters"

# Reasons that leave no record of the source to read (its profile, AMI and settings are unknown).
NO_RECORD = ("template_missing", "version_missing", "configuration_missing", "template_not_read",
             "record_not_read")

# Why a group cannot launch from a source, as a code (``launch.<code>`` in the catalogues).
LAUNCH_FAILURES = ("template_missing", "version_missing", "configuration_missing", "image_missing",
                   "enforced_optional")


def resolve_versions(sources: pd.DataFrame, templates: pd.DataFrame) -> pd.DataFrame:
    """Add ``version_resolved``: the template version number a group's version string launches.

    Rules:
    - ``$Latest`` is the template's latest version (AWS re-reads it at each launch).
    - ``$Default``, or no version at all, is the template's default version (an omitted Version in a
      group's launch template specification means the default version).
    - a number is that version.
    """
    frame = sources.merge(
        templates[REGION + ["launch_template_id", "launch_template_name", "default_version", "latest_version"]]
        .rename(columns={"launch_template_name": "_tpl_name"}),
        on=REGION + ["launch_template_id"], how="left")
    frame["launch_template_name"] = frame["launch_template_name"].fillna(frame["_tpl_name"])
    requested = frame["version_requested"].fillna("$Default").str.strip()
    numeric = pd.to_numeric(requested.where(requested.str.fullmatch(r"\d+", na=False)), errors="coerce")
    resolved = np.select(
        [requested.eq("$Latest").to_numpy(dtype=bool), requested.eq("$Default").to_numpy(dtype=bool)],
        [frame["latest_version"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
         frame["default_version"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)],
        default=numeric.astype("Float64").to_numpy(dtype=float, na_value=np.nan),
    )
    frame["version_resolved"] = pd.array(resolved, dtype="Float64").astype("Int64")
    return frame.drop(columns=["default_version", "latest_version", "_tpl_name"])


def _in(frame: pd.DataFrame, table: pd.DataFrame, left: list[str], right: list[str] | None = None) -> pd.Series:
    """For each row of ``frame``: is (``left`` columns) a row of ``table`` (its ``right`` columns)?"""
    right = right or left
    if table is None or table.empty:
        return pd.Series(False, index=frame.index)
    keys = table[right].dropna().drop_duplicates().set_axis(left, axis=1).assign(_hit=True)
    merged = frame[left].merge(keys, on=left, how="left")
    return pd.Series(merged["_hit"].fillna(False).astype(bool).to_numpy(), index=frame.index)


def missing_records(frame: pd.DataFrame, snapshot) -> pd.DataFrame:
    """Mark the sources whose record EC2 or Auto Scaling says does not exist (schema 3): the group
    cannot launch from them (a deleted template or version, a deleted launch configuration)."""
    missing = snapshot.tables.get("missing_launch_templates")
    whole = missing[missing["version"].isna()] if missing is not None else None
    lt = frame["source_kind"].eq("launch_template")
    frame["_template_missing"] = lt & (
        _in(frame, whole, REGION + ["launch_template_id"])
        | (frame["launch_template_id"].isna() & _in(frame, whole, REGION + ["launch_template_name"])))
    versions = missing[missing["version"].notna()] if missing is not None else None
    requested = frame.assign(_v=frame["version_requested"].fillna("$Default"))
    frame["_version_missing"] = lt & ~frame["_template_missing"] & _in(
        requested, versions, REGION + ["launch_template_id", "_v"], REGION + ["launch_template_id", "version"])
    frame["_lc_missing"] = frame["source_kind"].eq("launch_configuration") & _in(
        frame, snapshot.tables.get("missing_launch_configurations"), REGION + ["launch_configuration_name"])
    return frame


def declared_settings(sources: pd.DataFrame, versions: pd.DataFrame,
                      configurations: pd.DataFrame) -> pd.DataFrame:
    """Attach what each source itself declares (template version or launch configuration).

    ``_found`` says whether the record was in the snapshot at all.
    """
    lt = sources[sources["source_kind"] == "launch_template"].merge(
        versions.rename(columns={"version_number": "version_resolved",
                                 "launch_template_name": "_lt_name"}).assign(_found=True),
        on=REGION + ["launch_template_id", "version_resolved"], how="left")
    lt["launch_template_name"] = lt["launch_template_name"].fillna(lt["_lt_name"])
    lt["iam_instance_profile"] = lt["iam_instance_profile_arn"].fillna(lt["iam_instance_profile_name"])
    lt = lt.drop(columns=["_lt_name", "iam_instance_profile_arn", "iam_instance_profile_name",
                          "instance_type"])
    lc = sources[sources["source_kind"] == "launch_configuration"].merge(
        configurations.drop(columns=["instance_type"]).assign(_found=True),
        on=REGION + ["launch_configuration_name"], how="left")
    out = pd.concat([lt, lc], ignore_index=True)
    out["_found"] = out["_found"].astype("boolean").fillna(False).astype(bool)
    return out


SSM_PREFIX = "resolve:ssm:"


def resolve_images(frame: pd.DataFrame, parameters: pd.DataFrame | None) -> pd.DataFrame:
    """The AMI a source launches: its ImageId, or the AMI its ``resolve:ssm:`` parameter names today
    (ssm:GetParameters at collection; the parameter may name another AMI at the next launch).

    ``_ssm_outcome``: the parameter's outcome (resolved | not_found | not_an_ami | not_read |
    not_returned), NA for a plain AMI id; ``image_id`` stays as the source names it."""
    named = frame["image_id"].str.startswith(SSM_PREFIX, na=False)
    frame["_parameter"] = frame["image_id"].str.slice(len(SSM_PREFIX)).where(named)
    frame["_ami"] = frame["image_id"].where(~named)
    if parameters is not None and not parameters.empty:
        found = parameters[REGION + ["parameter", "image_id", "outcome"]].drop_duplicates(REGION + ["parameter"])
        found = found.rename(columns={"parameter": "_parameter", "image_id": "_ssm_ami", "outcome": "_ssm_outcome"})
        merged = frame[REGION + ["_parameter"]].merge(found, on=REGION + ["_parameter"], how="left")
        frame["_ssm_outcome"] = pd.Series(merged["_ssm_outcome"].to_numpy(), index=frame.index, dtype="string")
        frame["_ami"] = frame["_ami"].fillna(pd.Series(merged["_ssm_ami"].to_numpy(), index=frame.index))
    else:
        frame["_ssm_outcome"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    # never read (no row at all, e.g. an older snapshot) is not read
    frame["_ssm_outcome"] = frame["_ssm_outcome"].mask(named & frame["_ssm_outcome"].isna(), "not_read")
    return frame


def effective_settings(frame: pd.DataFrame, defaults: pd.DataFrame, images: pd.DataFrame,
                       calls: pd.DataFrame, missing_images: pd.DataFrame | None = None) -> pd.DataFrame:
    """Resolve HttpTokens, HttpEndpoint and the hop limit field by field, in AWS's order of precedence.

    1. the launch template version / launch configuration; 2. the region's account-level default;
    3. the AMI (ImdsSupport v2.0 means tokens required and hop limit 2); 4. the API defaults
    (endpoint enabled, tokens optional, hop limit 1). ``*_from`` names the layer that decided, or
    ``unknown`` when a layer that had to be consulted could not be read.
    """
    f = frame.merge(
        # (every column the source rows also have is renamed: the source's own value must not be
        # shadowed by the account default's, e.g. instance_metadata_tags)
        defaults.rename(columns={"http_tokens": "d_tokens", "http_endpoint": "d_endpoint",
                                 "hop_limit": "d_hop", "instance_metadata_tags": "d_instance_metadata_tags"}),
        on=REGION, how="left")
    defaults_read = api_read(calls, API_DEFAULTS, f)
    img = images[REGION + ["image_id", "imds_support"]].drop_duplicates(REGION + ["image_id"])
    f = f.merge(img.rename(columns={"image_id": "_ami"}).assign(_img_found=True), on=REGION + ["_ami"], how="left")
    # A resolve:ssm: AMI is judged by the AMI its parameter names today (resolve_images); one that
    # could not be resolved cannot be judged.
    ssm_image = f["_parameter"].notna()
    image_known = f["_img_found"].astype("boolean").fillna(False).astype(bool)
    ami_v2 = image_known & f["imds_support"].eq("v2.0").fillna(False).astype(bool)
    # EC2 says the AMI does not exist, or the parameter names none: no instance can launch from it.
    f["_image_missing"] = _in(f, missing_images, REGION + ["_ami"], REGION + ["image_id"]) | \
        f["_ssm_outcome"].isin(["not_found", "not_an_ami"]).fillna(False).astype(bool)

    declared_tokens = f["http_tokens"].notna()
    declared_endpoint = f["http_endpoint"].notna()
    declared_hop = f["hop_limit"].notna()
    # "no-preference" / -1 in the account defaults mean the layer sets nothing.
    d_tokens = f["d_tokens"].where(f["d_tokens"].isin(["optional", "required"]))
    d_endpoint = f["d_endpoint"].where(f["d_endpoint"].isin(["enabled", "disabled"]))
    d_hop = f["d_hop"].where(f["d_hop"].fillna(-1) > 0)

    tokens_cond = [
        declared_tokens,                                   # 1. the source's own value wins
        ~defaults_read,                                    # 2. cannot be skipped unread
        d_tokens.notna(),                                  # 2. account default
        ami_v2,                                            # 3. AMI says IMDSv2 only
        ~image_known,                                      # 3. cannot be skipped unread
    ]
    f["http_tokens_eff"] = np.select(
        [c.to_numpy(dtype=bool) for c in tokens_cond],
        [f["http_tokens"], None, d_tokens, "required", None], default="optional")
    f["tokens_from"] = np.select(
        [c.to_numpy(dtype=bool) for c in tokens_cond],
        ["declared", "unknown", "account_default", "ami", "unknown"], default="api_default")
    # the AMI an SSM parameter names today decided: say so (the parameter may move)
    f["tokens_from"] = np.where((f["tokens_from"] == "ami") & ssm_image.to_numpy(bool), "ami_ssm", f["tokens_from"])

    endpoint_cond = [declared_endpoint, ~defaults_read, d_endpoint.notna()]
    f["http_endpoint_eff"] = np.select(
        [c.to_numpy(dtype=bool) for c in endpoint_cond],
        [f["http_endpoint"], None, d_endpoint],
        default="enabled")                                 # 4. an omitted endpoint is *enabled*
    f["endpoint_from"] = np.select(
        [c.to_numpy(dtype=bool) for c in endpoint_cond],
        ["declared", "unknown", "account_default"], default="api_default")

    hop_cond = [declared_hop, ~defaults_read, d_hop.notna(), ami_v2, ~image_known]
    hop_values = [f["hop_limit"].astype("Float64"), np.nan, d_hop.astype("Float64"), 2.0, np.nan]
    f["hop_limit_eff"] = pd.array(np.select(
        [c.to_numpy(dtype=bool) for c in hop_cond],
        [v.to_numpy(dtype=float, na_value=np.nan) if isinstance(v, pd.Series) else v for v in hop_values],
        default=1.0), dtype="Float64").astype("Int64")
    f["hop_from"] = np.select(
        [c.to_numpy(dtype=bool) for c in hop_cond],
        ["declared", "unknown", "account_default", "ami", "unknown"], default="api_default")
    f["hop_from"] = np.where((f["hop_from"] == "ami") & ssm_image.to_numpy(bool), "ami_ssm", f["hop_from"])
    # A record that was not read (or does not exist) declares nothing we know: every effective value
    # is unknown, never the defaults an omitted field would get.
    unread = ~f["_found"].to_numpy(bool)
    for col, source in (("http_tokens_eff", "tokens_from"), ("http_endpoint_eff", "endpoint_from"),
                        ("hop_limit_eff", "hop_from")):
        f[col] = f[col].where(~unread, None) if col != "hop_limit_eff" else f[col].mask(unread)
        f[source] = np.where(unread, "unknown", f[source])
    f["_defaults_read"] = defaults_read
    f["_image_known"] = image_known
    f["_ssm_image"] = ssm_image
    return f


# Why a source got its verdict, as a code: the catalogues hold the words (``reason.code.<code>``),
# filled from the source's own columns (what it is, which layer decided, the API that was not read).
REASONS = {
    "template_missing": None,                 # EC2: no such template: the group cannot launch
    "version_missing": None,                  # EC2: no such version of the template: cannot launch
    "configuration_missing": None,            # Auto Scaling: no such launch configuration: cannot launch
    "template_not_read": API_TEMPLATES,       # no version resolved: the template itself was not read
    "record_not_read": None,                  # the version / configuration named was not read (its API below)
    "endpoint_disabled": None,
    "tokens_required": None,
    "imdsv1_allowed": None,
    "defaults_not_read": API_DEFAULTS,        # HttpTokens unset, the account defaults unread
    "ami_from_ssm": API_PARAMETERS,           # HttpTokens unset, the SSM parameter naming the AMI unread
    "image_missing": None,                    # HttpTokens unset, and the AMI does not exist: cannot launch
    "ami_not_read": API_IMAGES,               # HttpTokens unset, the AMI's ImdsSupport unread
    "endpoint_defaults_not_read": API_DEFAULTS,  # HttpEndpoint unset, the account defaults unread
}


def source_status(f: pd.DataFrame) -> pd.DataFrame:
    """Judge each source: compliant, non_compliant or unknown, with the reason as a code."""
    tokens = f["http_tokens_eff"].astype("string")
    endpoint = f["http_endpoint_eff"].astype("string")
    found = f["_found"]
    lt = f["source_kind"].eq("launch_template")
    unresolved = lt & f["version_resolved"].isna()
    tokens_unknown = f["tokens_from"].eq("unknown")
    rules = [
        # (condition, status, reason code), first match wins
        (f["_template_missing"], "unknown", "template_missing"),      # nothing to judge: it does not exist
        (f["_version_missing"], "unknown", "version_missing"),
        (f["_lc_missing"], "unknown", "configuration_missing"),
        (~found & unresolved, "unknown", "template_not_read"),        # the template itself was not read
        (~found, "unknown", "record_not_read"),                       # its version / configuration was not
        (endpoint.eq("disabled").fillna(False), "compliant", "endpoint_disabled"),  # nothing to read
        (tokens.eq("required").fillna(False), "compliant", "tokens_required"),  # token-less calls refused
        (tokens.eq("optional").fillna(False) & endpoint.eq("enabled").fillna(False),
         "non_compliant", "imdsv1_allowed"),                          # IMDSv1 open
        (tokens_unknown & ~f["_defaults_read"], "unknown", "defaults_not_read"),
        (tokens_unknown & f["_image_missing"], "unknown", "image_missing"),  # no such AMI: cannot launch
        (tokens_unknown & f["_ssm_image"], "unknown", "ami_from_ssm"),
        (tokens_unknown, "unknown", "ami_not_read"),
    ]
    conds = [c.to_numpy(dtype=bool) for c, _, _ in rules]
    f["status"] = np.select(conds, [s for _, s, _ in rules], default="unknown")
    f["reason_code"] = np.select(conds, [r for _, _, r in rules], default="endpoint_defaults_not_read")
    unread_api = np.where(lt, API_VERSIONS, API_CONFIGURATIONS)
    f["reason_api"] = pd.Series(f["reason_code"].map(REASONS), index=f.index, dtype="string").mask(
        f["reason_code"].eq("record_not_read"), pd.Series(unread_api, index=f.index))
    # A group cannot launch from a source that does not exist or names an AMI that does not, nor where
    # the account enforces IMDSv2 (HttpTokensEnforced, possibly by a declarative policy) while the
    # source still resolves to tokens optional: an availability finding, not only a security one.
    enforced = f["http_tokens_enforced"].eq("enabled").fillna(False).astype(bool) & tokens.eq("optional").fillna(False)
    failures = [f["_template_missing"], f["_version_missing"], f["_lc_missing"], f["_image_missing"], enforced]
    f["launch_failure"] = np.any([c.to_numpy(dtype=bool) for c in failures], axis=0)
    f["launch_failure_code"] = pd.Series(np.select([c.to_numpy(dtype=bool) for c in failures], LAUNCH_FAILURES,
                                                   default=None), index=f.index, dtype="string")
    return f


def resolve_sources(snapshot) -> pd.DataFrame:
    """One row per (group, launch source) with effective settings and status (SOURCE_COLUMNS)."""
    calls = snapshot.calls
    sources = resolve_versions(snapshot["launch_sources"], snapshot["launch_templates"])
    frame = declared_settings(sources, snapshot["launch_template_versions"],
                              snapshot["launch_configurations"])
    frame = missing_records(frame, snapshot)
    frame = resolve_images(frame, snapshot.tables.get("ssm_parameters"))
    frame = effective_settings(frame, snapshot["metadata_defaults"], snapshot["images"], calls,
                               snapshot.tables.get("missing_images"))
    frame = source_status(frame)
    frame["declared_http_tokens"] = frame["http_tokens"]
    out = frame.drop(columns=["http_tokens", "http_endpoint", "hop_limit"]).rename(columns={
        "http_tokens_eff": "http_tokens", "http_endpoint_eff": "http_endpoint",
        "hop_limit_eff": "hop_limit"})
    out["resolved_image_id"] = out["_ami"].astype("string")
    out["ssm_outcome"] = out["_ssm_outcome"]
    extra = ["d_tokens", "d_endpoint", "d_hop", "http_tokens_enforced", "managed_by", "imds_support"]
    out = out.reindex(columns=SOURCE_COLUMNS + extra).rename(columns={"d_tokens": "default_http_tokens"})
    for col in ["http_tokens", "http_endpoint", "status", "reason_code", "reason_api", "tokens_from",
                "endpoint_from", "hop_from"]:
        out[col] = out[col].astype("string")
    return out.sort_values(["account_id", "region", "asg_name", "position"], kind="stable",
                           ignore_index=True)


def group_status(groups: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """A group is non_compliant if any source allows IMDSv1, else unknown if any source is unknown,
    else compliant. A group with no launch source recorded is unknown (``no_source``).

    The worst source's reason is the group's: ``reason_code`` and ``reason_position`` (which source)."""
    s = sources.assign(_rank=sources["status"].map(STATUS_RANK).astype(int))
    # the worst source decides, the first of equals in source order (others are in sources)
    worst = s.sort_values("_rank", ascending=False, kind="stable").drop_duplicates(GROUP)
    s = s.assign(_opt=s["http_tokens"].eq("optional").fillna(False),
                 _tok_known=s["http_tokens"].notna(),
                 _ena=s["http_endpoint"].eq("enabled").fillna(False),
                 _end_known=s["http_endpoint"].notna())
    per = s.groupby(GROUP, sort=False).agg(
        _n=("status", "size"), _opt=("_opt", "any"), _tok_known=("_tok_known", "all"),
        _ena=("_ena", "any"), _end_known=("_end_known", "all"), hop_limit=("hop_limit", "max"),
    ).reset_index()
    # Across several sources: IMDSv1 is open if any source leaves it open.
    per["effective_http_tokens"] = pd.Series(np.select(
        [per["_opt"].to_numpy(bool), per["_tok_known"].to_numpy(bool)], ["optional", "required"],
        default=None), dtype="string")
    per["http_endpoint"] = pd.Series(np.select(
        [per["_ena"].to_numpy(bool), per["_end_known"].to_numpy(bool)], ["enabled", "disabled"],
        default=None), dtype="string")
    per = per.drop(columns=["_opt", "_tok_known", "_ena", "_end_known"])
    decided = worst[GROUP + ["status", "reason_code", "position"]].rename(columns={"position": "reason_position"})
    per = per.merge(decided, on=GROUP, how="left")
    out = groups.merge(per, on=GROUP, how="left")
    no_source = out["_n"].isna()
    out["status"] = out["status"].astype("string").mask(no_source, "unknown")
    out["reason_code"] = out["reason_code"].astype("string").mask(no_source, "no_source")
    out["reason_position"] = out["reason_position"].astype("string")
    out["launch_kind"] = out["launch_kind"].astype("string")
    return out.drop(columns=["_n"])
