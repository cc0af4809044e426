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
                   window_days: int = 14, quiet: bool = True, out: str | Path | None = None,
                   sign_key: str | Path | None = None, asg=None, tag=None,
                   exclude_regions=None) -> snap.Snapshot:
    """Collect the accounts of ``profiles`` (or of the AWS Organization, with ``org_role``) in
    ``regions`` (a list, "r1,r2", "all", or None: every region enabled for the account); write it to
    ``out``, signed with ``sign_key`` (an Ed25519 private key file) when given. ``asg`` (globs),
    ``tag`` ("KEY=VALUE" texts) and ``exclude_regions`` (a list or "r1,r2") leave groups and regions
    out, as collect/filters.py says. Every input is checked before the first call: an unknown region,
    a bad filter, limit or key is a CollectError."""
    from imds_audit import signature
    from imds_audit.collect import accounts as acc
    from imds_audit.collect import regions as reg
    from imds_audit.collect.filters import GroupFilter
    from imds_audit.collect.limits import Limits
    from imds_audit.collect.run import Options, collect

    def listed(value):
        return ",".join(value) if isinstance(value, (list, tuple)) else value

    try:
        region_list = reg.parse(listed(regions))
        excluded = reg.parse_excluded(listed(exclude_regions))
        group_filter = GroupFilter.parse(asg=asg, tag=tag)
        limits = Limits.from_env()
        key = signature.load_private_key(sign_key) if sign_key else None
    except (ValueError, signature.SignatureError) as exc:
        raise CollectError(str(exc)) from None
    if region_list and region_list != [reg.ALL]:
        kept = [r for r in region_list if r not in excluded]
        if not kept:
            raise CollectError(f"--exclude-regions leaves none of --regions {','.join(region_list)} to audit")
        region_list = kept
    targets, who, failures = acc.from_profiles(list(profiles or [None]), fallback_region=reg.first(region_list),
                                               exclude=excluded)
    if not targets:
        raise CollectError(no_credentials(failures))
    if org_role:
        org_targets, org_failures = _organization(acc, targets[0], org_role, accounts)
        targets, failures = org_targets, failures + org_failures
    elif accounts:
        include, exclude = acc.parse_accounts(accounts)
        targets = [t for t in targets if (not include or t.account_id in include)
                   and t.account_id not in exclude]
    if not targets:
        raise CollectError("no account could be reached: " + "; ".join(
            f"{f['account_id']}: {f['message']}" for f in failures) if failures else "no account selected")
    options = Options(regions=region_list, window_days=window_days, quiet=quiet, limits=limits,
                      groups=group_filter, exclude_regions=excluded)
    result = collect(targets, options, collected_by=who, failed_accounts=failures)
    if out is not None:
        snap.write(result, out, sign_key=key)
    return result


def no_credentials(failures: list[dict]) -> str:
    """What to do when no profile reached AWS: the causes, then how to sign in (or try the demo)."""
    causes = "; ".join(f"{f['account_id']}: {f['message']}" for f in failures) or "no profile given"
    return (f"cannot reach AWS ({causes}). Sign in first (e.g. `aws sso login --profile NAME`), then pass "
            "--profile NAME or set AWS_PROFILE; or run `imds-audit demo` to audit the built-in simulated estate")


def _organization(acc, target, org_role: str, accounts: str | None):
    """The organization's member accounts, or a CollectError that says why they cannot be listed."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        members, failures = acc.from_organization(target.session, org_role, accounts)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "AWSOrganizationsNotInUseException":
            raise CollectError(f"--org-role: account {target.account_id} is not in an AWS Organization; audit it "
                               "with --profile (repeat it for several accounts) instead") from None
        if code in ("AccessDeniedException", "AccessDenied"):
            raise CollectError(f"--org-role: account {target.account_id} may not list the organization's "
                               f"accounts ({code}); run from the management account or a delegated "
                               "administrator, with organizations:ListAccounts") from None
        raise CollectError(f"--org-role: the organization's accounts could not be listed ({code})") from None
    except BotoCoreError as exc:
        raise CollectError(f"--org-role: the organization's accounts could not be listed ({exc})") from None
    if not members and not failures and not accounts:
        # AWS raises AWSOrganizationsNotInUseException here; an emulator may answer with no accounts
        raise CollectError(f"--org-role: no account of an AWS Organization was listed for account "
                           f"{target.account_id}; audit it with --profile instead")
    return members, failures
