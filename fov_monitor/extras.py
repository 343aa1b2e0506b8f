"""The optional parts of fov-monitor and the packages each needs (``pip install 'fov-monitor[web]'``).

The core and the commands that check cameras need only the core's packages; the web app, Dask
clusters, PostgreSQL and the reports are extras, imported only when used. :func:`needs_extra` turns a
missing package into one line that names the extra to install.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager

from fov_monitor.errors import MissingExtraError


class Extra(enum.StrEnum):
    """An optional part, named as in ``pip install 'fov-monitor[<extra>]'``."""

    WEB = "web"
    CLUSTER = "cluster"
    POSTGRES = "postgres"
    REPORT = "report"


PACKAGES: dict[Extra, frozenset[str]] = {
    Extra.WEB: frozenset(
        {"fastapi", "starlette", "uvicorn", "argon2", "multipart", "python_multipart", "jinja2"}
    ),
    Extra.CLUSTER: frozenset({"distributed", "dask"}),
    Extra.POSTGRES: frozenset({"psycopg", "psycopg_binary"}),
    Extra.REPORT: frozenset({"matplotlib", "jinja2", "markupsafe", "markdown_it", "mdurl", "segno"}),
}
"""The top-level modules each extra installs (a missing one of these is the extra missing)."""


@contextmanager
def needs_extra(extra: Extra, purpose: str) -> Iterator[None]:
    """Import what ``purpose`` needs inside this block; a missing package of ``extra`` is one clear error.

    Parameters
    ----------
    extra : Extra
        The optional part the imports belong to.
    purpose : str
        What needs it, for the message (``"fov-monitor serve"``, ``"a PostgreSQL database"``).

    Raises
    ------
    MissingExtraError
        When a package of ``extra`` is not installed; other import errors pass through unchanged.
    """
    try:
        yield
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").split(".")[0]
        if missing not in PACKAGES[extra]:
            raise
        raise MissingExtraError(
            f"{purpose} needs the optional packages of fov-monitor[{extra}] ({missing} is not installed); "
            f"install them with: pip install 'fov-monitor[{extra}]'"
        ) from exc
