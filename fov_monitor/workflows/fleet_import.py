"""Enrol a fleet from its inventory, and write the fleet back out as one: ``camera import`` and ``export``.

:func:`plan_import` reads every row of an inventory (:mod:`fov_monitor.workflows.inventory`) against
the store and says what it would do: add the camera, change it (naming the columns that change),
leave it as it is, or nothing because the row is invalid (naming the row and the column of every
error). :func:`apply_import` carries out the valid rows, each camera whole or not at all: its audit
line first (``camera imported``), then its ``camera.json`` and its permit through the store's own
writes (those of ``camera add``, ``camera edit`` and ``permit set``); when a file cannot be written,
what was written for that camera is undone and a ``camera import failed`` line says why. A file
imported twice changes nothing the second time, and neither does an export imported again.

A permitted area given before the camera has a reference: a polygon is kept in ``permit.json`` as
``permit set`` keeps it and checked against the reference when it is captured (a reference it does
not fit is refused); ``whole view`` is kept pending (``permit-pending.json``) and the first
reference captured sets it to that reference's four corners, with the row's decision.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fov_monitor.core.permit import Decision, Permit
from fov_monitor.db.audit import AuditAction
from fov_monitor.db.database import Database
from fov_monitor.errors import FovMonitorError
from fov_monitor.sources import SourceAuth, mask_secrets, redact, secrets_in
from fov_monitor.sources.redaction import MASK
from fov_monitor.store.camera import CameraConfig, check_camera_id
from fov_monitor.store.store import CameraState, PendingPermit, Store, now_utc
from fov_monitor.workflows.inventory import (
    AUTH_COLUMNS,
    DECISION_COLUMNS,
    PASSWORD_REFUSED,
    WHOLE_VIEW,
    Area,
    Inventory,
    InventoryRow,
    RowError,
)

log = logging.getLogger(__name__)

SETTING_COLUMNS = (
    "name",
    "place",
    "group",
    "site",
    "source",
    "hfov_deg",
    "ptz_preset",
    "tolerance",
    "timeout_s",
)
"""The columns that are fields of ``camera.json`` under the same name."""

_DEFAULTS: dict[str, Any] = {
    f.name: f.default for f in dataclasses.fields(CameraConfig) if f.name in SETTING_COLUMNS
}
"""What an empty cell sets: the field's default (no source has none: a camera needs one)."""


