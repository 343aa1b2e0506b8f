"""Evidence images: reference and live frame side by side, with the permit and the measured figures.

On the reference: the permitted area (green), privacy zones (filled, red border) and where the live
view now lies (the live frame's rectangle projected through ``H_live_to_ref``, yellow). On the live
frame: the permitted area and privacy zones projected back into it. Below: the verdict and figures.

Evidence never shows what a zone hides. The zones are filled on the live picture where the check's
homography puts them; after a partial alignment (a few points that the whole picture's edges
confirm, :mod:`fov_monitor.core.recovery`) with a margin of :data:`PARTIAL_MARGIN` of the picture's
width, twice what the two estimates may disagree by at the frame's corners. When the zones cannot be
placed at all (a frozen, blinded or black feed, an unverifiable frame, a view not recognised, a
zone that would lie behind the camera), the whole live picture is shown as :data:`COVER_BLOCKS`
blocks across: its light and colours stay (black, white, a lens cover) but no window, face or text
can be read in blocks of a sixteenth of the picture.

Faces are blurred on each picture at the size it is drawn (480 px high), so that the cost does not
grow with the camera's resolution and every face big enough to be seen in the image is searched for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from shapely.geometry import Polygon

from fov_monitor.core.homography import Matrix, corners_xy, project
from fov_monitor.core.imaging import to_uint8, validate_image
from fov_monitor.core.permit import Permit
from fov_monitor.core.result import AlignMethod, CheckResult
from fov_monitor.errors import StoreError
from fov_monitor.faces.privacy import PrivacySettings, fill_privacy_zones, protect
from fov_monitor.files.atomic import write_bytes_atomic

PANEL_HEIGHT = 480
"""Height of each picture in the evidence image, pixels."""
GAP = 8
"""White columns between the two pictures."""
COVER_BLOCKS = 16
"""A live picture on which the privacy zones cannot be placed is shown this many blocks across."""
PARTIAL_MARGIN = 0.06
"""Zones on the live picture of a partial alignment are filled this share of its width wider: the
points' and the edges' homographies agree within 3% of the width at the corners
(:data:`fov_monitor.core.recovery.MEASURED_AGREEMENT`)."""
COVERED_LABEL = "LIVE  (not aligned: privacy zones cannot be placed, picture pixelated)"
UNBLURRED_MARK = "-unblurred"
"""Ends the name of an evidence image written while face blurring was switched off (before ``.jpg``)."""


def faces_unblurred(path: str | Path) -> bool:
    """Tell whether an evidence image's name says it was written with face blurring switched off."""
    return Path(path).stem.endswith(UNBLURRED_MARK)


_GREEN = (60, 200, 60)
_RED = (40, 40, 220)
_YELLOW = (0, 220, 255)
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def render_evidence(
    reference: np.ndarray,
    live: np.ndarray,
    permit: Permit,
    result: CheckResult,
    title: str = "",
    *,
    privacy: PrivacySettings | None = None,
    reference_blurred: bool = True,
) -> NDArray[np.uint8]:
    """Draw the evidence image of one check.

    Parameters
    ----------
    reference, live : (H, W[, 3]) arrays
        The reference the permit is drawn on, and the live frame checked.
    permit : Permit
        The camera's permit, in reference pixels.
    result : CheckResult
        The verdict on ``live``.
    title : str
        First line of the text, e.g. the camera id and the time.
    privacy : PrivacySettings, optional
        Blur faces on the live picture (and on the reference's when ``reference_blurred`` is False)
        at the size drawn, as these settings say; None draws the pictures as given.
    reference_blurred : bool
        Whether the reference's faces were blurred when it was stored.

    Returns
    -------
    (H, W, 3) uint8 BGR array
    """
    reference_bgr, live_bgr = _bgr(reference, "reference"), _bgr(live, "live frame")
    zones: list[Matrix] = [
        np.asarray(zone.exterior.coords, dtype=np.float64) for zone in permit.zones.values()
    ]
    permitted: Matrix = np.asarray(permit.permitted.exterior.coords, dtype=np.float64)
    layout = EvidenceLayout.of(_size_wh(reference_bgr), _size_wh(live_bgr), result.H_live_to_ref)
    canvas = _canvas(reference_bgr, layout)
    ref_panel = cv2.resize(canvas, (layout.reference_panel_w, PANEL_HEIGHT), interpolation=cv2.INTER_AREA)
    live_panel = cv2.resize(live_bgr, (layout.live_panel_w, PANEL_HEIGHT), interpolation=cv2.INTER_AREA)
    if privacy is not None:
        live_panel = np.ascontiguousarray(protect(live_panel, privacy), np.uint8)
        if not reference_blurred:
            ref_panel = np.ascontiguousarray(protect(ref_panel, privacy), np.uint8)

    covered = _fill_zones(ref_panel, live_panel, layout, zones, partial=result.method is AlignMethod.PARTIAL)
    _outline(ref_panel, layout.on_reference(permitted), _GREEN, 2)
    _outline_all(ref_panel, [layout.on_reference(z) for z in zones], _RED, 2)
    if layout.view is not None:
        _outline(ref_panel, layout.on_reference(layout.view), _YELLOW, 3)
    if not covered:
        permitted_live = layout.on_live(permitted)
        if permitted_live is not None:
            _outline(live_panel, permitted_live, _GREEN, 2)
        _outline_all(live_panel, [z for z in map(layout.on_live, zones) if z is not None], _RED, 2)

    _label(ref_panel, "REFERENCE  green: permitted  red: privacy zone  yellow: live view now")
    _label(live_panel, COVERED_LABEL if covered else "LIVE")
    gap = np.full((PANEL_HEIGHT, GAP, 3), 255, np.uint8)
    pictures = np.hstack([ref_panel, gap, live_panel])
    lines = _evidence_lines(result, title)
    if privacy is not None and not privacy.blur_faces:
        lines.append(
            privacy.faces_state().replace("faces NOT", "FACES NOT").encode("ascii", "replace").decode()
        )
    return np.vstack([pictures, _text_band(pictures.shape[1], lines)])


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


