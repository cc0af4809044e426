"""The command line (DESIGN.md §8). One function per verb, no logic of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from imds_audit import snapshot as snap

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  help="Audit EC2 Auto Scaling groups for IMDSv2-only enforcement.")

FORMATS = ("html", "pdf", "csv", "xlsx", "json")


def _fail(message: str) -> None:
    typer.secho(f"imds-audit: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(2)


def _formats(value: str) -> tuple[str, ...]:
    chosen = tuple(f.strip().lower() for f in value.split(",") if f.strip())
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown:
        _fail(f"unknown format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    return chosen


def _lang(value: str) -> str:
    if value not in ("en", "ja"):
        _fail(f"--lang must be en or ja, not {value!r}")
    return value


def _collect(profile: list[str] | None, regions: str | None, org_role: str | None, accounts: str | None,
             window_days: int, quiet: bool, out: Path, sign_key: Path | None = None) -> Path:
    from imds_audit import signature
    from imds_audit.collect import accounts as acc
    from imds_audit.collect import regions as reg
    from imds_audit.collect.limits import Limits
    from imds_audit.collect.run import Options, collect

    try:  # every input is checked before the first call
        region_list, limits = reg.parse(regions), Limits.from_env()
        key = signature.load_private_key(sign_key) if sign_key else None
    except (ValueError, signature.SignatureError) as exc:
        _fail(str(exc))
    targets, who, failures = acc.from_profiles(profile or [None], fallback_region=reg.first(region_list))
    if org_role:
        if not targets:
            _fail("cannot reach AWS with the given credentials: " + "; ".join(
                f["message"] for f in failures))
        org_targets, org_failures = acc.from_organization(targets[0].session, org_role, accounts)
        targets, failures = org_targets, failures + org_failures
    elif accounts:
        include, exclude = acc.parse_accounts(accounts)
        targets = [t for t in targets if (not include or t.account_id in include)
                   and t.account_id not in exclude]
    if not targets:
        _fail("no account could be reached: " + "; ".join(
            f"{f['account_id']}: {f['message']}" for f in failures) if failures else "no account selected")
    result = collect(targets, Options(regions=region_list, window_days=window_days, quiet=quiet, limits=limits),
                     collected_by=who, failed_accounts=failures)
    path = snap.write(result, out, sign_key=key)
    missed = sum(1 for c in result.api_calls if c["outcome"] != "ok")
    typer.echo(f"snapshot written to {path} ({len(result['auto_scaling_groups'])} groups; "
               f"{missed} API outcomes not ok, see the report's 'not assessed' section)")
    return path


def _history(history: Path | None) -> list[Path]:
    """The snapshots under a history folder (each subfolder with a manifest), validated."""
    if history is None:
        return []
    if not history.is_dir():
        _fail(f"--history {history}: not a directory")
    found = sorted(p for p in history.iterdir() if (p / snap.MANIFEST).is_file())
    if not found:
        _fail(f"--history {history}: holds no snapshot (subfolders with {snap.MANIFEST})")
    return found


def _report(snapshot_path: Path, out: Path, formats: tuple[str, ...], lang: str, previous: Path | None,
            client: str | None, engagement: str | None, history: Path | None = None,
            verify_key: Path | None = None) -> None:
    from imds_audit import signature

    earlier = _history(history)
    try:
        key = signature.load_public_key(verify_key) if verify_key else None
        snap.read(snapshot_path, verify_key=key)  # refuse a damaged, foreign or unsigned one before any work
        for path in ([previous] if previous is not None else []) + earlier:
            snap.read(path)
    except (snap.SnapshotError, signature.SignatureError) as exc:
        _fail(str(exc))
    from imds_audit.render.report import build_report
    from imds_audit.render.static_charts import ChartExportError

    try:
        written = build_report(snapshot_path, out, formats=formats, lang=lang, previous=previous,
                               client=client, engagement=engagement, history=earlier)
    except snap.SnapshotError as exc:
        _fail(str(exc))
    except ChartExportError as exc:  # the machine's browser, not the input: an unexpected failure
        typer.secho(f"imds-audit: the PDF's charts could not be drawn: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(1) from None
    for name, path in written.items():
        typer.echo(f"{name:>12}: {path}")


ProfileOpt = typer.Option(None, "--profile", help="AWS profile; repeat for several accounts")
RegionsOpt = typer.Option(None, "--regions", help="r1,r2 or 'all' (the regions enabled for the account)")
OrgRoleOpt = typer.Option(None, "--org-role", help="role to assume in each active Organizations member")
AccountsOpt = typer.Option(None, "--accounts", help="111,222 to include only those; !333 to exclude")
WindowOpt = typer.Option(14, "--window-days", min=1, max=455, help="IMDSv1 usage window (CloudWatch)")
QuietOpt = typer.Option(False, "--quiet", help="no progress display")
FormatOpt = typer.Option("html,pdf,csv,xlsx,json", "--format", help="comma-separated: " + ",".join(FORMATS))
LangOpt = typer.Option("en", "--lang", help="en or ja")
PreviousOpt = typer.Option(None, "--previous", help="an earlier snapshot, for the trend")
ClientOpt = typer.Option(None, "--client", help="client name for the report cover")
EngagementOpt = typer.Option(None, "--engagement", help="engagement name for the report cover")
SignKeyOpt = typer.Option(None, "--sign-key", help="Ed25519 private key (PEM) to sign the snapshot's manifest")
VerifyKeyOpt = typer.Option(None, "--verify-key", help="Ed25519 public key (PEM): refuse a snapshot it did not sign")
HistoryOpt = typer.Option(None, "--history", help="folder of earlier snapshots (one per subfolder) for the "
                          "trend; the latest earlier one is the comparison unless --previous is given")


@app.command()
def demo(out: Path = typer.Option(Path("reports/demo"), "--out"), lang: str = LangOpt,
         formats: str = FormatOpt) -> None:
    """Audit the built-in simulated estate (moto, no AWS account needed) and write the reports.

    The estate is collected twice: as it was a quarter ago (OUT/history/) and now (OUT/snapshot/),
    so the report shows a real trend."""
    from imds_audit.demo import collect_demo

    fmt, language = _formats(formats), _lang(lang)
    snapshot_path = Path(out) / "snapshot"
    history = Path(out) / "history"
    result = collect_demo(snapshot_path, previous=history / "previous-quarter")
    typer.echo(f"simulated estate collected: {len(result['auto_scaling_groups'])} groups → {snapshot_path}")
    _report(snapshot_path, Path(out), fmt, language, None, "ACME Corp (simulated)",
            "IMDSv2 enforcement review", history=history)


@app.command("collect")
def collect_cmd(out: Path = typer.Option(..., "--out", help="snapshot directory to write"),
                profile: Optional[list[str]] = ProfileOpt, regions: Optional[str] = RegionsOpt,
                org_role: Optional[str] = OrgRoleOpt, accounts: Optional[str] = AccountsOpt,
                window_days: int = WindowOpt, quiet: bool = QuietOpt, sign_key: Optional[Path] = SignKeyOpt) -> None:
    """Read the estate from AWS into a snapshot (read-only calls only)."""
    _collect(profile, regions, org_role, accounts, window_days, quiet, out, sign_key)


@app.command()
def report(snapshot_path: Path = typer.Argument(..., metavar="SNAPSHOT"),
           out: Path = typer.Option(..., "--out"), formats: str = FormatOpt, lang: str = LangOpt,
           previous: Optional[Path] = PreviousOpt, client: Optional[str] = ClientOpt,
           engagement: Optional[str] = EngagementOpt, history: Optional[Path] = HistoryOpt,
           verify_key: Optional[Path] = VerifyKeyOpt) -> None:
    """Analyse a snapshot and write the reports."""
    _report(snapshot_path, out, _formats(formats), _lang(lang), previous, client, engagement, history, verify_key)


@app.command()
def run(out: Path = typer.Option(..., "--out", help="report directory; the snapshot goes to OUT/snapshot"),
        profile: Optional[list[str]] = ProfileOpt, regions: Optional[str] = RegionsOpt,
        org_role: Optional[str] = OrgRoleOpt, accounts: Optional[str] = AccountsOpt,
        window_days: int = WindowOpt, quiet: bool = QuietOpt, formats: str = FormatOpt,
        lang: str = LangOpt, previous: Optional[Path] = PreviousOpt, client: Optional[str] = ClientOpt,
        engagement: Optional[str] = EngagementOpt, history: Optional[Path] = HistoryOpt,
        sign_key: Optional[Path] = SignKeyOpt) -> None:
    """Collect, then report; the snapshot is kept in OUT/snapshot as evidence."""
    fmt, language = _formats(formats), _lang(lang)
    _history(history)
    path = _collect(profile, regions, org_role, accounts, window_days, quiet, Path(out) / "snapshot", sign_key)
    _report(path, out, fmt, language, previous, client, engagement, history)


if __name__ == "__main__":
    app()
