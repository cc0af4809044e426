"""The notebooks as a Jupyter user runs them: collect.ipynb then audit.ipynb with papermill (one -p per
parameter), and audit.ipynb by `jupyter nbconvert --execute` from the repository with its defaults.
They ship inside the package; the repository's notebooks/ links to them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from imds_audit.render.execute import NOTEBOOKS, notebook_path

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]


def _errors(ipynb: Path) -> list[str]:
    nb = json.loads(ipynb.read_text(encoding="utf-8"))
    return [f"{o['ename']}: {o['evalue']}" for c in nb["cells"] for o in c.get("outputs", [])
            if o.get("output_type") == "error"]


def test_the_notebooks_ship_in_the_package_and_the_repository_links_to_them():
    assert notebook_path("audit.ipynb").is_file() and notebook_path("collect.ipynb").is_file()
    for name in ("audit.ipynb", "collect.ipynb"):
        link = REPO / "notebooks" / name
        assert link.resolve() == (NOTEBOOKS / name).resolve()
    for name in ("audit.ipynb", "collect.ipynb"):
        nb = json.loads(notebook_path(name).read_text(encoding="utf-8"))
        tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1
    audit = json.loads(notebook_path("audit.ipynb").read_text(encoding="utf-8"))
    params = "".join(c["source"] if isinstance(c["source"], str) else "".join(c["source"])
                     for c in audit["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    assert "findings_dir" in params and "snapshot" not in params.replace("collect.ipynb", "")


def test_collect_then_audit_with_papermill(tmp_path):
    snapshot, findings = tmp_path / "snapshot", tmp_path / "findings"
    subprocess.run([str(BIN / "papermill"), str(notebook_path("collect.ipynb")), str(tmp_path / "collect.ipynb"),
                    "-p", "simulated", "True", "-p", "snapshot_dir", str(snapshot),
                    "-p", "findings_dir", str(findings), "-p", "lang", "ja"],
                   check=True, capture_output=True, timeout=600)
    assert (snapshot / "manifest.json").is_file() and (findings / "manifest.json").is_file()
    subprocess.run([str(BIN / "papermill"), str(notebook_path("audit.ipynb")), str(tmp_path / "audit.ipynb"),
                    "-p", "findings_dir", str(findings)], check=True, capture_output=True, timeout=600)
    out = (tmp_path / "audit.ipynb").read_text(encoding="utf-8")
    assert _errors(tmp_path / "audit.ipynb") == []
    assert "判定不能" in out or "IMDSv2 のみ" in out  # the language the findings were written for


def test_audit_notebook_runs_from_the_repository_with_its_defaults(tmp_path):
    """`jupyter nbconvert --execute notebooks/audit.ipynb` in a checkout: with no findings yet, the
    defaults audit the simulated estate (into ../reports/demo/findings, beside the notebooks)."""
    (tmp_path / "notebooks").mkdir()
    shutil.copy(notebook_path("audit.ipynb"), tmp_path / "notebooks" / "audit.ipynb")
    subprocess.run([str(BIN / "jupyter"), "nbconvert", "--execute", "--to", "notebook", "--output", "ran.ipynb",
                    str(tmp_path / "notebooks" / "audit.ipynb")], check=True, capture_output=True, timeout=600)
    assert _errors(tmp_path / "notebooks" / "ran.ipynb") == []
    assert (tmp_path / "reports" / "demo" / "findings" / "manifest.json").is_file()