@dataclass(frozen=True)
class EvidenceLayout:
    """Where the two pictures of an evidence image lie, so that it can be drawn on again.

    Attributes
    ----------
    reference_wh, live_wh : (int, int)
        The reference's and the live frame's size, pixels.
    H_ref_to_live : (3, 3) array or None
        The inverse of the check's homography (None when the view was not found).
    view : (4, 2) array or None
        The live frame's corners on the reference, when known and finite.
    margins : (left, top, right, bottom)
        How far the reference's canvas reaches beyond it, so that a view that left it is drawn.
    """

    reference_wh: tuple[int, int]
    live_wh: tuple[int, int]
    H_ref_to_live: Matrix | None
    view: Matrix | None
    margins: tuple[int, int, int, int]

    @classmethod
    def of(
        cls, reference_wh: tuple[int, int], live_wh: tuple[int, int], H_live_to_ref: Matrix | None
    ) -> EvidenceLayout:
        """Return the layout of a check of a ``live_wh`` frame against a ``reference_wh`` reference."""
        if H_live_to_ref is None:
            return cls(reference_wh, live_wh, None, None, _margins(reference_wh, None))
        corners = project(H_live_to_ref, corners_xy(live_wh))
        view = corners if np.isfinite(corners).all() else None
        H_ref_to_live: Matrix = np.linalg.inv(H_live_to_ref).astype(np.float64)
        return cls(reference_wh, live_wh, H_ref_to_live, view, _margins(reference_wh, view))

    @property
    def canvas_wh(self) -> tuple[int, int]:
        """Return the size of the reference's canvas, pixels."""
        left, top, right, bottom = self.margins
        return self.reference_wh[0] + left + right, self.reference_wh[1] + top + bottom

    @property
    def reference_scale(self) -> float:
        """Return the reference canvas's scale in the evidence image."""
        return PANEL_HEIGHT / self.canvas_wh[1]

    @property
    def live_scale(self) -> float:
        """Return the live frame's scale in the evidence image."""
        return PANEL_HEIGHT / self.live_wh[1]

    @property
    def reference_panel_w(self) -> int:
        """Return the width of the reference's picture, pixels."""
        return max(1, round(self.canvas_wh[0] * self.reference_scale))

    @property
    def live_panel_w(self) -> int:
        """Return the width of the live frame's picture, pixels."""
        return max(1, round(self.live_wh[0] * self.live_scale))

    @property
    def width(self) -> int:
        """Return the evidence image's width, pixels."""
        return self.reference_panel_w + GAP + self.live_panel_w

    def on_reference(self, points_xy: Matrix) -> Matrix:
        """Return reference pixels as pixels of the reference's picture."""
        return (points_xy + np.array(self.margins[:2], dtype=np.float64)) * self.reference_scale

    def on_live(self, points_xy: Matrix) -> Matrix | None:
        """Return reference pixels as pixels of the live frame's picture (None when unknown there)."""
        if self.H_ref_to_live is None:
            return None
        in_live = project(self.H_ref_to_live, points_xy) * self.live_scale
        return in_live if np.isfinite(in_live).all() else None


def hide_zones(
    evidence: NDArray[np.uint8], layout: EvidenceLayout, zones_xy: Sequence[Matrix], *, partial: bool = False
) -> bool:
    """Fill privacy zones (reference pixels) on both pictures of an evidence image, in place.

    For evidence drawn before a zone was added, or before zones were hidden on a live picture that
    was not aligned. Where the zones cannot be placed on the live picture it is pixelated (see the
    module's notes). Returns False, changing nothing, when the image is not laid out as ``layout``
    says (then nothing can be placed on it safely).
    """
    if evidence.ndim != 3 or evidence.shape[0] < PANEL_HEIGHT or evidence.shape[1] != layout.width:
        return False
    reference_panel = evidence[:PANEL_HEIGHT, : layout.reference_panel_w]
    live_panel = evidence[:PANEL_HEIGHT, layout.reference_panel_w + GAP :]
    _fill_zones(reference_panel, live_panel, layout, zones_xy, partial=partial)
    return True


