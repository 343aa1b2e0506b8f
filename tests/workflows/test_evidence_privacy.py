"""Evidence never shows a privacy zone: not when the view was not aligned, not after a re-baseline.

Real checks of a real store (the coffee photograph as the camera's file source, a zone over part of
it), evidence images as written and as the web app serves them.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from fov_monitor.alerts.evidence import store_evidence
from fov_monitor.core.check import check_frame
from fov_monitor.core.permit import Permit
from fov_monitor.core.reference import Reference
from fov_monitor.core.result import AlignMethod, Status
from fov_monitor.core.synthetic import crop_move
from fov_monitor.db.database import Database
from fov_monitor.faces.privacy import ZONE_FILL_BGR, PrivacySettings
from fov_monitor.store.camera import CameraConfig
from fov_monitor.store.store import Store
from fov_monitor.web.accounts import add_user
from fov_monitor.web.roles import Role
from fov_monitor.workflows.camera_check import check_camera
from fov_monitor.workflows.evidence import PANEL_HEIGHT, cover_picture, render_evidence
from fov_monitor.workflows.reference_capture import Approval, capture_reference
from tests.support.images import sample_bgr
from tests.support.web_store import PASSWORD, app_client, sign_in, user_name

ZONE_XY = [(300.0, 100.0), (450.0, 100.0), (450.0, 250.0), (300.0, 250.0)]
"""A 'window' of the camera's view (a 480 x 320 crop of the coffee photograph), away from its edges."""
NO_FACES = PrivacySettings(blur_faces=False)  # faces are tested elsewhere; these pictures have none


@dataclasses.dataclass(frozen=True)
class Camera:
    root: Path
    source: Path
    view: np.ndarray
    moved: np.ndarray
    """The view panned 10% right."""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Camera:
    folder = tmp_path_factory.mktemp("evidence-privacy")
    move = crop_move(sample_bgr("coffee"), (0.10, 0.0))
    view = move.reference
    source = folder / "live.png"
    cv2.imwrite(str(source), view)
    store = Store(folder / "store")
    store.init()
    store.add_camera(CameraConfig("cam-1", source=str(source)))
    with Database(store.database_path) as database:
        capture_reference(store, database, "cam-1", actor="tech", privacy=NO_FACES)
        add_user(database, user_name(Role.REVIEWER), PASSWORD, Role.REVIEWER, actor="fixture")
    height, width = view.shape[:2]
    whole = [(0.0, 0.0), (width, 0.0), (width, height), (0.0, height)]
    store.save_permit(
        "cam-1", Permit(permitted_xy=whole, privacy_zones={"window": ZONE_XY}), (width, height), "t"
    )
    # A check in the very second of its reference's picture, or of its permit, counts as made before
    # them (fail closed): the checks of these tests come a second later, as a technician's do.
    time.sleep(1.0)
    return Camera(store.root, source, view, move.live)


@pytest.fixture
def camera(template: Camera, tmp_path: Path) -> Camera:
    root = tmp_path / "store"
    shutil.copytree(template.root, root)
    source = tmp_path / "live.png"
    shutil.copy(template.source, source)
    store = Store(root)
    store.save_camera(dataclasses.replace(store.camera("cam-1"), source=str(source)))
    return Camera(root, source, template.view, template.moved)


def _live_panel(evidence: np.ndarray, view: np.ndarray) -> np.ndarray:
    width = round(view.shape[1] * PANEL_HEIGHT / view.shape[0])
    return evidence[:PANEL_HEIGHT, evidence.shape[1] - width :]


def _zone_on_panel(panel: np.ndarray, view: np.ndarray) -> np.ndarray:
    scale = PANEL_HEIGHT / view.shape[0]
    (x0, y0), (x1, y1) = ZONE_XY[0], ZONE_XY[2]
    return panel[round(y0 * scale) + 4 : round(y1 * scale) - 4, round(x0 * scale) + 4 : round(x1 * scale) - 4]


def _panel(view: np.ndarray) -> np.ndarray:
    """Return a view as the live picture of an evidence image draws it, before anything is hidden."""
    return cv2.resize(view, (round(view.shape[1] * PANEL_HEIGHT / view.shape[0]), PANEL_HEIGHT),
                      interpolation=cv2.INTER_AREA)  # fmt: skip


def _assert_pixelated(shown: np.ndarray, unhidden: np.ndarray, view: np.ndarray) -> None:
    """Assert that the zone's place on a live picture shows the picture in coarse blocks, not as it is."""
    blocks = unhidden.copy()
    cover_picture(blocks)
    zone, expected, original = (_zone_on_panel(p, view).astype(float) for p in (shown, blocks, unhidden))
    assert np.abs(zone - expected).mean() < 4, "the zone's place is shown in blocks"
    assert np.abs(zone - original).mean() > 3 * np.abs(zone - expected).mean(), "not as it is"


def _is_fill(pixels: np.ndarray) -> bool:
    return bool(np.abs(pixels.reshape(-1, 3).astype(float) - ZONE_FILL_BGR).max() < 12)


