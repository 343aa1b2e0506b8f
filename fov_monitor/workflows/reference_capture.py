"""Capture a camera's reference: grab, blur faces, self-test, store, audit.

A reference is never replaced silently: replacing one is a re-baseline, which needs a reason and an
approver, keeps the old reference in the camera's history and writes both to the audit log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from fov_monitor.core.check import check_frame
from fov_monitor.core.enrolment import SelfTest, self_test
from fov_monitor.core.permit import Permit
from fov_monitor.core.permit_carry import CarriedPermit, carry_permit
from fov_monitor.core.reference import Reference
from fov_monitor.core.settings import CheckSettings
from fov_monitor.db.audit import AuditAction
from fov_monitor.db.database import Database
from fov_monitor.errors import N_, FovMonitorError, InvalidSettingsError
from fov_monitor.faces.privacy import PrivacySettings, protect
from fov_monitor.sources import Grab, grab
from fov_monitor.store.camera import CameraConfig
from fov_monitor.store.store import CameraState, ReferenceInfo, Store, check_label, iso_utc, now_utc
from fov_monitor.workflows.bank import forget_learned
from fov_monitor.workflows.privacy_audit import audit_blurring_state

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Approval:
    """Why a reference is replaced, and who approved it."""

    reason: str
    approved_by: str

    def __post_init__(self) -> None:
        if not self.reason.strip() or not self.approved_by.strip():
            raise InvalidSettingsError("a re-baseline needs a non-empty --reason and --approved-by").saying(
                N_("A re-baseline needs a reason and the name of who approved it.")
            )


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
    frames: int = 1,
    every_s: float = 1.0,
) -> CaptureOutcome:
    """Grab and store a reference of an enrolled camera.

    The steps, which a capture of many cameras (:mod:`fov_monitor.workflows.fleet_capture`) runs
    apart: :func:`capture_state` (may the camera get this reference?), :func:`grab_for_reference`,
    :func:`develop_reference` (faces blurred, self-test, features) and :func:`keep_reference` (stored,
    audited).

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
    frames : int
        Frames of the view to grab (1 to :data:`MAX_FRAMES`): the first becomes the reference, the
        others test how much of the view stays the same and are part of the self-test.
    every_s : float
        Seconds between those grabs (0 to :data:`MAX_EVERY_S`).

    Returns
    -------
    CaptureOutcome
    """
    frames, every_s = check_frames(frames, every_s)
    state = capture_state(store, camera_id, label, approval)
    frame = grab_for_reference(store, state.config, source)
    others = [
        grab_for_reference(store, state.config, source, after_s=every_s).image for _ in range(frames - 1)
    ]
    developed = develop_reference(
        frame.image,
        check_label(label),
        hfov_deg=state.config.hfov_deg,
        settings=settings,
        privacy=privacy,
        others=others,
    )
    return keep_reference(
        store,
        database,
        state,
        developed,
        frame.source,
        actor=actor,
        approval=approval,
        settings=settings,
        taken_at=frame.grabbed_at,
    )


@dataclass(frozen=True, slots=True)
class DevelopedReference:
    """A grabbed frame made a reference: faces blurred, self-tested, its features computed.

    Attributes
    ----------
    image : (H, W, 3) uint8 array
        The frame with faces blurred: what is stored.
    self_test : SelfTest
    prepared : Reference
        Its features, cached beside the image.
    faces_blurred : bool
        Whether the faces were blurred (False while the store's settings switch blurring off).
    blur_off_because : str
        What switched it off, for the audit log.
    """

    image: np.ndarray
    self_test: SelfTest
    prepared: Reference
    faces_blurred: bool = True
    blur_off_because: str = ""

    @property
    def size_wh(self) -> tuple[int, int]:
        """Width and height of the image, pixels."""
        return (int(self.image.shape[1]), int(self.image.shape[0]))


def capture_state(store: Store, camera_id: str, label: str, approval: Approval | None) -> CameraState:
    """Read the camera and return it if it may get a ``label`` reference (a re-baseline with ``approval``).

    Raises
    ------
    FovMonitorError
        When the camera cannot be read; when it has that reference already (not a re-baseline), or
        has none to replace (a re-baseline).
    """
    label = check_label(label)
    state = store.camera_state(camera_id)
    existing = {info.label for info in state.infos}
    if approval is not None and label not in existing:
        raise InvalidSettingsError(
            f"camera {camera_id} has no {label!r} reference to replace; use 'fov-monitor reference capture'"
        ).saying(
            N_("Camera %(camera)s has no reference %(label)s to replace."), camera=camera_id, label=label
        )
    if approval is None and label in existing:
        raise InvalidSettingsError(
            f"camera {camera_id} already has a {label!r} reference; a reference is never replaced silently: "
            f"use 'fov-monitor reference rebaseline {camera_id} --label {label} --reason ... "
            "--approved-by ...'"
        )
    return state


def grab_for_reference(
    store: Store, config: CameraConfig, source: str | None = None, *, after_s: float = 0.0
) -> Grab:
    """Grab the camera's frame within its timeout, from ``source`` (a file, a URL) when given.

    ``after_s``: wait this long first (the further frames of an enrolment over a span).
    """
    if after_s:
        time.sleep(after_s)
    return grab(
        source or config.source,
        auth=None if source else store.source_auth(config),
        timeout_s=config.timeout_s,
    )


def develop_reference(
    image: np.ndarray,
    label: str,
    *,
    hfov_deg: float | None,
    settings: CheckSettings | None,
    privacy: PrivacySettings,
    others: Sequence[np.ndarray] = (),
) -> DevelopedReference:
    """Blur the faces of a grabbed frame, self-test it and compute its features (no I/O).

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        The frame as grabbed.
    label : str
        The reference's label.
    hfov_deg : float, optional
        The camera's field of view, to state the self-test in degrees.
    settings : CheckSettings, optional
    privacy : PrivacySettings
        The store's face blurring.
    others : sequence of (H, W, 3) uint8 arrays
        Further frames of the view grabbed over a span (faces blurred here too): the self-test measures
        how much of the view stays the same and certifies the smallest move on each of them.

    Raises
    ------
    InvalidSettingsError
        When a further frame is not of the first one's size.
    """
    protected = protect(image, privacy)
    further = [protect(other, privacy) for other in others]
    for other in further:
        if other.shape[:2] != protected.shape[:2]:
            raise InvalidSettingsError(
                f"the camera sent a {other.shape[1]}x{other.shape[0]} frame after a "
                f"{protected.shape[1]}x{protected.shape[0]} one during enrolment; fix its stream's "
                "resolution and capture again"
            )
    test = self_test(protected, label=label, hfov_deg=hfov_deg, settings=settings, others=further)
    return DevelopedReference(
        protected,
        test,
        Reference.from_image(protected, label=label, settings=settings),
        privacy.blur_faces,
        privacy.off_because,
    )


def keep_reference(
    store: Store,
    database: Database,
    state: CameraState,
    developed: DevelopedReference,
    grabbed_from: str,
    *,
    actor: str,
    approval: Approval | None = None,
    settings: CheckSettings | None = None,
    taken_at: datetime | None = None,
) -> CaptureOutcome:
    """Store a developed reference of the camera read as ``state``, and write it to the audit log.

    A re-baseline (``approval``) moves the permit's drawing with a moved view; the first reference
    of a camera whose permit of the whole view is pending sets that permit.

    Parameters
    ----------
    grabbed_from : str
        The source the frame came from, redacted (:attr:`Grab.source`).
    taken_at : datetime, optional
        When the frame was grabbed (:attr:`Grab.grabbed_at`); now when not given, never earlier.

    Raises
    ------
    FovMonitorError
        When the reference does not fit the camera's view or permit, or cannot be stored.
    """
    camera_id, config, label = state.camera_id, state.config, developed.prepared.label
    image, test, size = developed.image, developed.self_test, developed.size_wh
    _check_fits_the_camera(state, label, size)
    taken = taken_at or datetime.now(UTC)
    audit_blurring_state(store.root, database, actor, developed.faces_blurred, developed.blur_off_because)
    carried, permit_note = _carry_permit(store, state, label, image, settings) if approval else (None, None)
    existing = {info.label: info for info in state.infos}
    record = (
        {"reason": approval.reason, "approved_by": approval.approved_by, "at": now_utc(), "by": actor}
        if approval
        else None
    )
    info = ReferenceInfo(
        label=label,
        size_wh=size,
        # A re-baselined label keeps its place among the camera's references; its picture is new.
        captured_at=existing[label].captured_at if approval else iso_utc(taken),
        # To the microsecond: a check recorded (to the second) in the same second counts as earlier.
        taken_at=taken.astimezone(UTC).isoformat(timespec="microseconds"),
        faces_blurred=developed.faces_blurred,
        captured_by=actor,
        source=grabbed_from,
        image_sha256="",
        self_test=test.to_dict(),
        rebaseline=record,
    )
    prepared = developed.prepared
    detail = {
        "label": label,
        "source": grabbed_from,
        "self_test": test.to_dict(),
        "reason": approval.reason if approval else None,
        "approved_by": approval.approved_by if approval else None,
        "faces_blurred": developed.faces_blurred,
    }
    # The audit line goes before the files change: a database that refuses it (locked, full disk)
    # leaves the store as it was. A first capture's line is its whole record (a capture whose files
    # then fail is marked failed); a re-baseline's says it started, and its last line, once the files
    # are written, names where the old reference is kept.
    if approval is None:
        first = detail | {"previous_kept_at": None}
        with database.audited_change(actor, AuditAction.REFERENCE_CAPTURED, camera_id, first, now_utc()):
            kept = _save_with_permit(store, database, state, label, image, info, prepared, None, actor, None)
        if not state.infos and state.stored_permit is None:
            permit_note = _set_pending_permit(store, database, camera_id, size, config.tolerance, actor)
        return CaptureOutcome(info, test, kept, carried, permit_note)
    started = {"label": label, "reason": approval.reason, "approved_by": approval.approved_by}
    database.audit(actor, AuditAction.REFERENCE_REBASELINE_STARTED, camera_id, started, at=now_utc())
    try:
        kept = _save_with_permit(
            store, database, state, label, image, info, prepared, carried, actor, approval
        )
    except BaseException as exc:
        failed = {"label": label, "error": str(exc)}
        try:
            database.audit(actor, AuditAction.REFERENCE_REBASELINE_FAILED, camera_id, failed, at=now_utc())
        except FovMonitorError as second:
            log.error(
                "camera %s: the failed re-baseline of %r was not recorded (%s)", camera_id, label, second
            )
        raise
    database.audit(
        actor,
        AuditAction.REFERENCE_REBASELINED,
        camera_id,
        detail | {"previous_kept_at": str(kept) if kept else None},
        at=now_utc(),
    )
    if _is_base(state, label):
        # Learned references were verified against the base being replaced: they measure against
        # it no longer, so they leave the bank (kept in history/), each with its audit line.
        why = f"the {label!r} base reference was re-baselined"
        forget_learned(store, database, state.camera_id, actor=actor, why=why)
    return CaptureOutcome(info, test, kept, carried, permit_note)


def _is_base(state: CameraState, label: str) -> bool:
    """Return True if ``label`` is the camera's base reference (the first a technician captured)."""
    base = next((info for info in state.infos if not info.is_learned), None)
    return base is not None and base.label == label


MAX_FRAMES = 30
"""Frames an enrolment grabs at most."""
MAX_EVERY_S = 60.0
"""Seconds between them at most."""


def check_frames(frames: object, every_s: object) -> tuple[int, float]:
    """Return ``(frames, every_s)`` if they are allowed, else raise naming the rule."""
    if isinstance(frames, bool) or not isinstance(frames, int) or not 1 <= frames <= MAX_FRAMES:
        raise InvalidSettingsError(f"frames must be a whole number from 1 to {MAX_FRAMES}, got {frames!r}")
    if isinstance(every_s, bool) or not isinstance(every_s, int | float) or not 0 <= every_s <= MAX_EVERY_S:
        raise InvalidSettingsError(f"every must be 0 to {MAX_EVERY_S:g} seconds, got {every_s!r}")
    return frames, float(every_s)


def _set_pending_permit(
    store: Store, database: Database, camera_id: str, size_wh: tuple[int, int], tolerance: float, actor: str
) -> str | None:
    """Set the permit of the whole view that waited for the camera's first reference; say so."""
    pending = store.pending_permit(camera_id)
    if pending is None:
        return None
    permit = Permit.whole_image(size_wh, tolerance, pending.decision)
    database.audit(
        actor,
        AuditAction.PERMIT_SET,
        camera_id,
        {"permit": permit.to_dict(), "pending_since": pending.set_at, "pending_by": pending.set_by},
        at=now_utc(),
    )
    store.save_permit(camera_id, permit, size_wh, actor)
    store.drop_pending_permit(camera_id)
    number = pending.decision.reference_number if pending.decision else "no decision recorded"
    return f"permit set: the whole view, as given before the reference ({number})"


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
    # Learned references are verified against the base: a re-baseline of the base retires them.
    others = [info.label for info in state.infos if info.label != label and not info.is_learned]
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
            ).saying(
                N_(
                    "The camera's picture is now %(new)s pixels, its first reference %(old)s: a new "
                    "reference must have the same shape. Nothing was changed."
                ),
                new=f"{size[0]}×{size[1]}",
                old=f"{first.size_wh[0]}×{first.size_wh[1]}",
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
        ).saying(
            N_(
                "The camera's picture is now %(new)s pixels, but the permit was drawn on one of %(old)s. "
                "Set the camera back to that resolution, or a technician draws the permit again. Nothing "
                "was changed."
            ),
            new=f"{size[0]}×{size[1]}",
            old=f"{stored.reference_size[0]}×{stored.reference_size[1]}",
        )
    stored.permit.check_fits(size)
