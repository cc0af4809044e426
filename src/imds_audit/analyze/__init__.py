"""snapshot → findings. Pure pandas: no AWS calls, no files, no presentation."""

from __future__ import annotations

import pandas as pd

from imds_audit.analyze import hop_limit, instances, owner, roles_of_groups, scope, verdict
from imds_audit.findings import Findings
from imds_audit.model import FINDING_COLUMNS, GROUP, REGION, SOURCE_COLUMNS, TIER_RANK, api_read

__all__ = ["analyze", "Findings", "FINDING_COLUMNS", "SOURCE_COLUMNS"]



def launch_failure(groups: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """Per group: can it launch at all? ``launch_failure`` when any source cannot launch (the verdict's
    per-source rule) and ``launch_failure_code``, the first such source's reason."""
    failing = sources[sources["launch_failure"].fillna(False).astype(bool)].drop_duplicates(GROUP)
    merged = groups[GROUP].merge(failing[GROUP + ["launch_failure_code"]].assign(_f=True), on=GROUP, how="left")
    return pd.DataFrame({"launch_failure": merged["_f"].fillna(False).astype(bool).to_numpy(),
                         "launch_failure_code": merged["launch_failure_code"].astype("string").to_numpy()},
                        index=groups.index)


def describe_source(groups: pd.DataFrame, sources: pd.DataFrame) -> pd.Series:
    """A short human label per group: what it launches from, as the group names it."""
    lt = (sources["launch_template_name"].fillna(sources["launch_template_id"]).fillna("?")
          + " (" + sources["launch_template_id"].fillna("?") + ") "
          + sources["version_requested"].fillna("$Default")
          + sources["version_resolved"].astype("string").map(lambda v: f"→v{v}", na_action="ignore")
          .fillna("→?"))
    label = lt.where(sources["source_kind"].eq("launch_template"),
                     "LC " + sources["launch_configuration_name"].fillna("?"))
    label = label.where(~sources["position"].str.startswith("override"), "override " + label)
    labelled = sources[GROUP].assign(_label=label)
    # Most groups have one source: only the others need a (slow, per-group Python) join.
    several = labelled.duplicated(GROUP, keep=False)
    joined = labelled[several].groupby(GROUP, sort=False)["_label"].agg("; ".join).reset_index()
    labelled = pd.concat([labelled[~several], joined], ignore_index=True)
    merged = groups[GROUP].merge(labelled, on=GROUP, how="left")
    return pd.Series(merged["_label"].fillna("none").to_numpy(), index=groups.index, dtype="string")


def _worst_tier(groups: pd.DataFrame, pairs: pd.DataFrame, privileges: pd.DataFrame) -> pd.Series:
    """A group's risk tier is its base role's, raised to the worst role the group exposes or may
    expose: an override (or a running instance) that allows IMDSv1, or whose verdict is unknown, with a
    more privileged role than the base's. (Unknown is not "safe": the worst known role counts.)"""
    exposed = pairs[pairs["status"].isin(["non_compliant", "unknown"]).fillna(False)
                    | pairs["instances_allowing_imdsv1"].fillna(0).gt(0)]
    ranked = exposed.merge(privileges[["account_id", "role_name", "privilege_tier", "tier_rank"]].rename(
        columns={"role_name": "iam_role"}), on=["account_id", "iam_role"], how="inner")
    worst = ranked.sort_values("tier_rank", ascending=False, kind="stable").drop_duplicates(
        GROUP)[REGION + ["asg_name", "privilege_tier", "tier_rank"]]
    merged = groups[REGION + ["asg_name", "risk_tier"]].merge(worst, on=GROUP, how="left")
    own = merged["risk_tier"].map(TIER_RANK).astype("Float64")  # unknown / no_role: no rank
    higher = merged["tier_rank"].astype("Float64").gt(own.fillna(-1)).fillna(False).astype(bool)
    # an unknown tier (the base role's policies not read) stays unknown: another role does not settle it
    higher &= merged["risk_tier"].ne("unknown").to_numpy(bool)
    tier = merged["risk_tier"].astype("string").where(~higher, merged["privilege_tier"].astype("string"))
    return pd.Series(tier.to_numpy(), index=groups.index, dtype="string")


def not_assessed(snapshot) -> pd.DataFrame:
    calls = snapshot.calls
    return calls[calls["outcome"] != "ok"].reset_index(drop=True)


def analyze(snapshot) -> Findings:
    """All findings of a snapshot, as codes and facts (the words are the catalogues')."""
    from imds_audit.analyze import privilege, role_risk

    calls = snapshot.calls
    sources = verdict.resolve_sources(snapshot)
    sources[["template_stack", "template_logical_id"]] = owner.template_owners(sources, snapshot["launch_templates"])
    groups = verdict.group_status(snapshot["auto_scaling_groups"], sources)
    groups["launch_source"] = describe_source(groups, sources)
    groups = groups.merge(roles_of_groups.group_roles(sources, snapshot["instance_profiles"]),
                          on=GROUP, how="left")
    live = instances.instance_state(snapshot["instances"], sources, snapshot["imdsv1_usage"])
    groups = instances.attach(groups, live, calls, snapshot.tables.get("asg_instances"))
    containers = hop_limit.container_nodes(groups, snapshot["role_policies"], snapshot["images"], sources)
    groups["hop_limit_flag"] = hop_limit.hop_limit_flag(groups["hop_limit"], containers)
    groups[["launch_failure", "launch_failure_code"]] = launch_failure(groups, sources)
    groups[owner.OWNER_COLUMNS] = owner.owners(groups, sources, snapshot.tables.get("eks_nodegroups"))

    privileges = privilege.classify_roles(snapshot["role_policies"])
    # Every role a group's sources or running instances carry (an override may name another profile).
    pairs = roles_of_groups.role_pairs(groups, sources, snapshot["instance_profiles"], live)
    roles = role_risk.rank_roles(pairs, privileges)
    tiers = privileges[["account_id", "role_name", "privilege_tier"]].rename(
        columns={"role_name": "iam_role", "privilege_tier": "risk_tier"})
    groups = groups.merge(tiers, on=["account_id", "iam_role"], how="left")
    # A role whose policies were not read has an unknown tier. No role behind the profile exposes no
    # credentials, but only if IAM was read in that account; otherwise the role is unknown.
    iam_read = api_read(calls, "GetAccountAuthorizationDetails", groups, key=["account_id"])
    no_profile = groups["iam_instance_profile"].isna()
    # ... and only if the record that would name the profile was read: a group whose template version
    # was not read (or does not exist) has an unknown role, not none
    base = sources[sources["position"].isin(["single", "base"])].drop_duplicates(GROUP)
    record = groups[GROUP].merge(base[GROUP + ["reason_code"]], on=GROUP, how="left")["reason_code"]
    profile_known = ~record.isin(verdict.NO_RECORD).to_numpy(bool) & record.notna().to_numpy(bool)
    groups["risk_tier"] = groups["risk_tier"].astype("string").fillna("unknown").mask(
        groups["iam_role"].isna() & (iam_read | no_profile) & profile_known, "no_role")
    groups["risk_tier"] = _worst_tier(groups, pairs, privileges)
    groups["other_iam_roles"] = roles_of_groups.other_roles(groups, pairs)
    # the reasons in words are the catalogues' (pipeline.reasons); the analysis gives their codes
    groups = groups.reindex(columns=FINDING_COLUMNS).sort_values(
        ["account_id", "region", "asg_name"], kind="stable", ignore_index=True)
    return Findings(groups=groups, sources=sources, roles=roles, not_assessed=not_assessed(snapshot),
                    window_days=int(snapshot.settings.get("usage_window_days", 14)),
                    scope=scope.scope(calls, groups))
