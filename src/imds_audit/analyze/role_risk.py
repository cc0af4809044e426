"""Risk per IAM role: exposure × privilege (DESIGN.md §5). This is ``roles.csv``.

``rank_roles(groups, privileges, window_days=14)`` → one row per role that any group uses.

The model (``RISK_MODEL``, printed in the report's methodology)::

    risk_score = exposure weight × privilege weight

    exposure   weight  when
    none         0     no group allows IMDSv1 and no running instance does
    latent       1     a group's launch source allows IMDSv1, but no running instance does yet
    exposed      3     running instances allow IMDSv1: the role's credentials are readable now
    active       5     ... and IMDSv1 was actually called in the window

    privilege              weight        privilege              weight
    admin                    10          data_access              5
    privilege_escalation      8          unknown (not read)       5
    credentials_exposure      7          write                    3
    resource_exposure         6          read_only                1
                                         none                     0

Ties are broken, in order, by: exposure weight, tier rank, running instances allowing IMDSv1,
IMDSv1 calls, exposed groups, then account and role name. ``risk_rank`` 1 is the worst.

A group "exposes" its role when it is non_compliant (a launch source allows IMDSv1); running instances
allowing IMDSv1 count wherever they are, compliant groups included (instances launched before the fix).
A role whose policies were not read has tier ``unknown``: it is weighted like data access, not as none.
"""

from __future__ import annotations

import pandas as pd

KEY = ["account_id", "role_name"]

RISK_MODEL: dict = {
    "formula": "risk_score = exposure_weight × privilege_weight",
    "exposure": [
        {"level": "none", "weight": 0,
         "en": "No group allows IMDSv1 and no running instance does",
         "ja": "IMDSv1 を許可するグループも稼働中インスタンスもない"},
        {"level": "latent", "weight": 1,
         "en": "A group's launch source allows IMDSv1, but no running instance does yet",
         "ja": "起動元の設定は IMDSv1 を許可しているが、稼働中のインスタンスはまだない"},
        {"level": "exposed", "weight": 3,
         "en": "Running instances allow IMDSv1: the role's credentials are readable now",
         "ja": "稼働中のインスタンスが IMDSv1 を許可しており、ロールの認証情報を今すぐ読み取れる"},
        {"level": "active", "weight": 5,
         "en": "Running instances allow IMDSv1 and IMDSv1 is being called",
         "ja": "稼働中のインスタンスが IMDSv1 を許可し、実際に呼び出されている"},
    ],
    "privilege": [
        {"tier": "admin", "weight": 10, "en": "Full control (* on *, or equivalent)",
         "ja": "全権限（* に対する *、または同等）"},
        {"tier": "privilege_escalation", "weight": 8, "en": "Can raise its own privileges",
         "ja": "自らの権限を昇格できる"},
        {"tier": "credentials_exposure", "weight": 7, "en": "Can obtain or mint credentials",
         "ja": "認証情報を取得・発行できる"},
        {"tier": "resource_exposure", "weight": 6, "en": "Can change permissions or resource policies",
         "ja": "権限やリソースポリシーを変更できる"},
        {"tier": "data_access", "weight": 5, "en": "Can read data (S3 objects, secrets, parameters, ...)",
         "ja": "データ（S3 オブジェクト、シークレット、パラメータなど）を読み取れる"},
        {"tier": "unknown", "weight": 5, "en": "Policies could not be read: assumed like data access",
         "ja": "ポリシーを取得できず不明（データ読み取りと同等とみなす）"},
        {"tier": "write", "weight": 3, "en": "Can modify resources", "ja": "リソースを変更できる"},
        {"tier": "read_only", "weight": 1, "en": "Can read configuration only", "ja": "設定の読み取りのみ"},
        {"tier": "none", "weight": 0, "en": "No permissions", "ja": "権限なし"},
    ],
    "tie_breakers": ["exposure_weight", "tier_rank", "exposed_instances", "imdsv1_calls", "exposed_groups",
                     "account_id", "role_name"],
}
EXPOSURE_WEIGHT = {row["level"]: row["weight"] for row in RISK_MODEL["exposure"]}
PRIVILEGE_WEIGHT = {row["tier"]: row["weight"] for row in RISK_MODEL["privilege"]}
UNKNOWN_RANK = -1  # tier_rank of a role whose policies were not read (not orderable against the tiers)

