"""Prepared references on disk: round trip, damaged files refused, writes atomic."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import fov_monitor as fm
from fov_monitor.core.synthetic import crop_move


@pytest.fixture
def prepared(astronaut: np.ndarray) -> fm.Reference:
    return fm.Reference.from_image(astronaut, label="day")


def test_round_trip_gives_the_same_verdict(
    tmp_path: Path, prepared: fm.Reference, astronaut: np.ndarray
) -> None:
    path = tmp_path / "day.npz"
    fm.save_reference(prepared, path)
    loaded = fm.load_reference(path)
    assert loaded.label == "day"
    assert loaded.size_wh == prepared.size_wh
    live = crop_move(astronaut, (0.06, 0.0), window_fraction=0.87).live
    permit = fm.Permit.whole_image(prepared.size_wh)
    direct = fm.check_frame(prepared, permit, live)
    cached = fm.check_frame(loaded, permit, live)
    assert cached.status is direct.status
    np.testing.assert_allclose(cached.H_live_to_ref, direct.H_live_to_ref, atol=1e-9)


@pytest.mark.parametrize(
    ("damage", "fragment"),
    [
        (lambda path: path.write_bytes(path.read_bytes()[:500]), "damaged"),
        (lambda path: path.write_bytes(b"not a zip archive at all"), "damaged"),
        (lambda path: path.unlink(), "does not exist"),
    ],
    ids=["truncated", "garbage", "missing"],
)
def test_damaged_cache_is_refused(tmp_path: Path, prepared: fm.Reference, damage, fragment: str) -> None:
    path = tmp_path / "day.npz"
    fm.save_reference(prepared, path)
    damage(path)
    with pytest.raises(fm.ReferenceCacheError) as caught:
        fm.load_reference(path)
    assert fragment in str(caught.value)
    assert "prepare the reference again" in str(caught.value)


def test_cache_from_another_working_width_is_refused(tmp_path: Path, prepared: fm.Reference) -> None:
    path = tmp_path / "day.npz"
    fm.save_reference(prepared, path)
    with pytest.raises(fm.ReferenceCacheError, match="working width 640"):
        fm.load_reference(path, fm.CheckSettings(working_width=320))


def test_failed_write_leaves_the_old_file_whole(
    tmp_path: Path, prepared: fm.Reference, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "day.npz"
    fm.save_reference(prepared, path)
    before = path.read_bytes()

    def failing_fsync(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    # A full disk cannot be caused here without root-only mounts; the failure is injected at fsync.
    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space left"):
        fm.save_reference(fm.Reference.from_image(np.zeros((64, 64), np.uint8) + 9, label="night"), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["day.npz"]
