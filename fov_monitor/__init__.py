"""fov-monitor: prove that surveillance cameras still look only where their permit allows.

The public API::

    import fov_monitor as fm
    ref = fm.Reference.from_image(image)
    permit = fm.Permit(permitted_xy=[(x, y), ...], privacy_zones={"windows": [...]}, tolerance=0.02)
    result = fm.check_frame(ref, permit, frame)
    safe = fm.blur_faces(frame, settings=fm.FaceSettings())  # before storing or showing a frame
"""

from fov_monitor.core.alignment import Alignment, AlignmentFailure
from fov_monitor.core.check import check_frame
from fov_monitor.core.fingerprint import FrameFingerprint
from fov_monitor.core.permit import Decision, Permit
from fov_monitor.core.reference import Reference
from fov_monitor.core.result import (
    AlignMethod,
    CheckResult,
    FrameQuality,
    Status,
    Tamper,
    TamperKind,
    ZoneExposure,
)
from fov_monitor.core.settings import CheckSettings
from fov_monitor.core.tamper import assess_reference
from fov_monitor.errors import (
    FaceModelError,
    FovMonitorError,
    ImageFileError,
    InvalidFingerprintError,
    InvalidImageError,
    InvalidPermitError,
    InvalidSettingsError,
    ReferenceCacheError,
)
from fov_monitor.faces.detection import BlurMethod, FaceSettings, blur_faces, blur_regions, detect_faces
from fov_monitor.files.images import read_image
from fov_monitor.store.reference_cache import load_reference, save_reference

__version__ = "0.1.0"

__all__ = [
    "AlignMethod",
    "Alignment",
    "AlignmentFailure",
    "BlurMethod",
    "CheckResult",
    "CheckSettings",
    "Decision",
    "FaceModelError",
    "FaceSettings",
    "FovMonitorError",
    "FrameFingerprint",
    "FrameQuality",
    "ImageFileError",
    "InvalidFingerprintError",
    "InvalidImageError",
    "InvalidPermitError",
    "InvalidSettingsError",
    "Permit",
    "Reference",
    "ReferenceCacheError",
    "Status",
    "Tamper",
    "TamperKind",
    "ZoneExposure",
    "assess_reference",
    "blur_faces",
    "blur_regions",
    "check_frame",
    "detect_faces",
    "load_reference",
    "read_image",
    "save_reference",
]
