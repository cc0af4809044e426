"""A directory of parquet tables plus ``manifest.json``, written atomically and read back verified.

The snapshot (evidence) and the findings (analysis) are both such directories. Writing goes to a
temporary sibling that is renamed into place, so a reader never sees half of one; reading checks
the manifest's kind and schema, every listed table's SHA-256 and row count, and refuses anything
else with a one-line reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

MANIFEST = "manifest.json"


class ArtifactError(Exception):
    """A directory that is not what it claims to be; the message says why, in one line."""


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write(out: str | os.PathLike, kind: str, tables: dict[str, pd.DataFrame], manifest: dict) -> Path:
    """Write ``tables`` and ``manifest`` (plus kind and each table's hash and rows) to ``out``.

    An interrupted write leaves no directory at ``out``; an existing one of the same kind is replaced
    only once the new one is complete; anything else at ``out`` is refused."""
    out = Path(out).absolute()
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise ArtifactError(f"{out} exists and is not a directory; refusing to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists() and any(out.iterdir()) and kind_of(out) != kind:
        raise ArtifactError(f"{out} exists and is not an {kind}; refusing to overwrite it")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        listed = {}
        for name, frame in tables.items():
            target = tmp / f"{name}.parquet"
            frame.to_parquet(target, index=False)
            listed[name] = {"sha256": sha256(target), "rows": len(frame)}
        document = {"kind": kind, **manifest, "tables": listed}
        (tmp / MANIFEST).write_text(json.dumps(document, indent=2, sort_keys=True, default=str),
                                    encoding="utf-8")
        if out.exists():
            trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            os.replace(out, trash / "old")
            os.replace(tmp, out)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def kind_of(path: Path) -> str | None:
    try:
        document = json.loads((Path(path) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return document.get("kind") if isinstance(document, dict) else None


def read_manifest(path: str | os.PathLike, kind: str) -> dict:
    path = Path(path)
    mpath = path / MANIFEST
    if not path.is_dir():
        raise ArtifactError(f"{path}: not a directory (it does not exist or is a file)")
    if not mpath.is_file():
        raise ArtifactError(f"{path}: not an {kind} (no {MANIFEST})")
    try:
        document = json.loads(mpath.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ArtifactError(f"{mpath}: damaged manifest ({exc.__class__.__name__})") from None
    if not isinstance(document, dict) or document.get("kind") != kind:
        raise ArtifactError(f"{mpath}: not an {kind} manifest")
    if not isinstance(document.get("tables"), dict):
        raise ArtifactError(f"{mpath}: damaged manifest ('tables' is not an object)")
    return document


def read_table(path: str | os.PathLike, manifest: dict, name: str) -> pd.DataFrame:
    """One listed table, checked against the manifest's hash and row count."""
    path = Path(path)
    entry = manifest["tables"].get(name)
    if not isinstance(entry, dict):
        raise ArtifactError(f"{path}: manifest does not list table {name!r}")
    file = path / f"{name}.parquet"
    if not file.is_file():
        raise ArtifactError(f"{path}: table file {file.name} is missing")
    if sha256(file) != entry.get("sha256"):
        raise ArtifactError(f"{path}: {file.name} does not match the hash in the manifest "
                            "(truncated or modified after it was written)")
    try:
        frame = pd.read_parquet(file)
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise ArtifactError(f"{path}: {file.name} is not readable parquet ({exc.__class__.__name__})") from None
    if entry.get("rows") is not None and entry["rows"] != len(frame):
        raise ArtifactError(f"{path}: {file.name} holds {len(frame)} rows, the manifest says {entry['rows']}")
    return frame
