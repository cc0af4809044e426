"""The hop limit a fixed launch source gets (DESIGN.md §4, hop limit)."""

from __future__ import annotations

import pandas as pd


def _int(value) -> int | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def recommended_hop_limit(group: dict, source: dict) -> int:
    """The hop limit to write next to ``HttpTokens=required``.

    Rules, in order:
    - the analysis's own recommendation (column ``recommended_hop_limit``) wins when it gives one;
    - a hop limit above 1 that the analysis flags as ``excessive`` (no sign of EKS/ECS nodes) goes back
      to 1: only containers need the extra hop, and it lets them reach the credentials;
    - otherwise an effective hop limit above 1 is kept (EKS/ECS nodes: pods and tasks need it to get a
      token, lowering it would break them);
    - otherwise 1, the API default.
    """
    recommended = _int(group.get("recommended_hop_limit"))
    if recommended:
        return recommended
    effective = _int(source.get("hop_limit")) or _int(group.get("hop_limit")) or 1
    if group.get("hop_limit_flag") == "excessive":
        return 1
    return max(1, effective)


def hop_note(group: dict, source: dict, chosen: int) -> tuple[int, int] | None:
    """(before, after) when the fix changes the effective hop limit, for the text next to the fix."""
    before = _int(source.get("hop_limit")) or _int(group.get("hop_limit")) or 1
    return (before, chosen) if before != chosen else None
