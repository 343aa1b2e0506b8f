"""Sign-in throttling and idle sessions, through the real app.

Time is the app's own clock (:class:`web_helpers.FakeClock`), moved on by the tests: nothing waits.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from db_helpers import raw
from fastapi.testclient import TestClient
from web_helpers import PASSWORD, FakeClock, WebStore, app_client, audit_rows, build_store, sign_in, user_name

from fov_monitor.database import Database
from fov_monitor.errors import InvalidSettingsError
from fov_monitor.web.roles import Role
from fov_monitor.web.settings import WebSettings
from fov_monitor.web.throttle import Count, Policy, after_failure, record_failure

NEW_PASSWORD = "a new and longer passphrase"
WRONG = "not the password"
TECHNICIAN = user_name(Role.TECHNICIAN)
SETTINGS = WebSettings(secure_cookies=True)  # the defaults: 5 failures, 15 min window, 1 min first lock


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> WebStore:
    return build_store(tmp_path_factory.mktemp("security") / "store")


@pytest.fixture
def web(template: WebStore, tmp_path: Path) -> WebStore:
    shutil.copytree(template.root, tmp_path / "store")
    return WebStore(tmp_path / "store", template.face_image)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _api_sign_in(client: TestClient, name: str, password: str) -> tuple[int, object, str | None]:
    response = client.post("/api/session", json={"name": name, "password": password})
    return response.status_code, response.json(), response.headers.get("retry-after")


def _fail(client: TestClient, name: str, times: int) -> list[int]:
    return [_api_sign_in(client, name, WRONG)[0] for _ in range(times)]


def _csrf_of(client: TestClient) -> str:
    return str(client.get("/api/session").json()["csrf_token"])


# The rule itself

T0 = datetime(2026, 1, 1, tzinfo=UTC)
POLICY = Policy(3, timedelta(minutes=15), timedelta(minutes=1), timedelta(minutes=8))


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("count", "minutes_later", "expected"),
    [
        (Count(0, T0, T0, None, 0), 1, Count(1, T0, _at(1), None, 0)),
        (Count(1, T0, T0, None, 0), 20, Count(1, _at(20), _at(20), None, 0)),
        (Count(2, T0, T0, None, 0), 1, Count(0, _at(1), _at(1), _at(2), 1)),
        (Count(2, T0, T0, T0, 2), 1, Count(0, _at(1), _at(1), _at(5), 3)),
        (Count(2, T0, T0, T0, 5), 1, Count(0, _at(1), _at(1), _at(9), 6)),
        (Count(2, T0, T0, T0, 5), 9, Count(0, _at(9), _at(9), _at(10), 1)),
        (Count(0, T0, T0, _at(4), 3), 1, Count(0, T0, _at(1), _at(4), 3)),
    ],
    ids=["counts", "window passed", "locks at the limit", "doubles", "capped", "back-off forgotten",
         "while locked"],
)  # fmt: skip
def test_after_failure(count: Count, minutes_later: float, expected: Count) -> None:
    assert after_failure(count, T0 + timedelta(minutes=minutes_later), POLICY) == expected


def test_failures_in_several_processes_at_once_are_each_counted(database_location: str) -> None:
    settings = WebSettings(signin_max_failures=100, signin_address_max_failures=10_000)
    now = datetime.now(UTC)
    Database(database_location).close()
    start = threading.Barrier(4)
    failed: list[BaseException] = []

    def guess() -> None:
        try:
            with Database(database_location) as database:
                start.wait()
                for _ in range(5):
                    database.write(lambda t: record_failure(t, "ann", "192.0.2.1", now, settings))
        except BaseException as exc:
            failed.append(exc)

    threads = [threading.Thread(target=guess) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == []
    counts = raw(database_location, "SELECT kind, subject, failures FROM signin_throttle ORDER BY kind")
    assert counts == [("account", "ann", 20), ("address", "192.0.2.1", 20)]


# Throttling sign-ins


def test_account_is_locked_after_five_failures_whatever_the_password(web: WebStore, clock: FakeClock) -> None:
    with app_client(web.root, SETTINGS, clock) as client:
        assert _fail(client, TECHNICIAN, 5) == [401, 401, 401, 401, 429]
        status, body, retry_after = _api_sign_in(client, TECHNICIAN, PASSWORD)
        assert (status, retry_after) == (429, "60")
        assert body == {"detail": "Too many failed sign-ins; try again in 1 minute."}
        token = client.get("/signin").text.split('name="csrf_token" value="')[1].split('"')[0]
        page = client.post("/signin", data={"name": TECHNICIAN, "password": PASSWORD, "csrf_token": token})
        assert page.status_code == 429
        assert "Too many failed sign-ins; try again in 1 minute." in page.text
        assert "fov_session" not in client.cookies
    refused = audit_rows(web.root, "sign-in refused")
    assert [(actor, d["via"], d["address"]) for actor, _, d in refused] == [
        (TECHNICIAN, "api", "testclient")
    ] * 5
    assert refused[-1][2]["locked"] == ["account"]
    assert refused[-1][2]["locked_for_s"] == 60
    locked = audit_rows(web.root, "sign-in locked")
    assert [(actor, d["via"], d["locked"]) for actor, _, d in locked] == [
        (TECHNICIAN, "api", ["account"]),
        (TECHNICIAN, "page", ["account"]),
    ]
    with sqlite3.connect(web.root / "fov-monitor.sqlite") as connection:
        lines = " ".join(row[0] for row in connection.execute("SELECT detail_json FROM audit"))
    assert PASSWORD not in lines
    assert WRONG not in lines


def test_unknown_account_is_refused_and_locked_like_a_real_one(web: WebStore, clock: FakeClock) -> None:
    seen = {}
    for name in (TECHNICIAN, "nobody-here"):
        with app_client(web.root, SETTINGS, clock, address=f"10.0.0.{len(seen) + 1}") as client:
            answers = [_api_sign_in(client, name, WRONG) for _ in range(6)]
            token = client.get("/signin").text.split('name="csrf_token" value="')[1].split('"')[0]
            page = client.post("/signin", data={"name": name, "password": WRONG, "csrf_token": token})
            seen[name] = (answers, page.status_code, re.sub(r'value="[^"]*"', "", page.text))
    assert seen[TECHNICIAN] == seen["nobody-here"]
    assert [status for status, _, _ in seen[TECHNICIAN][0]] == [401, 401, 401, 401, 429, 429]


def test_lock_ends_and_the_next_one_is_twice_as_long(web: WebStore, clock: FakeClock) -> None:
    with app_client(web.root, SETTINGS, clock) as client:
        _fail(client, TECHNICIAN, 5)
        clock.advance(seconds=59)
        assert _api_sign_in(client, TECHNICIAN, PASSWORD)[0] == 429
        clock.advance(seconds=2)
        assert _fail(client, TECHNICIAN, 5) == [401, 401, 401, 401, 429]
        assert _api_sign_in(client, TECHNICIAN, PASSWORD)[2] == "120"
        clock.advance(seconds=119)
        assert _api_sign_in(client, TECHNICIAN, PASSWORD)[:2] == (
            429,
            {"detail": "Too many failed sign-ins; try again in 1 minute."},
        )
        clock.advance(seconds=2)
        assert _api_sign_in(client, TECHNICIAN, PASSWORD)[0] == 200


def test_success_clears_the_account_count(web: WebStore, clock: FakeClock) -> None:
    with app_client(web.root, SETTINGS, clock) as client:
        assert _fail(client, TECHNICIAN, 4) == [401] * 4
        assert _api_sign_in(client, TECHNICIAN, PASSWORD)[0] == 200
        assert _fail(client, TECHNICIAN, 4) == [401] * 4
        assert _fail(client, TECHNICIAN, 1) == [429]
        assert _api_sign_in(client, TECHNICIAN, PASSWORD)[2] == "60", "the back-off started again"


def test_failures_further_apart_than_the_window_do_not_add_up(web: WebStore, clock: FakeClock) -> None:
    with app_client(web.root, SETTINGS, clock) as client:
        assert _fail(client, TECHNICIAN, 4) == [401] * 4
        clock.advance(minutes=15)
        assert _fail(client, TECHNICIAN, 4) == [401] * 4


def test_one_address_spraying_many_accounts_is_locked(web: WebStore, clock: FakeClock) -> None:
    settings = WebSettings(signin_address_max_failures=6)
    with (
        app_client(web.root, settings, clock, address="203.0.113.9") as sprayer,
        app_client(web.root, settings, clock, address="198.51.100.4") as colleague,
    ):
        names = [*(user_name(role) for role in Role), "nobody-1", "nobody-2"]
        assert [_api_sign_in(sprayer, name, WRONG)[0] for name in names] == [401] * 5 + [429]
        assert _api_sign_in(sprayer, user_name(Role.AUDITOR), PASSWORD)[0] == 429, "every account, from there"
        assert _api_sign_in(colleague, user_name(Role.AUDITOR), PASSWORD)[0] == 200, "other addresses sign in"
    _, _, last = audit_rows(web.root, "sign-in refused")[-1]
    assert (last["address"], last["locked"]) == ("203.0.113.9", ["address"])
    ((actor, _, detail),) = audit_rows(web.root, "sign-in locked")
    assert (actor, detail["address"], detail["locked"]) == (
        user_name(Role.AUDITOR),
        "203.0.113.9",
        ["address"],
    )


def test_locks_hold_across_app_processes_and_restarts(web: WebStore, clock: FakeClock) -> None:
    with app_client(web.root, SETTINGS, clock) as first:
        _fail(first, TECHNICIAN, 3)
    with app_client(web.root, SETTINGS, clock) as second, app_client(web.root, SETTINGS, clock) as third:
        assert _fail(second, TECHNICIAN, 1) == [401]
        assert _fail(third, TECHNICIAN, 1) == [429]
        assert _api_sign_in(second, TECHNICIAN, PASSWORD)[0] == 429


# Idle sessions


def test_idle_session_ends_and_a_used_one_lives_on(web: WebStore, clock: FakeClock) -> None:
    with app_client(web.root, WebSettings(session_idle_minutes=30), clock) as client:
        sign_in(client, Role.TECHNICIAN)
        for _ in range(3):  # used every 29 minutes: 87 minutes in all, longer than the idle timeout
            clock.advance(minutes=29)
            assert client.get("/api/fleet").status_code == 200
        clock.advance(minutes=30)
        page = client.get("/", follow_redirects=False)
        assert (page.status_code, page.headers["location"]) == (303, "/signin?next=%2F")
        assert client.get("/api/fleet").status_code == 401
    with sqlite3.connect(web.root / "fov-monitor.sqlite") as connection:
        assert connection.execute("SELECT COUNT(*) FROM sessions").fetchone() == (0,), (
            "the idle session is gone"
        )


def test_idle_api_session_is_401(web: WebStore, clock: FakeClock) -> None:
    with app_client(web.root, WebSettings(session_idle_minutes=5), clock) as client:
        sign_in(client, Role.AUDITOR)
        clock.advance(minutes=5)
        assert client.get("/api/session").status_code == 401
        assert client.get("/api/fleet").status_code == 401


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("session_idle_minutes", 0),
        ("signin_max_failures", 0),
        ("signin_max_failures", 2.5),
        ("signin_address_max_failures", True),
        ("signin_window_minutes", "15"),
        ("signin_lockout_minutes", -1),
        ("signin_lockout_max_minutes", 0.5),
    ],
)
def test_settings_are_refused_in_one_line_naming_the_setting(setting: str, value: object) -> None:
    with pytest.raises(InvalidSettingsError, match=f"^web {setting} must be") as caught:
        WebSettings(**{setting: value})  # type: ignore[arg-type]
    assert "\n" not in str(caught.value)
