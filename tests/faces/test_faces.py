"""Face detection and blurring on real photographs and video frames, and on bad inputs and models."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import cv2
import numpy as np
import pytest

import fov_monitor as fm
from fov_monitor.faces.model import shipped_model_path
from tests.support.real_data import video_frames

ASTRONAUT_FACE_CENTRE_XY = (225, 117)
"""Centre of Eileen Collins's face in scikit-image's ``astronaut()`` (looked up by eye)."""

VIDEO_FACES_XYXY = {
    # Faces labelled by eye on frames of ../shared/data/videos (x1, y1, x2, y2 in frame pixels): people
    # walking across a plaza (faces of 9-15 px) and one turning past an indoor camera.
    ("vtest.avi", 150): (598, 230, 607, 243),
    ("vtest.avi", 400): (714, 301, 729, 318),
    ("vtest.avi", 550): (647, 305, 659, 320),
    ("vtest.avi", 600): (466, 303, 479, 320),
    ("one-by-one-person-detection.mp4", 1350): (685, 35, 722, 80),
}


def _covers(boxes: np.ndarray, x: float, y: float) -> bool:
    return bool(np.any((boxes[:, 0] <= x) & (x <= boxes[:, 2]) & (boxes[:, 1] <= y) & (y <= boxes[:, 3])))


def test_every_face_of_the_pascal_photos_is_found(shared_data: Path) -> None:
    folder = shared_data / "faces"
    missed = []
    for entry in ET.parse(folder / "faces.xml").getroot().iter("image"):
        boxes = fm.detect_faces(cv2.imread(str(folder / entry.get("file", ""))))
        for box in entry.iter("box"):
            top, left, width, height = (int(box.get(key, 0)) for key in ("top", "left", "width", "height"))
            if not _covers(boxes, left + width / 2, top + height / 2):
                missed.append((entry.get("file"), left, top))
    assert missed == []


def _labelled_frames(shared_data: Path) -> list[tuple[str, int, np.ndarray]]:
    wanted = sorted(VIDEO_FACES_XYXY)
    found = []
    for name in sorted({name for name, _ in wanted}):
        indexes = {index for video, index in wanted if video == name}
        for index, frame in video_frames(shared_data / "videos" / name, 50):
            if index in indexes:
                found.append((name, index, frame))
    return found


def test_faces_of_people_walking_through_the_videos_are_blurred(shared_data: Path) -> None:
    frames = _labelled_frames(shared_data)
    assert len(frames) == len(VIDEO_FACES_XYXY)
    for name, index, frame in frames:
        x1, y1, x2, y2 = VIDEO_FACES_XYXY[(name, index)]
        blurred = fm.blur_faces(frame)
        cx, cy = (x1 + x2) // 2, (y1 + y2) // 2
        before = frame[cy - 3 : cy + 4, cx - 3 : cx + 4].astype(np.float64)
        after = blurred[cy - 3 : cy + 4, cx - 3 : cx + 4].astype(np.float64)
        assert np.abs(after - before).max() > 0, f"{name} frame {index}: face at ({cx}, {cy}) not blurred"
        assert after.std() < before.std(), f"{name} frame {index}: face at ({cx}, {cy}) still detailed"


def test_the_astronaut_face_is_found(astronaut: np.ndarray) -> None:
    boxes = fm.detect_faces(astronaut)
    assert boxes.shape == (1, 5)
    assert boxes.dtype == np.float32
    assert boxes[0, 4] > 0.8
    assert _covers(boxes, *ASTRONAUT_FACE_CENTRE_XY)


@pytest.mark.parametrize(
    "convert",
    [
        pytest.param(lambda image: cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), id="gray"),
        pytest.param(lambda image: cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)[:, :, None], id="gray-1ch"),
        pytest.param(lambda image: cv2.cvtColor(image, cv2.COLOR_BGR2BGRA), id="bgra"),
        pytest.param(lambda image: image.astype(np.uint16) * 257, id="uint16"),
        pytest.param(lambda image: image.astype(np.float32) / 255, id="float32-0..1"),
        pytest.param(lambda image: image.astype(np.float64), id="float64-0..255"),
    ],
)
def test_other_layouts_and_depths_are_blurred_in_kind(astronaut: np.ndarray, convert) -> None:
    image = convert(astronaut)
    assert _covers(fm.detect_faces(image), *ASTRONAUT_FACE_CENTRE_XY)
    blurred = fm.blur_faces(image)
    assert blurred.shape == image.shape
    assert blurred.dtype == image.dtype
    x, y = ASTRONAUT_FACE_CENTRE_XY
    assert not np.array_equal(
        blurred[y - 10 : y + 10, x - 10 : x + 10], image[y - 10 : y + 10, x - 10 : x + 10]
    )
    assert np.array_equal(blurred[400:, 400:], image[400:, 400:])
    if image.ndim == 3 and image.shape[2] == 4:
        assert np.array_equal(blurred[:, :, 3], image[:, :, 3])


@pytest.mark.parametrize("side", [1, 8, 15])
def test_a_tiny_image_holds_no_face(side: int) -> None:
    image = np.full((side, side, 3), 128, np.uint8)
    assert fm.detect_faces(image).shape == (0, 5)
    assert np.array_equal(fm.blur_faces(image), image)


@pytest.mark.parametrize(
    "image",
    [
        pytest.param([[0, 1], [2, 3]], id="list"),
        pytest.param(np.zeros((32, 32, 5), np.uint8), id="5-channels"),
        pytest.param(np.zeros((4, 32, 32, 3), np.uint8), id="4-dims"),
        pytest.param(np.zeros((0, 32), np.uint8), id="empty"),
    ],
)
def test_what_is_not_an_image_is_refused(image: object) -> None:
    with pytest.raises(fm.InvalidImageError, match="face image must be"):
        fm.detect_faces(image)


def test_an_int32_image_can_be_searched_but_not_blurred(astronaut: np.ndarray) -> None:
    with pytest.raises(fm.InvalidImageError, match="dtype int32"):
        fm.blur_faces(astronaut.astype(np.int32))


@pytest.mark.parametrize("method", list(fm.BlurMethod))
def test_each_method_changes_the_face_and_nothing_far_from_it(astronaut: np.ndarray, method) -> None:
    box = np.array([[175, 54, 275, 180]], np.float32)
    result = fm.blur_regions(astronaut, box, method=method, scale=1.5)
    face = (slice(70, 165), slice(190, 260))
    changed = np.abs(result[face].astype(int) - astronaut[face].astype(int)).max(axis=2) > 0
    assert changed.mean() > 0.9
    assert _detail(result[face]) < _detail(astronaut[face]) / 2
    assert np.array_equal(result[260:, :], astronaut[260:, :])
    assert np.array_equal(result[:, 320:], astronaut[:, 320:])


def _detail(image: np.ndarray) -> float:
    return float(np.abs(cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.CV_32F)).mean())


def test_blurring_leaves_the_input_alone_and_is_deterministic(astronaut: np.ndarray) -> None:
    original = astronaut.copy()
    first = fm.blur_faces(astronaut)
    second = fm.blur_faces(astronaut)
    assert np.array_equal(astronaut, original)
    assert np.array_equal(first, second)
    assert np.array_equal(fm.detect_faces(astronaut), fm.detect_faces(astronaut))


def test_a_large_frame_is_searched_in_tiles_for_small_faces(astronaut: np.ndarray) -> None:
    # A 40 px face in a 3000 x 2000 frame: more than one tile, and coarser levels merged by NMS.
    face = cv2.resize(astronaut[30:230, 120:330], (42, 40), interpolation=cv2.INTER_AREA)
    frame = np.full((2000, 3000, 3), 90, np.uint8)
    frame[1290:1330, 1270:1312] = face
    boxes = fm.detect_faces(frame)
    assert _covers(boxes, 1291, 1310)
    assert len(boxes) == 1


def _tiny_network(path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Relu", ["input"], ["output"])],
        "not-a-face-detector",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 32, 32])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, 32, 32])],
    )
    onnx.save(helper.make_model(graph), str(path))


@pytest.mark.parametrize("kind", ["missing", "truncated", "other-network", "not-onnx"])
def test_a_bad_model_file_gives_one_line_naming_it(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"{kind}.onnx"
    if kind == "truncated":
        path.write_bytes(shipped_model_path().read_bytes()[:100_000])
    elif kind == "other-network":
        _tiny_network(path)
    elif kind == "not-onnx":
        path.write_text("hello")
    with pytest.raises(fm.FaceModelError) as caught:
        fm.detect_faces(np.zeros((64, 64, 3), np.uint8), settings=fm.FaceSettings(model_path=path))
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    assert "FOV_MONITOR_FACE_MODEL" in message


def test_the_model_path_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FOV_MONITOR_FACE_MODEL", str(tmp_path / "elsewhere.onnx"))
    assert fm.FaceSettings().model_path == tmp_path / "elsewhere.onnx"
    with pytest.raises(fm.FaceModelError, match=r"elsewhere\.onnx"):
        fm.blur_faces(np.zeros((64, 64), np.uint8))
    monkeypatch.delenv("FOV_MONITOR_FACE_MODEL")
    assert fm.FaceSettings().model_path is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("method", "smudge"), ("threshold", 0.0), ("threshold", 1.5), ("scale", 0.5), ("threads", 0)],
)
def test_bad_settings_are_refused(field: str, value: object) -> None:
    with pytest.raises(fm.InvalidSettingsError, match=field):
        fm.FaceSettings(**{field: value})  # type: ignore[arg-type]