class Change(enum.StrEnum):
    """What importing a row does to its camera."""

    ADDED = "added"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class RowPlan:
    """What importing one row does: the camera's settings and permit after it, and what changes.

    Attributes
    ----------
    line : int
        The row (a spreadsheet's row number).
    camera_id : str
    change : Change
    changed : tuple of str
        The columns whose value changes (``area`` and ``decision`` for the permit).
    errors : tuple of RowError
        Why the row is invalid (then nothing below is set).
    config, before : CameraConfig or None
        The camera's settings after the import, and before it (None for a new camera).
    permit : Permit or None
        The permit to write, when it changes.
    pending : PendingPermit or None
        Or the permit of the whole view to keep until the first reference, when it changes.
    reference_size : (int, int) or None
        The size of the reference the permit is drawn on (None before there is one).
    """

    line: int
    camera_id: str
    change: Change
    changed: tuple[str, ...] = ()
    errors: tuple[RowError, ...] = ()
    config: CameraConfig | None = None
    before: CameraConfig | None = None
    permit: Permit | None = None
    pending: PendingPermit | None = None
    reference_size: tuple[int, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form (``camera import --json``)."""
        return {
            "row": self.line,
            "camera": self.camera_id,
            "change": str(self.change),
            "changed": list(self.changed),
            "errors": [
                {"row": e.line, "column": e.column, "message": e.message, "text": str(e)} for e in self.errors
            ],
        }


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """What importing an inventory does, row by row, in the file's order."""

    path: Path
    rows: list[RowPlan]

    def counts(self) -> dict[str, int]:
        """Return the number of rows of each :class:`Change`, every kind named."""
        found = Counter(row.change for row in self.rows)
        return {str(change): found.get(change, 0) for change in Change}


@dataclass(frozen=True, slots=True)
class Applied:
    """A row carried out, or the reason its files could not be written (then nothing changed)."""

    plan: RowPlan
    error: str | None = None


def plan_import(store: Store, inventory: Inventory, *, actor: str) -> ImportPlan:
    """Say what importing ``inventory`` would do to each camera; write nothing.

    Parameters
    ----------
    store : Store
        The store the cameras go to (it must exist).
    inventory : Inventory
        The rows read, and the errors of the rows that could not be.
    actor : str
        Who imports, recorded with a permit kept pending.

    Returns
    -------
    ImportPlan
        A row per row of the file, invalid ones with every error found.
    """
    store.require()
    lines: dict[str, list[int]] = {}
    for row in inventory.rows:
        lines.setdefault(row.camera_id, []).append(row.line)
    plans = [
        RowPlan(error.line, error.camera_id or "", Change.INVALID, errors=(error,))
        for error in inventory.errors
    ]
    merged: dict[int, RowPlan] = {}
    for plan in plans:  # a row's several errors are one invalid row
        if plan.line in merged:
            plan = dataclasses.replace(plan, errors=merged[plan.line].errors + plan.errors)
        merged[plan.line] = plan
    for row in inventory.rows:
        merged[row.line] = _plan_row(store, row, lines[row.camera_id], actor)
    return ImportPlan(inventory.path, [merged[line] for line in sorted(merged)])


def apply_import(store: Store, database: Database, plan: ImportPlan, *, actor: str) -> Iterator[Applied]:
    """Carry out the rows that add or change a camera, one camera at a time, each whole or not at all.

    Yields
    ------
    Applied
        Each camera as it is done, or with the reason its files could not be written.

    Raises
    ------
    FovMonitorError
        When the audit log cannot be written: the camera at hand is left as it was, and the rows
        after it are not carried out.
    """
    for row in plan.rows:
        if row.change in (Change.ADDED, Change.CHANGED):
            yield _apply_row(store, database, plan.path, row, actor)


def export_rows(store: Store, group: str | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """Return the store's cameras (of ``group``) as inventory rows, and why others could not be read.

    A source's secrets (a password in its URL, a token) are written as ``***``
    (:func:`fov_monitor.sources.mask_secrets`); credentials are named (the variable, the file), never
    read. Rows are in camera id order.
    """
    store.require()
    rows, problems = [], []
    for camera_id in store.camera_ids():
        try:
            state = store.camera_state(camera_id)
            pending = store.pending_permit(camera_id) if state.stored_permit is None else None
        except FovMonitorError as exc:
            problems.append(f"{camera_id}: not exported: {exc}")
            continue
        if group is None or state.config.group == group:
            rows.append(export_row(state, pending))
    return rows, problems


def export_row(state: CameraState, pending: PendingPermit | None = None) -> dict[str, Any]:
    """Return one camera as an inventory row (column -> value; None for an empty cell)."""
    config, stored = state.config, state.stored_permit
    auth = config.auth
    row: dict[str, Any] = {"id": config.camera_id}
    row |= {column: getattr(config, column) for column in SETTING_COLUMNS}
    row["source"] = mask_secrets(config.source)
    row |= {
        "auth": auth.kind if auth else None,
        "username": auth.username if auth else None,
        "password_env": auth.password_env if auth else None,
        "password_file": str(auth.password_file) if auth and auth.password_file else None,
    }
    decision = stored.permit.decision if stored else pending.decision if pending else None
    if decision is not None:
        row |= {
            "decision": decision.reference_number,
            "valid_from": decision.valid_from,
            "valid_to": decision.valid_to,
            "hours": decision.permitted_hours,
            "purpose": decision.purpose,
        }
    size = state.infos[0].size_wh if state.infos else None
    if pending is not None:
        row["area"] = WHOLE_VIEW
    elif stored is not None:
        points = _points(stored.permit)
        whole = size is not None and points == _points(Permit.whole_image(size))
        row["area"] = WHOLE_VIEW if whole else tuple((x, y) for x, y in points)
    return row


# planning a row


def _plan_row(store: Store, row: InventoryRow, lines: list[int], actor: str) -> RowPlan:
    line, camera_id = row.line, row.camera_id
    invalid = RowPlan(line, camera_id, Change.INVALID)
    try:
        check_camera_id(camera_id)
    except FovMonitorError as exc:
        return dataclasses.replace(invalid, errors=(RowError(line, "id", str(exc), camera_id),))
    if len(lines) > 1:
        others = ", ".join(str(other) for other in lines if other != line)
        error = RowError(line, "id", f"camera {camera_id} is on row(s) {others} too; give one row a camera")
        return dataclasses.replace(invalid, errors=(error,))
    try:
        state = store.camera_state(camera_id) if store.has_camera(camera_id) else None
        pending = store.pending_permit(camera_id) if state and state.stored_permit is None else None
    except FovMonitorError as exc:
        message = f"the camera in the store cannot be read ({exc}); repair it first (fov-monitor validate)"
        return dataclasses.replace(invalid, errors=(RowError(line, None, message, camera_id),))
    before = state.config if state else None
    stored = state.stored_permit if state else None
    errors: list[RowError] = []
    config = _target_config(row, before, errors)
    permit, new_pending, size = _target_permit(row, state, pending, config, actor, errors)
    if errors or config is None:
        return dataclasses.replace(invalid, errors=tuple(errors))
    before_permit = stored.permit if stored else None
    permit_changes = _changed_permit(before_permit, pending, permit, new_pending)
    changed = _changed_settings(before, config) + permit_changes
    change = Change.ADDED if before is None else Change.CHANGED if changed else Change.UNCHANGED
    return RowPlan(
        line,
        camera_id,
        change,
        changed,
        config=config,
        before=before,
        permit=permit if permit_changes else None,
        pending=new_pending if permit_changes else None,
        reference_size=size,
    )


def _target_config(
    row: InventoryRow, before: CameraConfig | None, errors: list[RowError]
) -> CameraConfig | None:
    """Return the camera's settings the row states (what it does not give kept); None on errors."""
    line, camera_id = row.line, row.camera_id
    changes: dict[str, Any] = {}
    for column in SETTING_COLUMNS:
        if column not in row.given:
            continue
        value: Any = _source(row, before, errors) if column == "source" else row.get(column)
        if value is None:
            if column == "source":
                continue  # said why
            value = _DEFAULTS[column]
        try:
            CameraConfig(camera_id, **{column: value})
        except FovMonitorError as exc:
            message = str(exc).removeprefix(f"camera {camera_id}: ").removeprefix(f"{column} ")
            errors.append(RowError(line, column, message, camera_id))
            continue
        changes[column] = value
    if before is None and "source" not in row.given:
        errors.append(RowError(line, "source", "a new camera needs its source", camera_id))
    if any(column in row.given for column in AUTH_COLUMNS):
        changes["auth"] = _auth(row, errors)
    if errors:
        return None
    return (before or CameraConfig(camera_id)).with_changes(**changes)


def _source(row: InventoryRow, before: CameraConfig | None, errors: list[RowError]) -> str | None:
    """Return the row's source (None when refused, saying why); a source as an export masks it
    stands for the camera's own."""
    source = row.get("source")
    fault = None
    if source is None:
        fault = "is empty; give where a frame is grabbed (a file, folder:DIR, a URL)"
    elif MASK in source and before is not None and mask_secrets(before.source) == source:
        return before.source
    elif MASK in source:
        fault = (
            f"holds a secret written as {MASK} that is not the camera's own; give the source without it "
            "(the password goes in 'password_env' or 'password_file')"
        )
    elif secrets_in(source):
        fault = f"holds {' and '.join(secrets_in(source))} ({redact(source)}): {PASSWORD_REFUSED}"
    if fault is not None:
        errors.append(RowError(row.line, "source", fault, row.camera_id))
        return None
    return source


def _auth(row: InventoryRow, errors: list[RowError]) -> SourceAuth | None:
    """Return the authentication the row states whole (a column it lacks taken as empty)."""
    kind, username = row.get("auth"), row.get("username")
    password_env, password_file = row.get("password_env"), row.get("password_file")
    line, camera_id = row.line, row.camera_id
    if kind is None:
        if username or password_env or password_file:
            errors.append(
                RowError(line, "auth", "is empty while the row names a user or a password; give basic or "
                         "digest, or empty those cells", camera_id)
            )  # fmt: skip
        return None
    if not username:
        errors.append(RowError(line, "username", f"is needed with auth {kind}", camera_id))
    elif (password_env is None) == (password_file is None):
        errors.append(
            RowError(line, "password_env", "give exactly one of 'password_env' and 'password_file' with "
                     "auth: the name of the variable or of the file that holds the password", camera_id)
        )  # fmt: skip
    else:
        return SourceAuth(kind, username, password_env, Path(password_file) if password_file else None)
    return None


def _target_permit(
    row: InventoryRow,
    state: CameraState | None,
    pending: PendingPermit | None,
    config: CameraConfig | None,
    actor: str,
    errors: list[RowError],
) -> tuple[Permit | None, PendingPermit | None, tuple[int, int] | None]:
    """Return the permit the row states, or the pending one, and the reference's size; None when none."""
    stored = state.stored_permit if state else None
    size = state.infos[0].size_wh if state and state.infos else None
    current = stored.permit.decision if stored else pending.decision if pending else None
    decision = _decision(row, errors) if any(c in row.given for c in DECISION_COLUMNS) else current
    area: Area | None = row.get("area")
    if config is None or errors:
        return None, None, size
    tolerance = config.tolerance
    zones = stored.permit.to_dict()["privacy_zones"] if stored else {}
    if area is None:
        if stored is not None:
            area = tuple((x, y) for x, y in _points(stored.permit))
        elif pending is not None:
            area = WHOLE_VIEW
        elif decision is not None:
            errors.append(
                RowError(row.line, "area", f"a decision needs the permitted area: '{WHOLE_VIEW}' or a "
                         "polygon in the reference's pixels", row.camera_id)
            )  # fmt: skip
            return None, None, size
        else:
            return None, None, size
    if isinstance(area, str):  # the whole view
        if size is not None:
            points: Any = Permit.whole_image(size).to_dict()["permitted_xy"]
        elif stored is None:
            return None, PendingPermit(decision, now_utc(), actor), size
        else:
            errors.append(
                RowError(row.line, "area", f"'{WHOLE_VIEW}' needs the camera's reference, and the camera "
                         "has a permit drawn before it; capture the reference first, or give the polygon",
                         row.camera_id)
            )  # fmt: skip
            return None, None, size
    else:
        points = area
    try:
        permit = Permit(points, privacy_zones=zones, tolerance=tolerance, decision=decision)
        if size is not None:
            permit.check_fits(size)
    except FovMonitorError as exc:
        errors.append(RowError(row.line, "area", str(exc), row.camera_id))
        return None, None, size
    return permit, None, size


def _decision(row: InventoryRow, errors: list[RowError]) -> Decision | None:
    """Return the decision the row states whole (a column it lacks taken as empty)."""
    number = row.get("decision")
    given = [column for column in DECISION_COLUMNS[1:] if row.get(column) is not None]
    if number is None:
        if given:
            message = "needs the decision's reference number in column 'decision'"
            errors.append(RowError(row.line, given[0], message, row.camera_id))
        return None
    hours = row.get("hours") or ()
    try:
        Decision(number, permitted_hours=hours)
    except FovMonitorError as exc:
        errors.append(RowError(row.line, "hours", str(exc), row.camera_id))
        return None
    try:
        return Decision(number, row.get("valid_from"), row.get("valid_to"), hours, row.get("purpose") or "")
    except FovMonitorError as exc:
        errors.append(RowError(row.line, "valid_to", str(exc), row.camera_id))
        return None


def _changed_settings(before: CameraConfig | None, after: CameraConfig) -> tuple[str, ...]:
    if before is None:
        return ()
    changed = [column for column in SETTING_COLUMNS if getattr(before, column) != getattr(after, column)]
    return tuple(changed + (["auth"] if before.auth != after.auth else []))


def _changed_permit(
    before: Permit | None,
    pending: PendingPermit | None,
    permit: Permit | None,
    new_pending: PendingPermit | None,
) -> tuple[str, ...]:
    """Return what of the permit changes: ``area``, ``decision``, both or neither."""
    after = permit or new_pending
    if after is None:
        return ()
    was = before or pending
    same_area = (
        was is not None
        and type(was) is type(after)
        and (permit is None or before is None or _points(before) == _points(permit))
    )
    same_decision = (was.decision if was is not None else None) == after.decision
    return (() if same_area else ("area",)) + (() if same_decision else ("decision",))


def _points(permit: Permit) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in permit.to_dict()["permitted_xy"]]


# carrying a row out


def _apply_row(store: Store, database: Database, path: Path, row: RowPlan, actor: str) -> Applied:
    camera_id, config = row.camera_id, row.config
    assert config is not None  # a row that adds or changes a camera has its settings
    where = {"file": str(path.resolve()), "row": row.line}
    detail = where | {
        "change": str(row.change),
        "changed": list(row.changed),
        "settings": _public(config),
        "permit": row.permit.to_dict() if row.permit else None,
        "permit_pending": row.pending.to_dict() if row.pending else None,
    }
    database.audit(actor, AuditAction.CAMERA_IMPORTED, camera_id, detail, at=now_utc())
    try:
        _write(store, row, actor)
    except FovMonitorError as exc:
        database.audit(
            actor, AuditAction.CAMERA_IMPORT_FAILED, camera_id, where | {"error": str(exc)}, at=now_utc()
        )
        return Applied(row, str(exc))
    return Applied(row)


def _write(store: Store, row: RowPlan, actor: str) -> None:
    """Write the camera's settings, then its permit; undo the settings when the permit fails."""
    camera_id, config, before = row.camera_id, row.config, row.before
    assert config is not None
    if before is None:
        store.add_camera(config)
    elif config != before:
        store.save_camera(config)
    try:
        if row.permit is not None:
            store.save_permit(camera_id, row.permit, row.reference_size, actor)
        elif row.pending is not None:
            store.save_pending_permit(camera_id, row.pending)
    except FovMonitorError:
        _undo_settings(store, camera_id, before, changed=config != before)
        raise
    if row.permit is not None:
        try:
            store.drop_pending_permit(camera_id)  # no longer counts now that permit.json exists
        except FovMonitorError as exc:
            log.warning("camera %s: its pending permit is left (it no longer counts): %s", camera_id, exc)


def _undo_settings(store: Store, camera_id: str, before: CameraConfig | None, *, changed: bool) -> None:
    try:
        if before is None:
            store.discard_camera(camera_id)
        elif changed:
            store.save_camera(before)
    except FovMonitorError as exc:
        log.error("camera %s: could not undo its settings after a failed import (%s)", camera_id, exc)


def _public(config: CameraConfig) -> Mapping[str, Any]:
    return config.to_dict() | {"source": redact(config.source)}
