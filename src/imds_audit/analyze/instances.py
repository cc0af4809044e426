"""Running instances per group: drift (an instance refresh is owed) and readiness (IMDSv1 still called)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from imds_audit.model import REGION, api_read

API_USAGE = "GetMetricData"
LIVE_STATES = ("pending", "running", "stopping", "stopped")


def instance_state(instances: pd.DataFrame, sources: pd.DataFrame, usage: pd.DataFrame) -> pd.DataFrame:
    """Per instance: does it allow IMDSv1 itself, was it launched from what the group now uses, and
    how many IMDSv1 calls it made in the window."""
    live = instances[instances["state"].isin(LIVE_STATES) | instances["state"].isna()].copy()
    # An instance's own MetadataOptions decide for it: the template only applies at launch.
    live["allows_imdsv1"] = (live["http_tokens"].eq("optional").fillna(False)
                             & ~live["http_endpoint"].eq("disabled").fillna(False))
    current = sources[sources["position"].isin(["single", "base"])][
        REGION + ["asg_name", "source_kind", "launch_template_id", "version_resolved",
               "launch_configuration_name"]].drop_duplicates(REGION + ["asg_name"])
    current = current.rename(columns={"launch_template_id": "_lt", "version_resolved": "_ver",
                                      "launch_configuration_name": "_lc"})
    live = live.merge(current, on=REGION + ["asg_name"], how="left")
    ver = pd.to_numeric(live["launch_template_version"], errors="coerce")
    by_template = live["launch_template_id"].notna()
    mixed = sources.assign(_mixed=sources["position"].str.startswith("override").fillna(False)).groupby(
        REGION + ["asg_name"], as_index=False)["_mixed"].any()
    live = live.merge(mixed, on=REGION + ["asg_name"], how="left")
    # An instance launched from another template version (or another source) than the group's current
    # one keeps its old settings until it is replaced. Overrides of a mixed policy may legitimately
    # launch from other templates, so only a version change of the same template counts there.
    outdated_lt = by_template & (live["launch_template_id"].ne(live["_lt"]).fillna(True)
                                 | ver.ne(live["_ver"].astype("Float64")).fillna(True))
    outdated_lt &= ~(live["_mixed"].fillna(False) & live["launch_template_id"].ne(live["_lt"]).fillna(False))
    outdated_lc = ~by_template & live["launch_configuration_name"].ne(live["_lc"]).fillna(True)
    live["outdated"] = (outdated_lt | outdated_lc).astype(bool)
    calls = usage.groupby(REGION + ["instance_id"], as_index=False)["metadata_no_token"].sum()
    live = live.merge(calls, on=REGION + ["instance_id"], how="left")
    return live


def per_group(live: pd.DataFrame, calls: pd.DataFrame) -> pd.DataFrame:
    """Counts per group: instances, instances_allowing_imdsv1, instances_outdated, imdsv1_calls and
    the instance ids still calling IMDSv1."""
    calling = live[live["metadata_no_token"].fillna(0) > 0]
    callers = calling.sort_values("metadata_no_token", ascending=False).groupby(
        REGION + ["asg_name"])["instance_id"].agg(" ".join).rename("imdsv1_callers")
    agg = live.groupby(REGION + ["asg_name"]).agg(
        instances=("instance_id", "size"),
        instances_allowing_imdsv1=("allows_imdsv1", "sum"),
        instances_outdated=("outdated", "sum"),
        imdsv1_calls=("metadata_no_token", "sum"),
    ).join(callers).reset_index()
    return agg


def attach(groups: pd.DataFrame, live: pd.DataFrame, calls: pd.DataFrame) -> pd.DataFrame:
    """Add instance counts, drift and readiness to the group findings."""
    counts = per_group(live, calls)
    out = groups.merge(counts, on=REGION + ["asg_name"], how="left")
    for col in ["instances", "instances_allowing_imdsv1", "instances_outdated"]:
        out[col] = out[col].fillna(0).astype(int)
    read = api_read(calls, API_USAGE, out)
    out["imdsv1_calls"] = out["imdsv1_calls"].astype("Float64").where(read, pd.NA).fillna(
        pd.Series(np.where(read, 0.0, np.nan), index=out.index).astype("Float64"))
    out["imdsv1_callers"] = out["imdsv1_callers"].astype("string").fillna("")
    # Drift: running instances still allow IMDSv1 or run an older launch source: a refresh is owed.
    out["drift"] = (out["instances_allowing_imdsv1"] > 0) | (out["instances_outdated"] > 0)
    # Readiness: IMDSv1 calls in the window mean enforcing now would break those callers.
    out["readiness"] = np.select(
        [out["imdsv1_calls"].fillna(0).to_numpy(float) > 0, read.to_numpy(bool)],
        ["blocked", "ready"], default="unknown")
    out.loc[out["instances"].eq(0) & ~read, "readiness"] = "unknown"
    return out
