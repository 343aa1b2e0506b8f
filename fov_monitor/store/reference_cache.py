"""Keep a prepared reference on disk, so its features are computed once per camera, not per scan.

The file is a NumPy ``.npz`` archive (no pickled objects) written atomically: a crash mid-write
leaves the previous file whole. A file of another format version, made at another working width,
or damaged is refused with :class:`~fov_monitor.errors.ReferenceCacheError`; the reader then computes
the features from the reference image, and the store's next repair writes the file again.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

from fov_monitor.core.features import Keypoints
from fov_monitor.core.reference import Reference
from fov_monitor.core.result import FrameQuality
from fov_monitor.core.settings import CheckSettings
from fov_monitor.errors import ReferenceCacheError
from fov_monitor.files.atomic import atomic_writer
from fov_monitor.files.json_files import parse_json

CACHE_FORMAT_VERSION = 1
"""Version of the file layout; a file of another version is refused (and rebuilt by a repair)."""

_ARRAYS = {
    "gray": (np.uint8, 2),
    "track_xy": (np.float32, 2),
    "orb_xy": (np.float32, 2),
    "orb_descriptors": (np.uint8, 2),
    "sift_xy": (np.float32, 2),
    "sift_descriptors": (np.uint8, 2),
}


def save_reference(reference: Reference, path: str | Path, *, image_sha256: str | None = None) -> None:
    """Write a prepared reference to ``path`` atomically (write to a temporary file, then rename).

    Parameters
    ----------
    reference : Reference
        The prepared reference.
    path : str or Path
        The ``.npz`` file to write; its folder must exist.
    image_sha256 : str, optional
        The SHA-256 of the image file the features were computed from (hex), kept in the file so that
        a reader can refuse it beside another image (see :func:`decode_reference`).
    """
    path = Path(path)
    meta = {
        "image_sha256": image_sha256,
        "format_version": CACHE_FORMAT_VERSION,
        "label": reference.label,
        "size_wh": list(reference.size_wh),
        "scale": reference.scale,
        "working_width": reference.working_width,
        "quality": [reference.quality.mean_luma, reference.quality.contrast, reference.quality.texture],
        "chroma": reference.quality.chroma,
        "to_base": None if reference.to_base is None else reference.to_base.tolist(),
    }
    with atomic_writer(path) as stream:
        np.savez_compressed(
            stream,
            meta=np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8),
            gray=reference.gray,
            track_xy=reference.track_xy,
            orb_xy=reference.orb.xy,
            orb_descriptors=reference.orb.descriptors,
            sift_xy=reference.sift.xy,
            sift_descriptors=_sift_as_bytes(reference.sift.descriptors),
        )


def _optional_float(value: object) -> float | None:
    """Return a number kept in the metadata, None when absent (a cache written before it was kept)."""
    return None if value is None else float(value)  # type: ignore[arg-type]


def _optional_matrix(value: object) -> np.ndarray | None:
    """Return a 3x3 matrix kept in the metadata, None when absent."""
    if value is None:
        return None
    matrix = np.asarray(value, np.float64)
    if matrix.shape != (3, 3) or not np.isfinite(matrix).all():
        raise ValueError(f"to_base must be a finite 3x3 matrix, got shape {matrix.shape}")
    return matrix


def _sift_as_bytes(descriptors: np.ndarray) -> np.ndarray:
    """Return SIFT descriptors as uint8: OpenCV's are whole numbers 0..255 kept as float32."""
    as_bytes = np.clip(np.rint(descriptors), 0, 255).astype(np.uint8)
    if not np.array_equal(as_bytes, descriptors):
        raise ReferenceCacheError(
            "SIFT descriptors are not whole numbers 0..255; this OpenCV is not supported"
        )
    return as_bytes


