"""A fleet's inventory as a table: one row per camera, in CSV (with a header row) or JSON lines.

``fov-monitor camera import`` reads it and ``camera export`` writes it, in the same columns, so that
an export imported again changes nothing. Each column is a setting of ``camera.json`` or a part of
the permit (:data:`COLUMNS`); a column a row lacks leaves the camera's value as it is, an empty cell
means none (no decision, no authentication) or the default (timeout 10 s). A password is never in
the file: the row names the environment variable or the file (readable by its owner only) that
holds it, and a column or key that would hold one, or a source URL with a password or token in it,
is refused.

CSV cells are text (``62`` or ``62,5``, ``2026-01-01``, ``06:00-22:00 22:00-23:00``, ``whole view``
or ``0,0 1920,0 1920,1080``); a JSON line may give numbers as numbers, ``null`` for empty, and the hours
and the area as lists. This module reads and writes rows; what a row changes in the store is
:mod:`fov_monitor.workflows.fleet_import`.
"""

from __future__ import annotations

import csv
import enum
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from fov_monitor.core.permit import POLYGON_TEXT, parse_points
from fov_monitor.errors import FovMonitorError, InventoryError
from fov_monitor.sources import AuthKind

WHOLE_VIEW = "whole view"
"""The ``area`` of a permit that allows the whole reference image."""

PointsXY = tuple[tuple[float, float], ...]
Area = str | PointsXY
""":data:`WHOLE_VIEW`, or a polygon in the reference's pixels, ``(x, y)`` with y down."""


class InventoryFormat(enum.StrEnum):
    """How an inventory file is written."""

    CSV = "csv"
    JSONL = "jsonl"

    @classmethod
    def of(cls, path: Path) -> InventoryFormat:
        """Return the format a file's name says (``.csv``; ``.jsonl``, ``.ndjson``, ``.json``)."""
        suffix = path.suffix.lower()
        if suffix == ".csv":
            return cls.CSV
        if suffix in (".jsonl", ".ndjson", ".json"):
            return cls.JSONL
        raise InventoryError(
            f"{path}: cannot tell the format from the name; name it .csv or .jsonl, or give --format"
        )


COLUMNS: dict[str, str] = {
    "id": "the camera's id: 1-64 letters, digits, '_', '.' or '-' (the one column every row needs)",
    "name": "what people call the camera",
    "place": "where it hangs",
    "group": "its group, for scans, alerts and reports (empty: 'default')",
    "site": "the network only its own machines reach (scan --cluster); empty for any machine",
    "source": "where a frame is grabbed: an image file, folder:DIR, an http(s):// or rtsp:// URL "
    "(without a password or token in it)",
    "auth": "HTTP authentication: basic, digest, or empty for none",
    "username": "the user name for auth",
    "password_env": "the NAME of the environment variable holding the password (never the password)",
    "password_file": "or the file holding it, readable by its owner only (relative: in the store)",
    "hfov_deg": "horizontal field of view, degrees",
    "ptz_preset": "the PTZ preset the permit is drawn for",
    "tolerance": "share of the view allowed outside the permit (empty: 0.02)",
    "timeout_s": "the grab's time limit, seconds (empty: 10)",
    "decision": "the decision's (permit's) reference number; empty: none",
    "valid_from": "first day of the decision, YYYY-MM-DD",
    "valid_to": "last day of the decision, YYYY-MM-DD",
    "hours": "permitted hours, 'HH:MM-HH:MM' windows apart by spaces; empty: all day",
    "purpose": "why the camera films (shown in the public register)",
    "area": f"the permitted area: '{WHOLE_VIEW}', or {POLYGON_TEXT}; empty: left as it is",
}
"""Every column, in the order an export writes them, with what it holds."""

AUTH_COLUMNS = ("auth", "username", "password_env", "password_file")
"""Given together: a row with any of them states the camera's authentication whole."""
DECISION_COLUMNS = ("decision", "valid_from", "valid_to", "hours", "purpose")
"""Given together: a row with any of them states the permit's decision whole."""

REFUSED_COLUMNS = frozenset({"password", "passwd", "pass", "pwd", "secret", "token", "api_key", "apikey"})
"""Columns that would hold a secret: a file with one is refused."""
PASSWORD_REFUSED = (
    "a password is never taken from an inventory file; put it in an environment variable named in "
    "'password_env', or in a file only its owner may read named in 'password_file'"
)

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_HOURS_SPLIT = re.compile(r"[\s,;]+")


@dataclass(frozen=True, slots=True)
class InventoryRow:
    """One camera as a row of the inventory, its cells parsed (not yet checked against each other).

    Attributes
    ----------
    line : int
        Where the row starts in its file (a spreadsheet's row number: the header is row 1).
    camera_id : str
        The ``id`` column.
    given : frozenset of str
        The columns the row has; a column it lacks leaves the camera's value as it is.
    values : mapping of str to object
        The parsed value of each given column but ``id``; None for an empty cell.
    """

    line: int
    camera_id: str
    given: frozenset[str]
    values: Mapping[str, Any] = field(default_factory=dict)

    def get(self, column: str) -> Any:
        """Return the parsed value of ``column`` (None when empty or not given)."""
        return self.values.get(column)


