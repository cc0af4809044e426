"""How the notebooks' kernel is launched (issue 14.6): this interpreter's own kernel whatever python3
kernelspec the user's Jupyter folders hold, and never over plain TCP, so ipykernel prints no "Kernel is
running over TCP without encryption" warning. A real report run is checked too (test_run_e2e)."""

from __future__ import annotations

import json
import os
import sys

import nbformat
import pytest
import zmq

from imds_audit.render import execute as execution
from imds_audit.render.execute import execute

TCP_WARNING = "Kernel is running over TCP without encryption"


@pytest.mark.parametrize("transport", ["ipc", "curve"])  # curve: where there are no Unix sockets (Windows)
def test_a_notebook_runs_in_this_interpreter_over_no_plain_tcp(transport, tmp_path, monkeypatch, capfd):
    if transport == "curve" and not zmq.has("curve"):
        pytest.skip("pyzmq without CurveZMQ")
    monkeypatch.setattr(execution, "transport", lambda: transport)
    foreign = tmp_path / "jupyter" / "kernels" / "python3"  # as `ipykernel install` by another Python leaves it
    foreign.mkdir(parents=True)
    (foreign / "kernel.json").write_text(json.dumps({
        "argv": ["/nonexistent/python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (elsewhere)", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))  # searched before the venv's own folder
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("value = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import sys\nprint(sys.executable, value)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "tiny.ipynb")

    out = execute({"value": 2}, tmp_path / "out" / "tiny.ipynb", notebook=tmp_path / "tiny.ipynb", timeout=120)

    printed = nbformat.read(out, 4).cells[-1].outputs[0]["text"].split()
    assert printed == [sys.executable, "2"]
    captured = capfd.readouterr()
    assert TCP_WARNING not in captured.err + captured.out


@pytest.mark.skipif(os.name != "posix", reason="Unix sockets are a POSIX choice")
def test_posix_kernels_use_unix_sockets_not_ports():
    assert execution.transport() == "ipc"