OUTPUT_COLUMNS = [
    "account_id", "role_name", "role_arn", "privilege_tier", "tier_rank", "exposed_groups",
    "exposed_group_names", "unknown_groups", "groups_total", "exposed_instances", "imdsv1_calls",
    "imdsv1_in_use", "exposure_level", "risk_score", "risk_rank", "reason_en", "reason_ja",
    # beyond the brief: what the report's role table shows next to the reason
    "policies", "notable_actions", "boundary",
]

# How many exposed group names a row lists before "(+N more)".
MAX_NAMES = 10


def rank_roles(groups: pd.DataFrame, privileges: pd.DataFrame, window_days: int = 14) -> pd.DataFrame:
    """One row per role any group uses (``OUTPUT_COLUMNS``), worst first."""
    g = groups[groups["iam_role"].notna()].reset_index(drop=True)
    if g.empty:
        return _empty()
    status = g["status"].astype("string").fillna("unknown")
    # A non_compliant group's launch source allows IMDSv1: every instance it launches exposes the role.
    exposed = status.eq("non_compliant").to_numpy()
    work = pd.DataFrame({
        "account_id": g["account_id"].astype("string").to_numpy(),
        "role_name": g["iam_role"].astype("string").to_numpy(),
        "group_arn": g["iam_role_arn"].astype("string").to_numpy(),
        "exposed": exposed,
        # unknown: a record the verdict needed could not be read.
        "unknown": status.eq("unknown").to_numpy(),
        "allowing": pd.to_numeric(g["instances_allowing_imdsv1"], errors="coerce").fillna(0).to_numpy(),
        "calls": pd.to_numeric(g["imdsv1_calls"], errors="coerce").astype("Float64").array,
    })
    by = work.groupby(KEY, sort=False)
    out = pd.DataFrame({
        "groups_total": by.size(),
        "exposed_groups": by["exposed"].sum(),
        "unknown_groups": by["unknown"].sum(),
        "exposed_instances": by["allowing"].sum(),
        # NA stays NA only when no group of the role has a known figure.
        "imdsv1_calls": by["calls"].sum(min_count=1),
        "group_arn": by["group_arn"].first(),
    }).reset_index()
    out["exposed_group_names"] = _names(g, exposed, out)

    privs = privileges[[c for c in ("account_id", "role_name", "role_arn", "privilege_tier", "tier_rank",
                                    "reason", "policies", "notable_actions", "tier_policies", "boundary",
                                    "boundary_limits")
                        if c in privileges.columns]]
    out = out.merge(privs, on=KEY, how="left")
    out["role_arn"] = out["role_arn"].astype("string").fillna(out["group_arn"].astype("string"))
    out["privilege_tier"] = out["privilege_tier"].astype("string").fillna("unknown")
    out["tier_rank"] = out["tier_rank"].fillna(UNKNOWN_RANK).astype("int64")

    calls = out["imdsv1_calls"].astype("Float64")
    out["imdsv1_in_use"] = calls.gt(0).fillna(False).astype(bool)
    has_exposed_groups = out["exposed_groups"].gt(0)
    has_instances = out["exposed_instances"].gt(0)
    # Worst applicable level wins: calls on an exposure > running instances > a launch source only.
    level = pd.Series("none", index=out.index, dtype="string")
    level = level.mask(has_exposed_groups, "latent")
    level = level.mask(has_instances, "exposed")
    level = level.mask(out["imdsv1_in_use"] & (has_exposed_groups | has_instances), "active")
    out["exposure_level"] = level

    exposure_w = out["exposure_level"].map(EXPOSURE_WEIGHT).astype("int64")
    privilege_w = out["privilege_tier"].map(PRIVILEGE_WEIGHT).fillna(PRIVILEGE_WEIGHT["unknown"]).astype("int64")
    out["risk_score"] = exposure_w * privilege_w
    out["_exposure_w"] = exposure_w
    out["_calls"] = calls.fillna(-1.0)
    out = out.sort_values(
        ["risk_score", "_exposure_w", "tier_rank", "exposed_instances", "_calls", "exposed_groups",
         "account_id", "role_name"],
        ascending=[False, False, False, False, False, False, True, True], kind="stable", ignore_index=True)
    out["risk_rank"] = range(1, len(out) + 1)

    records = out.to_dict("records")  # per role, not per group: a few thousand at most
    out["reason_en"] = [reason_en(r, window_days) for r in records]
    out["reason_ja"] = [reason_ja(r, window_days) for r in records]
    for col in ("policies", "notable_actions", "boundary"):
        if col not in out.columns:
            out[col] = pd.NA
    return _typed(out[OUTPUT_COLUMNS])


