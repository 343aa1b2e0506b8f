"""Evidence images: what is drawn where, and that privacy zones are always filled."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from fov_monitor.core.check import check_frame
from fov_monitor.core.permit import Permit
from fov_monitor.core.reference import Reference
from fov_monitor.core.result import Status
from fov_monitor.core.synthetic import KnownMove, crop_move
from fov_monitor.faces.privacy import ZONE_FILL_BGR as ZONE_FILL
from fov_monitor.workflows.evidence import PANEL_HEIGHT, render_evidence, write_evidence
from tests.support.images import sample_bgr

YELLOW = (0, 220, 255)
ZONE_XY = [(60, 120), (160, 120), (160, 220), (60, 220)]


def _render(move: KnownMove, permit: Permit) -> tuple[np.ndarray, Status]:
    reference = Reference.from_image(move.reference)
    result = check_frame(reference, permit, move.live)
    return render_evidence(move.reference, move.live, permit, result, title="camera cam-1"), result.status


def _width(move: KnownMove) -> int:
    height, width = move.reference.shape[:2]
    return round(width * PANEL_HEIGHT / height)


@pytest.fixture(scope="module")
def coffee() -> np.ndarray:
    return sample_bgr("coffee")


def test_unmoved_view_is_two_panels_and_the_zone_is_filled(coffee: np.ndarray) -> None:
    move = crop_move(coffee, (0.0, 0.0))
    height, width = move.reference.shape[:2]
    permit = Permit(
        permitted_xy=[(0, 0), (width, 0), (width, height), (0, height)], privacy_zones={"door": ZONE_XY}
    )
    image, status = _render(move, permit)
    assert status is Status.ZONE_EXPOSED
    panel = _width(move)
    assert image.dtype == np.uint8
    assert image.shape[1] == 2 * panel + 8
    assert PANEL_HEIGHT + 60 < image.shape[0] < PANEL_HEIGHT + 200  # the text band below
    scale = PANEL_HEIGHT / height
    for x, y in [(70, 130), (110, 170), (150, 210)]:  # inside the zone, away from its red border
        for left in (0, panel + 8):  # the reference panel, and the live one (the same view)
            pixel = image[round(y * scale), left + round(x * scale)]
            assert tuple(int(v) for v in pixel) == ZONE_FILL, (x, y, left, pixel)
    assert (image[PANEL_HEIGHT + 8 : PANEL_HEIGHT + 60, :] < 128).any()  # text is written


def test_overlapping_and_nested_zones_are_filled_where_they_overlap(coffee: np.ndarray) -> None:
    # Filled all at once, OpenCV's even-odd rule left the overlap of two zones, and a zone inside
    # another, unfilled: the very place two people marked as never to be seen.
    move = crop_move(coffee, (0.0, 0.0))
    height, width = move.reference.shape[:2]
    permit = Permit(
        permitted_xy=[(0, 0), (width, 0), (width, height), (0, height)],
        privacy_zones={
            "door": [(40, 40), (200, 40), (200, 200), (40, 200)],
            "window": [(120, 120), (280, 120), (280, 280), (120, 280)],
            "letterbox": [(60, 60), (100, 60), (100, 100), (60, 100)],
        },
    )
    image, _ = _render(move, permit)
    scale = PANEL_HEIGHT / height
    for x, y in [(160, 160), (80, 80), (60, 180), (250, 250)]:  # overlap, nested, door only, window only
        for left in (0, _width(move) + 8):
            pixel = image[round(y * scale), left + round(x * scale)]
            assert tuple(int(v) for v in pixel) == ZONE_FILL, (x, y, left, pixel)


def test_view_that_left_the_reference_is_drawn_on_a_wider_canvas(coffee: np.ndarray) -> None:
    still = crop_move(coffee, (0.0, 0.0))
    moved = crop_move(coffee, (0.10, 0.0))
    height, width = moved.reference.shape[:2]
    permit = Permit.whole_image((width, height))
    unmoved_image, _ = _render(still, permit)
    image, status = _render(moved, permit)
    assert status is Status.REDIRECTED
    live_panel = _width(moved)
    reference_panel = image.shape[1] - live_panel - 8
    assert reference_panel > unmoved_image.shape[1] - live_panel - 8
    # The canvas grows by the move (10% of the width) plus a small margin, on the right only.
    canvas_width = width + 0.10 * width + 6
    assert reference_panel == pytest.approx(canvas_width * PANEL_HEIGHT / height, abs=2)
    beyond = image[40:PANEL_HEIGHT, reference_panel - 20 : reference_panel]
    assert (np.abs(beyond.astype(int) - YELLOW).sum(axis=2) < 60).any()  # the yellow outline is out there


def test_frame_that_cannot_be_aligned_still_renders(coffee: np.ndarray) -> None:
    move = crop_move(coffee, (0.0, 0.0))
    blank = KnownMove(move.reference, np.zeros_like(move.live), move.H_live_to_ref)
    height, width = move.reference.shape[:2]
    image, status = _render(blank, Permit.whole_image((width, height)))
    assert status is Status.TAMPERED  # black: nothing to align
    assert image.shape[1] == 2 * _width(move) + 8
    gray = np.zeros((height // 2, width // 2), np.uint8)
    result = check_frame(Reference.from_image(move.reference), Permit.whole_image((width, height)), move.live)
    assert render_evidence(gray, gray, Permit.whole_image((width, height)), result).ndim == 3


@pytest.mark.parametrize("width", [300, 400, 520], ids=["narrow", "middle", "wide"])
def test_the_text_under_the_pictures_is_wrapped_never_clipped(coffee: np.ndarray, width: int) -> None:
    move = crop_move(coffee, (0.10, 0.0))
    reference, live = (cv2.resize(image, (width, 480)) for image in (move.reference, move.live))
    permit = Permit.whole_image((width, 480))
    result = check_frame(Reference.from_image(reference), permit, live)
    image = render_evidence(reference, live, permit, result, title="camera cam-12 at 2026-11-29 02:15:07")
    band = image[PANEL_HEIGHT:]
    dark_columns = np.flatnonzero((band.min(axis=2) < 128).any(axis=0))
    # Before, a long line was scaled by an estimate and ran off the right edge ("reference 'd").
    assert dark_columns.max() < image.shape[1] - 5, (dark_columns.max(), image.shape[1])
    rows = np.flatnonzero((band.min(axis=2) < 128).any(axis=1))
    assert rows.max() < band.shape[0] - 2, "nothing written below the band either"


def test_evidence_is_written_as_jpeg(coffee: np.ndarray, tmp_path: Path) -> None:
    path = write_evidence(coffee, tmp_path / "deep" / "e.jpg")
    assert path.read_bytes()[:3] == b"\xff\xd8\xff"
    assert cv2.imread(str(path)).shape == coffee.shape
    assert sorted(p.name for p in path.parent.iterdir()) == ["e.jpg"]
