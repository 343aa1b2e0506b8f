"""Camera sources: grab one frame from a file, a snapshot folder, an HTTP(S) URL or an RTSP stream.

Every grab has a hard wall-clock limit, so no camera can hang a scan, and every source it names is
redacted (no user, password or token), so it is safe to log::

    from fov_monitor.sources import AuthKind, SourceAuth, grab
    auth = SourceAuth(kind=AuthKind.DIGEST, username="viewer", password_env="CAM07_PASSWORD")
    frame = grab("http://10.0.0.7/snapshot.jpg", auth=auth, timeout_s=5.0).image
"""

from fov_monitor.sources.auth import AuthKind, SourceAuth
from fov_monitor.sources.dispatch import DEFAULT_MAX_BYTES, SourceKind, check_source, grab, source_kind
from fov_monitor.sources.redaction import mask_secrets, redact, secrets_in
from fov_monitor.sources.result import Grab

__all__ = [
    "DEFAULT_MAX_BYTES",
    "AuthKind",
    "Grab",
    "SourceAuth",
    "SourceKind",
    "check_source",
    "grab",
    "mask_secrets",
    "redact",
    "secrets_in",
    "source_kind",
]
