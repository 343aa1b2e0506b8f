"""Exceptions raised by fov-monitor.

Every error fov-monitor raises on purpose is a :class:`FovMonitorError`; its message is one line that
names the input at fault and says how to fix it.
"""

from __future__ import annotations


class FovMonitorError(Exception):
    """Base class of every error fov-monitor raises on purpose."""


class InvalidImageError(FovMonitorError, ValueError):
    """An image array or file cannot be used as a frame or a reference."""


class ImageFileError(InvalidImageError):
    """An image file is missing, unreadable, truncated or not an image."""


class InvalidPermitError(FovMonitorError, ValueError):
    """A permit (permitted polygon, privacy zone or tolerance) is malformed."""


class InvalidSettingsError(FovMonitorError, ValueError):
    """A settings value is out of its allowed range."""


class ReferenceCacheError(FovMonitorError):
    """A cached reference file is missing, corrupt or of another version."""


class InvalidFingerprintError(FovMonitorError, ValueError):
    """Stored frame fingerprint bytes are damaged or of another version."""
