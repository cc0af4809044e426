"""Run a parameterised notebook with papermill; the executed notebook is kept as evidence.

The notebooks ship inside the package (``imds_audit/notebooks``; the repository's ``notebooks/`` links
to them), so an installed imds-audit finds them wherever it is installed."""

from __future__ import annotations

import os
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def notebook_path(name: str = "audit.ipynb") -> Path:
    path = NOTEBOOKS / name
    if not path.is_file():
        raise FileNotFoundError(f"notebook {name} is not installed with imds-audit ({NOTEBOOKS})")
    return path


def execute(parameters: dict, out_ipynb: str | os.PathLike, notebook: str | os.PathLike | None = None,
            kernel_name: str = "python3", timeout: int = 600) -> Path:
    """Execute ``notebook`` (audit.ipynb) with ``parameters`` into ``out_ipynb``, in the output folder."""
    import papermill

    out_ipynb = Path(out_ipynb)
    out_ipynb.parent.mkdir(parents=True, exist_ok=True)
    papermill.execute_notebook(
        str(notebook or notebook_path()), str(out_ipynb), parameters=parameters,
        kernel_name=kernel_name, progress_bar=False, log_output=False,
        cwd=str(out_ipynb.parent), execution_timeout=timeout,
    )
    return out_ipynb