def test_a_frozen_feed_shows_no_zone_in_its_evidence(camera: Camera) -> None:
    store = Store(camera.root)
    with Database(store.database_path) as database:
        first = check_camera(store, database, "cam-1", actor="t", evidence="always", privacy=NO_FACES)
        frozen = check_camera(store, database, "cam-1", actor="t", evidence="always", privacy=NO_FACES)
    assert first.result.status is Status.ZONE_EXPOSED
    assert frozen.result.status is Status.TAMPERED
    assert frozen.result.H_live_to_ref is None, "a frozen feed is not aligned: the zone has no place"
    assert first.evidence_path is not None
    assert frozen.evidence_path is not None
    aligned = _zone_on_panel(_live_panel(cv2.imread(str(first.evidence_path)), camera.view), camera.view)
    assert _is_fill(aligned), "aligned: the zone is filled where it is"
    shown = _live_panel(cv2.imread(str(frozen.evidence_path)), camera.view)
    _assert_pixelated(shown, _panel(camera.view), camera.view)


def test_the_web_app_and_the_mail_cover_the_zone_on_an_unaligned_evidence_image_drawn_without_it(
    camera: Camera,
) -> None:
    store = Store(camera.root)
    with Database(store.database_path) as database:
        check_camera(store, database, "cam-1", actor="t", evidence="never", privacy=NO_FACES)
        frozen = check_camera(store, database, "cam-1", actor="t", evidence="always", privacy=NO_FACES)
    assert frozen.evidence_path is not None
    # An evidence image as fov-monitor drew them before it covered unaligned pictures: zone unfilled.
    reference = store.reference_image("cam-1", "day")
    height, width = camera.view.shape[:2]
    drawn = render_evidence(reference, camera.view, Permit.whole_image((width, height)), frozen.result)
    cv2.imwrite(str(frozen.evidence_path), drawn)
    with app_client(camera.root) as client:
        sign_in(client, Role.REVIEWER)
        history = client.get("/api/cameras/cam-1/history").json()
        url = next(row["evidence"] for row in history if row["result_id"] == frozen.result_id)
        served = cv2.imdecode(np.frombuffer(client.get(url).content, np.uint8), cv2.IMREAD_COLOR)
    _assert_pixelated(_live_panel(served, camera.view), _live_panel(drawn, camera.view), camera.view)
    with Database(store.database_path) as database:
        alert = {"camera_id": "cam-1", "evidence_path": str(frozen.evidence_path)}
        mailed = store_evidence(database, camera.root, NO_FACES)(alert)
    attached = cv2.imdecode(np.frombuffer(mailed, np.uint8), cv2.IMREAD_COLOR)
    _assert_pixelated(_live_panel(attached, camera.view), _live_panel(drawn, camera.view), camera.view)


def test_a_partial_alignment_fills_its_zones_with_a_margin() -> None:
    move = crop_move(sample_bgr("coffee"), (0.0, 0.0))
    height, width = move.reference.shape[:2]
    permit = Permit(permitted_xy=[(0, 0), (width, 0), (width, height), (0, height)],
                    privacy_zones={"window": ZONE_XY})  # fmt: skip
    result = check_frame(Reference.from_image(move.reference), permit, move.live)
    assert result.H_live_to_ref is not None
    exact = render_evidence(move.reference, move.live, permit, result)
    partial = render_evidence(
        move.reference, move.live, permit, dataclasses.replace(result, method=AlignMethod.PARTIAL)
    )
    scale = PANEL_HEIGHT / height
    # Just outside the zone's right side: left alone when the view is measured, filled when partial.
    x, y = round((ZONE_XY[1][0] + 0.04 * width) * scale), round(175 * scale)
    assert not _is_fill(_live_panel(exact, move.reference)[y - 2 : y + 3, x - 2 : x + 3])
    assert _is_fill(_live_panel(partial, move.reference)[y - 2 : y + 3, x - 2 : x + 3])


def test_a_zone_added_after_a_rebaseline_is_hidden_on_evidence_from_before_it(camera: Camera) -> None:
    store = Store(camera.root)
    with Database(store.database_path) as database:
        # The camera's view moved 10% right; the reference and its permit are of the unmoved view.
        cv2.imwrite(str(camera.source), camera.moved)
        store.save_permit("cam-1", Permit.whole_image(camera.view.shape[1::-1]), None, "t")
        before = check_camera(store, database, "cam-1", actor="t", evidence="always", privacy=NO_FACES)
        assert before.result.H_live_to_ref is not None
        # Approved: the moved view becomes the reference (the permit's drawing moves with it).
        capture_reference(store, database, "cam-1", actor="t", privacy=NO_FACES,
                          approval=Approval("new mast", "head of unit"))  # fmt: skip
        (info,) = store.reference_infos("cam-1")
        assert info.taken_at > before.checked_at, "the record says when its picture was taken"
        # Then a window is noticed: a zone drawn on the new reference, which is the moved live view.
        new_wh = info.size_wh
        whole = [(0.0, 0.0), (new_wh[0], 0.0), (new_wh[0], new_wh[1]), (0.0, new_wh[1])]
        store.save_permit("cam-1", Permit(permitted_xy=whole, privacy_zones={"window": ZONE_XY}), new_wh, "t")
    with app_client(camera.root) as client:
        sign_in(client, Role.REVIEWER)
        served = cv2.imdecode(
            np.frombuffer(
                client.get(f"/api/cameras/cam-1/results/{before.result_id}/evidence").content, np.uint8
            ),
            cv2.IMREAD_COLOR,
        )
    # The zone's true place on the old evidence: the live view then is the new reference now.
    assert _is_fill(_zone_on_panel(_live_panel(served, camera.moved), camera.moved))
