"""Capture a camera's reference: grab, blur faces, self-test, store, audit.

A reference is never replaced silently: replacing one is a re-baseline, which needs a reason and an
approver, keeps the old reference in the camera's history and writes both to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

import numpy as np

from fov_monitor.core.check import check_frame
from fov_monitor.core.enrolment import SelfTest, self_test
from fov_monitor.core.permit_carry import CarriedPermit, carry_permit
from fov_monitor.core.reference import Reference
from fov_monitor.core.settings import CheckSettings
from fov_monitor.db.audit import AuditAction
from fov_monitor.db.database import Database
from fov_monitor.errors import FovMonitorError, InvalidSettingsError
from fov_monitor.faces.privacy import PrivacySettings, protect
from fov_monitor.sources import grab
from fov_monitor.store.store import CameraState, ReferenceInfo, Store, check_label, iso_utc, now_utc
from fov_monitor.workflows.privacy_audit import audit_face_blurring


@dataclass(frozen=True, slots=True)
class Approval:
    """Why a reference is replaced, and who approved it."""

    reason: str
    approved_by: str

    def __post_init__(self) -> None:
        if not self.reason.strip() or not self.approved_by.strip():
            raise InvalidSettingsError("a re-baseline needs a non-empty --reason and --approved-by")


@dataclass(frozen=True, slots=True)
class CaptureOutcome:
    """What was stored: the reference's record, its self-test and where the old one was kept.

    For a re-baseline also what became of the permit's drawing: ``carried`` when the view had moved
    and the drawing was moved with it (see :mod:`fov_monitor.core.permit_carry`), ``permit_note`` when
    the new view could not be aligned to the old one and the drawing was left as it was.
    """

    info: ReferenceInfo
    self_test: SelfTest
    kept: Path | None
    carried: CarriedPermit | None = None
    permit_note: str | None = None

    def permit_line(self) -> str | None:
        """Return one line on what became of the permit's drawing, None when nothing needs saying."""
        if self.carried is None:
            return self.permit_note
        dx, dy = self.carried.shift_fraction
        line = (
            f"the view had moved (centre {dx:+.1%}, {dy:+.1%} of the frame, corners up to "
            f"{self.carried.corner_move:.1%}): the permit's drawing moved with it, so it covers the same "
            "place (a view beyond it is still reported; a new decision: permit set)"
        )
        if self.carried.zones_out_of_view:
            line += f"; privacy zone(s) now out of view: {', '.join(self.carried.zones_out_of_view)}"
        return line


def capture_reference(
    store: Store,
    database: Database,
    camera_id: str,
    *,
    label: str = "day",
    actor: str,
    source: str | None = None,
    approval: Approval | None = None,
    settings: CheckSettings | None = None,
    privacy: PrivacySettings,
) -> CaptureOutcome:
    """Grab and store a reference of an enrolled camera.

    Parameters
    ----------
    store, database : Store, Database
        Where it goes, and the audit log.
    camera_id : str
        The camera.
    label : str
        ``day``, ``night``, ``snow``, a preset name.
    actor : str
        Who captured it.
    source : str, optional
        Grab from here (a file, a URL) instead of the camera's own source.
    approval : Approval, optional
        Given for a re-baseline (replacing an existing reference); without it an existing label
        is refused.
    settings : CheckSettings, optional
        Core settings, for the self-test and the features.
    privacy : PrivacySettings
        The store's face blurring: the stored reference never shows a face.

    Returns
    -------
    CaptureOutcome
    """
    label = check_label(label)
    state = store.camera_state(camera_id)
    config, infos = state.config, state.infos
    existing = {info.label: info for info in infos}
    if approval is not None and label not in existing:
        raise InvalidSettingsError(
            f"camera {camera_id} has no {label!r} reference to replace; use 'fov-monitor reference capture'"
        )
    if approval is None and label in existing:
        raise InvalidSettingsError(
            f"camera {camera_id} already has a {label!r} reference; a reference is never replaced silently: "
            f"use 'fov-monitor reference rebaseline {camera_id} --label {label} --reason ... "
            "--approved-by ...'"
        )
    frame = grab(
        source or config.source,
        auth=None if source else store.source_auth(config),
        timeout_s=config.timeout_s,
    )
    audit_face_blurring(store.root, database, actor, privacy)
    image = protect(frame.image, privacy)
    size = (int(image.shape[1]), int(image.shape[0]))
    _check_fits_the_camera(state, label, size)

    carried, permit_note = _carry_permit(store, state, label, image, settings) if approval else (None, None)
    test = self_test(image, label=label, hfov_deg=config.hfov_deg, settings=settings)
    record = (
        {"reason": approval.reason, "approved_by": approval.approved_by, "at": now_utc(), "by": actor}
        if approval
        else None
    )
    info = ReferenceInfo(
        label=label,
        size_wh=size,
        # A re-baselined label keeps its place among the camera's references; its picture is new.
        captured_at=existing[label].captured_at if approval else iso_utc(frame.grabbed_at),
        # To the microsecond: a check recorded (to the second) in the same second counts as earlier.
        taken_at=frame.grabbed_at.astimezone(UTC).isoformat(timespec="microseconds"),
        faces_blurred=privacy.blur_faces,
        captured_by=actor,
        source=frame.source,
        image_sha256="",
        self_test=test.to_dict(),
        rebaseline=record,
    )
    prepared = Reference.from_image(image, label=label, settings=settings)
    if approval:
        # Written before the files change: if the database fails after them, the replacement is
        # still on record (started, never finished), never silent.
        database.audit(
            actor,
            AuditAction.REFERENCE_REBASELINE_STARTED,
            camera_id,
            {"label": label, "reason": approval.reason, "approved_by": approval.approved_by},
            at=now_utc(),
        )
    try:
        kept = _save_with_permit(
            store, database, state, label, image, info, prepared, carried, actor, approval
        )
    except FovMonitorError as exc:
        if approval:
            database.audit(
                actor,
                AuditAction.REFERENCE_REBASELINE_FAILED,
                camera_id,
                {"label": label, "error": str(exc)},
                at=now_utc(),
            )
        raise
    database.audit(
        actor,
        AuditAction.REFERENCE_REBASELINED if approval else AuditAction.REFERENCE_CAPTURED,
        camera_id,
        {
            "label": label,
            "source": frame.source,
            "self_test": test.to_dict(),
            "reason": approval.reason if approval else None,
            "approved_by": approval.approved_by if approval else None,
            "previous_kept_at": str(kept) if kept else None,
            "faces_blurred": privacy.blur_faces,
        },
        at=now_utc(),
    )
    return CaptureOutcome(info, test, kept, carried, permit_note)


