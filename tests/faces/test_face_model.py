"""Every face model is proven when loaded; which one is in force is clear; a broken onnxruntime is one line.

The models are real ONNX files: the shipped CenterFace, the same network with its weights overwritten
(it loads, runs, and finds no face), and 200 kB of random bytes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

import fov_monitor as fm
from fov_monitor.faces.model import MODEL_ENV, shipped_model_path
from fov_monitor.settings import SETTINGS_FILE, StoreSettings
from fov_monitor.store.camera import CameraConfig
from fov_monitor.store.store import Store
from tests.support.cli import run_main
from tests.support.images import sample_bgr
from tests.support.messages import assert_one_line
from tests.support.paths import REPO


@pytest.fixture(autouse=True)
def _no_model_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MODEL_ENV, raising=False)
    monkeypatch.delenv("FOV_MONITOR_UNBLURRED", raising=False)


@pytest.fixture(scope="module")
def damaged_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """CenterFace with every weight replaced by small random numbers: a valid graph that finds nothing."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(shipped_model_path()))
    generator = np.random.default_rng(19)
    for initializer in model.graph.initializer:
        weights = numpy_helper.to_array(initializer)
        noise = (generator.standard_normal(weights.shape) * 0.01).astype(weights.dtype)
        initializer.CopyFrom(numpy_helper.from_array(noise, initializer.name))
    path = tmp_path_factory.mktemp("models") / "damaged.onnx"
    onnx.save(model, str(path))
    return path


@pytest.fixture(scope="module")
def random_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("models") / "random.onnx"
    path.write_bytes(np.random.default_rng(5).bytes(200_000))
    return path


def _store(tmp_path: Path, privacy: dict[str, object]) -> Path:
    """A store with one camera whose source is the astronaut (a face), and the privacy settings given."""
    source = tmp_path / "live.png"
    cv2.imwrite(str(source), sample_bgr("astronaut"))
    root = tmp_path / "store"
    store = Store(root)
    store.init()
    store.add_camera(CameraConfig("cam-1", source=str(source)))
    (root / SETTINGS_FILE).write_text(json.dumps({"schema_version": 1, "privacy": privacy}), encoding="utf-8")
    return root


def test_the_shipped_model_passes_its_proof(astronaut: np.ndarray) -> None:
    assert len(fm.detect_faces(astronaut)) == 1


@pytest.mark.parametrize("which", ["damaged", "random"])
def test_a_model_that_finds_no_face_stops_the_capture_naming_the_file_and_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], damaged_model: Path, random_model: Path, which: str
) -> None:
    model = damaged_model if which == "damaged" else random_model
    root = _store(tmp_path, {"face_model": str(model)})
    code, out, err = run_main(capsys, "reference", "capture", "cam-1", "--store", root)
    assert code != 0, out
    assert err.startswith("error: "), err
    assert_one_line(err.strip(), str(model), f"privacy.face_model in {root / SETTINGS_FILE}")
    if which == "damaged":
        assert "known picture skimage/data/astronaut.png" in err
    assert not list((root / "cam-1").glob("references/*")), "nothing was written"


def test_the_environment_comes_before_the_settings_and_the_error_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damaged_model: Path
) -> None:
    root = _store(tmp_path, {"face_model": str(tmp_path / "named-in-settings.onnx")})
    monkeypatch.setenv(MODEL_ENV, str(damaged_model))
    faces = StoreSettings(root).privacy.faces
    assert faces.model_path == damaged_model
    with pytest.raises(fm.FaceModelError) as caught:
        fm.detect_faces(sample_bgr("astronaut"), settings=faces)
    assert_one_line(caught.value, str(damaged_model), f"${MODEL_ENV}")
    assert "named-in-settings" not in str(caught.value)

    monkeypatch.delenv(MODEL_ENV)
    faces = StoreSettings(root).privacy.faces
    assert faces.model_path == tmp_path / "named-in-settings.onnx"
    with pytest.raises(fm.FaceModelError, match=r"privacy\.face_model in"):
        fm.detect_faces(sample_bgr("astronaut"), settings=faces)


def test_a_relative_face_model_is_found_beside_the_settings_file(tmp_path: Path) -> None:
    root = _store(tmp_path, {"face_model": "models/other.onnx"})
    assert StoreSettings(root).privacy.faces.model_path == root / "models" / "other.onnx"


def test_onnxruntime_that_cannot_be_imported_is_one_line(tmp_path: Path) -> None:
    fake = tmp_path / "broken" / "onnxruntime"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        'raise ImportError("libonnxruntime.so.1.17: cannot open shared object file")\n'
    )
    root = _store(tmp_path, {})
    done = subprocess.run(
        [sys.executable, "-m", "fov_monitor", "reference", "capture", "cam-1", "--store", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "broken"), str(REPO)])},
        check=False,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr
    assert_one_line(done.stderr.strip(), "onnxruntime cannot be imported", "libonnxruntime", "pip install")
    assert not list((root / "cam-1").glob("references/*"))
