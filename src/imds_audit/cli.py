"""The command line (DESIGN.md §8). One function per verb, no logic of its own.

Heavy libraries (pandas, boto3, plotly, the renderers) are imported inside the verbs that need them,
so that ``imds-audit --help`` starts at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from imds_audit import __version__
from imds_audit.config import ConfigGroup

EXIT_CODES = """Exit codes: 0 every assessed group IMDSv2-only (or excepted) and everything in scope assessed;
3 a group allows IMDSv1 (not excepted); 4 nothing allows IMDSv1 but something was not assessed;
2 usage or input error; 1 unexpected failure. --fail-on non_compliant|unknown|never picks what fails."""

app = typer.Typer(cls=ConfigGroup, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  context_settings={"help_option_names": ["-h", "--help"]},
                  help="Audit EC2 Auto Scaling groups for IMDSv2-only enforcement.\n\n" + EXIT_CODES)

DEFAULT_FORMATS = "html,pdf,csv,xlsx,json,remediation"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"imds-audit {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="print the version and exit")) -> None:
    """Audit EC2 Auto Scaling groups for IMDSv2-only enforcement."""


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
             window_days: int, quiet: bool, out: Path, sign_key: Path | None = None, asg: list[str] | None = None,
             tag: list[str] | None = None, exclude_regions: str | None = None) -> Path:
    from imds_audit.collect.audit import CollectError, collect_estate

    try:
        result = collect_estate(profiles=profile or [None], regions=regions, org_role=org_role,
                                accounts=accounts, window_days=window_days, quiet=quiet, out=out,
                                sign_key=sign_key, asg=asg, tag=tag, exclude_regions=exclude_regions)
    except CollectError as exc:
        _fail(str(exc))
    missed = sum(1 for c in result.api_calls if c["outcome"] != "ok")
    left_out = sum(row["groups"] for row in result.scope.get("filtered_out") or [])
    filtered = f"; {left_out} left out by the filters" if "filters" in result.scope else ""
    typer.echo(f"snapshot written to {result.path} ({len(result['auto_scaling_groups'])} groups{filtered}; "
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


def _exceptions(path: Path | None):
    """The accepted-risk entries of ``--exceptions FILE`` (a malformed file: one line, rc 2)."""
    if path is None:
        return None
    from imds_audit.analyze import exceptions as accepted

    try:
        return accepted.load(path)
    except accepted.ExceptionsError as exc:
        _fail(str(exc))


def _fail_on(value: str) -> str:
    from imds_audit.exit_codes import FAIL_ON

    if value not in FAIL_ON:
        _fail(f"--fail-on must be one of {', '.join(FAIL_ON)}, not {value!r}")
    return value


def _report(snapshot_path: Path, out: Path, formats: tuple[str, ...], lang: str, previous: Path | None,
            client: str | None, engagement: str | None, history: Path | None = None,
            exceptions: Path | None = None, fail_on: str = "unknown", verify_key: Path | None = None) -> None:
    from imds_audit import signature
    from imds_audit import snapshot as snap
    from imds_audit.analyze.exceptions import warnings
    from imds_audit.artifact import ArtifactError
    from imds_audit.exit_codes import exit_code
    from imds_audit.render.output import OutputError, check
    from imds_audit.render.report import build_findings, render_findings
    from imds_audit.render.static_charts import ChartExportError

    entries = _exceptions(exceptions)
    try:
        check(out)
        key = signature.load_public_key(verify_key) if verify_key else None
        findings = build_findings(snapshot_path, formats, lang, previous, client, engagement, _history(history),
                                  entries, verify_key=key)
        written = render_findings(findings, out, formats=formats, lang=lang)
    except (snap.SnapshotError, ArtifactError, OutputError, signature.SignatureError) as exc:
        _fail(str(exc))
    except ChartExportError as exc:  # the machine's browser, not the input: an unexpected failure
        _fail(f"the PDF's charts could not be drawn: {exc}", code=1)
    for name, path in written.items():
        typer.echo(f"{name:>14}: {path}")
    for line in warnings((findings.meta or {}).get("exceptions") or {}):
        typer.secho(f"imds-audit: warning: {line}", err=True, fg=typer.colors.YELLOW)
    opened = written.get("audit.html") or written.get("audit.pdf") or written.get("findings.csv")
    if opened is not None:
        typer.echo(f"open {opened}")
    code = exit_code(findings, fail_on)
    if code:
        raise typer.Exit(code)


ProfileOpt = typer.Option(None, "--profile", help="AWS profile; repeat for several accounts")
RegionsOpt = typer.Option(None, "--regions", help="r1,r2 or 'all' (the regions enabled for the account)")
OrgRoleOpt = typer.Option(None, "--org-role", help="role to assume in each active Organizations member")
AccountsOpt = typer.Option(None, "--accounts", help="111,222 to include only those; !333 to exclude")
AsgOpt = typer.Option(None, "--asg", metavar="GLOB", help="only the groups whose name matches (fnmatch, "
                      "case-sensitive); repeat, or comma-separate")
TagOpt = typer.Option(None, "--tag", metavar="KEY=VALUE", help="only the groups carrying this tag; repeat: every "
                      "key given must match, a key given twice matches either value")
ExcludeRegionsOpt = typer.Option(None, "--exclude-regions", metavar="r1,r2",
                                 help="regions left out of the audit (no API call is made to them)")
WindowOpt = typer.Option(14, "--window-days", min=1, max=455, help="IMDSv1 usage window (CloudWatch)")
QuietOpt = typer.Option(False, "--quiet", help="no progress display")
FormatOpt = typer.Option(DEFAULT_FORMATS, "--format",
                         help="comma-separated: html,pdf,csv,xlsx,json,remediation,asff,ocsf,junit")
LangOpt = typer.Option("en", "--lang", help="en or ja")
PreviousOpt = typer.Option(None, "--previous", help="an earlier snapshot, for the trend")
ClientOpt = typer.Option(None, "--client", help="client name for the report cover")
EngagementOpt = typer.Option(None, "--engagement", help="engagement name for the report cover")
SignKeyOpt = typer.Option(None, "--sign-key", help="Ed25519 private key (PEM) to sign the snapshot's manifest")
VerifyKeyOpt = typer.Option(None, "--verify-key", help="Ed25519 public key (PEM): refuse a snapshot it did not sign")
HistoryOpt = typer.Option(None, "--history", help="folder of earlier snapshots (one per subfolder) for the "
                          "trend; the latest earlier one is the comparison unless --previous is given")
ExceptionsOpt = typer.Option(None, "--exceptions", help="YAML file of accepted risks (README: Accepted risks)")
FailOnOpt = typer.Option("unknown", "--fail-on", help="non_compliant | unknown | never: what makes the exit "
                         "code non-zero (3 non-compliant, 4 not assessed)")


@app.command()
def demo(out: Path = typer.Option(Path("reports/demo"), "--out"), lang: str = LangOpt,
         formats: str = FormatOpt,
         fail_on: str = typer.Option("never", "--fail-on", help="non_compliant | unknown | never (the demo's "
                                     "estate has findings on purpose: never, so `make report` succeeds)")) -> None:
    """Audit the built-in simulated estate (moto, no AWS account needed) and write the reports.

    The estate is collected twice: as it was a quarter ago (OUT/history/) and now (OUT/snapshot/),
    so the report shows a real trend."""
    from imds_audit.demo import collect_demo

    fmt, language, fail_on = _formats(formats), _lang(lang), _fail_on(fail_on)
    snapshot_path = Path(out) / "snapshot"
    history = Path(out) / "history"
    result = collect_demo(snapshot_path, previous=history / "previous-quarter")
    typer.echo(f"simulated estate collected: {len(result['auto_scaling_groups'])} groups → {snapshot_path}")
    _report(snapshot_path, Path(out), fmt, language, None, "ACME Corp (simulated)",
            "IMDSv2 enforcement review", history=history, fail_on=fail_on)


@app.command("collect")
def collect_cmd(out: Path = typer.Option(..., "--out", help="snapshot directory to write"),
                profile: Optional[list[str]] = ProfileOpt, regions: Optional[str] = RegionsOpt,
                org_role: Optional[str] = OrgRoleOpt, accounts: Optional[str] = AccountsOpt,
                asg: Optional[list[str]] = AsgOpt, tag: Optional[list[str]] = TagOpt,
                exclude_regions: Optional[str] = ExcludeRegionsOpt,
                window_days: int = WindowOpt, quiet: bool = QuietOpt, sign_key: Optional[Path] = SignKeyOpt) -> None:
    """Read the estate from AWS into a snapshot (read-only calls only)."""
    _collect(profile, regions, org_role, accounts, window_days, quiet, out, sign_key, asg, tag, exclude_regions)


@app.command()
def report(snapshot_path: Path = typer.Argument(..., metavar="SNAPSHOT"),
           out: Path = typer.Option(..., "--out"), formats: str = FormatOpt, lang: str = LangOpt,
           previous: Optional[Path] = PreviousOpt, client: Optional[str] = ClientOpt,
           engagement: Optional[str] = EngagementOpt, history: Optional[Path] = HistoryOpt,
           exceptions: Optional[Path] = ExceptionsOpt, fail_on: str = FailOnOpt,
           verify_key: Optional[Path] = VerifyKeyOpt) -> None:
    """Analyse a snapshot and write the reports (exit code: see imds-audit --help)."""
    _report(snapshot_path, out, _formats(formats), _lang(lang), previous, client, engagement, history,
            exceptions, _fail_on(fail_on), verify_key)


@app.command()
def run(out: Path = typer.Option(..., "--out", help="report directory; the snapshot goes to OUT/snapshot"),
        profile: Optional[list[str]] = ProfileOpt, regions: Optional[str] = RegionsOpt,
        org_role: Optional[str] = OrgRoleOpt, accounts: Optional[str] = AccountsOpt,
        asg: Optional[list[str]] = AsgOpt, tag: Optional[list[str]] = TagOpt,
        exclude_regions: Optional[str] = ExcludeRegionsOpt,
        window_days: int = WindowOpt, quiet: bool = QuietOpt, formats: str = FormatOpt,
        lang: str = LangOpt, previous: Optional[Path] = PreviousOpt, client: Optional[str] = ClientOpt,
        engagement: Optional[str] = EngagementOpt, history: Optional[Path] = HistoryOpt,
        exceptions: Optional[Path] = ExceptionsOpt, fail_on: str = FailOnOpt,
        sign_key: Optional[Path] = SignKeyOpt) -> None:
    """Collect, then report; the snapshot is kept in OUT/snapshot as evidence (exit code: see --help)."""
    from imds_audit.render.output import OutputError, check

    fmt, language, fail_on = _formats(formats), _lang(lang), _fail_on(fail_on)
    _history(history)
    _exceptions(exceptions)  # a malformed file is refused before collecting
    try:
        check(out)
    except OutputError as exc:
        _fail(str(exc))
    path = _collect(profile, regions, org_role, accounts, window_days, quiet, Path(out) / "snapshot", sign_key,
                    asg, tag, exclude_regions)
    _report(path, out, fmt, language, previous, client, engagement, history, exceptions, fail_on)


@app.command("send-securityhub")
def send_securityhub(out: Path = typer.Argument(..., metavar="OUT", help="a report folder (or its findings.asff.json)"),
                     profile: Optional[list[str]] = typer.Option(None, "--profile", help="AWS profile; repeat for "
                                                                 "several accounts"),
                     role: Optional[str] = typer.Option(None, "--role", help="role to assume in each other account "
                                                        "the findings name"),
                     workflows: bool = typer.Option(True, "--workflow/--no-workflow",
                                                    help="also set Workflow and Note of existing findings "
                                                    "(suppressed exceptions, resolved checks)")) -> None:
    """Import findings.asff.json into AWS Security Hub (batches of 100); exit 1 if any finding failed."""
    from botocore.exceptions import BotoCoreError, ClientError

    from imds_audit.send.securityhub import send_file

    try:
        result = send_file(out, profile, role, workflows=workflows)
    except (OSError, ValueError) as exc:
        _fail(str(exc))
    except (BotoCoreError, ClientError) as exc:
        _fail(f"cannot reach AWS with the given credentials: {exc}")
    for f in result.failed:
        typer.secho(f"imds-audit: failed {f['Id']}: {f['ErrorCode']}: {f['ErrorMessage']}", err=True,
                    fg=typer.colors.RED)
    typer.echo(f"Security Hub: {result.imported} imported, {result.updated} workflows set, {len(result.failed)} failed")
    if not result.ok:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