def load_reference(path: str | Path, settings: CheckSettings | None = None) -> Reference:
    """Read a reference written by :func:`save_reference`.

    Parameters
    ----------
    path : str or Path
        The ``.npz`` file.
    settings : CheckSettings, optional
        The settings the checks will run with; the file must have been made at their working width.

    Returns
    -------
    Reference

    Raises
    ------
    ReferenceCacheError
        When the file is missing, damaged, of another format version or working width.
    """
    path = Path(path)
    if not path.is_file():
        raise ReferenceCacheError(f"feature cache {path} does not exist; prepare the reference again")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReferenceCacheError(
            f"feature cache {path} is damaged ({type(exc).__name__}); prepare the reference again"
        ) from None
    return decode_reference(data, path, settings)


def decode_reference(
    data: bytes,
    path: str | Path,
    settings: CheckSettings | None = None,
    *,
    image_sha256: str | None = None,
) -> Reference:
    """Read a reference from the bytes of a file written by :func:`save_reference`.

    For a caller that has read the file already (to check it against its recorded checksum).

    Parameters
    ----------
    data : bytes
        The ``.npz`` file's content.
    path : str or Path
        Where it was read from, named in errors.
    settings : CheckSettings, optional
        As :func:`load_reference`.
    image_sha256 : str, optional
        The SHA-256 of the image the features must have been computed from: a file that names
        another image is refused (one that names none, written before the image was named, is not).

    Returns
    -------
    Reference

    Raises
    ------
    ReferenceCacheError
        When the content is damaged, of another format version or working width.
    """
    settings = settings or CheckSettings()
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            meta = parse_json(archive["meta"].tobytes().decode("utf-8"))
            if not isinstance(meta, dict):
                raise ValueError("metadata is not an object")
            arrays = {name: archive[name] for name in _ARRAYS}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, UnicodeDecodeError, EOFError) as exc:
        raise ReferenceCacheError(
            f"feature cache {path} is damaged ({type(exc).__name__}); prepare the reference again"
        ) from None
    made_from = meta.get("image_sha256")
    if image_sha256 is not None and made_from is not None and made_from != image_sha256:
        raise ReferenceCacheError(
            f"feature cache {path} was made from another image than its reference's; prepare the "
            "reference again"
        )
    version = meta.get("format_version")
    if version != CACHE_FORMAT_VERSION:
        raise ReferenceCacheError(
            f"feature cache {path} has format version {version}, this fov-monitor reads "
            f"{CACHE_FORMAT_VERSION}; prepare the reference again"
        )
    if meta.get("working_width") != settings.working_width:
        raise ReferenceCacheError(
            f"feature cache {path} was made at working width {meta.get('working_width')}, the checks run "
            f"at {settings.working_width}; prepare the reference again"
        )
    for name, (dtype, ndim) in _ARRAYS.items():
        if arrays[name].dtype != dtype or arrays[name].ndim != ndim:
            raise ReferenceCacheError(
                f"feature cache {path}: array {name!r} is {arrays[name].dtype} with {arrays[name].ndim} "
                "dimensions; prepare the reference again"
            )
    for kind in ("orb", "sift"):
        if len(arrays[f"{kind}_xy"]) != len(arrays[f"{kind}_descriptors"]):
            raise ReferenceCacheError(
                f"feature cache {path}: {kind} positions and descriptors differ in number; "
                "prepare the reference again"
            )
    try:
        return Reference(
            label=str(meta["label"]),
            size_wh=(int(meta["size_wh"][0]), int(meta["size_wh"][1])),
            scale=float(meta["scale"]),
            gray=arrays["gray"],
            track_xy=arrays["track_xy"],
            orb=Keypoints(arrays["orb_xy"], arrays["orb_descriptors"]),
            sift=Keypoints(arrays["sift_xy"], arrays["sift_descriptors"].astype(np.float32)),
            quality=FrameQuality(
                mean_luma=float(meta["quality"][0]),
                contrast=float(meta["quality"][1]),
                texture=float(meta["quality"][2]),
                chroma=_optional_float(meta.get("chroma")),
            ),
            working_width=int(meta["working_width"]),
            to_base=_optional_matrix(meta.get("to_base")),
        )
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ReferenceCacheError(
            f"feature cache {path} has malformed metadata ({exc}); prepare the reference again"
        ) from None
