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


def source_hop(group: dict, source: dict) -> int:
    """Today's effective hop limit of a source (the group's when the source does not say; else 1)."""
    return _int(source.get("hop_limit")) or _int(group.get("hop_limit")) or 1


def hop_limit_for(group: dict, source: dict) -> int:
    """The hop limit to write next to ``HttpTokens=required``.

    - above 1 where the analysis flags it ``excessive`` (no sign of EKS/ECS nodes): back to 1, because
      only containers need the extra hop, and it lets them reach the credentials;
    - otherwise an effective hop limit above 1 is kept (EKS/ECS nodes: pods and tasks need it to get a
      token, lowering it would break them);
    - otherwise 1, the API default.
    """
    if group.get("hop_limit_flag") == "excessive":
        return 1
    return max(1, source_hop(group, source))
