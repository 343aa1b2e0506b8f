"""Secrets kept in files: readable by their owner only, one secret per file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from fov_monitor.errors import FovMonitorError


def read_secret_file(path: Path, what: str, error: type[FovMonitorError]) -> str:
    """Return the secret in ``path``, refusing a file that others may read.

    Parameters
    ----------
    path : Path
        A regular UTF-8 text file of mode 600 or 400; one trailing newline is dropped.
    what : str
        How messages name the file, e.g. ``"cam-01: password file /etc/fov/cam-01"``.
    error : type of FovMonitorError
        Raised, with one line naming ``what`` and the fix, when the file cannot serve.
    """
    try:
        with path.open("rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if not stat.S_ISREG(mode):
                raise error(f"{what} is not a regular file; give a file")
            if mode & 0o077:
                raise error(
                    f"{what} is open to group or others (mode {stat.S_IMODE(mode):04o}); run chmod 600 {path}"
                )
            text = handle.read().decode("utf-8")
    except FileNotFoundError:
        raise error(f"{what} does not exist; check the path") from None
    except UnicodeDecodeError:
        raise error(f"{what} is not UTF-8 text; write the secret as text") from None
    except OSError as exc:
        raise error(f"{what} cannot be read ({exc.strerror}); check it") from None
    secret = text.removesuffix("\n").removesuffix("\r")
    if not secret:
        raise error(f"{what} is empty; write the secret in it")
    return secret
