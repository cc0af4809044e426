"""The project's own files agree with each other: a conda user gets what `make` installs."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pip_entries() -> list[str]:
    """The requirement lines under `- pip:` in environment.yml (a plain reader: no YAML dependency)."""
    lines = (ROOT / "environment.yml").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "- pip:")
    entries = []
    for line in lines[start + 1:]:
        text = line.split("#", 1)[0].strip()
        if text.startswith("- "):
            entries.append(text[2:].strip())
    return entries


def test_environment_yml_lists_the_same_python_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = set(project["dependencies"])
    for extra in ("test", "dev"):
        wanted |= set(project["optional-dependencies"][extra])
    listed = [e for e in _pip_entries() if not e.startswith("-")]
    assert sorted(listed) == sorted(wanted)
    assert _pip_entries()[-1] == "-e ."


def test_environment_yml_is_valid_yaml_with_that_pip_section():
    import yaml  # installed with papermill

    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip == _pip_entries() and env["name"] == "imds-audit"
