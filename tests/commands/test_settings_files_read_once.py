"""The store's settings are read once per command or web request, each file when first needed, and passed
down: a later change is seen by the next command or request, never half-way through one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fov_monitor.db.database import Database
from fov_monitor.errors import InvalidSettingsError
from fov_monitor.settings import SETTINGS_FILE, StoreSettings
from fov_monitor.web.accounts import add_user
from fov_monitor.web.roles import Role
from tests.support.cli import assert_cli_error, run_main
from tests.support.enrolled_camera import EnrolledCamera
from tests.support.web_store import PASSWORD, app_client, audit_rows, sign_in, user_name

KEEP_UNBLURRED = {"schema_version": 1, "privacy": {"keep_unblurred": True, "unblurred_retention_days": 7}}
MISSPELT = '{\n  "schema_version": 1,\n  "privacy": {"keep_unblured": true}\n}'
BROKEN_ALERTS = (
    '{\n  "schema_version": 1,\n  "channels": [{"name": "log", "kind": "jsonl", "pth": "a.jsonl"}]\n}'
)


def test_one_reading_keeps_what_it_read_and_the_next_sees_a_change(tmp_path: Path) -> None:
    (tmp_path / SETTINGS_FILE).write_text(json.dumps(KEEP_UNBLURRED), encoding="utf-8")
    settings = StoreSettings(tmp_path)
    assert settings.privacy.keep_unblurred
    (tmp_path / SETTINGS_FILE).write_text(json.dumps({"schema_version": 1}), encoding="utf-8")
    assert settings.privacy.keep_unblurred, "one command sees one version of the file"
    assert settings.privacy is settings.privacy
    assert not StoreSettings(tmp_path).privacy.keep_unblurred, "the next command sees the change"


def test_a_file_is_read_only_when_its_settings_are_needed(tmp_path: Path) -> None:
    (tmp_path / "alerts.json").write_text(BROKEN_ALERTS, encoding="utf-8")
    settings = StoreSettings(tmp_path)
    assert not settings.privacy.keep_unblurred  # settings.json is absent: the defaults
    assert settings.database is None
    with pytest.raises(InvalidSettingsError) as caught:
        settings.read_all()
    assert str(caught.value).startswith(
        f"{tmp_path / 'alerts.json'}, line 3: field 'channels[0].pth' is unknown"
    )


def test_a_broken_alerts_json_stops_a_scan_before_it_starts_but_not_a_check(
    enrolled: tuple[EnrolledCamera, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    camera, root = enrolled
    (root / "alerts.json").write_text(BROKEN_ALERTS, encoding="utf-8")
    code, out, _ = run_main(capsys, "--store", root, "check", camera.camera_id)
    assert code == 0, out  # a technician's check needs no alert settings
    assert_cli_error(
        run_main(capsys, "--store", root, "scan"),
        f"{root / 'alerts.json'}, line 3: field 'channels[0].pth' is unknown",
    )
    with Database(root / "fov-monitor.sqlite") as database:
        assert database.unfinished_scan_run() is None
        assert database.read("SELECT count(*) FROM scan_runs") == [(0,)]


def test_the_web_app_reads_the_settings_of_each_request_without_a_restart(
    enrolled: tuple[EnrolledCamera, Path],
) -> None:
    camera, root = enrolled
    with Database(root / "fov-monitor.sqlite") as database:
        add_user(database, user_name(Role.TECHNICIAN), PASSWORD, Role.TECHNICIAN, actor="fixture")
    check_now = f"/api/cameras/{camera.camera_id}/check"
    with app_client(root) as client:
        csrf = {"X-CSRF-Token": sign_in(client, Role.TECHNICIAN)}
        assert client.post(check_now, headers=csrf).status_code == 200
        assert audit_rows(root, "unblurred copy kept") == []
        # An admin asks for unblurred copies: the next request keeps one, the app was not restarted.
        (root / SETTINGS_FILE).write_text(json.dumps(KEEP_UNBLURRED), encoding="utf-8")
        assert client.post(check_now, headers=csrf).status_code == 200
        assert [actor for actor, _, _ in audit_rows(root, "unblurred copy kept")] == [
            user_name(Role.TECHNICIAN)
        ]
        # A misspelt field: the request that needs the settings says where; the others go on.
        (root / SETTINGS_FILE).write_text(MISSPELT, encoding="utf-8")
        refused = client.post(check_now, headers=csrf)
        assert refused.status_code == 400
        assert refused.json()["detail"].startswith(
            "<store>/settings.json, line 3: field 'privacy.keep_unblured' is unknown"
        )
        assert client.get("/api/fleet").status_code == 200
