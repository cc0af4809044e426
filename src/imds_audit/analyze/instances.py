"""Running instances per group: drift (an instance refresh is owed) and readiness (IMDSv1 still called).

What was not read is never zero: an instance Auto Scaling lists for a group (``asg_instances``) but
that DescribeInstances did not describe has unknown settings, and an instance whose IMDSv1 usage did
not come back Complete has unknown usage. Then the figures that depend on them are unknown (NA), and
``instances_reason_code`` says why (``instances.<code>`` in the catalogues).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from imds_audit.model import GROUP, REGION, api_read

API_USAGE = "GetMetricData"
LIVE_STATES = ("pending", "running", "stopping", "stopped")
# Auto Scaling's lifecycle states of an instance that is gone or going: not counted.
GONE = ("Terminating", "Terminating:Wait", "Terminating:Proceed", "Terminated")


def instance_state(instances: pd.DataFrame, sources: pd.DataFrame, usage: pd.DataFrame) -> pd.DataFrame:
    """Per described instance: does it allow IMDSv1 itself, was it launched from what the group now
    uses, and how many IMDSv1 calls it made in the window (NA unless the usage came back Complete)."""
    live = instances[instances["state"].isin(LIVE_STATES) | instances["state"].isna()].copy()
    # An instance's own MetadataOptions decide for it: the template only applies at launch.
    live["allows_imdsv1"] = (live["http_tokens"].eq("optional").fillna(False)
                             & ~live["http_endpoint"].eq("disabled").fillna(False))
    current = sources[sources["position"].isin(["single", "base"])][
        GROUP + ["source_kind", "launch_template_id", "version_resolved",
                 "launch_configuration_name"]].drop_duplicates(GROUP)
    current = current.rename(columns={"launch_template_id": "_lt", "version_resolved": "_ver",
                                      "launch_configuration_name": "_lc"})
    live = live.merge(current, on=GROUP, how="left")
    ver = pd.to_numeric(live["launch_template_version"], errors="coerce")
    by_template = live["launch_template_id"].notna()
    mixed = sources.assign(_mixed=sources["position"].str.startswith("override").fillna(False)).groupby(
        GROUP, as_index=False)["_mixed"].any()
    live = live.merge(mixed, on=GROUP, how="left")
    # An instance launched from another template version (or another source) than the group's current
    # one keeps its old settings until it is replaced. Overrides of a mixed policy may legitimately
    # launch from other templates, so only a version change of the same template counts there.
    outdated_lt = by_template & (live["launch_template_id"].ne(live["_lt"]).fillna(True)
                                 | ver.ne(live["_ver"].astype("Float64")).fillna(True))
    outdated_lt &= ~(live["_mixed"].fillna(False) & live["launch_template_id"].ne(live["_lt"]).fillna(False))
    outdated_lc = ~by_template & live["launch_configuration_name"].ne(live["_lc"]).fillna(True)
    # What the group launches now must be known to tell an instance is behind it: the template's
    # version was not resolved (the template was not read) → unknown, never "outdated".
    current_unknown = live["_lc"].isna() & live["_ver"].isna()
    live["outdated"] = pd.array((outdated_lt | outdated_lc).to_numpy(bool), dtype="boolean")
    live.loc[current_unknown.to_numpy(bool), "outdated"] = pd.NA
    return live.merge(usage_per_instance(usage), on=REGION + ["instance_id"], how="left")


def usage_per_instance(usage: pd.DataFrame) -> pd.DataFrame:
    """metadata_no_token per instance, NA unless CloudWatch answered Complete (``status``; a row of a
    snapshot older than schema 3 has no status: then a row with a value was complete)."""
    status = usage["status"] if "status" in usage.columns else pd.Series(pd.NA, index=usage.index, dtype="string")
    complete = (status.eq("Complete").fillna(False) | status.isna()) & usage["metadata_no_token"].notna()
    frame = usage.assign(_complete=complete, metadata_no_token=usage["metadata_no_token"].where(complete))
    per = frame.groupby(REGION + ["instance_id"], as_index=False).agg(
        metadata_no_token=("metadata_no_token", "sum"), _complete=("_complete", "all"))
    per["metadata_no_token"] = per["metadata_no_token"].astype("Float64").where(per["_complete"], pd.NA)
    return per.rename(columns={"_complete": "usage_complete"})


def listed_instances(asg_instances: pd.DataFrame | None, live: pd.DataFrame) -> pd.DataFrame:
    """The instances each group has: Auto Scaling's own list (schema 3), with ``described`` saying
    whether DescribeInstances described it; before schema 3, the described ones only."""
    described = live[GROUP + ["instance_id"]].drop_duplicates().assign(described=True)
    if asg_instances is None or asg_instances.empty:
        return described
    listed = asg_instances[~asg_instances["lifecycle_state"].isin(GONE).fillna(False)][GROUP + ["instance_id"]]
    out = pd.concat([listed, described[GROUP + ["instance_id"]]], ignore_index=True).drop_duplicates()
    out = out.merge(described, on=GROUP + ["instance_id"], how="left")
    out["described"] = out["described"].astype("boolean").fillna(False).astype(bool)
    return out


def per_group(live: pd.DataFrame, listed: pd.DataFrame) -> pd.DataFrame:
    """Counts per group: instances (every listed one), the described ones allowing IMDSv1 or
    outdated, IMDSv1 calls where known, and the instance ids still calling IMDSv1."""
    calling = live[live["metadata_no_token"].fillna(0) > 0]
    callers = calling.sort_values("metadata_no_token", ascending=False).groupby(GROUP)["instance_id"].agg(
        " ".join).rename("imdsv1_callers")
    described = live.assign(_usage_known=live["usage_complete"].astype("boolean").fillna(False).astype(bool),
                            _outdated_unknown=live["outdated"].isna(),
                            _outdated=live["outdated"].fillna(False).astype(bool))
    agg = described.groupby(GROUP).agg(
        instances_allowing_imdsv1=("allows_imdsv1", "sum"), instances_outdated=("_outdated", "sum"),
        imdsv1_calls=("metadata_no_token", "sum"), _usage_known=("_usage_known", "all"),
        _outdated_unknown=("_outdated_unknown", "any"),
    ).join(callers)
    counted = listed.assign(_unread=~listed["described"]).groupby(GROUP).agg(
        instances=("instance_id", "size"), _unread=("_unread", "sum"))
    return counted.join(agg, how="left").reset_index()


def attach(groups: pd.DataFrame, live: pd.DataFrame, calls: pd.DataFrame,
           asg_instances: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add instance counts, drift and readiness to the group findings (unknown where not read)."""
    counts = per_group(live, listed_instances(asg_instances, live))
    out = groups.merge(counts, on=GROUP, how="left")
    out["instances"] = out["instances"].fillna(0).astype(int)
    unread = out["_unread"].fillna(0).astype(int).gt(0)
    # instances listed but not described (DescribeInstances failed or left them out): their settings are
    # unknown, and so is what depends on them
    no_instances = out["instances"].eq(0)
    outdated_unknown = out["_outdated_unknown"].astype("boolean").fillna(False).astype(bool)
    for col, unknown in (("instances_allowing_imdsv1", unread), ("instances_outdated", unread | outdated_unknown)):
        known = pd.Series(out[col].fillna(0).astype(int).to_numpy(), index=out.index, dtype="Int64")
        out[col] = known.where(~unknown, pd.NA)
    usage_read = api_read(calls, API_USAGE, out)
    every_usage = out["_usage_known"].astype("boolean").fillna(False).astype(bool)
    usage_known = usage_read & (no_instances | every_usage) & ~unread
    calls_known = out["imdsv1_calls"].astype("Float64").fillna(0.0)
    out["imdsv1_calls"] = calls_known.where(usage_known, pd.NA)
    out["imdsv1_callers"] = out["imdsv1_callers"].astype("string").fillna("")
    # Drift: running instances still allow IMDSv1 or run an older launch source: a refresh is owed.
    seen = out["instances_allowing_imdsv1"].fillna(0).gt(0) | out["instances_outdated"].fillna(0).gt(0)
    out["drift"] = pd.array(np.where(seen, True, np.where(unread | outdated_unknown, None, False)), dtype="boolean")
    # Readiness: IMDSv1 calls in the window mean enforcing now would break those callers; calls seen
    # on some instances block even when others' usage is unknown.
    some_calls = out["imdsv1_callers"].ne("") | calls_known.gt(0).to_numpy(bool) & usage_known
    out["readiness"] = np.select([some_calls.to_numpy(bool), usage_known.to_numpy(bool)], ["blocked", "ready"],
                                 default="unknown")
    out["instances_reason_code"] = pd.Series(np.select(
        [unread.to_numpy(bool), ~usage_known.to_numpy(bool)],
        ["instances_not_read", "usage_not_read"], default=None), index=out.index,
        dtype="string")
    return out.drop(columns=["_unread", "_usage_known", "_outdated_unknown"])
