"""A compact summary of one grab, to tell a frozen feed from a live one at the next check."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from fov_monitor.errors import InvalidFingerprintError
from fov_monitor.imaging import GrayImage

THUMBNAIL_WIDTH = 32
"""Thumbnail width in pixels. Each thumbnail pixel averages a 20 x 20 block of the working image,
which averages away the pixel-level loss of re-encoding (JPEG) while any real change in the scene,
a person, a car, a shadow, the light, still moves some blocks by several gray levels."""

FROZEN_MEAN_DIFFERENCE = 0.3
"""Largest mean absolute difference (gray levels) between two thumbnails of one picture. Measured on
the real videos in ``../shared/data``: re-encoding a frame as JPEG at quality 75 leaves at most 0.19,
at quality 50 at most 0.36; two grabs of a live scene 5 s or more apart differ by at least 0.37
(an indoor scene with nobody in it) and usually by 3 to 5."""

FROZEN_MAX_DIFFERENCE = 3.0
"""Largest difference (gray levels) any thumbnail pixel of one re-encoded picture shows (measured at
most 2.2 at quality 50); a live scene where one block changed more than this is not frozen."""

_MAGIC = b"FOVF"
_VERSION = 1
_HEADER = struct.Struct("<4sBHH")


@dataclass(frozen=True, slots=True, eq=False)
class FrameFingerprint:
    """A small gray thumbnail of one grab; two of one picture match within encoding noise.

    Attributes
    ----------
    thumbnail : (h, w) float16 array
        The working image shrunk to :data:`THUMBNAIL_WIDTH` pixels wide, gray levels 0..255 (float,
        so that rounding does not hide or fake a small difference).
    """

    thumbnail: NDArray[np.float16]

    def __post_init__(self) -> None:
        thumbnail = self.thumbnail
        if not (isinstance(thumbnail, np.ndarray) and thumbnail.ndim == 2 and min(thumbnail.shape) >= 1):
            raise InvalidFingerprintError(
                f"a frame fingerprint needs a 2-D thumbnail, got {getattr(thumbnail, 'shape', thumbnail)!r}; "
                "make it with FrameFingerprint.of(gray)"
            )

    @classmethod
    def of(cls, gray: GrayImage) -> FrameFingerprint:
        """Return the fingerprint of a gray working image ``(h, w)`` uint8."""
        height, width = gray.shape
        thumb_wh = (THUMBNAIL_WIDTH, max(1, round(THUMBNAIL_WIDTH * height / width)))
        small = cv2.resize(gray.astype(np.float32), thumb_wh, interpolation=cv2.INTER_AREA)
        return cls(small.astype(np.float16))

    def difference(self, previous: FrameFingerprint) -> tuple[float, float] | None:
        """Return the mean and the largest absolute difference from ``previous``, gray levels.

        None when the two cannot be compared (thumbnails of another shape: the stream changed).
        """
        if previous.thumbnail.shape != self.thumbnail.shape:
            return None
        diff = np.abs(self.thumbnail.astype(np.float32) - previous.thumbnail.astype(np.float32))
        return float(diff.mean()), float(diff.max())

    def is_frozen_after(self, previous: FrameFingerprint | None) -> float | None:
        """Return the mean difference if this grab repeats ``previous`` within encoding noise, else None.

        A missing or incomparable previous fingerprint means "cannot tell": None.
        """
        if previous is None:
            return None
        found = self.difference(previous)
        if found is None:
            return None
        mean, largest = found
        return mean if mean < FROZEN_MEAN_DIFFERENCE and largest < FROZEN_MAX_DIFFERENCE else None

    def to_bytes(self) -> bytes:
        """Return the fingerprint as bytes: a 9-byte header and the float16 thumbnail."""
        height, width = self.thumbnail.shape
        return _HEADER.pack(_MAGIC, _VERSION, width, height) + self.thumbnail.astype("<f2").tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> FrameFingerprint:
        """Read a fingerprint written by :meth:`to_bytes`.

        Raises
        ------
        InvalidFingerprintError
            When the bytes are not a fingerprint of this version or are truncated.
        """
        if not isinstance(data, bytes | bytearray | memoryview) or len(data) < _HEADER.size:
            raise InvalidFingerprintError(
                "frame fingerprint is not bytes or shorter than its header; store what to_bytes() returned"
            )
        magic, version, width, height = _HEADER.unpack_from(data)
        if magic != _MAGIC or version != _VERSION:
            raise InvalidFingerprintError(
                f"frame fingerprint has magic {magic!r} version {version}, expected {_MAGIC!r} version "
                f"{_VERSION}; drop it (the next check starts a new history)"
            )
        body = bytes(data[_HEADER.size :])
        if width < 1 or height < 1 or len(body) != 2 * width * height:
            raise InvalidFingerprintError(
                f"frame fingerprint claims {width}x{height} but holds {len(body)} bytes of pixels; "
                "drop it (the next check starts a new history)"
            )
        return cls(np.frombuffer(body, "<f2").reshape(height, width).astype(np.float16))
