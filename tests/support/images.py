"""Images for the tests: scikit-image's sample photographs, and PNG files made byte by byte."""

from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np
from skimage import data as samples


def sample_bgr(name: str) -> np.ndarray:
    """Return a scikit-image sample photograph as BGR uint8."""
    image = getattr(samples, name)()
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return cv2.cvtColor(image[:, :, :3], cv2.COLOR_RGB2BGR)


def png_chunk(kind: bytes, body: bytes) -> bytes:
    """Return one PNG chunk: length, type, body and CRC."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header_only(width: int, height: int) -> bytes:
    """Return a PNG whose header claims ``width`` x ``height`` (its pixel data is far too short)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )
