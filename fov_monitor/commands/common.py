"""What every command shares: the store, the actor, exit codes and output."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fov_monitor.core.result import Status
from fov_monitor.db.audit import AuditAction
from fov_monitor.db.database import Database
from fov_monitor.db.location import DATABASE_ENV, DatabaseLocation, resolve_location
from fov_monitor.settings import StoreSettings
from fov_monitor.store.store import DEFAULT_STORE, Store, now_utc

EXIT_COMPLIANT = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_COMPLIANT = 3
EXIT_UNVERIFIABLE = 4

EXIT_BY_STATUS = {
    Status.COMPLIANT: EXIT_COMPLIANT,
    Status.REDIRECTED: EXIT_NOT_COMPLIANT,
    Status.ZONE_EXPOSED: EXIT_NOT_COMPLIANT,
    Status.TAMPERED: EXIT_NOT_COMPLIANT,
    Status.UNVERIFIABLE: EXIT_UNVERIFIABLE,
}

EXIT_CODES_TEXT = (
    "exit codes: 0 compliant, 1 error, 2 usage error, 3 not compliant (redirected, zone exposed, "
    "tampered), 4 unverifiable. An error is one line on stderr saying what and how to fix it."
)


@dataclass(frozen=True, slots=True)
class Context:
    """The store, its settings, the person acting and the results database, as the global options give them.

    ``settings`` is the command's one reading of the store's settings files: what the command needs of
    them is passed down from here.
    """

    store: Store
    actor: str
    settings: StoreSettings
    database_option: str | None = None
    """``--db`` as given (None: ``$FOV_MONITOR_DB``, the store's settings or its SQLite file)."""

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Context:
        """Build the context from ``--store``, ``--actor`` and ``--db``."""
        store = Store(args.store)
        return cls(store, args.actor, StoreSettings(store.root), getattr(args, "db", None))

    def database_location(self) -> DatabaseLocation:
        """Return the results database: ``--db``, ``$FOV_MONITOR_DB``, settings.json, or the store's file."""
        return resolve_location(self.store.root, self.database_option, settings=self.settings)

    def database(self) -> Database:
        """Open the results and audit database of the store."""
        self.store.require()
        return Database(self.database_location())

    def audit(self, action: AuditAction, camera_id: str | None, **detail: Any) -> None:
        """Write one line to the audit log."""
        with self.database() as database:
            database.audit(self.actor, action, camera_id, detail, at=now_utc())

    @contextmanager
    def audited_change(self, action: AuditAction, camera_id: str | None, **detail: Any) -> Iterator[Database]:
        """Write the audit line of a change to the store first, then let the block make the change.

        See :meth:`Database.audited_change <fov_monitor.db.database.Database.audited_change>`; the
        block gets the open database, for what goes with the change (an alert closed).
        """
        with (
            self.database() as database,
            database.audited_change(self.actor, action, camera_id, detail, now_utc()),
        ):
            yield database


def add_global_options(parser: argparse.ArgumentParser, *, defaults: bool = True) -> None:
    """Add ``--store``, ``--actor`` and ``--db``, which every store command takes.

    The main parser gets them with their defaults, each sub-command without (``defaults=False``),
    so that they may be given before or after the command's name.
    """
    parser.add_argument(
        "--store",
        type=Path,
        default=Path(os.environ.get("FOV_MONITOR_STORE", DEFAULT_STORE)) if defaults else argparse.SUPPRESS,
        metavar="DIR",
        help="the camera store (default: $FOV_MONITOR_STORE or ./reference_frames)",
    )
    parser.add_argument(
        "--actor",
        default=(os.environ.get("FOV_MONITOR_ACTOR") or _login_name()) if defaults else argparse.SUPPRESS,
        metavar="NAME",
        help="who is acting, for the audit log (default: $FOV_MONITOR_ACTOR or your login)",
    )
    parser.add_argument(
        "--db",
        default=None if defaults else argparse.SUPPRESS,
        metavar="URL_OR_PATH",
        help=f"the results database: a postgresql:// URL (shared by several machines) or a SQLite file "
        f"(default: ${DATABASE_ENV}, else 'database' in <store>/settings.json, else "
        "<store>/fov-monitor.sqlite)",
    )


def add_json_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--json``."""
    parser.add_argument("--json", action="store_true", help="print the output as JSON")


def print_json(document: Any) -> None:
    """Print ``document`` as indented JSON on stdout."""
    print(json.dumps(document, indent=2, default=str))


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print rows as a plain aligned table (no colours: it is read in logs and mails too)."""
    texts = [[_cell(value) for value in row] for row in rows]
    widths = [max([len(h)] + [len(row[i]) for row in texts]) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in texts:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def warn(message: str) -> None:
    """Print a warning line on stderr."""
    print(f"warning: {message}", file=sys.stderr)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
