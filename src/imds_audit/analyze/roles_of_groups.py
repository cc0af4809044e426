"""Which IAM roles a group's instances carry: launch source → instance profile → role.

``group_roles`` gives each group the role of its base (or single) source: the role findings.csv names.
``role_pairs`` gives every (group, role) pair through which a role's credentials can be read, because
under a mixed instances policy an override may name a template with another instance profile, and a
running instance carries the profile it was launched with: the role ranking is built from these pairs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from imds_audit.model import GROUP

PAIR = GROUP + ["iam_role"]


def _lookup(profiles: pd.DataFrame) -> pd.DataFrame:
    """account_id, iam_instance_profile (ARN or name), iam_role, iam_role_arn."""
    cols = {"role_name": "iam_role", "role_arn": "iam_role_arn"}
    by_arn = profiles[["account_id", "instance_profile_arn", "role_name", "role_arn"]].rename(
        columns={"instance_profile_arn": "iam_instance_profile", **cols})
    by_name = profiles[["account_id", "instance_profile_name", "role_name", "role_arn"]].rename(
        columns={"instance_profile_name": "iam_instance_profile", **cols})
    return pd.concat([by_arn, by_name], ignore_index=True).drop_duplicates(
        ["account_id", "iam_instance_profile"])


def source_roles(sources: pd.DataFrame, profiles: pd.DataFrame) -> pd.DataFrame:
    """Each launch source with the role behind the instance profile it names.

    A launch template may name the profile by ARN or by name, a launch configuration by either too,
    so both are matched."""
    cols = GROUP + ["position", "launch_template_id", "iam_instance_profile", "status"]
    return sources[cols].merge(_lookup(profiles), on=["account_id", "iam_instance_profile"], how="left")


def group_roles(sources: pd.DataFrame, profiles: pd.DataFrame) -> pd.DataFrame:
    """account_id, region, asg_name, iam_instance_profile, iam_role, iam_role_arn for each group:
    the base (or single) source names the profile."""
    roles = source_roles(sources, profiles)
    base = roles[roles["position"].isin(["single", "base"])].drop_duplicates(GROUP)
    return base[GROUP + ["iam_instance_profile", "iam_role", "iam_role_arn"]].reset_index(drop=True)


def _instance_roles(live: pd.DataFrame, roles: pd.DataFrame, base: pd.DataFrame,
                    profiles: pd.DataFrame) -> pd.DataFrame:
    """Each running instance's role: the profile it carries; where the instance does not say (moto
    never does), the role of the group's source it was launched from; else the group's base role."""
    cols = GROUP + ["instance_id", "launch_template_id", "iam_instance_profile_arn", "allows_imdsv1",
                    "metadata_no_token"]
    inst = live[[c for c in cols if c in live.columns]].copy()
    lookup = _lookup(profiles)
    own = inst.merge(lookup.rename(columns={"iam_instance_profile": "iam_instance_profile_arn"}),
                     on=["account_id", "iam_instance_profile_arn"], how="left")
    by_source = roles[roles["launch_template_id"].notna()].drop_duplicates(GROUP + ["launch_template_id"])[
        GROUP + ["launch_template_id", "iam_role", "iam_role_arn"]]
    launched = inst.merge(by_source, on=GROUP + ["launch_template_id"], how="left")
    fallback = inst.merge(base[GROUP + ["iam_role", "iam_role_arn"]], on=GROUP, how="left")
    for col in ("iam_role", "iam_role_arn"):
        inst[col] = (own[col].astype("string").fillna(launched[col].astype("string"))
                     .fillna(fallback[col].astype("string")).to_numpy())
    return inst


def role_pairs(groups: pd.DataFrame, sources: pd.DataFrame, profiles: pd.DataFrame,
               live: pd.DataFrame) -> pd.DataFrame:
    """One row per (group, role): account_id, region, asg_name, iam_role, iam_role_arn, status,
    instances_allowing_imdsv1, imdsv1_calls -- the columns role_risk.rank_roles reads.

    A pair is non_compliant when a source naming that role allows IMDSv1 (its launches expose the
    role), unknown when not and the group could not be assessed, else compliant; the instance figures
    count only the instances carrying that role. For a group with one source this is the group's row."""
    roles = source_roles(sources, profiles)
    base = group_roles(sources, profiles)
    named = roles[roles["iam_role"].notna()]
    by_pair = named.assign(_nc=named["status"].eq("non_compliant").fillna(False)).groupby(
        PAIR, as_index=False).agg(iam_role_arn=("iam_role_arn", "first"), _nc=("_nc", "any"))

    inst = _instance_roles(live, roles, base, profiles)
    inst = inst[inst["iam_role"].notna()]
    counts = inst.assign(allowing=inst["allows_imdsv1"].fillna(False).astype(int)).groupby(
        PAIR, as_index=False).agg(_arn=("iam_role_arn", "first"), instances_allowing_imdsv1=("allowing", "sum"),
                                  _calls=("metadata_no_token", "sum"))
    # (pandas cannot merge arrow-backed keys of two empty frames: the empty cases are spelled out)
    if groups.empty or (by_pair.empty and counts.empty):
        return _empty_pairs()
    if counts.empty:
        pairs = by_pair.assign(_arn=pd.NA, instances_allowing_imdsv1=0, _calls=np.nan)
    elif by_pair.empty:
        pairs = counts.assign(iam_role_arn=pd.NA, _nc=False)
    else:
        pairs = by_pair.merge(counts, on=PAIR, how="outer")
    pairs["iam_role_arn"] = pairs["iam_role_arn"].astype("string").fillna(pairs["_arn"].astype("string"))

    state = groups[GROUP + ["status", "imdsv1_calls", "instances_allowing_imdsv1"]].rename(
        columns={"status": "_group_status", "instances_allowing_imdsv1": "_group_allowing"})
    pairs = pairs.merge(state, on=GROUP, how="inner")
    nc = pairs["_nc"].astype("boolean").fillna(False).to_numpy(bool)
    unknown = pairs["_group_status"].eq("unknown").fillna(False).to_numpy(bool)
    pairs["status"] = pd.array(np.select([nc, unknown], ["non_compliant", "unknown"], "compliant"), dtype="string")
    # the group's running instances could not all be read: what its pairs expose through them is unknown
    pairs["instances_allowing_imdsv1"] = pairs["instances_allowing_imdsv1"].fillna(0).astype("Int64").where(
        pairs["_group_allowing"].notna(), pd.NA)
    # Usage not read for the group's region: the figure stays unknown, as on the group.
    read = pairs["imdsv1_calls"].notna()
    pairs["imdsv1_calls"] = pairs["_calls"].astype("Float64").fillna(0.0).where(read, pd.NA)
    return pairs[PAIR_COLUMNS].sort_values(PAIR, kind="stable", ignore_index=True)


PAIR_COLUMNS = GROUP + ["iam_role", "iam_role_arn", "status", "instances_allowing_imdsv1", "imdsv1_calls"]


def _empty_pairs() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="string") for c in PAIR_COLUMNS})
    return frame.astype({"instances_allowing_imdsv1": "Int64", "imdsv1_calls": "Float64"})


def other_roles(groups: pd.DataFrame, pairs: pd.DataFrame) -> pd.Series:
    """Per group, the roles of its pairs other than the base role (``iam_role``), "; "-joined in name
    order: empty for the usual group whose sources and instances all carry one role."""
    merged = pairs[PAIR].merge(groups[GROUP + ["iam_role"]].rename(columns={"iam_role": "_base"}),
                               on=GROUP, how="inner")
    others = merged[merged["iam_role"].ne(merged["_base"]).fillna(True)].sort_values(PAIR, kind="stable")
    joined = others.groupby(GROUP, sort=False)["iam_role"].agg("; ".join).rename("_others").reset_index()
    out = groups[GROUP].merge(joined, on=GROUP, how="left")
    return pd.Series(out["_others"].astype("string").fillna("").to_numpy(), index=groups.index, dtype="string")
