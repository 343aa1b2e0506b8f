"""A compact summary of one grab, to tell a frozen feed from a live one at the next check."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from fov_monitor.core.imaging import GrayImage
from fov_monitor.errors import InvalidFingerprintError

THUMBNAIL_WIDTH = 32
"""Thumbnail width in pixels. Each thumbnail pixel averages a 20 x 20 block of the working image,
which averages away the pixel-level loss of re-encoding (JPEG) while any real change in the scene,
a person, a car, a shadow, the light, still moves some blocks by several gray levels."""

# Why a repeat must be exact: a static scene (an empty corridor at night) grabbed twice differs only
# by sensor noise, which any thumbnail averages away (sigma 2 per pixel leaves 0.05 gray levels on a
# 40 x 40 block), while a frozen frame re-encoded differs by more (0.12 at JPEG quality 75). So
# "nearly the same picture" cannot tell a frozen feed from a quiet live one; only the very same
# pixels can: a live sensor never repeats its noise, and a stuck camera re-sends its last frame.

_MAGIC = b"FOVF"
_VERSION = 2
_HEADER = struct.Struct("<4sBHH")
_DIGEST_SIZE = 32


@dataclass(frozen=True, slots=True, eq=False)
class FrameFingerprint:
    """A small gray thumbnail of one grab; two of one picture match within encoding noise.

    Attributes
    ----------
    thumbnail : (h, w) float16 array
        The working image shrunk to :data:`THUMBNAIL_WIDTH` pixels wide, gray levels 0..255 (float,
        so that rounding does not hide or fake a small difference).
    digest : bytes
        SHA-256 of the working image's pixels: the same digest twice is a repeated picture.
    """

    thumbnail: NDArray[np.float16]
    digest: bytes = b""

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
        digest = hashlib.sha256(np.ascontiguousarray(gray).tobytes() + repr(gray.shape).encode()).digest()
        return cls(small.astype(np.float16), digest)

    def difference(self, previous: FrameFingerprint) -> tuple[float, float] | None:
        """Return the mean and the largest absolute difference from ``previous``, gray levels.

        None when the two cannot be compared (thumbnails of another shape: the stream changed).
        """
        if previous.thumbnail.shape != self.thumbnail.shape:
            return None
        diff = np.abs(self.thumbnail.astype(np.float32) - previous.thumbnail.astype(np.float32))
        return float(diff.mean()), float(diff.max())

    def is_frozen_after(self, previous: FrameFingerprint | None) -> bool:
        """Tell whether this grab repeats ``previous`` pixel for pixel (a frozen feed).

        A missing previous fingerprint, or one without a digest, means "cannot tell": False.
        """
        return previous is not None and bool(self.digest) and self.digest == previous.digest

    def to_bytes(self) -> bytes:
        """Return the fingerprint as bytes: a 9-byte header, the 32-byte digest, the float16 thumbnail."""
        height, width = self.thumbnail.shape
        digest = self.digest.ljust(_DIGEST_SIZE, b"\0")[:_DIGEST_SIZE]
        return _HEADER.pack(_MAGIC, _VERSION, width, height) + digest + self.thumbnail.astype("<f2").tobytes()

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
        digest = bytes(data[_HEADER.size : _HEADER.size + _DIGEST_SIZE])
        body = bytes(data[_HEADER.size + _DIGEST_SIZE :])
        if width < 1 or height < 1 or len(body) != 2 * width * height:
            raise InvalidFingerprintError(
                f"frame fingerprint claims {width}x{height} but holds {len(body)} bytes of pixels; "
                "drop it (the next check starts a new history)"
            )
        return cls(np.frombuffer(body, "<f2").reshape(height, width).astype(np.float16), digest)