def _carry_permit(
    store: Store,
    state: CameraState,
    label: str,
    image: np.ndarray,
    settings: CheckSettings | None,
) -> tuple[CarriedPermit | None, str | None]:
    """Measure how the new view sits on the reference it replaces; move the drawing if it moved."""
    camera_id, stored = state.camera_id, state.stored_permit
    if stored is None:
        return None, None
    references = store.prepare(state, settings).prepared()
    old = next(reference for reference in references if reference.label == label)
    measured = check_frame(old, stored.permit, image, settings=settings)
    if measured.H_live_to_ref is None or measured.shift_fraction is None:
        return None, (
            f"the new view could not be aligned to the old {label!r} reference ({measured.reasons[0]}); "
            "the permit's drawing is left as it was: check it on the new reference (permit show, or the "
            "web app's editor)"
        )
    size = (int(image.shape[1]), int(image.shape[0]))
    carried = carry_permit(stored.permit, measured.H_live_to_ref, size, measured.shift_fraction)
    others = [info.label for info in state.infos if info.label != label]
    if carried is not None and others:
        dx, dy = carried.shift_fraction
        raise InvalidSettingsError(
            f"camera {camera_id}: the new view has moved ({dx:+.1%}, {dy:+.1%} of the frame) from the "
            f"{label!r} reference it replaces, but the camera's other references ({', '.join(others)}) show "
            "the old view and share the permit's drawing; re-aim the camera to its permitted view, or enrol "
            "it again for the new view (camera remove, camera add)"
        )
    return carried, None


def _save_with_permit(
    store: Store,
    database: Database,
    state: CameraState,
    label: str,
    image: np.ndarray,
    info: ReferenceInfo,
    prepared: Reference,
    carried: CarriedPermit | None,
    actor: str,
    approval: Approval | None,
) -> Path | None:
    """Store the reference, and the permit's drawing moved with the view when it was.

    The drawing goes first: should the reference then fail to be written, the old drawing is put
    back. A crash in between leaves the old reference with the moved drawing, which the next check
    reports as a moved view (a false alarm), never a privacy zone drawn off its window (a miss).
    """
    camera_id, previous = state.camera_id, state.stored_permit
    if carried is None:
        return store.save_reference(
            camera_id, label, image, info, prepared, replace_existing=approval is not None
        )
    assert previous is not None  # a drawing is carried only when there is one
    store.save_permit(camera_id, carried.permit, info.size_wh, actor)
    try:
        kept = store.save_reference(camera_id, label, image, info, prepared, replace_existing=True)
    except BaseException:
        store.save_permit(camera_id, previous.permit, previous.reference_size, actor)
        raise
    database.audit(
        actor,
        AuditAction.PERMIT_CARRIED_OVER,
        camera_id,
        {
            "label": label,
            "reason": approval.reason if approval else None,
            "approved_by": approval.approved_by if approval else None,
            "shift_fraction": list(carried.shift_fraction),
            "corner_move": carried.corner_move,
            "zones_out_of_view": list(carried.zones_out_of_view),
        },
        at=now_utc(),
    )
    return kept


def _check_fits_the_camera(state: CameraState, label: str, size: tuple[int, int]) -> None:
    """Refuse a reference that does not match the view the permit is drawn on."""
    infos = state.infos
    if infos and infos[0].label != label:
        first = infos[0]
        first_aspect, aspect = first.size_wh[0] / first.size_wh[1], size[0] / size[1]
        if abs(aspect - first_aspect) > 0.01 * first_aspect:
            raise InvalidSettingsError(
                f"the new reference is {size[0]}x{size[1]}, the {first.label!r} reference "
                f"{first.size_wh[0]}x{first.size_wh[1]}: references of one view must share an aspect ratio"
            )
        return
    stored = state.stored_permit
    if stored is None:
        return
    if stored.reference_size is not None and tuple(stored.reference_size) != size:
        raise InvalidSettingsError(
            f"the new {label!r} reference is {size[0]}x{size[1]} but the permit was drawn on "
            f"{stored.reference_size[0]}x{stored.reference_size[1]}; grab at the same resolution, or set the "
            "permit again afterwards with 'fov-monitor permit set'"
        )
    stored.permit.check_fits(size)
