"""A re-baseline moves the permit's drawing with the view, so it keeps covering the same place.

The built-in demo cameras (scikit-image photographs, source ``demo:<id>``) are enrolled, then
re-baselined from the view they show tonight, as an approver would after a dismissal.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from fov_monitor.core.permit import Permit
from fov_monitor.core.permit_carry import carry_permit
from fov_monitor.db.database import Database
from fov_monitor.errors import InvalidPermitError, InvalidSettingsError, StoreError
from fov_monitor.faces.privacy import PrivacySettings
from fov_monitor.sources.demo import demo_scene
from fov_monitor.store.store import Store
from fov_monitor.workflows.camera_check import check_camera
from fov_monitor.workflows.demo import enrol_demo
from fov_monitor.workflows.reference_capture import Approval, capture_reference

SIZE = (640, 480)
SQUARE = [(100.0, 100.0), (300.0, 100.0), (300.0, 300.0), (100.0, 300.0)]


def _translation(dx: float, dy: float) -> np.ndarray:
    """The homography from the new view's pixels to the old one's when the content moved by (dx, dy)."""
    return np.array([[1.0, 0.0, -dx], [0.0, 1.0, -dy], [0.0, 0.0, 1.0]])


def test_the_drawing_moves_with_the_content() -> None:
    permit = Permit(
        permitted_xy=SQUARE, privacy_zones={"window": [(400, 50), (450, 50), (450, 90), (400, 90)]}
    )
    carried = carry_permit(permit, _translation(64, 0), SIZE, (0.1, 0.0))
    assert carried is not None
    assert sorted(carried.permit.permitted_xy) == sorted((x + 64, y) for x, y in SQUARE)
    assert sorted(carried.permit.privacy_zones["window"]) == [(464, 50), (464, 90), (514, 50), (514, 90)]
    assert carried.zones_out_of_view == ()
    assert carried.permit.tolerance == permit.tolerance


def test_a_zoom_about_the_centre_moves_the_drawing_though_the_centre_stays() -> None:
    zoom = 1.5
    scale_about_centre = np.array(
        [[zoom, 0.0, (1 - zoom) * SIZE[0] / 2], [0.0, zoom, (1 - zoom) * SIZE[1] / 2], [0.0, 0.0, 1.0]]
    )
    permit = Permit(
        permitted_xy=SQUARE, privacy_zones={"window": [(500, 50), (600, 50), (600, 150), (500, 150)]}
    )
    carried = carry_permit(permit, np.linalg.inv(scale_about_centre), SIZE, (0.0, 0.0))
    assert carried is not None
    assert carried.corner_move == pytest.approx(0.25)
    window = carried.permit.privacy_zones["window"]
    assert min(x for x, _ in window) == pytest.approx(590.0)
    assert max(y for _, y in window) == pytest.approx(105.0)


def test_a_zone_cut_in_pieces_by_the_edge_keeps_every_piece() -> None:
    u_shape = [(100, 200), (150, 200), (150, 460), (450, 460), (450, 200), (500, 200), (500, 470), (100, 470)]
    carried = carry_permit(
        Permit(permitted_xy=SQUARE, privacy_zones={"u": u_shape}), _translation(0, 35), SIZE, (0.0, 0.07)
    )
    assert carried is not None
    assert sorted(carried.permit.privacy_zones) == ["u", "u (part 2)"]
    xs = sorted(min(x for x, _ in zone) for zone in carried.permit.privacy_zones.values())
    assert xs == [100.0, 450.0]  # both arms, the bottom bar out of view
    assert carried.zones_out_of_view == ()


def test_a_negligible_move_leaves_the_drawing() -> None:
    assert carry_permit(Permit(permitted_xy=SQUARE), _translation(2.5, 0.3), SIZE, (0.004, 0.0006)) is None


def test_what_leaves_the_view_is_cut_at_its_edge_and_a_zone_gone_is_named() -> None:
    permit = Permit(permitted_xy=SQUARE, privacy_zones={"door": [(10, 10), (60, 10), (60, 60), (10, 60)]})
    carried = carry_permit(permit, _translation(-200, 0), SIZE, (-0.31, 0.0))
    assert carried is not None
    xs = [x for x, _ in carried.permit.permitted_xy]
    assert min(xs) == pytest.approx(-16.0)  # cut half the 5% margin beyond the left edge
    assert max(xs) == pytest.approx(100.0)
    assert carried.zones_out_of_view == ("door",)
    assert carried.permit.privacy_zones == {}


def test_a_permitted_area_wholly_out_of_view_is_refused() -> None:
    with pytest.raises(InvalidPermitError, match="none of the permitted area is in the new view"):
        carry_permit(Permit(permitted_xy=SQUARE), _translation(-400, 0), SIZE, (-0.6, 0.0))


@pytest.fixture
def demo_store(tmp_path: Path) -> Iterator[tuple[Store, Database]]:
    store = Store(tmp_path / "store")
    store.init()
    with Database(store.database_path) as database:
        enrol_demo(store, database, PrivacySettings(), "technician")
        yield store, database


def _rebaseline(store: Store, database: Database, camera_id: str) -> None:
    capture_reference(
        store,
        database,
        camera_id,
        actor="approver",
        approval=Approval("dismissed as a false alarm", "J. Berg"),
        privacy=PrivacySettings(),
    )


def _carried_lines(database: Database, camera_id: str) -> list[dict]:
    return [dict(e.detail) for e in database.audit_entries(camera_id) if e.action == "permit carried over"]


def test_a_rebaseline_cannot_hide_a_privacy_zone_exposure(demo_store: tuple[Store, Database]) -> None:
    store, database = demo_store
    camera_id = "cam-03-launch"  # turned 12% left: the neighbour's window slid out from under the mask
    before = store.permit(camera_id)
    assert before is not None
    _rebaseline(store, database, camera_id)
    (line,) = _carried_lines(database, camera_id)
    assert line["shift_fraction"][0] == pytest.approx(-0.12, abs=0.01)
    after = store.permit(camera_id)
    assert after is not None
    width = store.reference_infos(camera_id)[0].size_wh[0]
    old_x = min(x for x, _ in before.permit.privacy_zones["neighbour-window"])
    new_x = min(x for x, _ in after.permit.privacy_zones["neighbour-window"])
    assert new_x - old_x == pytest.approx(0.12 * width, abs=0.01 * width)  # still on the window
    result = check_camera(store, database, camera_id, actor="scan", privacy=PrivacySettings()).result
    assert result.status == "zone_exposed", result.reasons


def test_a_rebaseline_cannot_widen_the_permit_of_a_moved_camera(demo_store: tuple[Store, Database]) -> None:
    store, database = demo_store
    camera_id = "cam-02-cafe"  # knocked 10% to the right, out of its permit
    _rebaseline(store, database, camera_id)
    assert len(_carried_lines(database, camera_id)) == 1
    result = check_camera(store, database, camera_id, actor="scan", privacy=PrivacySettings()).result
    assert result.status == "redirected", result.reasons
    assert result.outside_fraction == pytest.approx(0.15, abs=0.02)


def test_a_rebaseline_of_an_unmoved_view_keeps_the_drawing(demo_store: tuple[Store, Database]) -> None:
    store, database = demo_store
    camera_id = "cam-01-square"  # moved 0.2% of the frame: the alignment's own error, not a move
    before = (store.folder(camera_id) / "permit.json").read_bytes()
    _rebaseline(store, database, camera_id)
    assert _carried_lines(database, camera_id) == []
    assert (store.folder(camera_id) / "permit.json").read_bytes() == before
    assert (
        check_camera(store, database, camera_id, actor="scan", privacy=PrivacySettings()).result.status
        == "compliant"
    )


def test_a_moved_view_with_other_references_is_refused_and_nothing_changes(
    demo_store: tuple[Store, Database], tmp_path: Path
) -> None:
    store, database = demo_store
    camera_id = "cam-02-cafe"
    scene = demo_scene(camera_id)
    assert scene is not None
    night = tmp_path / "night.png"
    cv2.imwrite(str(night), (scene.reference * 0.4).astype(np.uint8))
    capture_reference(
        store,
        database,
        camera_id,
        label="night",
        actor="technician",
        source=str(night),
        privacy=PrivacySettings(),
    )
    permit_before = (store.folder(camera_id) / "permit.json").read_bytes()
    day_before = (store.folder(camera_id) / "references" / "day.png").read_bytes()
    with pytest.raises(InvalidSettingsError, match=r"other references \(night\) show the old view"):
        _rebaseline(store, database, camera_id)
    assert (store.folder(camera_id) / "permit.json").read_bytes() == permit_before
    assert (store.folder(camera_id) / "references" / "day.png").read_bytes() == day_before


def test_a_rebaseline_whose_record_fails_is_still_on_record_as_started(
    demo_store: tuple[Store, Database],
) -> None:
    store, database = demo_store
    camera_id = "cam-02-cafe"
    # A real refusal by the database, of the closing line only: the files change, the record must not lie.
    with sqlite3.connect(store.database_path) as connection:
        connection.execute(
            "CREATE TRIGGER refuse_closing BEFORE INSERT ON audit WHEN NEW.action = 'reference rebaselined' "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    with pytest.raises(StoreError):
        _rebaseline(store, database, camera_id)
    actions = [entry.action for entry in database.audit_entries(camera_id)]
    assert actions[:2] == ["permit carried over", "reference rebaseline started"]