def cover_picture(picture: NDArray[np.uint8]) -> None:
    """Replace a picture, in place, by its mean colours in :data:`COVER_BLOCKS` blocks across."""
    height, width = picture.shape[:2]
    block = max(1, -(-max(height, width) // COVER_BLOCKS))
    small_wh = (max(1, -(-width // block)), max(1, -(-height // block)))
    small = cv2.resize(picture, small_wh, interpolation=cv2.INTER_AREA)
    picture[:] = cv2.resize(small, (width, height), interpolation=cv2.INTER_NEAREST).reshape(picture.shape)


def _fill_zones(
    reference_panel: NDArray[np.uint8],
    live_panel: NDArray[np.uint8],
    layout: EvidenceLayout,
    zones_xy: Sequence[Matrix],
    *,
    partial: bool,
) -> bool:
    """Fill the zones on both pictures; return True when the live one had to be covered instead."""
    fill_privacy_zones(reference_panel, [layout.on_reference(zone) for zone in zones_xy])
    on_live = [layout.on_live(zone) for zone in zones_xy]
    placed = [zone for zone in on_live if zone is not None]
    if len(placed) < len(on_live):
        cover_picture(live_panel)
        return True
    if partial:
        margin = PARTIAL_MARGIN * live_panel.shape[1]
        placed = [_widened(zone, margin) for zone in placed]
    fill_privacy_zones(live_panel, placed)
    return False


def _widened(zone_xy: Matrix, margin: float) -> Matrix:
    """Return a polygon ``margin`` pixels wider on every side (rounded corners)."""
    widened = Polygon(zone_xy).buffer(margin, quad_segs=4)
    if widened.is_empty or not isinstance(widened, Polygon):
        return zone_xy
    return np.asarray(widened.exterior.coords, dtype=np.float64)


def _margins(reference_wh: tuple[int, int], view: Matrix | None) -> tuple[int, int, int, int]:
    """Return how far the reference's canvas reaches beyond it to show ``view`` (at most 40% a side)."""
    if view is None:
        return 0, 0, 0, 0
    width, height = reference_wh
    left = int(np.clip(-view[:, 0].min(), 0, 0.4 * width))
    top = int(np.clip(-view[:, 1].min(), 0, 0.4 * height))
    right = int(np.clip(view[:, 0].max() - width, 0, 0.4 * width))
    bottom = int(np.clip(view[:, 1].max() - height, 0, 0.4 * height))
    margin = 6
    left, top, right, bottom = (v + margin if v else 0 for v in (left, top, right, bottom))
    return left, top, right, bottom


def _canvas(reference: NDArray[np.uint8], layout: EvidenceLayout) -> NDArray[np.uint8]:
    """Return the reference on its canvas (itself when the view stayed on it)."""
    if not any(layout.margins):
        return reference
    left, top = layout.margins[:2]
    height, width = reference.shape[:2]
    canvas_w, canvas_h = layout.canvas_wh
    canvas = np.full((canvas_h, canvas_w, 3), 48, np.uint8)
    canvas[top : top + height, left : left + width] = reference
    return canvas


def _size_wh(image: np.ndarray) -> tuple[int, int]:
    return int(image.shape[1]), int(image.shape[0])


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


_TEXT_SCALE = 0.6
_TEXT_MARGIN = 10
_LINE_HEIGHT = 26


def _text_band(width: int, lines: Sequence[str]) -> NDArray[np.uint8]:
    """Write ``lines`` on a white band ``width`` wide, each wrapped at its spaces to fit (never clipped)."""
    rows = [row for line in lines for row in _wrapped(line, width - 2 * _TEXT_MARGIN)]
    band = np.full((_LINE_HEIGHT * len(rows) + 14, width, 3), 255, np.uint8)
    for number, (text, scale) in enumerate(rows):
        position = (_TEXT_MARGIN, 24 + number * _LINE_HEIGHT)
        cv2.putText(band, text, position, _FONT, scale, (0, 0, 0), 1, cv2.LINE_AA)
    return band


def _text_width(text: str, scale: float) -> int:
    return int(cv2.getTextSize(text, _FONT, scale, 1)[0][0])


def _wrapped(line: str, room: int) -> list[tuple[str, float]]:
    """Return ``line`` as rows that fit ``room`` pixels at the text scale, each with its scale.

    The line is broken at spaces; a single word wider than the room is written smaller, measured
    at the scale it is written with.
    """
    rows: list[str] = []
    current = ""
    for word in line.split(" "):
        candidate = f"{current} {word}" if current else word
        if current.strip() and _text_width(candidate, _TEXT_SCALE) > room:
            rows.append(current.rstrip())
            candidate = word
        current = candidate
    rows.append(current.rstrip())
    return [(row, _fitting_scale(row, room)) for row in rows]


def _fitting_scale(text: str, room: int) -> float:
    scale = _TEXT_SCALE
    while scale > 0.1 and _text_width(text, scale) > room:
        scale *= 0.9
    return scale


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


def _bgr(image: np.ndarray, what: str) -> NDArray[np.uint8]:
    image = to_uint8(validate_image(image, what))
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)  # type: ignore[return-value]
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)  # type: ignore[return-value]
    return image
