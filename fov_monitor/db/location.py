"""Which database to use: a SQLite file (the default, beside the store) or a PostgreSQL URL.

Chosen, first match wins, by ``--db URL_OR_PATH``, ``$FOV_MONITOR_DB``, the ``database`` key of
``<store>/settings.json``, else ``<store>/fov-monitor.sqlite``. A URL's password never appears in
what fov-monitor prints: :attr:`DatabaseLocation.shown` replaces it with ``***``.
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote

from fov_monitor.errors import InvalidSettingsError

DATABASE_ENV = "FOV_MONITOR_DB"
SQLITE_NAME = "fov-monitor.sqlite"
HIDDEN = "***"

_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")
_USERINFO_PASSWORD = re.compile(r"^(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:@/?#]*:)(?P<password>[^@]*)@")
_QUERY_PASSWORD = re.compile(r"(?P<head>[?&]password=)(?P<password>[^&#]*)")
_POSTGRES_SCHEMES = ("postgresql", "postgres")


class Dialect(enum.StrEnum):
    """The kind of database server."""

    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


@dataclass(frozen=True, slots=True)
class DatabaseLocation:
    """A database to open: a SQLite file or a PostgreSQL URL.

    Attributes
    ----------
    dialect : Dialect
    target : str
        The SQLite file's path, or the URL as given (with its password: never print it; print
        :attr:`shown`).
    """

    dialect: Dialect
    target: str = field(repr=False)

    @classmethod
    def parse(cls, text: str | Path, *, base: Path | None = None, where: str = "--db") -> DatabaseLocation:
        """Read a ``postgresql://`` URL or a SQLite file path (relative to ``base`` when given).

        Raises
        ------
        InvalidSettingsError
            For an empty value or a URL of another scheme, naming ``where`` (the option, variable or
            settings file it came from).
        """
        value = str(text).strip()
        unusable = cls.problem(value)
        if unusable is not None:
            raise InvalidSettingsError(f"{where}: {unusable}")
        if _SCHEME.match(value) is None:
            path = Path(value).expanduser()
            if base is not None and not path.is_absolute():
                path = base / path
            return cls(Dialect.SQLITE, str(path))
        return cls(Dialect.POSTGRESQL, value)

    @staticmethod
    def problem(text: str) -> str | None:
        """Return why ``text`` is not a database location, and what to give instead; None when it is one."""
        value = text.strip()
        if not value:
            return "the database is empty; give a postgresql:// URL or a path"
        scheme = _SCHEME.match(value)
        if scheme is not None and scheme["scheme"].lower() not in _POSTGRES_SCHEMES:
            return (
                f"database URL scheme '{scheme['scheme']}' is not supported; give "
                "postgresql://USER@HOST/DBNAME or a SQLite file path"
            )
        return None

    @property
    def path(self) -> Path:
        """The SQLite file (only for :attr:`Dialect.SQLITE`)."""
        if self.dialect is not Dialect.SQLITE:
            raise ValueError(f"{self.shown} is not a SQLite file")
        return Path(self.target)

    @property
    def shown(self) -> str:
        """The path or URL as it may be printed: any password replaced by ``***``."""
        if self.dialect is Dialect.SQLITE:
            return self.target
        shown = _USERINFO_PASSWORD.sub(lambda m: m["head"] + HIDDEN + "@", self.target, count=1)
        return _QUERY_PASSWORD.sub(lambda m: m["head"] + HIDDEN, shown)

    def scrub(self, text: str) -> str:
        """Return ``text`` (a driver's error message) in one line, without the URL's password."""
        for secret in self._passwords():
            text = text.replace(secret, HIDDEN)
        return " ".join(text.replace(self.target, self.shown).split())

    def __str__(self) -> str:
        return self.shown

    def __repr__(self) -> str:
        return f"DatabaseLocation({self.dialect!s}, {self.shown!r})"

    def _passwords(self) -> list[str]:
        found = [m["password"] for m in (_USERINFO_PASSWORD.match(self.target),) if m and m["password"]]
        found += [m["password"] for m in _QUERY_PASSWORD.finditer(self.target) if m["password"]]
        return sorted({*found, *(unquote(p) for p in found)}, key=len, reverse=True)


class ConfiguredDatabase(Protocol):
    """Where the store's settings put the results database (:class:`fov_monitor.settings.StoreSettings`)."""

    @property
    def database(self) -> DatabaseLocation | None:
        """The ``database`` of ``<store>/settings.json``; None when it names none."""


def resolve_location(
    store_root: Path,
    given: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    settings: ConfiguredDatabase | None = None,
) -> DatabaseLocation:
    """Return the database of a store: ``given`` (``--db``), else ``$FOV_MONITOR_DB``, else the
    ``database`` of the store's ``settings``, else ``<store>/fov-monitor.sqlite``.

    A relative SQLite path is relative to the working folder when given or in the environment, and to
    the store when in its settings. The settings are asked only when neither ``given`` nor the
    environment names a database, so that their file is not read for nothing.

    Raises
    ------
    InvalidSettingsError
        For an unusable value, naming where it came from.
    """
    environ = os.environ if environ is None else environ
    if given is not None and str(given).strip():
        return DatabaseLocation.parse(given, where="--db")
    if environ.get(DATABASE_ENV, "").strip():
        return DatabaseLocation.parse(environ[DATABASE_ENV], where=f"${DATABASE_ENV}")
    configured = settings.database if settings is not None else None
    if configured is not None:
        return configured
    return DatabaseLocation(Dialect.SQLITE, str(Path(store_root) / SQLITE_NAME))
