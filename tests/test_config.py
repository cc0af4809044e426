"""imds-audit.toml / --config FILE: values applied, the command line wins, bad keys and values are
one line with exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from imds_audit import config
from imds_audit.cli import app

COMMANDS = typer.main.get_command(app).commands


def invoke(args, cwd: Path, monkeypatch):
    monkeypatch.chdir(cwd)
    return CliRunner().invoke(app, args)


def one_line_error(result, needle):
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_top_level_keys_reach_every_verb_that_has_them_and_a_verb_table_wins(tmp_path):
    path = tmp_path / "imds-audit.toml"
    path.write_text('profile = ["audit-a", "audit-b"]\nregions = ["us-east-1", "eu-west-1"]\nlang = "en"\n'
                    'window_days = 30\n[report]\nlang = "ja"\nexceptions = "risks/accepted.yaml"\n'
                    '[collect]\nquiet = true\n', encoding="utf-8")
    dm = config.default_map(COMMANDS, path)
    assert dm["collect"] == {"profile": ["audit-a", "audit-b"], "regions": "us-east-1,eu-west-1",
                             "window_days": 30, "quiet": True}
    assert dm["run"]["profile"] == ["audit-a", "audit-b"] and dm["run"]["lang"] == "en"
    assert dm["report"]["lang"] == "ja" and dm["demo"] == {"lang": "en"}
    assert Path(dm["report"]["exceptions"]) == tmp_path / "risks" / "accepted.yaml"  # relative to the file
    assert dm["send-securityhub"] == {"profile": ["audit-a", "audit-b"]}


def test_no_file_means_no_defaults(tmp_path):
    assert config.default_map(COMMANDS, None, cwd=tmp_path) is None


def test_pop_config_finds_the_option_before_or_after_the_verb():
    assert config.pop_config(["--config", "a.toml", "report", "s"]) == (["report", "s"], Path("a.toml"))
    assert config.pop_config(["report", "s", "--config=b.toml", "--out", "o"]) == (["report", "s", "--out", "o"],
                                                                                   Path("b.toml"))
    assert config.pop_config(["report", "--", "--config", "x"]) == (["report", "--", "--config", "x"], None)
    with pytest.raises(config.ConfigError, match="--config needs a FILE"):
        config.pop_config(["report", "--config"])


@pytest.mark.parametrize("text, needle", [
    ('formats = "csv"\n', "imds-audit.toml: unknown key 'formats' (did you mean 'format'?)"),
    ('[report]\nwindow-days = 3\n', "[report] unknown key 'window-days'"),
    ('[reprot]\nlang = "en"\n', "unknown table [reprot] (did you mean 'report'?)"),
    ('[collect]\nwindow-days = "abc"\n', "[collect] 'window-days' must be an integer, not 'abc'"),
    ('[collect]\nwindow-days = 0\n', "greater than or equal to 1"),
    ('lang = 5\n', "'lang' must be a text, not 5"),
    ('[collect]\nquiet = "yes"\n', "'quiet' must be a boolean"),
    ('profile = [1, 2]\n', "'profile' must be a text, not 1"),
    ('lang = \n', "not valid TOML"),
])
def test_bad_files_are_one_line_and_exit_2(tmp_path, monkeypatch, text, needle):
    (tmp_path / "imds-audit.toml").write_text(text, encoding="utf-8")
    one_line_error(invoke(["report", "snap", "--out", "o"], tmp_path, monkeypatch), needle)


def test_a_missing_config_file_is_one_line(tmp_path, monkeypatch):
    one_line_error(invoke(["--config", "nope.toml", "report", "s", "--out", "o"], tmp_path, monkeypatch),
                   "--config nope.toml: no such file")


@pytest.mark.slow
def test_file_values_apply_and_the_command_line_wins(demo_paths, tmp_path, monkeypatch):
    snapshot = str(demo_paths[0])
    work = tmp_path / "work"
    work.mkdir()
    (work / "imds-audit.toml").write_text('[report]\nformat = "csv"\nout = "from-config"\nfail-on = "never"\n',
                                          encoding="utf-8")
    result = invoke(["report", snapshot], work, monkeypatch)
    assert result.exit_code == 0, result.stderr  # fail-on from the file: the estate's findings do not fail
    assert (work / "from-config" / "findings.csv").is_file() and not (work / "from-config" / "findings.json").exists()

    result = invoke(["report", snapshot, "--format", "json", "--out", "cli-out", "--fail-on", "unknown"],
                    work, monkeypatch)
    assert result.exit_code == 3, result.stderr  # the command line wins: non-compliant groups fail the run
    assert (work / "cli-out" / "findings.json").is_file() and not (work / "cli-out" / "findings.csv").exists()

    elsewhere = tmp_path / "conf"
    elsewhere.mkdir()
    (elsewhere / "q4.toml").write_text('[report]\nformat = "asff"\nout = "q4"\nfail-on = "never"\n', encoding="utf-8")
    result = invoke(["report", snapshot, "--config", str(elsewhere / "q4.toml")], work, monkeypatch)
    assert result.exit_code == 0, result.stderr
    assert (elsewhere / "q4" / "findings.asff.json").is_file()  # relative to the config file, not the cwd
