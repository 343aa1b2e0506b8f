"""What a camera folder's JSON files record: the stored permit, a pending one, each reference's record.

Parsed strictly, once, with the file and the field named in every error; see
:mod:`fov_monitor.store.store` for the folder's layout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fov_monitor.core.permit import Decision, Permit
from fov_monitor.errors import N_, InvalidPermitError, InvalidSettingsError, StoreError
from fov_monitor.files.json_files import parse_json

PERMIT_SCHEMA_VERSION = 1
REFERENCE_SCHEMA_VERSION = 1
PENDING_PERMIT_FILE = "permit-pending.json"
"""A camera's permit of the whole view, given before it had a reference (see :class:`PendingPermit`)."""

_LABEL_RULE = "1-32 letters, digits, '_' or '-' (e.g. 'day', 'night', 'preset-3')"


@dataclass(frozen=True, slots=True)
class StoredPermit:
    """A camera's permit as stored, with the size of the reference it was drawn on."""

    permit: Permit
    reference_size: tuple[int, int] | None
    set_at: str
    set_by: str


@dataclass(frozen=True, slots=True)
class PendingPermit:
    """A permit of the whole view given before the camera had a reference (``permit-pending.json``).

    The whole view has no polygon until there is a picture: the first reference captured sets the
    permit (its four corners, with this decision) and the file is dropped. A pending permit counts
    only while the camera has no ``permit.json``.
    """

    decision: Decision | None
    set_at: str
    set_by: str

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "schema_version": PERMIT_SCHEMA_VERSION,
            "whole_view": True,
            "decision": self.decision.to_dict() if self.decision else None,
            "set_at": self.set_at,
            "set_by": self.set_by,
        }

    @classmethod
    def from_dict(cls, data: object, *, where: str) -> PendingPermit:
        """Read the JSON form, naming ``where`` and the field in errors."""
        if not isinstance(data, Mapping):
            raise InvalidPermitError(f"{where}: expected a JSON object describing the pending permit")
        known = {"schema_version", "whole_view", "decision", "set_at", "set_by"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidPermitError(
                f"{where}: unknown field {unknown[0]!r}; expected one of {', '.join(sorted(known))}"
            )
        if data.get("schema_version") != PERMIT_SCHEMA_VERSION or data.get("whole_view") is not True:
            raise InvalidPermitError(
                f"{where}: fields 'schema_version' and 'whole_view' must be {PERMIT_SCHEMA_VERSION} and "
                "true; import the camera's row again"
            )
        decision = data.get("decision")
        return cls(
            None if decision is None else Decision.from_dict(decision, where),
            str(data.get("set_at", "")),
            str(data.get("set_by", "")),
        )


@dataclass(frozen=True, slots=True)
class Enrolment:
    """How far a camera's enrolment has come, from which of its files exist (none is parsed).

    Attributes
    ----------
    labels : tuple of str
        The references recorded (``references/<label>.json``), sorted.
    permit : bool
        ``permit.json`` exists.
    permit_pending : bool
        No ``permit.json`` yet, but a permit of the whole view waits for the first reference
        (:class:`PendingPermit`).
    """

    labels: tuple[str, ...]
    permit: bool
    permit_pending: bool

    @property
    def missing(self) -> tuple[str, ...]:
        """What the camera lacks to be checked: ``"reference"``, ``"permit"``, both or neither."""
        return (("reference",) if not self.labels else ()) + (("permit",) if not self.permit else ())


@dataclass(frozen=True, slots=True)
class ReferenceInfo:
    """What is recorded about one reference image (``references/<label>.json``).

    ``captured_at`` is when the label was first captured (it orders a camera's references: the
    first is the one the permit is drawn on); ``taken_at`` is when this picture was grabbed, which a
    re-baseline moves on. A record written before ``taken_at`` existed gets its re-baseline's time,
    else ``captured_at``. ``faces_blurred`` says whether the faces were blurred when the picture was
    stored (False while blurring was switched off; None in records written before it was recorded).
    """

    label: str
    size_wh: tuple[int, int]
    captured_at: str
    captured_by: str
    source: str
    image_sha256: str
    self_test: Mapping[str, Any]
    rebaseline: Mapping[str, Any] | None = None
    features_sha256: str | None = None
    learned: Mapping[str, Any] | None = None
    """For a reference the scan learned (the camera's reference bank): from which frame (``result_id``,
    ``scan_run``, ``frame_at``), verified against which base reference (``verified_against``), how
    far from it (``shift_fraction``, ``zoom``), and ``to_base``, its pixels to the base's (3x3)."""

    taken_at: str = ""
    faces_blurred: bool | None = None

    def __post_init__(self) -> None:
        if not self.taken_at:
            rebaselined = str((self.rebaseline or {}).get("at") or "")
            object.__setattr__(self, "taken_at", max(self.captured_at, rebaselined))

    @property
    def is_learned(self) -> bool:
        """True for a reference the scan learned, False for one a technician captured."""
        return self.learned is not None

    def to_base(self) -> np.ndarray | None:
        """Return a learned reference's homography to the base reference (None for the others)."""
        if self.learned is None:
            return None
        return np.asarray(self.learned["to_base"], np.float64)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "schema_version": REFERENCE_SCHEMA_VERSION,
            "label": self.label,
            "size_wh": list(self.size_wh),
            "captured_at": self.captured_at,
            "taken_at": self.taken_at,
            "faces_blurred": self.faces_blurred,
            "captured_by": self.captured_by,
            "source": self.source,
            "image_sha256": self.image_sha256,
            "self_test": dict(self.self_test),
            "rebaseline": dict(self.rebaseline) if self.rebaseline else None,
            "features_sha256": self.features_sha256,
            "learned": dict(self.learned) if self.learned else None,
        }

    @classmethod
    def from_dict(cls, data: object, *, where: str) -> ReferenceInfo:
        """Read the JSON form, naming ``where`` and the field in errors."""
        if not isinstance(data, Mapping):
            raise InvalidSettingsError(f"{where}: expected a JSON object describing the reference")
        if data.get("schema_version") != REFERENCE_SCHEMA_VERSION:
            raise InvalidSettingsError(
                f"{where}: field 'schema_version' is {_shown(data.get('schema_version'))}, expected "
                f"{REFERENCE_SCHEMA_VERSION}"
            )
        missing = [name for name in _RECORD_FIELDS if name not in data]
        if missing:
            raise InvalidSettingsError(f"{where}: field {missing[0]!r} is missing")
        size = data["size_wh"]
        if not (isinstance(size, list) and len(size) == 2 and all(type(v) is int and v > 0 for v in size)):
            raise InvalidSettingsError(
                f"{where}: field 'size_wh' must be [width, height] in pixels, got {_shown(size)}"
            )
        for name in ("label", "captured_at", "captured_by", "source", "image_sha256"):
            if not isinstance(data[name], str):
                raise InvalidSettingsError(f"{where}: field {name!r} must be text, got {_shown(data[name])}")
        for name in ("self_test", "rebaseline"):
            if data.get(name) is not None and not isinstance(data[name], Mapping):
                raise InvalidSettingsError(
                    f"{where}: field {name!r} must be an object, got {_shown(data[name])}"
                )
        for name in ("features_sha256", "taken_at"):
            if data.get(name) is not None and not isinstance(data[name], str):
                raise InvalidSettingsError(f"{where}: field {name!r} must be text, got {_shown(data[name])}")
        blurred = data.get("faces_blurred")
        if blurred is not None and not isinstance(blurred, bool):
            raise InvalidSettingsError(
                f"{where}: field 'faces_blurred' must be true, false or null, got {_shown(blurred)}"
            )
        return cls(
            label=data["label"],
            size_wh=(size[0], size[1]),
            captured_at=data["captured_at"],
            captured_by=data["captured_by"],
            source=data["source"],
            image_sha256=data["image_sha256"],
            self_test=dict(data.get("self_test") or {}),
            rebaseline=data.get("rebaseline"),
            features_sha256=data.get("features_sha256"),
            learned=_learned(data.get("learned"), where),
            taken_at=data.get("taken_at") or "",
            faces_blurred=blurred,
        )