def _names(g: pd.DataFrame, exposed, out: pd.DataFrame) -> pd.Series:
    """'; '-joined 'region/asg_name' of each role's exposed groups, at most MAX_NAMES then '(+N more)'."""
    names = pd.DataFrame({
        "account_id": g["account_id"].astype("string").to_numpy()[exposed],
        "role_name": g["iam_role"].astype("string").to_numpy()[exposed],
        "name": (g["region"].astype("string") + "/" + g["asg_name"].astype("string")).to_numpy()[exposed],
    }).sort_values(KEY + ["name"], kind="stable")
    shown = names.groupby(KEY, sort=False).head(MAX_NAMES)
    # Joining in plain Python over at most MAX_NAMES rows a role: a groupby .agg(join) is ten times slower.
    lists: dict[tuple, list[str]] = {}
    pairs = zip(shown["account_id"].tolist(), shown["role_name"].tolist(), strict=True)
    for key, name in zip(pairs, shown["name"].tolist(), strict=True):
        lists.setdefault(key, []).append(name)
    keys = zip(out["account_id"].tolist(), out["role_name"].tolist(), strict=True)
    more = (out["exposed_groups"].to_numpy() - MAX_NAMES).tolist()
    return pd.Series(["; ".join(lists.get(k, [])) + (f" (+{m} more)" if m > 0 else "")
                      for k, m in zip(keys, more, strict=True)], index=out.index, dtype="string")


# --- plain-language reasons ----------------------------------------------------------------------

def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _calls(record) -> float | None:
    value = record["imdsv1_calls"]
    return None if value is None or pd.isna(value) else float(value)


def reason_en(r: dict, window_days: int) -> str:
    priv = r.get("reason")
    parts = [priv if isinstance(priv, str) and priv else
             "policies not read: privilege unknown" if r["privilege_tier"] == "unknown" else "no privileges"]
    groups, instances = int(r["exposed_groups"]), int(r["exposed_instances"])
    if groups and instances:
        parts.append(f"{_plural(groups, 'group')} and {_plural(instances, 'running instance')} allow IMDSv1")
    elif groups:
        parts.append(f"{_plural(groups, 'group')} allow{'s' if groups == 1 else ''} IMDSv1 "
                     "but no running instance does yet")
    elif instances:
        parts.append(f"{_plural(instances, 'running instance')} still allow{'s' if instances == 1 else ''} "
                     "IMDSv1 (launched before the fix)")
    else:
        parts.append("no group or running instance allows IMDSv1")
    calls = _calls(r)
    if calls is None:
        parts.append("IMDSv1 usage unknown")
    elif calls > 0:
        parts.append(f"IMDSv1 called {round(calls):,} times in {window_days} days")
    else:
        parts.append(f"no IMDSv1 calls in {window_days} days")
    if int(r["unknown_groups"]):
        parts.append(f"{_plural(int(r['unknown_groups']), 'group')} not assessed")
    return "; ".join(parts)


