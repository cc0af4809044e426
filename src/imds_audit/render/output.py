"""The report folder, written so that it cannot be turned against the user and is never half old, half new.

Every output is written into a private staging folder beside ``--out`` (created by this process, mode
0700, so nothing planted in ``--out`` can redirect a write), then the staging folder replaces ``--out``
with two renames. What ``--out`` held that this report does not write (the ``snapshot/`` of ``run``,
the ``history/`` of ``demo``, the user's own files) is carried over as hard links (symbolic links stay
links: never followed). A report killed before the swap leaves ``--out`` as it was; a swap cut between
its two renames leaves the old folder beside it as ``.<name>.old.*`` and the new one complete.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path


class OutputError(Exception):
    """``--out`` cannot be written as asked; the message says why in one line."""


def check(out: Path) -> Path:
    """``out`` as an absolute path that is a folder or does not exist yet (a file is refused)."""
    out = Path(out).absolute()
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out}: exists and is not a folder")
    if out.is_symlink():
        raise OutputError(f"--out {out}: is a symbolic link; name the folder itself")
    return out


def _carry_over(old: Path, stage: Path) -> None:
    """Hard-link into ``stage`` every entry of ``old`` that the report did not write."""
    for entry in os.scandir(old):
        target = stage / entry.name
        if os.path.lexists(target):
            continue  # the report wrote its own
        if entry.is_symlink():
            os.symlink(os.readlink(entry.path), target)
        elif entry.is_dir(follow_symlinks=False):
            shutil.copytree(entry.path, target, symlinks=True, copy_function=_link)
        elif entry.is_file(follow_symlinks=False):
            _link(entry.path, target)


def _link(src, dst) -> None:
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:  # another file system, or links not allowed: copy the file (never follows links)
        shutil.copy2(src, dst, follow_symlinks=False)


@contextmanager
def staged(out: str | os.PathLike):
    """Yield a private folder to write the report in; on success it becomes ``out``."""
    out = check(Path(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.new.", dir=out.parent))
    try:
        yield stage
        if out.exists():
            _carry_over(out, stage)
            mode = stat.S_IMODE(out.stat().st_mode)
            os.chmod(stage, mode)
            trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            os.replace(out, trash / out.name)
            os.replace(stage, out)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(stage, 0o777 & ~umask)
            os.replace(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def write_text(path: Path, text: str, executable: bool = False) -> Path:
    """A new file (never through an existing one or a link), in a folder this process made."""
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o755 if executable else 0o644)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
    return path
