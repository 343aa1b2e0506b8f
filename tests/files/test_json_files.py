"""Every settings file in JSON refuses unreadable contents with one line naming the file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from fov_monitor.alerts.settings import AlertSettings
from fov_monitor.db.location import resolve_location
from fov_monitor.errors import FovMonitorError, InvalidSettingsError, ReportError
from fov_monitor.report.organisation import Organisation
from fov_monitor.report.weighing import WeighingState, read_weighing
from fov_monitor.settings import StoreSettings


def _weighing(root: Path) -> object:
    """Read cam-01's weighing of 2026, raising as the other readers do when it cannot be read."""
    weighing = read_weighing(root, 2026, "cam-01")
    if weighing.state is WeighingState.UNREADABLE:
        raise ReportError(weighing.problem)
    return weighing


READERS: list[tuple[str, str, Callable[[Path], object], type[FovMonitorError]]] = [
    ("privacy", "settings.json", lambda root: StoreSettings(root).privacy, InvalidSettingsError),
    (
        "database",
        "settings.json",
        lambda root: resolve_location(root, environ={}, settings=StoreSettings(root)),
        InvalidSettingsError,
    ),
    ("alerts", "alerts.json", AlertSettings.for_store, InvalidSettingsError),
    ("organisation", "organisation.json", Organisation.for_store, ReportError),
    (
        "weighing",
        "weighing/2026/cam-01.json",
        _weighing,
        ReportError,
    ),
]
BROKEN = {"truncated": b'{"schema_version": 1, ', "not UTF-8": b'{"name": "\xff"}', "empty": b""}


@pytest.mark.parametrize("contents", BROKEN.values(), ids=BROKEN.keys())
@pytest.mark.parametrize(("relative", "read", "error"), [r[1:] for r in READERS], ids=[r[0] for r in READERS])
def test_an_unreadable_settings_file_is_one_line_naming_it(
    tmp_path: Path,
    relative: str,
    read: Callable[[Path], object],
    error: type[FovMonitorError],
    contents: bytes,
) -> None:
    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(contents)
    with pytest.raises(error) as raised:
        read(tmp_path)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{path} is not readable JSON (")
    assert "; fix" in message
    assert path.read_bytes() == contents, "reading never rewrites the file"


@pytest.mark.parametrize(("relative", "read", "error"), [r[1:] for r in READERS], ids=[r[0] for r in READERS])
def test_a_folder_where_the_file_should_be_is_named(
    tmp_path: Path, relative: str, read: Callable[[Path], object], error: type[FovMonitorError]
) -> None:
    (tmp_path / relative).mkdir(parents=True)
    with pytest.raises(error, match="is not readable JSON"):
        read(tmp_path)
