"""What a camera folder's JSON files record: the stored permit and each reference's record.

Parsed strictly, once, with the file and the field named in every error; see
:mod:`fov_monitor.store.store` for the folder's layout.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fov_monitor.core.permit import Permit
from fov_monitor.errors import InvalidPermitError, InvalidSettingsError, StoreError

PERMIT_SCHEMA_VERSION = 1
REFERENCE_SCHEMA_VERSION = 1

_LABEL_RULE = "1-32 letters, digits, '_' or '-' (e.g. 'day', 'night', 'preset-3')"


@dataclass(frozen=True, slots=True)
class StoredPermit:
    """A camera's permit as stored, with the size of the reference it was drawn on."""

    permit: Permit
    reference_size: tuple[int, int] | None
    set_at: str
    set_by: str


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
    taken_at: str = ""
    faces_blurred: bool | None = None

    def __post_init__(self) -> None:
        if not self.taken_at:
            rebaselined = str((self.rebaseline or {}).get("at") or "")
            object.__setattr__(self, "taken_at", max(self.captured_at, rebaselined))

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
        }

    @classmethod
    def from_dict(cls, data: object, *, where: str) -> ReferenceInfo:
        """Read the JSON form, naming ``where`` and the field in errors."""
        if not isinstance(data, Mapping):
            raise InvalidSettingsError(f"{where}: expected a JSON object describing the reference")
        if data.get("schema_version") != REFERENCE_SCHEMA_VERSION:
            raise InvalidSettingsError(
                f"{where}: field 'schema_version' is {data.get('schema_version')!r}, expected "
                f"{REFERENCE_SCHEMA_VERSION}"
            )
        try:
            width, height = (int(v) for v in data["size_wh"])
            return cls(
                label=str(data["label"]),
                size_wh=(width, height),
                captured_at=str(data["captured_at"]),
                captured_by=str(data["captured_by"]),
                source=str(data["source"]),
                image_sha256=str(data["image_sha256"]),
                self_test=dict(data.get("self_test") or {}),
                rebaseline=data.get("rebaseline"),
                features_sha256=data.get("features_sha256"),
                taken_at=str(data.get("taken_at") or ""),
                faces_blurred=_bool_or_none(data.get("faces_blurred"), where, "faces_blurred"),
            )
        except KeyError as exc:
            raise InvalidSettingsError(f"{where}: field {exc.args[0]!r} is missing") from None
        except (TypeError, ValueError) as exc:
            raise InvalidSettingsError(f"{where}: field 'size_wh' is malformed ({exc})") from None


def _bool_or_none(value: object, where: str, field: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise InvalidSettingsError(f"{where}: field {field!r} must be true, false or null, got {value!r}")


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
            f"{path}: field 'schema_version' is {data.get('schema_version')!r}, expected "
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
                f"{path}: field 'reference_size' must be [width, height] in pixels, got {size!r}; "
                "set the permit again with 'fov-monitor permit set'"
            )
        reference_size = (size[0], size[1])
    return StoredPermit(permit, reference_size, str(data.get("set_at", "")), str(data.get("set_by", "")))


def read_json(path: Path) -> Any:
    """Return the parsed content of a store's JSON file; a missing or malformed file is a one-line error."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(f"{path} is missing; restore it or re-create it with fov-monitor") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidSettingsError(f"{path} is not valid JSON ({exc}); fix or restore the file") from None