@dataclass(frozen=True, slots=True)
class RowError:
    """What is wrong with one cell (or a whole row, ``column`` None), for a one-line message."""

    line: int
    column: str | None
    message: str
    camera_id: str | None = None

    def __str__(self) -> str:
        where = f"row {self.line}" + (f", column {self.column!r}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Inventory:
    """An inventory file read: the rows that parsed, and the errors of those that did not."""

    path: Path
    rows: list[InventoryRow]
    errors: list[RowError]


def read_inventory(path: Path, file_format: InventoryFormat | None = None) -> Inventory:
    """Read an inventory file, every row (a malformed row is an error of that row, not of the file).

    Parameters
    ----------
    path : Path
        A UTF-8 CSV file with a header row (``,`` or ``;`` between cells; Excel's BOM is taken), or
        JSON lines (one object per line).
    file_format : InventoryFormat, optional
        The format; by default from the file's name (:meth:`InventoryFormat.of`).

    Raises
    ------
    InventoryError
        When the file cannot be read, or its header has no ``id``, a column twice, a column that is
        not an inventory's or one that would hold a password.
    """
    file_format = file_format or InventoryFormat.of(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InventoryError(f"inventory {path} does not exist; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InventoryError(f"inventory {path} cannot be read as UTF-8 text ({exc})") from None
    cells = _csv_rows(path, text) if file_format is InventoryFormat.CSV else _json_rows(text)
    rows, errors = [], []
    for line, cells_of_row in cells:
        parsed = cells_of_row if isinstance(cells_of_row, RowError) else parse_row(line, cells_of_row)
        if isinstance(parsed, InventoryRow):
            rows.append(parsed)
        elif isinstance(parsed, RowError):
            errors.append(parsed)
        else:
            errors.extend(parsed)
    return Inventory(path, rows, errors)


def parse_row(line: int, cells: Mapping[str, object]) -> InventoryRow | list[RowError]:
    """Parse one row's cells (column -> text, or a JSON value); return the row or every cell's error."""
    camera_id = cells.get("id")
    named = camera_id if isinstance(camera_id, str) and camera_id.strip() else None
    errors = [
        RowError(line, column, _unknown_column(column), named) for column in cells if column not in COLUMNS
    ]
    if named is None:
        errors.append(RowError(line, "id", "every row needs the camera's id", None))
    values: dict[str, Any] = {}
    for column, cell in cells.items():
        if column in COLUMNS and column != "id":
            try:
                values[column] = _PARSERS[column](cell)
            except ValueError as exc:
                errors.append(RowError(line, column, _unfit(column, cell, str(exc)), named))
    if errors:
        return errors
    assert named is not None
    return InventoryRow(line, named.strip(), frozenset(cells), values)


def write_inventory(rows: Iterable[Mapping[str, Any]], file_format: InventoryFormat) -> str:
    """Return rows (column -> value, as :func:`fov_monitor.workflows.fleet_import.export_row` gives) as text.

    CSV gets every column of :data:`COLUMNS` as a header and each value as the text an import reads
    back; JSON lines get one object per camera with numbers, ``null`` and lists.
    """
    if file_format is InventoryFormat.JSONL:
        return "".join(json.dumps(_json_values(row), ensure_ascii=False) + "\n" for row in rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(_cell_text(row.get(column)) for column in COLUMNS)
    return out.getvalue()


def number_text(value: float) -> str:
    """Return a number as an inventory writes it: ``62`` for a whole number, else its shortest form."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


def area_text(area: Area) -> str:
    """Return an area as a CSV cell: ``whole view`` or ``x,y x,y ...``."""
    if isinstance(area, str):
        return area
    return " ".join(f"{number_text(x)},{number_text(y)}" for x, y in area)


# parsing cells


def _text(cell: object) -> str | None:
    if cell is None:
        return None
    if not isinstance(cell, str):
        raise ValueError("text")
    return cell.strip() or None


def _number(cell: object) -> float | None:
    if isinstance(cell, str):
        text = cell.strip()
        if not text:
            return None
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")  # a decimal comma, as spreadsheets in many languages write it
        try:
            value = float(text)
        except ValueError:
            raise ValueError("a number") from None
    elif cell is None:
        return None
    elif isinstance(cell, int | float) and not isinstance(cell, bool):
        value = float(cell)
    else:
        raise ValueError("a number")
    if not math.isfinite(value):
        raise ValueError("a finite number")
    return value


def _day(cell: object) -> date | None:
    text = _text(cell)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError("a day, YYYY-MM-DD") from None


def _auth(cell: object) -> AuthKind | None:
    text = _text(cell)
    if text is None or text.lower() == "none":
        return None
    try:
        return AuthKind(text.lower())
    except ValueError:
        raise ValueError(f"one of {', '.join(AuthKind)}, or empty for none") from None


def _env_name(cell: object) -> str | None:
    text = _text(cell)
    if text is not None and not _ENV_NAME.fullmatch(text):
        # Never echoed: a cell that is not a variable's name may well be the password itself.
        raise ValueError(
            "the name of an environment variable (letters, digits and '_'), not the password itself"
        )
    return text


def _hours(cell: object) -> tuple[str, ...] | None:
    if isinstance(cell, list) and all(isinstance(window, str) for window in cell):
        windows = tuple(window.strip() for window in cell if window.strip())
    else:
        text = _text(cell)
        windows = tuple(_HOURS_SPLIT.split(text)) if text else ()
    return windows or None


def _area(cell: object) -> Area | None:
    if isinstance(cell, list):
        try:
            return tuple((float(x), float(y)) for x, y in cell)
        except (TypeError, ValueError):
            raise ValueError(f"'{WHOLE_VIEW}' or a list of [x, y]") from None
    text = _text(cell)
    if text is None:
        return None
    if " ".join(text.lower().replace("_", " ").split()) == WHOLE_VIEW:
        return WHOLE_VIEW
    try:
        return tuple(parse_points(text, "area"))
    except FovMonitorError:
        raise ValueError(f"'{WHOLE_VIEW}' or {POLYGON_TEXT}") from None


_PARSERS: dict[str, Callable[[object], Any]] = {
    "name": _text,
    "place": _text,
    "group": _text,
    "site": _text,
    "source": _text,
    "auth": _auth,
    "username": _text,
    "password_env": _env_name,
    "password_file": _text,
    "hfov_deg": _number,
    "ptz_preset": _text,
    "tolerance": _number,
    "timeout_s": _number,
    "decision": _text,
    "valid_from": _day,
    "valid_to": _day,
    "hours": _hours,
    "purpose": _text,
    "area": _area,
}

_SECRET_CELLS = frozenset({"source", "password_env", "password_file", "username"})
"""Cells never echoed in a message: they may hold a secret put in the wrong place."""


def _unfit(column: str, cell: object, expected: str) -> str:
    if column in _SECRET_CELLS:
        return f"must be {expected}"
    shown = repr(cell) if len(repr(cell)) <= 60 else repr(cell)[:57] + "..."
    return f"must be {expected}, got {shown}"


def _unknown_column(column: str) -> str:
    if column.strip().lower() in REFUSED_COLUMNS:
        return f"refused: {PASSWORD_REFUSED}"
    return f"is not an inventory column; the columns are {', '.join(COLUMNS)}"


# reading the two formats


Cells = Mapping[str, object] | RowError


def _csv_rows(path: Path, text: str) -> list[tuple[int, Cells]]:
    """Return (line, cells) of each non-empty row below the header; raise for a header that cannot serve."""
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [name.strip() for name in next(reader, [])]
        _check_header(path, header)
        found: list[tuple[int, Cells]] = []
        line = reader.line_num + 1
        for record in reader:
            if any(cell.strip() for cell in record):
                if len(record) != len(header):
                    found.append(
                        (line, RowError(line, None, f"has {len(record)} cells, the header {len(header)}"))
                    )
                else:
                    found.append((line, dict(zip(header, record, strict=True))))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InventoryError(f"{path}, line {reader.line_num}: not readable as CSV ({exc})") from None
    return found


def _check_header(path: Path, header: Sequence[str]) -> None:
    if not any(header):
        raise InventoryError(f"{path} is empty; its first row names the columns, e.g. id,name,source")
    refused = [name for name in header if name.lower() in REFUSED_COLUMNS]
    if refused:
        raise InventoryError(f"{path}: column {refused[0]!r} is refused: {PASSWORD_REFUSED}")
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise InventoryError(
            f"{path}: column {unknown[0]!r} in the header is not an inventory column; the columns are "
            f"{', '.join(COLUMNS)}"
        )
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        raise InventoryError(f"{path}: column {twice[0]!r} is in the header twice; keep one")
    if "id" not in header:
        raise InventoryError(f"{path}: the header has no 'id' column; every row needs the camera's id")


def _json_rows(text: str) -> list[tuple[int, Cells]]:
    found: list[tuple[int, Cells]] = []
    for line, content in enumerate(text.splitlines(), start=1):
        if not content.strip():
            continue
        try:
            data = json.loads(content)
        except json.JSONDecodeError as exc:
            found.append((line, RowError(line, None, f"is not a JSON object ({exc.msg})")))
            continue
        if not isinstance(data, dict):
            found.append((line, RowError(line, None, f"is not a JSON object but {type(data).__name__}")))
            continue
        found.append((line, data))
    return found


# writing


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return number_text(value)
    if isinstance(value, tuple | list):
        if value and isinstance(value[0], tuple | list):
            return area_text(tuple((float(x), float(y)) for x, y in value))
        return " ".join(str(item) for item in value)
    return str(value)


def _json_values(row: Mapping[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for column in COLUMNS:
        value = row.get(column)
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = [list(item) if isinstance(item, tuple) else item for item in value]
        document[column] = value
    return document
