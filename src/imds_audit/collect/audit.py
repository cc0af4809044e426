"""Collect an estate into a snapshot: the accounts to audit, then every region of each.

The command line (``imds-audit collect``) and the notebook (``collect.ipynb``) both call
:func:`collect_estate`; a problem the user can fix is a :class:`CollectError` naming it.
"""

from __future__ import annotations

from pathlib import Path

from imds_audit import snapshot as snap


class CollectError(Exception):
    """Nothing could be collected as asked (no credentials, no reachable account); one line."""


def collect_estate(profiles=(None,), regions=None, org_role: str | None = None, accounts: str | None = None,
                   window_days: int = 14, quiet: bool = True, out: str | Path | None = None) -> snap.Snapshot:
    """Collect the accounts of ``profiles`` (or of the AWS Organization, with ``org_role``) in
    ``regions`` (a list, "r1,r2", "all", or None for each profile's region); write it to ``out``."""
    from imds_audit.collect import accounts as acc
    from imds_audit.collect.run import Options, collect

    if isinstance(regions, str):
        regions = [r.strip() for r in regions.split(",") if r.strip()]
    region_list = list(regions) if regions else None
    targets, who, failures = acc.from_profiles(list(profiles or [None]))
    if org_role:
        if not targets:
            raise CollectError("cannot reach AWS with the given credentials: " + "; ".join(
                f["message"] for f in failures))
        org_targets, org_failures = acc.from_organization(targets[0].session, org_role, accounts)
        targets, failures = org_targets, failures + org_failures
    elif accounts:
        include, exclude = acc.parse_accounts(accounts)
        targets = [t for t in targets if (not include or t.account_id in include)
                   and t.account_id not in exclude]
    if not targets:
        raise CollectError("no account could be reached: " + "; ".join(
            f"{f['account_id']}: {f['message']}" for f in failures) if failures else "no account selected")
    result = collect(targets, Options(regions=region_list, window_days=window_days, quiet=quiet),
                     collected_by=who, failed_accounts=failures)
    if out is not None:
        snap.write(result, out)
    return result