_RECORD_FIELDS = ("label", "size_wh", "captured_at", "captured_by", "source", "image_sha256")
"""The fields every reference record has."""


def _shown(value: object) -> str:
    """Return ``value`` as an error shows it: its repr, cut short (a damaged file may hold anything)."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _learned(value: object, where: str) -> Mapping[str, Any] | None:
    """Read a learned reference's provenance; its ``to_base`` must be a finite 3x3 matrix."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidSettingsError(f"{where}: field 'learned' must be an object or null")
    try:
        matrix = np.asarray(value["to_base"], np.float64)
    except KeyError:
        raise InvalidSettingsError(f"{where}: field 'learned.to_base' is missing") from None
    except (TypeError, ValueError):
        matrix = np.zeros(0)
    if matrix.shape != (3, 3) or not np.isfinite(matrix).all():
        raise InvalidSettingsError(f"{where}: field 'learned.to_base' must be a finite 3x3 matrix")
    return dict(value)


def check_label(label: object) -> str:
    """Return ``label`` if it is a valid reference label, else raise naming the rule."""
    if (
        not isinstance(label, str)
        or not 0 < len(label) <= 32
        or not all(c.isascii() and (c.isalnum() or c in "_-") for c in label)
    ):
        raise InvalidSettingsError(f"reference label {label!r} is not allowed; use {_LABEL_RULE}")
    return label


