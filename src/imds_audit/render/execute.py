"""Run the parameterised notebook with papermill; the executed notebook is kept as evidence."""

from __future__ import annotations

import os
from pathlib import Path

import imds_audit

NOTEBOOK_ENV = "IMDS_AUDIT_NOTEBOOK"


def notebook_path(name: str = "audit.ipynb") -> Path:
    """The report notebook: $IMDS_AUDIT_NOTEBOOK, else ``notebooks/`` of the source tree."""
    if os.environ.get(NOTEBOOK_ENV):
        return Path(os.environ[NOTEBOOK_ENV])
    here = Path(imds_audit.__file__).resolve()
    for parent in here.parents:
        candidate = parent / "notebooks" / name
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"notebook {name} not found (set {NOTEBOOK_ENV} to its path)")


def execute(parameters: dict, out_ipynb: str | os.PathLike, notebook: str | os.PathLike | None = None,
            kernel_name: str = "python3", timeout: int = 600) -> Path:
    """Execute ``notebook`` with ``parameters`` into ``out_ipynb`` (papermill), in the output folder."""
    import papermill

    out_ipynb = Path(out_ipynb)
    out_ipynb.parent.mkdir(parents=True, exist_ok=True)
    papermill.execute_notebook(
        str(notebook or notebook_path()), str(out_ipynb), parameters=parameters,
        kernel_name=kernel_name, progress_bar=False, log_output=False,
        cwd=str(out_ipynb.parent), execution_timeout=timeout,
    )
    return out_ipynb
