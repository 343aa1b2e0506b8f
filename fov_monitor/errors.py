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


class FaceModelError(FovMonitorError):
    """The face-detection model is missing, damaged or not a CenterFace-style network."""


class SourceError(FovMonitorError):
    """A camera source (file, folder, HTTP snapshot URL, RTSP stream) gave no usable frame."""


class SourceTimeout(SourceError, TimeoutError):  # noqa: N818 (the names issue 3 agreed on)
    """A source did not deliver a frame within the grab's time limit."""


class SourceUnreachable(SourceError, ConnectionError):  # noqa: N818 (the names issue 3 agreed on)
    """A source's host is unknown, refuses the connection, or its file or folder does not exist."""


class SourceNotAnImage(SourceError, ImageFileError):  # noqa: N818 (the names issue 3 agreed on)
    """A source answered, but with something other than an image (an HTML page, an error text)."""


class SourceAuthError(SourceError):
    """A source refused the credentials, or the secret for them is missing or too widely readable."""


class StoreError(FovMonitorError):
    """The store (camera folders and their files) cannot be read or written as asked."""


class UnknownCameraError(StoreError, KeyError):
    """A camera id that is not in the store."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class InventoryError(FovMonitorError, ValueError):
    """A camera inventory file (``camera import``) cannot be read as a table of cameras."""


class CaptureError(FovMonitorError):
    """A capture of many cameras' references could not go on (its worker processes died)."""


class InvalidFingerprintError(FovMonitorError, ValueError):
    """Stored frame fingerprint bytes are damaged or of another version."""


class ScanError(FovMonitorError):
    """A scan of the fleet could not go on (its database, its worker processes)."""


class ScanLockedError(ScanError):
    """Another scan holds the store's scan lock."""


class AlertError(FovMonitorError):
    """An alert action that cannot be done: an unknown alert, a step its state does not allow."""


class ReportError(FovMonitorError):
    """A report cannot be built: bad options, missing organisation settings, an unwritable folder."""


class MissingExtraError(FovMonitorError, ImportError):
    """A command needs optional packages that are not installed (``pip install 'fov-monitor[web]'``)."""
