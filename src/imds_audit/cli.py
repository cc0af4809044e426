"""The command line (DESIGN.md §8). One function per verb, no logic of its own.

Heavy libraries (pandas, boto3, plotly, the renderers) are imported inside the verbs that need them,
so that ``imds-audit --help`` starts at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  help="Audit EC2 Auto Scaling groups for IMDSv2-only enforcement.")

DEFAULT_FORMATS = "html,pdf,csv,xlsx,json,remediation"


def _fail(message: str, code: int = 2) -> None:
    typer.secho(f"imds-audit: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def _formats(value: str) -> tuple[str, ...]:
    from imds_audit.render.writers import FormatError, check_formats

    try:
        return check_formats(value)
    except FormatError as exc:
        _fail(str(exc))


def _lang(value: str) -> str:
    from imds_audit.i18n import languages

    if value not in languages():
        _fail(f"--lang must be one of {', '.join(languages())}, not {value!r}")
    return value


def _collect(profile: list[str] | None, regions: str | None, org_role: str | None, accounts: str | None,
             window_days: int, quiet: bool, out: Path) -> Path:
    from imds_audit.collect.audit import CollectError, collect_estate

    try:
        result = collect_estate(profiles=profile or [None], regions=regions, org_role=org_role,
                                accounts=accounts, window_days=window_days, quiet=quiet, out=out)
    except CollectError as exc:
        _fail(str(exc))
    missed = sum(1 for c in result.api_calls if c["outcome"] != "ok")
    typer.echo(f"snapshot written to {result.path} ({len(result['auto_scaling_groups'])} groups; "
               f"{missed} API outcomes not ok, see the report's 'not assessed' section)")
    return result.path


def _history(history: Path | None) -> list[Path]:
    """The snapshots under a history folder (each subfolder with a manifest)."""
    from imds_audit import snapshot as snap

    if history is None:
        return []
    if not history.is_dir():
        _fail(f"--history {history}: not a directory")
    found = sorted(p for p in history.iterdir() if (p / snap.MANIFEST).is_file())
    if not found:
        _fail(f"--history {history}: holds no snapshot (subfolders with {snap.MANIFEST})")
    return found


def _report(snapshot_path: Path, out: Path, formats: tuple[str, ...], lang: str, previous: Path | None,
            client: str | None, engagement: str | None, history: Path | None = None) -> None:
    from imds_audit import snapshot as snap
    from imds_audit.artifact import ArtifactError
    from imds_audit.render.output import OutputError, check
    from imds_audit.render.report import build_report
    from imds_audit.render.static_charts import ChartExportError

    try:
        check(out)
        written = build_report(snapshot_path, out, formats=formats, lang=lang, previous=previous,
                               client=client, engagement=engagement, history=_history(history))
    except (snap.SnapshotError, ArtifactError, OutputError) as exc:
        _fail(str(exc))
    except ChartExportError as exc:  # the machine's browser, not the input: an unexpected failure
        _fail(f"the PDF's charts could not be drawn: {exc}", code=1)
    for name, path in written.items():
        typer.echo(f"{name:>14}: {path}")


ProfileOpt = typer.Option(None, "--profile", help="AWS profile; repeat for several accounts")
RegionsOpt = typer.Option(None, "--regions", help="r1,r2 or 'all' (the regions enabled for the account)")
OrgRoleOpt = typer.Option(None, "--org-role", help="role to assume in each active Organizations member")
AccountsOpt = typer.Option(None, "--accounts", help="111,222 to include only those; !333 to exclude")
WindowOpt = typer.Option(14, "--window-days", min=1, max=455, help="IMDSv1 usage window (CloudWatch)")
QuietOpt = typer.Option(False, "--quiet", help="no progress display")
FormatOpt = typer.Option(DEFAULT_FORMATS, "--format",
                         help="comma-separated: html,pdf,csv,xlsx,json,remediation")
LangOpt = typer.Option("en", "--lang", help="en or ja")
PreviousOpt = typer.Option(None, "--previous", help="an earlier snapshot, for the trend")
ClientOpt = typer.Option(None, "--client", help="client name for the report cover")
EngagementOpt = typer.Option(None, "--engagement", help="engagement name for the report cover")
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
                window_days: int = WindowOpt, quiet: bool = QuietOpt) -> None:
    """Read the estate from AWS into a snapshot (read-only calls only)."""
    _collect(profile, regions, org_role, accounts, window_days, quiet, out)


@app.command()
def report(snapshot_path: Path = typer.Argument(..., metavar="SNAPSHOT"),
           out: Path = typer.Option(..., "--out"), formats: str = FormatOpt, lang: str = LangOpt,
           previous: Optional[Path] = PreviousOpt, client: Optional[str] = ClientOpt,
           engagement: Optional[str] = EngagementOpt, history: Optional[Path] = HistoryOpt) -> None:
    """Analyse a snapshot and write the reports."""
    _report(snapshot_path, out, _formats(formats), _lang(lang), previous, client, engagement, history)


@app.command()
def run(out: Path = typer.Option(..., "--out", help="report directory; the snapshot goes to OUT/snapshot"),
        profile: Optional[list[str]] = ProfileOpt, regions: Optional[str] = RegionsOpt,
        org_role: Optional[str] = OrgRoleOpt, accounts: Optional[str] = AccountsOpt,
        window_days: int = WindowOpt, quiet: bool = QuietOpt, formats: str = FormatOpt,
        lang: str = LangOpt, previous: Optional[Path] = PreviousOpt, client: Optional[str] = ClientOpt,
        engagement: Optional[str] = EngagementOpt, history: Optional[Path] = HistoryOpt) -> None:
    """Collect, then report; the snapshot is kept in OUT/snapshot as evidence."""
    from imds_audit.render.output import OutputError, check

    fmt, language = _formats(formats), _lang(lang)
    _history(history)
    try:
        check(out)
    except OutputError as exc:
        _fail(str(exc))
    path = _collect(profile, regions, org_role, accounts, window_days, quiet, Path(out) / "snapshot")
    _report(path, out, fmt, language, previous, client, engagement, history)


if __name__ == "__main__":
    app()