def read_stored_permit(path: Path, tolerance: float) -> StoredPermit:
    """Read a camera's ``permit.json``, strictly, naming the file and the field in errors.

    Parameters
    ----------
    path : Path
        The file.
    tolerance : float
        The camera's tolerance (kept in ``camera.json``, not in the permit's file).

    Raises
    ------
    StoreError, InvalidSettingsError, InvalidPermitError
        The file is missing, not JSON, or not a valid permit.
    """
    data = read_json(path)
    if not isinstance(data, Mapping):
        raise InvalidPermitError(f"{path}: expected a JSON object with 'permitted_xy'")
    if data.get("schema_version") != PERMIT_SCHEMA_VERSION:
        raise InvalidPermitError(
            f"{path}: field 'schema_version' is {_shown(data.get('schema_version'))}, expected "
            f"{PERMIT_SCHEMA_VERSION}"
        )
    extra = {"schema_version", "reference_size", "set_at", "set_by"}
    body = {key: value for key, value in data.items() if key not in extra}
    body["tolerance"] = tolerance
    permit = Permit.from_dict(body, source=str(path))
    size = data.get("reference_size")
    reference_size = None
    if size is not None:
        if not (isinstance(size, list) and len(size) == 2 and all(type(v) is int and v > 0 for v in size)):
            raise InvalidPermitError(
                f"{path}: field 'reference_size' must be [width, height] in pixels, got {_shown(size)}; "
                "set the permit again with 'fov-monitor permit set'"
            ).saying(N_("The permit's file is damaged: a technician draws the permit again."))
        reference_size = (size[0], size[1])
    return StoredPermit(permit, reference_size, str(data.get("set_at", "")), str(data.get("set_by", "")))


def read_json(path: Path) -> Any:
    """Return the parsed content of a store's JSON file; a missing or malformed file is a one-line error.

    Raises
    ------
    StoreError
        When the file is missing, is a folder, or cannot be read.
    InvalidSettingsError
        When it is not valid JSON (nested too deep included).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StoreError(f"{path} is missing; restore it or re-create it with fov-monitor") from None
    except OSError as exc:
        raise unreadable_file(path, exc) from None
    except UnicodeDecodeError as exc:
        raise InvalidSettingsError(f"{path} is not valid JSON ({exc}); fix or restore the file") from None
    try:
        return parse_json(text)
    except ValueError as exc:
        raise InvalidSettingsError(f"{path} is not valid JSON ({exc}); fix or restore the file") from None


def unreadable_file(path: Path, error: OSError) -> StoreError:
    """Return the one-line error for a store file that exists but cannot be read (a folder in its place)."""
    if isinstance(error, IsADirectoryError):
        return StoreError(f"{path} is a folder, not a file; move it away and restore the file from a backup")
    return StoreError(
        f"{path} cannot be read ({error.strerror or error}); check the file and its permissions"
    )
