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


def effective_settings(frame: pd.DataFrame, defaults: pd.DataFrame, images: pd.DataFrame,
                       calls: pd.DataFrame) -> pd.DataFrame:
    """Resolve HttpTokens, HttpEndpoint and the hop limit field by field, in AWS's order of precedence.

    1. the launch template version / launch configuration; 2. the region's account-level default;
    3. the AMI (ImdsSupport v2.0 means tokens required and hop limit 2); 4. the API defaults
    (endpoint enabled, tokens optional, hop limit 1). ``*_from`` names the layer that decided, or
    ``unknown`` when a layer that had to be consulted could not be read.
    """
    f = frame.merge(
        defaults.rename(columns={"http_tokens": "d_tokens", "http_endpoint": "d_endpoint",
                                 "hop_limit": "d_hop"}),
        on=REGION, how="left")
    defaults_read = api_read(calls, API_DEFAULTS, f)
    img = images[REGION + ["image_id", "imds_support"]].drop_duplicates(REGION + ["image_id"])
    f = f.merge(img.assign(_img_found=True), on=REGION + ["image_id"], how="left")
    # An AMI given as an SSM parameter is resolved only at launch: its ImdsSupport cannot be known now.
    ssm_image = f["image_id"].str.startswith("resolve:ssm:", na=False)
    image_known = f["_img_found"].astype("boolean").fillna(False).astype(bool) & ~ssm_image
    ami_v2 = image_known & f["imds_support"].eq("v2.0").fillna(False).astype(bool)

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
    f["_defaults_read"] = defaults_read
    f["_image_known"] = image_known
    f["_ssm_image"] = ssm_image
    return f


# Why a source got its verdict, as a code: the catalogues hold the words (``reason.code.<code>``),
# filled from the source's own columns (what it is, which layer decided, the API that was not read).
REASONS = {
    "template_not_read": API_TEMPLATES,       # no version resolved: the template itself was not read
    "record_not_read": None,                  # the version / configuration named was not read (its API below)
    "endpoint_disabled": None,
    "tokens_required": None,
    "imdsv1_allowed": None,
    "defaults_not_read": API_DEFAULTS,        # HttpTokens unset, the account defaults unread
    "ami_from_ssm": None,                     # HttpTokens unset, the AMI resolved from SSM at launch
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
        (~found & unresolved, "unknown", "template_not_read"),        # the template itself was not read
        (~found, "unknown", "record_not_read"),                       # its version / configuration was not
        (endpoint.eq("disabled").fillna(False), "compliant", "endpoint_disabled"),  # nothing to read
        (tokens.eq("required").fillna(False), "compliant", "tokens_required"),  # token-less calls refused
        (tokens.eq("optional").fillna(False) & endpoint.eq("enabled").fillna(False),
         "non_compliant", "imdsv1_allowed"),                          # IMDSv1 open
        (tokens_unknown & ~f["_defaults_read"], "unknown", "defaults_not_read"),
        (tokens_unknown & f["_ssm_image"], "unknown", "ami_from_ssm"),
        (tokens_unknown, "unknown", "ami_not_read"),
    ]
    conds = [c.to_numpy(dtype=bool) for c, _, _ in rules]
    f["status"] = np.select(conds, [s for _, s, _ in rules], default="unknown")
    f["reason_code"] = np.select(conds, [r for _, _, r in rules], default="endpoint_defaults_not_read")
    unread_api = np.where(lt, API_VERSIONS, API_CONFIGURATIONS)
    f["reason_api"] = pd.Series(f["reason_code"].map(REASONS), index=f.index, dtype="string").mask(
        f["reason_code"].eq("record_not_read"), pd.Series(unread_api, index=f.index))
    return f


def resolve_sources(snapshot) -> pd.DataFrame:
    """One row per (group, launch source) with effective settings and status (SOURCE_COLUMNS)."""
    calls = snapshot.calls
    sources = resolve_versions(snapshot["launch_sources"], snapshot["launch_templates"])
    frame = declared_settings(sources, snapshot["launch_template_versions"],
                              snapshot["launch_configurations"])
    frame = effective_settings(frame, snapshot["metadata_defaults"], snapshot["images"], calls)
    frame = source_status(frame)
    frame["declared_http_tokens"] = frame["http_tokens"]
    out = frame.drop(columns=["http_tokens", "http_endpoint", "hop_limit"]).rename(columns={
        "http_tokens_eff": "http_tokens", "http_endpoint_eff": "http_endpoint",
        "hop_limit_eff": "hop_limit"})
    extra = ["d_tokens", "d_endpoint", "d_hop", "http_tokens_enforced", "managed_by", "imds_support"]
    out = out[SOURCE_COLUMNS + extra].rename(columns={"d_tokens": "default_http_tokens"})
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
