"""Run a parameterised notebook with papermill; the executed notebook is kept as evidence.

The notebooks ship inside the package (``imds_audit/notebooks``; the repository's ``notebooks/`` links
to them), so an installed imds-audit finds them wherever it is installed.

The kernel is this interpreter's own IPython kernel (never a ``python3`` kernelspec some other Python
left in the user's Jupyter folders, which may not have imds-audit), and it does not talk plain TCP:
on POSIX its five sockets are Unix sockets (ZeroMQ IPC) in a private temporary folder, so no port is
opened at all; elsewhere, the kernel manager provisions CurveZMQ keys when pyzmq and the kernel support
them. Either way ipykernel has no reason to warn "Kernel is running over TCP without encryption".
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
NATIVE_KERNEL = "python3"


def notebook_path(name: str = "audit.ipynb") -> Path:
    path = NOTEBOOKS / name
    if not path.is_file():
        raise FileNotFoundError(f"notebook {name} is not installed with imds-audit ({NOTEBOOKS})")
    return path


def transport() -> str:
    """How the kernel's sockets are reached: ``ipc`` (POSIX), ``curve`` (TCP with CurveZMQ keys) or
    ``tcp`` (plain, only where neither is available)."""
    if os.name == "posix":
        return "ipc"
    import zmq
    from jupyter_client.manager import KernelManager

    return "curve" if "transport_encryption" in KernelManager.class_traits() and zmq.has("curve") else "tcp"


def kernel_manager_class(socket_dir: str | os.PathLike | None):
    """The kernel manager class papermill's client builds: this interpreter's kernel, over IPC sockets
    in ``socket_dir`` (POSIX) or with CurveZMQ keys (see :func:`transport`)."""
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager

    how = transport()

    class LocalKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            if how == "ipc":
                self.transport = "ipc"
                self.ip = str(Path(socket_dir) / "kernel")  # sockets kernel-<n>, removed at shutdown
            elif how == "curve":
                self.transport_encryption = "auto"

        @property
        def kernel_spec(self):
            if self._kernel_spec is None and self.kernel_name == NATIVE_KERNEL:
                from ipykernel.kernelspec import RESOURCES, get_kernel_dict

                self._kernel_spec = KernelSpec(resource_dir=RESOURCES, **get_kernel_dict())
            return super().kernel_spec

    return LocalKernelManager


def execute(parameters: dict, out_ipynb: str | os.PathLike, notebook: str | os.PathLike | None = None,
            kernel_name: str = NATIVE_KERNEL, timeout: int = 600) -> Path:
    """Execute ``notebook`` (audit.ipynb) with ``parameters`` into ``out_ipynb``, in the output folder."""
    import papermill

    out_ipynb = Path(out_ipynb)
    out_ipynb.parent.mkdir(parents=True, exist_ok=True)
    # A short private path: a Unix socket's path is limited to about 100 bytes.
    with tempfile.TemporaryDirectory(prefix="imds-audit-kernel-") as sockets:
        os.chmod(sockets, 0o700)
        papermill.execute_notebook(
            str(notebook or notebook_path()), str(out_ipynb), parameters=parameters,
            kernel_name=kernel_name, progress_bar=False, log_output=False,
            cwd=str(out_ipynb.parent), execution_timeout=timeout,
            kernel_manager_class=kernel_manager_class(sockets),
        )
    return out_ipynb