_JA_TIER = {
    "privilege_escalation": "権限昇格が可能",
    "credentials_exposure": "認証情報の取得が可能",
    "resource_exposure": "権限・リソースポリシーの変更が可能",
    "data_access": "データの読み取りが可能",
    "write": "リソースの変更が可能",
}


# The English parts of an admin verdict's "* except ..." (privilege._classify) in Japanese.
_JA_EXCEPT = {"denied actions": "拒否された操作", "actions outside the permissions boundary": "権限境界外の操作"}


def _ja_privilege(r: dict) -> str:
    text = _ja_privilege_tier(r)
    limits = r.get("boundary_limits")
    if limits is not None and pd.notna(limits) and bool(limits) and isinstance(r.get("boundary"), str):
        text += f"（権限境界 {r['boundary'].replace('; ', '、')} による制限後）"
    elif isinstance(r.get("boundary"), str) and r["boundary"] and "not read: not applied" in str(r.get("reason")):
        text += f"（権限境界 {r['boundary'].replace('; ', '、')} は取得できず未適用）"
    return text


def _ja_privilege_tier(r: dict) -> str:
    tier = r["privilege_tier"]
    pols = r.get("tier_policies")
    by = f"{pols.replace('; ', '、')} により" if isinstance(pols, str) and pols else ""
    notable = r.get("notable_actions")
    notable = notable if isinstance(notable, str) else ""
    conditional = "（条件付き）" if "only under conditions" in str(r.get("reason") or "") else ""
    if tier == "unknown":
        return "ロールのポリシーを取得できず、権限は不明"
    if tier == "none":
        return "有効な権限なし"
    if tier == "admin":
        if notable == "*":
            text = "全リソースへの全操作が可能"
        elif notable.startswith("* except "):
            parts = [_JA_EXCEPT.get(p, p) for p in notable[len("* except "):].split(", ")]
            text = f"{'、'.join(parts)} を除く全操作が可能"
        else:
            text = "IAM の権限管理操作がすべて可能（自らに任意の権限を付与できる）"
        return f"{by}{text}{conditional}"
    if tier == "read_only":
        return f"{by}読み取り専用の操作のみ可能{conditional}"
    items = [a for a in notable.split("; ") if a and not a.startswith("(+")]
    acts = "、".join(items[:3]) + (" など" if len(items) > 3 or "(+" in notable else "")
    return f"{by}{_JA_TIER[tier]}（{acts}）{conditional}"


def reason_ja(r: dict, window_days: int) -> str:
    parts = [_ja_privilege(r)]
    groups, instances = int(r["exposed_groups"]), int(r["exposed_instances"])
    if groups and instances:
        parts.append(f"{groups:,} グループ・稼働中 {instances:,} 台のインスタンスで IMDSv1 が有効")
    elif groups:
        parts.append(f"{groups:,} グループで IMDSv1 が有効（該当する稼働中インスタンスはまだない）")
    elif instances:
        parts.append(f"稼働中 {instances:,} 台のインスタンスで IMDSv1 が有効なまま（修正前に起動）")
    else:
        parts.append("IMDSv1 を許可するグループ・稼働中インスタンスなし")
    calls = _calls(r)
    if calls is None:
        parts.append("IMDSv1 の利用状況は不明")
    elif calls > 0:
        parts.append(f"過去 {window_days} 日間に IMDSv1 の呼び出しが {round(calls):,} 回")
    else:
        parts.append(f"過去 {window_days} 日間に IMDSv1 の呼び出しなし")
    if int(r["unknown_groups"]):
        parts.append(f"{int(r['unknown_groups']):,} グループは評価できず")
    return "。".join(parts)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    ints = ["tier_rank", "exposed_groups", "unknown_groups", "groups_total", "exposed_instances",
            "risk_score", "risk_rank"]
    types = {c: "string" for c in OUTPUT_COLUMNS}
    types.update({c: "int64" for c in ints})
    types.update({"imdsv1_calls": "Float64", "imdsv1_in_use": "bool"})
    return frame.astype(types)


def _empty() -> pd.DataFrame:
    return _typed(pd.DataFrame({c: [] for c in OUTPUT_COLUMNS}))
