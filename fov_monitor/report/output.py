"""Write a report folder all at once: built beside its place, then renamed into it.

A build that fails leaves no half report: the new folder only takes the place of ``--out`` once every
page is written, and an earlier report there is replaced whole. A folder that fov-monitor did not
make (no marker file) is never replaced.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from fov_monitor.errors import ReportError

MARKER = ".fov-monitor-report"
T = TypeVar("T")


def write_folder(out: Path, kind: str, build: Callable[[Path], T]) -> T:
    """Run ``build`` on a new temporary folder beside ``out`` and put it in ``out``'s place.

    Parameters
    ----------
    out : Path
        The report folder; absent, empty, or an earlier report of fov-monitor.
    kind : str
        What the report is (``yearly``, ``register``), written to the marker file.
    build : callable
        Writes the report's files into the folder it is given; its result is returned.

    Raises
    ------
    ReportError
        When ``out`` holds other files or its parent cannot be written.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ReportError(f"--out {out} is a file; give a folder for the report")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise ReportError(
            f"--out {out} holds files that are not an fov-monitor report; give an empty or new folder"
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".building", dir=out.parent))
    except OSError as exc:
        raise ReportError(
            f"cannot write the report to {out} ({exc.strerror or exc}); choose another --out"
        ) from None
    try:
        result = build(staging)
        (staging / MARKER).write_text(f"{kind}\n", encoding="utf-8")
        os.chmod(staging, 0o755)
        _swap(staging, out)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if not _is_writing(exc, out, staging):
            raise ReportError(
                f"cannot read {exc.filename} ({exc.strerror or exc}); nothing was written to {out}: "
                "restore the file, or check it with 'fov-monitor validate'"
            ) from None
        raise ReportError(
            f"cannot write the report to {out} ({exc.strerror or exc}); choose another --out"
        ) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return result


def _is_writing(error: OSError, out: Path, staging: Path) -> bool:
    """Tell whether ``error`` befell the report's own folders (``--out`` is to blame), not a file read."""
    if error.filename is None:
        return True
    failed = Path(os.fsdecode(error.filename)).absolute()
    own = [out.absolute(), staging.absolute()]
    if any(failed == folder or folder in failed.parents for folder in own):
        return True
    # The earlier report moved aside while the new one takes its place (see _swap).
    base, prefix = out.absolute().parent, f".{out.name}."
    return any(path.parent == base and path.name.startswith(prefix) for path in (failed, *failed.parents))


def _swap(staging: Path, out: Path) -> None:
    """Put ``staging`` at ``out``; an earlier report there is moved aside first, then deleted."""
    if not out.exists():
        os.replace(staging, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    os.replace(out, old / "report")
    try:
        os.replace(staging, out)
    except OSError:
        os.replace(old / "report", out)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)
