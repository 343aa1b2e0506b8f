"""Check one enrolled camera end to end: grab, verdict, evidence, record.

The one place where the store, the source, the core, the evidence image and the database meet, so
that the technician's ``check``, the nightly scan and the web app's "check now" behave alike.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from fov_monitor.core.check import check_frame
from fov_monitor.core.fingerprint import FrameFingerprint
from fov_monitor.core.permit import Permit
from fov_monitor.core.reference import Reference
from fov_monitor.core.result import CheckResult, Status
from fov_monitor.core.settings import CheckSettings
from fov_monitor.db.audit import AuditAction
from fov_monitor.db.database import Database
from fov_monitor.errors import N_, InvalidFingerprintError, InvalidPermitError, PeopleMessage, StoreError
from fov_monitor.faces.privacy import PrivacySettings, encode_unblurred_copy, write_unblurred_copy
from fov_monitor.sources import Grab, grab
from fov_monitor.store.camera import CameraConfig
from fov_monitor.store.store import LoadedCamera, Store, StoredPermit, iso_utc
from fov_monitor.workflows.bank import LearningCandidate, learning_candidate
from fov_monitor.workflows.evidence import (
    UNBLURRED_MARK,
    encode_evidence,
    render_evidence,
    write_encoded_evidence,
)
from fov_monitor.workflows.privacy_audit import audit_face_blurring

log = logging.getLogger(__name__)


class EvidencePolicy(enum.StrEnum):
    """When to write an evidence image (``check --evidence``)."""

    AUTO = "auto"
    """For a verdict that is not compliant."""
    ALWAYS = "always"
    """For every verdict (the web app's "check now" shows the last live frame from it)."""
    NEVER = "never"

    def wants(self, status: Status) -> bool:
        """Return True if a verdict of ``status`` gets an evidence image."""
        return self is EvidencePolicy.ALWAYS or (
            self is EvidencePolicy.AUTO and status is not Status.COMPLIANT
        )


@dataclass(frozen=True, slots=True)
class CameraCheck:
    """The outcome of checking one enrolled camera.

    Attributes
    ----------
    camera_id : str
    result : CheckResult
        The core's verdict.
    checked_at : str
        When the frame was grabbed, ISO 8601 UTC.
    source : str
        Where it was grabbed from, credentials removed.
    evidence_path : Path or None
        The evidence image, when one was written.
    result_id : int
        The row in the results database (0 when not recorded).
    timings_ms : dict of str to float
        Wall-clock milliseconds: load (settings, permit, references), grab (incl. decode), check,
        evidence, record, total.
    evidence_error : str or None
        Why the evidence image could not be written (e.g. disk full); the verdict stands.
    permit : Permit or None
        The permit the frame was judged against, as loaded for the check.
    """

    camera_id: str
    result: CheckResult
    checked_at: str
    source: str
    evidence_path: Path | None
    result_id: int
    timings_ms: dict[str, float] = field(default_factory=dict)
    evidence_error: str | None = None
    permit: Permit | None = None


def check_camera(
    store: Store,
    database: Database,
    camera_id: str,
    *,
    actor: str,
    source: str | None = None,
    evidence: EvidencePolicy = EvidencePolicy.AUTO,
    settings: CheckSettings | None = None,
    privacy: PrivacySettings,
    record: bool = True,
) -> CameraCheck:
    """Grab a live frame of an enrolled camera, judge it, write evidence and record the result.

    Parameters
    ----------
    store : Store
        Where the camera's settings, permit and references are.
    database : Database
        Where the result and its audit line go.
    camera_id : str
        The camera to check.
    actor : str
        Who asked (a user name, ``"scan"``); written to the audit log.
    source : str, optional
        Grab from here instead of the camera's own source (e.g. a file a technician brought).
    evidence : EvidencePolicy
        Write an evidence image for non-compliant verdicts, always, or never (``"always"`` and the
        other values are taken too).
    settings : CheckSettings, optional
        Core thresholds.
    privacy : PrivacySettings
        The store's face blurring of what is written, and whether an unblurred copy is kept.
    record : bool
        Store the result (and compare with the previous one to detect a frozen feed). Off for the
        re-aim aid, whose grabs seconds apart would look frozen and would flood the history.

    Returns
    -------
    CameraCheck

    Raises
    ------
    UnknownCameraError, StoreError, InvalidPermitError, SourceError
        One line naming the camera and what to do.
    """
    started = time.perf_counter()
    loaded_camera = load_camera(store, camera_id, settings)
    audit_face_blurring(store.root, database, actor, privacy)
    loaded = time.perf_counter()

    frame = grab(
        source or loaded_camera.config.source,
        auth=store.source_auth(loaded_camera.config) if source is None else None,
        timeout_s=loaded_camera.config.timeout_s,
    )
    grabbed = time.perf_counter()
    # Only the camera's own feed has a history to repeat; a file a technician brings does not.
    previous = previous_fingerprint(database, camera_id) if record and source is None else None
    judged = judge_grab(
        store,
        loaded_camera,
        frame,
        previous=previous,
        evidence=evidence,
        settings=settings,
        privacy=privacy,
        write_files=False,
    )
    checked_at = judged.checked_at
    # The unblurred copy's audit line commits before the copy exists; what is written is removed
    # again when the result cannot be recorded, so nothing stays behind unaudited or unrecorded.
    audit_unblurred_copy(database, actor, camera_id, judged)
    judged = write_judgement_files(judged)
    try:
        if judged.evidence_error is not None:
            database.audit(
                actor,
                AuditAction.EVIDENCE_NOT_WRITTEN,
                camera_id,
                {"error": judged.evidence_error},
                at=checked_at,
            )
        written = time.perf_counter()
        result_id = 0
        if record:
            result_id = database.record_result(
                camera_id,
                judged.result,
                checked_at=checked_at,
                source=frame.source,
                evidence_path=str(judged.evidence_path) if judged.evidence_path else None,
                actor=actor,
            )
    except BaseException:
        remove_judgement_files(judged)
        raise
    recorded = time.perf_counter()
    timings = {
        "load": (loaded - started) * 1e3,
        "grab": (grabbed - loaded) * 1e3,
        "check": judged.check_ms,
        "evidence": (written - grabbed) * 1e3 - judged.check_ms,
        "record": (recorded - written) * 1e3,
        "total": (recorded - started) * 1e3,
    }
    return CameraCheck(
        camera_id,
        judged.result,
        checked_at,
        frame.source,
        judged.evidence_path,
        result_id,
        timings,
        judged.evidence_error,
        loaded_camera.stored_permit.permit if loaded_camera.stored_permit else None,
    )


def load_camera(
    store: Store,
    camera_id: str,
    settings: CheckSettings | None = None,
    *,
    config: CameraConfig | None = None,
) -> LoadedCamera:
    """Load a camera in one pass (see :meth:`Store.load_camera`) and check that it can be judged.

    Parameters
    ----------
    store : Store
    camera_id : str
    settings : CheckSettings, optional
        Core thresholds (the working width the features are made at).
    config : CameraConfig, optional
        The camera's settings when they were read for the grab already: not read again.

    Raises
    ------
    UnknownCameraError, StoreError, InvalidPermitError, InvalidSettingsError
        One line naming the camera (or file) and what to do: no permit, no reference, a reference
        that cannot be read, a permit drawn on another size.
    """
    camera = store.load_camera(camera_id, settings, config=config)
    stored, references = _checkable(camera)
    _check_permit_size(camera, stored, references[0].size_wh)
    return camera


@dataclass(frozen=True, slots=True)
class Judgement:
    """The verdict on one grabbed frame and the files written for it (nothing in the database).

    Attributes
    ----------
    result : CheckResult
    checked_at : str
        When the frame was grabbed, ISO 8601 UTC.
    evidence_path : Path or None
        The evidence image, when one was written (or is to be, see ``evidence_bytes``).
    unblurred : (Path, datetime) or None
        The unblurred copy kept and when it is due for deletion, for the audit log.
    check_ms : float
        Wall-clock milliseconds of the verdict alone.
    evidence_error : str or None
        Why the evidence image (or unblurred copy) could not be written; the verdict stands.
    evidence_bytes, unblurred_bytes : bytes or None
        The encoded evidence image when the judge was told not to write it (``write_files=False``),
        and the encoded unblurred copy (never written by the judge: its audit line comes first,
        :func:`audit_unblurred_copy`); :func:`write_judgement_files` writes them at their paths.
    learning : LearningCandidate or None
        The frame, faces blurred and verified against the base reference, when it may join the
        camera's reference bank (asked for with ``learn=True``); the caller that writes the store
        keeps it (:func:`fov_monitor.workflows.bank.learn_reference`).
    """

    result: CheckResult
    checked_at: str
    evidence_path: Path | None
    unblurred: tuple[Path, datetime] | None
    check_ms: float
    evidence_error: str | None = None
    evidence_bytes: bytes | None = field(default=None, repr=False)
    unblurred_bytes: bytes | None = field(default=None, repr=False)
    learning: LearningCandidate | None = field(default=None, repr=False)


def judge_grab(
    store: Store,
    camera: LoadedCamera,
    frame: Grab,
    *,
    previous: FrameFingerprint | None,
    evidence: EvidencePolicy = EvidencePolicy.AUTO,
    settings: CheckSettings | None = None,
    privacy: PrivacySettings,
    write_files: bool = True,
    learn: bool = False,
) -> Judgement:
    """Judge a grabbed frame of a loaded camera and write its evidence image; record nothing.

    The part of :func:`check_camera` that needs no database, so that a scan can run it in a worker
    process while its parent owns the database writes.

    Parameters
    ----------
    store : Store
        Where evidence images and unblurred copies go.
    camera : LoadedCamera
        From :func:`load_camera`; nothing of the camera is read again (evidence is drawn on its
        first reference image, kept in it).
    frame : Grab
        The live frame (only its image, grab time and source are used).
    previous : FrameFingerprint or None
        The fingerprint of the camera's previous recorded frame, to tell a frozen feed.
    evidence : EvidencePolicy
        Write an evidence image for non-compliant verdicts, always, or never (``"always"`` and the
        other values are taken too).
    settings : CheckSettings, optional
        Core thresholds.
    privacy : PrivacySettings
        The store's face blurring of what is written, and whether an unblurred copy is kept.
    write_files : bool
        Write the evidence image into the store. False: return it encoded in the judgement instead,
        for a caller that can write the store when this process cannot. The unblurred copy (when
        the settings keep one, for a verdict that is not compliant) is never written here: it comes
        back encoded, for the caller to write after its audit line (:func:`audit_unblurred_copy`).
    learn : bool
        Prepare the frame for the camera's reference bank when the bank's rules allow it (the scan).

    Returns
    -------
    Judgement
    """
    stored, references = _checkable(camera)
    started = time.perf_counter()
    result = check_frame(
        references,
        stored.permit,
        frame.image,
        hfov_deg=camera.config.hfov_deg,
        settings=settings,
        previous=previous,
    )
    check_ms = (time.perf_counter() - started) * 1e3
    checked_at = iso_utc(frame.grabbed_at)
    judgement = Judgement(result, checked_at, None, None, check_ms)
    if EvidencePolicy(evidence).wants(result.status):
        evidence_path, evidence_bytes = _render_evidence(store, camera, stored, result, frame.image, privacy)
        judgement = dataclasses.replace(judgement, evidence_path=evidence_path, evidence_bytes=evidence_bytes)
        # A compliant view (the web app's "check now" keeps its evidence) is nothing to keep unblurred.
        if privacy.keep_unblurred and result.status is not Status.COMPLIANT:
            path, data, delete_after = encode_unblurred_copy(
                store.root, camera.camera_id, frame.image, privacy
            )
            judgement = dataclasses.replace(judgement, unblurred=(path, delete_after), unblurred_bytes=data)
    if learn and result.status is Status.COMPLIANT:
        candidate = learning_candidate(
            camera,
            frame.image,
            result,
            frame_at=checked_at,
            source=frame.source,
            privacy=privacy,
            settings=settings,
        )
        if isinstance(candidate, LearningCandidate):
            judgement = dataclasses.replace(judgement, learning=candidate)
        else:
            log.debug("camera %s: frame not learned: %s", camera.camera_id, candidate.reason)
    return write_evidence_file(judgement) if write_files else judgement


def audit_unblurred_copy(database: Database, actor: str, camera_id: str, judgement: Judgement) -> None:
    """Write the audit line of the unblurred copy a judgement carries, before the copy is written.

    Raises
    ------
    StoreError
        When the database refuses the line: then the copy must not be written.
    """
    if judgement.unblurred is None:
        return
    kept, delete_after = judgement.unblurred
    database.audit(
        actor,
        AuditAction.UNBLURRED_COPY_KEPT,
        camera_id,
        {"path": str(kept), "delete_after": delete_after.isoformat(timespec="seconds")},
        at=judgement.checked_at,
    )


def remove_judgement_files(judgement: Judgement) -> None:
    """Delete the evidence image and unblurred copy a judgement wrote (its result was not recorded)."""
    for path in (judgement.evidence_path, judgement.unblurred[0] if judgement.unblurred else None):
        if path is not None:
            try:
                Path(path).unlink(missing_ok=True)
            except OSError as exc:
                log.warning("could not remove %s, written for a result that was not recorded: %s", path, exc)


def write_evidence_file(judgement: Judgement) -> Judgement:
    """Write the evidence image a judgement carries (not its unblurred copy); return it without the bytes."""
    unblurred = (judgement.unblurred, judgement.unblurred_bytes)
    written = write_judgement_files(dataclasses.replace(judgement, unblurred_bytes=None))
    if written.evidence_error is not None:
        return written
    return dataclasses.replace(written, unblurred=unblurred[0], unblurred_bytes=unblurred[1])


def write_judgement_files(judgement: Judgement) -> Judgement:
    """Write the evidence image and unblurred copy a judgement carries; return it without them.

    For judgements made with ``write_files=False`` (a scan's Dask worker, which reads the store
    only): the scan's parent writes them here, at the paths the judgement names. A file that cannot
    be written (disk full, permissions) does not cost the verdict: the judgement comes back without
    that file's path and with ``evidence_error`` saying why.
    """
    written = dataclasses.replace(judgement, evidence_bytes=None, unblurred_bytes=None)
    try:
        if judgement.evidence_bytes is not None and judgement.evidence_path is not None:
            write_encoded_evidence(judgement.evidence_bytes, judgement.evidence_path)
    except StoreError as exc:
        log.warning("%s", exc)
        return dataclasses.replace(written, evidence_path=None, unblurred=None, evidence_error=str(exc))
    try:
        if judgement.unblurred_bytes is not None and judgement.unblurred is not None:
            write_unblurred_copy(judgement.unblurred_bytes, judgement.unblurred[0])
    except StoreError as exc:
        log.warning("%s", exc)
        return dataclasses.replace(written, unblurred=None, evidence_error=str(exc))
    return written


def evidence_folder(store: Store, camera_id: str) -> Path:
    """Return the folder of a camera's evidence images (beside, not inside, its settings)."""
    return store.root / "_evidence" / camera_id


def previous_fingerprint(database: Database, camera_id: str) -> FrameFingerprint | None:
    """Return the fingerprint of the camera's latest recorded frame, None when none or unusable."""
    stored = database.last_fingerprint(camera_id)
    if stored is None:
        return None
    try:
        return FrameFingerprint.from_bytes(stored)
    except InvalidFingerprintError as exc:
        log.warning(
            "camera %s: previous fingerprint unusable, frozen feed not judged this time: %s", camera_id, exc
        )
        return None


def _checkable(camera: LoadedCamera) -> tuple[StoredPermit, list[Reference]]:
    """Return the camera's permit and prepared references, raising when it has either not."""
    if camera.stored_permit is None:
        raise StoreError(
            f"camera {camera.camera_id!r} has no permit yet; set one with 'fov-monitor permit set "
            f"{camera.camera_id} --polygon ...'"
        ).saying(
            N_("Camera %(camera)s has no permit yet: a technician draws it with “%(edit)s” first."),
            camera=camera.camera_id,
            edit=PeopleMessage(N_("Edit permit")),
        )
    return camera.stored_permit, camera.prepared()


def _check_permit_size(camera: LoadedCamera, stored: StoredPermit, size_wh: tuple[int, int]) -> None:
    path, camera_id = camera.state.permit_path, camera.camera_id
    if stored.reference_size is not None and tuple(stored.reference_size) != tuple(size_wh):
        raise InvalidPermitError(
            f"{path}: drawn on a {stored.reference_size[0]}x{stored.reference_size[1]} reference, but the "
            f"reference is {size_wh[0]}x{size_wh[1]}; redraw it with 'fov-monitor permit set {camera_id}'"
        ).saying(
            N_(
                "The permit of camera %(camera)s was drawn on a picture of %(old)s pixels, but its "
                "reference has %(new)s: a technician draws it again with “%(edit)s”."
            ),
            camera=camera_id,
            old=f"{stored.reference_size[0]}×{stored.reference_size[1]}",
            new=f"{size_wh[0]}×{size_wh[1]}",
            edit=PeopleMessage(N_("Edit permit")),
        )
    try:
        stored.permit.check_fits(size_wh)
    except InvalidPermitError as exc:
        raise InvalidPermitError(f"{path}: {exc}") from None


def _render_evidence(
    store: Store,
    camera: LoadedCamera,
    stored: StoredPermit,
    result: CheckResult,
    live: np.ndarray,
    privacy: PrivacySettings,
) -> tuple[Path, bytes]:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    infos = camera.state.infos
    image = render_evidence(
        camera.base_image(),
        live,
        stored.permit,
        result,
        title=f"camera {camera.camera_id}   {stamp}",
        privacy=privacy,
        reference_blurred=bool(infos) and infos[0].faces_blurred is True,
    )
    # An image written with blurring off says so in its name, wherever its path is shown or sent.
    marker = "" if privacy.blur_faces else UNBLURRED_MARK
    path = evidence_folder(store, camera.camera_id) / f"{stamp}-{result.status}{marker}.jpg"
    return path, encode_evidence(image, path)
