"""Evidence images: reference and live frame side by side, with the permit and the measured figures.

On the reference: the permitted area (green), privacy zones (filled, red border) and where the live
view now lies (the live frame's rectangle projected through ``H_live_to_ref``, yellow). On the live
frame: the permitted area and privacy zones projected back into it. Below: the verdict and figures.
Privacy zones are always filled, so evidence never shows what a zone hides.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from fov_monitor.atomic import write_bytes_atomic
from fov_monitor.errors import StoreError
from fov_monitor.homography import Matrix, corners_xy, project
from fov_monitor.imaging import to_uint8, validate_image
from fov_monitor.permit import Permit
from fov_monitor.result import CheckResult

PANEL_HEIGHT = 480
"""Height of each picture in the evidence image, pixels."""

_GREEN = (60, 200, 60)
_RED = (40, 40, 220)
_YELLOW = (0, 220, 255)
_ZONE_FILL = (70, 70, 70)
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def render_evidence(
    reference: np.ndarray,
    live: np.ndarray,
    permit: Permit,
    result: CheckResult,
    title: str = "",
) -> NDArray[np.uint8]:
    """Draw the evidence image of one check.

    Parameters
    ----------
    reference, live : (H, W[, 3]) arrays
        The reference the permit is drawn on, and the live frame checked (faces already blurred:
        this function draws, it does not anonymise).
    permit : Permit
        The camera's permit, in reference pixels.
    result : CheckResult
        The verdict on ``live``.
    title : str
        First line of the text, e.g. the camera id and the time.

    Returns
    -------
    (H, W, 3) uint8 BGR array
    """
    reference_bgr, live_bgr = _bgr(reference, "reference"), _bgr(live, "live frame")
    zones: list[Matrix] = [
        np.asarray(zone.exterior.coords, dtype=np.float64) for zone in permit.zones.values()
    ]
    permitted: Matrix = np.asarray(permit.permitted.exterior.coords, dtype=np.float64)
    H = result.H_live_to_ref
    view = None
    if H is not None:
        view = project(H, corners_xy((live_bgr.shape[1], live_bgr.shape[0])))
        view = view if np.isfinite(view).all() else None

    # The reference is shown on a wider canvas, so a view that left it is drawn where it went.
    canvas, origin = _canvas(reference_bgr, view)
    ref_scale = PANEL_HEIGHT / canvas.shape[0]
    live_scale = PANEL_HEIGHT / live_bgr.shape[0]
    ref_panel = cv2.resize(canvas, None, fx=ref_scale, fy=ref_scale, interpolation=cv2.INTER_AREA)
    live_panel = cv2.resize(live_bgr, None, fx=live_scale, fy=live_scale, interpolation=cv2.INTER_AREA)

    def on_ref(points: Matrix) -> Matrix:
        return (points + origin) * ref_scale

    _fill(ref_panel, [on_ref(z) for z in zones])
    _outline(ref_panel, on_ref(permitted), _GREEN, 2)
    _outline_all(ref_panel, [on_ref(z) for z in zones], _RED, 2)
    if view is not None:
        _outline(ref_panel, on_ref(view), _YELLOW, 3)
    if H is not None:
        H_ref_to_live: Matrix = np.linalg.inv(H).astype(np.float64)
        in_live = [project(H_ref_to_live, zone) * live_scale for zone in zones]
        in_live = [zone for zone in in_live if np.isfinite(zone).all()]
        _fill(live_panel, in_live)
        permitted_live = project(H_ref_to_live, permitted) * live_scale
        if np.isfinite(permitted_live).all():
            _outline(live_panel, permitted_live, _GREEN, 2)
        _outline_all(live_panel, in_live, _RED, 2)

    _label(ref_panel, "REFERENCE  green: permitted  red: privacy zone  yellow: live view now")
    _label(live_panel, "LIVE")
    gap = np.full((PANEL_HEIGHT, 8, 3), 255, np.uint8)
    pictures = np.hstack([ref_panel, gap, live_panel])
    return np.vstack([pictures, _text_band(pictures.shape[1], _evidence_lines(result, title))])


def write_evidence(image: NDArray[np.uint8], path: str | Path, quality: int = 90) -> Path:
    """Write an evidence image as JPEG (or PNG by suffix) atomically; return the path."""
    return write_encoded_evidence(encode_evidence(image, path, quality), path)


def encode_evidence(image: NDArray[np.uint8], path: str | Path, quality: int = 90) -> bytes:
    """Return an evidence image encoded as JPEG (or PNG by ``path``'s suffix), for writing elsewhere."""
    suffix = Path(path).suffix.lower()
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if suffix in (".jpg", ".jpeg") else []
    ok, encoded = cv2.imencode(suffix or ".jpg", image, params)
    if not ok:
        raise StoreError(f"could not encode the evidence image {path}; use a .jpg or .png name")
    return bytes(encoded.tobytes())


def write_encoded_evidence(data: bytes, path: str | Path) -> Path:
    """Write an encoded evidence image atomically (its folder created); return the path."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(path, data)
    except OSError as exc:
        raise StoreError(
            f"cannot write the evidence image {path} ({exc.strerror or exc}); free disk space or fix "
            "the store's permissions"
        ) from None
    return path


def _canvas(reference: NDArray[np.uint8], view: Matrix | None) -> tuple[NDArray[np.uint8], Matrix]:
    """Return the reference on a canvas wide enough for ``view`` (up to 40% more per side)."""
    height, width = reference.shape[:2]
    if view is None:
        return reference, np.zeros(2)
    left = int(np.clip(-view[:, 0].min(), 0, 0.4 * width))
    top = int(np.clip(-view[:, 1].min(), 0, 0.4 * height))
    right = int(np.clip(view[:, 0].max() - width, 0, 0.4 * width))
    bottom = int(np.clip(view[:, 1].max() - height, 0, 0.4 * height))
    if not (left or top or right or bottom):
        return reference, np.zeros(2)
    margin = 6
    left, top, right, bottom = (v + margin if v else 0 for v in (left, top, right, bottom))
    canvas = np.full((height + top + bottom, width + left + right, 3), 48, np.uint8)
    canvas[top : top + height, left : left + width] = reference
    return canvas, np.array([float(left), float(top)])


def _evidence_lines(result: CheckResult, title: str) -> list[str]:
    lines = [title] if title else []
    lines.append(f"VERDICT: {str(result.status).upper()}   " + "; ".join(result.reasons))
    figures = []
    if result.outside_fraction is not None:
        figures.append(f"outside permit {result.outside_fraction:.1%}")
    if result.shift_px is not None and result.shift_fraction is not None:
        dx, dy = result.shift_px
        figures.append(
            f"shift {dx:+.0f},{dy:+.0f} px ({result.shift_fraction[0]:+.1%},{result.shift_fraction[1]:+.1%})"
        )
    if result.pan_deg is not None and result.tilt_deg is not None:
        figures.append(f"pan {result.pan_deg:+.1f} deg tilt {result.tilt_deg:+.1f} deg")
    if result.roll_deg is not None and result.zoom is not None:
        figures.append(f"roll {result.roll_deg:+.1f} deg zoom {result.zoom:.2f}x")
    figures.append(f"confidence {result.confidence:.2f} ({result.inliers} points)")
    if result.reference_label:
        figures.append(f"reference '{result.reference_label}'")
    lines.append("   ".join(figures))
    exposed = [zone for zone in result.zones if zone.exposed]
    if exposed:
        lines.append(
            "privacy zones in view: "
            + ", ".join(f"{zone.name} {zone.visible_fraction:.0%}" for zone in exposed)
        )
    return [line.encode("ascii", "replace").decode("ascii") for line in lines]


def _text_band(width: int, lines: Sequence[str]) -> NDArray[np.uint8]:
    line_height = 26
    band = np.full((line_height * len(lines) + 14, width, 3), 255, np.uint8)
    for row, line in enumerate(lines):
        scale = min(0.6, 0.6 * width / max(1, cv2.getTextSize(line, _FONT, 0.6, 1)[0][0] + 20))
        cv2.putText(band, line, (10, 24 + row * line_height), _FONT, scale, (0, 0, 0), 1, cv2.LINE_AA)
    return band


def _label(panel: NDArray[np.uint8], text: str) -> None:
    (width, height), _ = cv2.getTextSize(text, _FONT, 0.5, 1)
    scale = min(0.5, 0.5 * (panel.shape[1] - 12) / max(1, width))
    cv2.rectangle(panel, (0, 0), (panel.shape[1], int(height / 0.5 * scale) + 12), (0, 0, 0), -1)
    cv2.putText(
        panel, text, (6, int(height / 0.5 * scale) + 6), _FONT, scale, (255, 255, 255), 1, cv2.LINE_AA
    )


def _outline(
    panel: NDArray[np.uint8], points_xy: np.ndarray, colour: tuple[int, int, int], width: int
) -> None:
    cv2.polylines(panel, [np.round(points_xy).astype(np.int32)], True, colour, width, cv2.LINE_AA)


def _outline_all(
    panel: NDArray[np.uint8], polygons: Sequence[np.ndarray], colour: tuple[int, int, int], width: int
) -> None:
    for polygon in polygons:
        _outline(panel, polygon, colour, width)


def _fill(panel: NDArray[np.uint8], polygons: Sequence[np.ndarray]) -> None:
    if polygons:
        cv2.fillPoly(panel, [np.round(p).astype(np.int32) for p in polygons], _ZONE_FILL)


def _bgr(image: np.ndarray, what: str) -> NDArray[np.uint8]:
    image = to_uint8(validate_image(image, what))
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)  # type: ignore[return-value]
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)  # type: ignore[return-value]
    return image
