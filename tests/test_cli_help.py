"""The command line a newcomer meets (issue 14.6): -h as well as --help, --version, shell completion
offered and working, the filter options listed."""

from __future__ import annotations

from typer.testing import CliRunner

from imds_audit import __version__
from imds_audit.cli import app


def _invoke(args, **kwargs):
    return CliRunner().invoke(app, args, prog_name="imds-audit", **kwargs)


def test_help_offers_shell_completion_and_h_is_help():
    done = _invoke(["--help"])
    assert done.exit_code == 0
    assert "--install-completion" in done.stdout and "--show-completion" in done.stdout
    assert _invoke(["-h"]).stdout == done.stdout
    verb = _invoke(["collect", "-h"])
    assert verb.exit_code == 0 and "--exclude-regions" in verb.stdout


def test_version():
    done = _invoke(["--version"])
    assert done.exit_code == 0 and done.stdout.strip() == f"imds-audit {__version__}"


def test_completion_script_and_completions():
    script = _invoke(["--show-completion", "bash"])
    assert script.exit_code == 0 and "_IMDS_AUDIT_COMPLETE=complete_bash" in script.stdout

    def complete(words: str, cword: int) -> list[str]:
        done = _invoke([], env={"_IMDS_AUDIT_COMPLETE": "complete_bash", "COMP_WORDS": words,
                                "COMP_CWORD": str(cword)})
        assert done.exit_code == 0, done.output
        return done.stdout.split()

    assert complete("imds-audit col", 1) == ["collect"]
    assert complete("imds-audit run --exclude", 2) == ["--exclude-regions"]
    assert set(complete("imds-audit collect --", 2)) >= {"--tag", "--asg", "--exclude-regions", "--regions"}


def test_the_filter_options_are_documented_on_collect_and_run():
    for verb in ("collect", "run"):
        text = _invoke([verb, "--help"]).stdout
        for word in ("--tag", "KEY=VALUE", "--asg", "GLOB", "--exclude-regions"):
            assert word in text, (verb, word)
