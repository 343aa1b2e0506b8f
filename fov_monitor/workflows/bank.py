"""The camera's reference bank in the store: learn a condition reference from the scan, list, forget.

The rules are the core's (:mod:`fov_monitor.core.bank`): a compliant, confident frame in conditions
no reference covers, verified directly against the approved base reference within the camera's
certified smallest move. Here it is made safe to keep: the frame's faces are blurred before anything
is measured or kept (as in every reference), the audit line names the frame and what it was verified
against and is written before the files, and the bank is bounded. The candidate is prepared where
the frame is judged (a scan's worker, which writes nothing) and stored where the store is written
(the scan's parent).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from fov_monitor.core.bank import MAX_LEARNED, Refusal, learning_refusal, verify_against_base
from fov_monitor.core.imaging import to_working_gray
from fov_monitor.core.reference import Reference
from fov_monitor.core.result import CheckResult
from fov_monitor.core.settings import CheckSettings
from fov_monitor.db.audit import AuditAction
from fov_monitor.db.database import Database
from fov_monitor.errors import N_, FovMonitorError, InvalidSettingsError, StoreError
from fov_monitor.faces.privacy import PrivacySettings, protect
from fov_monitor.files.images import decode_image_bytes
from fov_monitor.store.loaded import LoadedCamera
from fov_monitor.store.records import ReferenceInfo
from fov_monitor.store.store import Store, now_utc

log = logging.getLogger(__name__)

LEARNED_PREFIX = "learned-"
"""Learned references are labelled ``learned-<yyyymmddThhmmss>`` (the frame's time, UTC)."""


@dataclass(frozen=True, slots=True)
class LearningCandidate:
    """A compliant frame in new conditions, faces blurred, verified against the base reference.

    Attributes
    ----------
    png : bytes
        The frame as it will be kept (faces blurred), PNG.
    size_wh : (int, int)
        Its size.
    frame_at : str
        When it was grabbed, ISO 8601 UTC.
    source : str
        The camera's source, redacted.
    provenance : dict
        What the record keeps under ``learned``: the base reference it was verified against, the
        shift and zoom measured, the agreeing points and stage, ``to_base``.
    """

    png: bytes
    size_wh: tuple[int, int]
    frame_at: str
    source: str
    provenance: dict[str, Any]


def learning_candidate(
    camera: LoadedCamera,
    image: np.ndarray,
    result: CheckResult,
    *,
    frame_at: str,
    source: str,
    privacy: PrivacySettings,
    settings: CheckSettings | None = None,
) -> LearningCandidate | Refusal:
    """Return the frame ready to join the camera's bank, or why it may not.

    Parameters
    ----------
    camera : LoadedCamera
        The camera as checked (its references are the bank).
    image : (H, W, 3) uint8 array
        The grabbed frame, as grabbed.
    result : CheckResult
        Its verdict.
    frame_at, source : str
        When and from where it was grabbed.
    privacy : PrivacySettings
        Face blurring (a learned reference is blurred as every reference is).
    settings : CheckSettings, optional

    Returns
    -------
    LearningCandidate or Refusal
    """
    settings = settings or CheckSettings()
    references = camera.prepared()
    refusal = learning_refusal(result, references)
    if refusal is not None:
        return refusal
    base_info = next(info for info in camera.state.infos if not info.is_learned)
    blurred = protect(image, privacy)
    working = to_working_gray(blurred, settings.working_width, what="candidate reference")
    certified = base_info.self_test.get("smallest_shift_fraction")
    verified = verify_against_base(
        references[0], working.gray, working.scale, settings, float(certified) if certified else None
    )
    if isinstance(verified, Refusal):
        return verified
    ok, encoded = cv2.imencode(".png", blurred)
    if not ok:
        return Refusal("the frame could not be encoded as PNG")
    provenance = {
        "frame_at": frame_at,
        "verified_against": base_info.label,
        "shift_fraction": [round(float(value), 5) for value in verified.shift_fraction],
        "zoom": round(float(verified.zoom), 5),
        "inliers": verified.inliers,
        "method": str(verified.method),
        "faces_blurred": privacy.blur_faces,
        "to_base": verified.to_base.tolist(),
    }
    size = (int(blurred.shape[1]), int(blurred.shape[0]))
    return LearningCandidate(encoded.tobytes(), size, frame_at, source, provenance)


def learn_reference(
    store: Store,
    database: Database,
    camera_id: str,
    candidate: LearningCandidate,
    *,
    actor: str,
    result_id: int | None = None,
    scan_run: int | None = None,
    settings: CheckSettings | None = None,
) -> ReferenceInfo | None:
    """Keep a learning candidate as a condition reference of the camera's bank; None when it was not kept.

    A full bank (:data:`~fov_monitor.core.bank.MAX_LEARNED`) retires its oldest learned reference
    first (audited, kept in ``history/``).

    The audit line (``reference learned``: the frame, the base reference it was verified against, the
    shift and zoom measured) is written before the files; if the files fail, ``store change failed``
    follows and nothing is left half-written.
    """
    state = store.camera_state(camera_id)
    learned = sorted((info for info in state.infos if info.is_learned), key=lambda info: info.captured_at)
    label = LEARNED_PREFIX + candidate.frame_at.replace("-", "").replace(":", "")[:15]
    if any(info.label == label for info in state.infos):
        return None
    provenance = candidate.provenance | {"result_id": result_id, "scan_run": scan_run}
    info = ReferenceInfo(
        label=label,
        size_wh=candidate.size_wh,
        captured_at=now_utc(),
        captured_by=actor,
        source=candidate.source,
        image_sha256="",
        self_test={},
        learned=provenance,
        taken_at=candidate.frame_at,
        faces_blurred=bool(provenance.get("faces_blurred", True)),
    )
    image = decode_image_bytes(candidate.png, f"learned reference {label} of {camera_id}")
    to_base = np.asarray(provenance["to_base"], np.float64)
    prepared = Reference.from_image(image, label=label, settings=settings, to_base=to_base)
    detail = {"label": label, **{key: value for key, value in provenance.items() if key != "to_base"}}
    for oldest in learned[: max(0, len(learned) - MAX_LEARNED + 1)]:
        why = f"the bank holds at most {MAX_LEARNED} learned references: {label} takes its place"
        forget_reference(store, database, camera_id, oldest.label, actor=actor, why=why)
    try:
        with database.audited_change(actor, AuditAction.REFERENCE_LEARNED, camera_id, detail, now_utc()):
            store.save_reference(camera_id, label, image, info, prepared)
    except (FovMonitorError, OSError) as exc:
        log.warning("camera %s: learned reference %s not kept: %s", camera_id, label, exc)
        return None
    return info


def forget_reference(
    store: Store, database: Database, camera_id: str, label: str, *, actor: str, why: str
) -> None:
    """Remove a learned reference from the camera's bank (kept in ``history/``), audited first.

    Raises
    ------
    InvalidSettingsError
        When ``label`` is not a learned reference of the camera (a technician's reference is replaced
        only by an approved re-baseline).
    """
    state = store.camera_state(camera_id)
    info = next((info for info in state.infos if info.label == label), None)
    if info is None or not info.is_learned:
        learned = ", ".join(info.label for info in state.infos if info.is_learned) or "none"
        raise InvalidSettingsError(
            f"camera {camera_id!r} has no learned reference {label!r} (learned: {learned}); a technician's "
            f"reference is replaced only by 'fov-monitor reference rebaseline {camera_id}'"
        ).saying(
            N_(
                "Camera %(camera)s has no learned reference %(label)s. Only learned references can be "
                "removed; a technician's is replaced only by an approved re-baseline."
            ),
            camera=camera_id,
            label=label,
        )
    database.audit(
        actor, AuditAction.REFERENCE_FORGOTTEN, camera_id, {"label": label, "why": why}, at=now_utc()
    )
    store.retire_reference(camera_id, label)


def forget_learned(store: Store, database: Database, camera_id: str, *, actor: str, why: str) -> list[str]:
    """Remove every learned reference of a camera (its base reference changed); return their labels."""
    labels = [info.label for info in store.camera_state(camera_id).infos if info.is_learned]
    for label in labels:
        try:
            forget_reference(store, database, camera_id, label, actor=actor, why=why)
        except (StoreError, OSError) as exc:
            log.warning("camera %s: learned reference %s not retired: %s", camera_id, label, exc)
    return labels
