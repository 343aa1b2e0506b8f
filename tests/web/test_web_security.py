"""Sign-in throttling, password change and reset, and idle sessions, through the real app.

Time is the app's own clock (:class:`tests.support.web_store.FakeClock`), moved on by the tests:
nothing waits.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from fov_monitor.db.database import Database
from fov_monitor.errors import InvalidSettingsError
from fov_monitor.web.roles import Role
from fov_monitor.web.settings import WebSettings
from fov_monitor.web.throttle import Count, Policy, after_failure, record_failure
from tests.support.cli import run_main
from tests.support.database import raw
from tests.support.loopback import free_port
from tests.support.paths import REPO
from tests.support.web_server import running_server
from tests.support.web_store import (
    PASSWORD,
    FakeClock,
    WebStore,
    app_client,
    audit_rows,
    build_store,
    sign_in,
    user_name,
)

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
        assert body == {
            "detail": "Too many failed sign-ins; try again in 1 minute.",
            "message": "Too many failed sign-ins; try again in 1 minute.",
        }
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
    ], "the lock's first refusal is audited, the page's one after it only counted"
    assert raw(
        str(web.root / "fov-monitor.sqlite"),
        "SELECT refused_while_locked FROM signin_throttle WHERE kind = 'account'",
    ) == [(2,)]
    with sqlite3.connect(str(web.root / "fov-monitor.sqlite")) as connection:
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
        status, body, _ = _api_sign_in(client, TECHNICIAN, PASSWORD)
        assert (status, body["detail"]) == (429, "Too many failed sign-ins; try again in 1 minute.")
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


# Changing and resetting passwords


def test_password_change_needs_the_current_one_and_ends_other_sessions(
    web: WebStore, clock: FakeClock
) -> None:
    with (
        app_client(web.root, SETTINGS, clock) as here,
        app_client(web.root, SETTINGS, clock, address="192.0.2.7") as elsewhere,
    ):
        csrf = sign_in(here, Role.TECHNICIAN)
        sign_in(elsewhere, Role.TECHNICIAN)
        change = {"current_password": WRONG, "new_password": NEW_PASSWORD}
        wrong = here.post("/api/account/password", json=change, headers={"X-CSRF-Token": csrf})
        assert (wrong.status_code, wrong.json()["detail"]) == (
            400,
            "the current password is wrong; nothing was changed",
        )
        short = {"current_password": PASSWORD, "new_password": "short"}
        refused = here.post("/api/account/password", json=short, headers={"X-CSRF-Token": csrf})
        assert refused.status_code == 400
        assert "10" in refused.text
        assert elsewhere.get("/api/fleet").status_code == 200, "nothing changed yet"
        change["current_password"] = PASSWORD
        assert (
            here.post("/api/account/password", json=change, headers={"X-CSRF-Token": csrf}).status_code == 204
        )
        assert here.get("/api/fleet").status_code == 200, "the session that changed it stays"
        assert elsewhere.get("/api/fleet").status_code == 401
        assert _api_sign_in(elsewhere, TECHNICIAN, PASSWORD)[0] == 401
        assert _api_sign_in(elsewhere, TECHNICIAN, NEW_PASSWORD)[0] == 200
    ((actor, _, detail),) = audit_rows(web.root, "password changed")
    assert (actor, detail) == (TECHNICIAN, {"user": TECHNICIAN, "sessions_ended": 1})
    assert [d["via"] for _, _, d in audit_rows(web.root, "sign-in refused")] == ["password change", "api"]


def test_wrong_current_passwords_lock_the_account(web: WebStore, clock: FakeClock) -> None:
    with app_client(web.root, SETTINGS, clock) as client:
        csrf = sign_in(client, Role.TECHNICIAN)
        change = {"current_password": WRONG, "new_password": NEW_PASSWORD}
        statuses = [
            client.post("/api/account/password", json=change, headers={"X-CSRF-Token": csrf}).status_code
            for _ in range(5)
        ]
        assert statuses == [400, 400, 400, 400, 429]
        change["current_password"] = PASSWORD
        assert (
            client.post("/api/account/password", json=change, headers={"X-CSRF-Token": csrf}).status_code
            == 429
        )


def test_password_change_page(web: WebStore, clock: FakeClock) -> None:
    with app_client(web.root, SETTINGS, clock) as client:
        sign_in(client, Role.AUDITOR)
        page = client.get("/account")
        assert page.status_code == 200
        assert 'autocomplete="current-password"' in page.text
        csrf = _csrf_of(client)
        form = {"csrf_token": csrf, "current_password": PASSWORD, "new_password": NEW_PASSWORD}
        differ = client.post("/account/password", data={**form, "new_password_again": NEW_PASSWORD + "x"})
        assert differ.status_code == 400
        assert "The two new passwords differ" in differ.text
        no_csrf = client.post(
            "/account/password", data={**form, "csrf_token": "", "new_password_again": NEW_PASSWORD}
        )
        assert no_csrf.status_code == 403
        done = client.post(
            "/account/password", data={**form, "new_password_again": NEW_PASSWORD}, follow_redirects=False
        )
        assert (done.status_code, done.headers["location"]) == (303, "/account?changed=true")
        assert "your other sessions have ended" in client.get("/account?changed=true").text
    with app_client(web.root) as again:
        assert _api_sign_in(again, user_name(Role.AUDITOR), NEW_PASSWORD)[0] == 200


def test_admin_resets_a_password_ending_sessions_and_lifting_the_lock(
    web: WebStore, clock: FakeClock
) -> None:
    with (
        app_client(web.root, SETTINGS, clock) as admin,
        app_client(web.root, SETTINGS, clock, address="192.0.2.8") as technician,
    ):
        csrf = sign_in(admin, Role.ADMIN)
        sign_in(technician, Role.TECHNICIAN)
        with app_client(web.root, SETTINGS, clock, address="192.0.2.66") as guesser:
            _fail(guesser, TECHNICIAN, 5)
        reset = admin.post(
            f"/api/users/{TECHNICIAN}/password",
            json={"password": NEW_PASSWORD},
            headers={"X-CSRF-Token": csrf},
        )
        assert reset.status_code == 204, reset.text
        assert technician.get("/api/fleet").status_code == 401
        assert _api_sign_in(technician, TECHNICIAN, NEW_PASSWORD)[0] == 200
        own = admin.post(
            f"/api/users/{user_name(Role.ADMIN)}/password",
            json={"password": NEW_PASSWORD},
            headers={"X-CSRF-Token": csrf},
        )
        assert (own.status_code, "/account" in own.text) == (400, True)
        unknown = admin.post(
            "/api/users/nobody/password", json={"password": NEW_PASSWORD}, headers={"X-CSRF-Token": csrf}
        )
        assert (unknown.status_code, "does not exist" in unknown.text) == (400, True)
        short = admin.post(
            f"/api/users/{TECHNICIAN}/password", json={"password": "short"}, headers={"X-CSRF-Token": csrf}
        )
        assert short.status_code == 400
        form = admin.post(
            f"/users/{user_name(Role.REVIEWER)}/password",
            data={"csrf_token": csrf, "password": NEW_PASSWORD},
            follow_redirects=False,
        )
        assert form.status_code == 303
    resets = audit_rows(web.root, "password reset")
    assert [(actor, detail) for actor, _, detail in resets] == [
        (user_name(Role.ADMIN), {"user": TECHNICIAN, "sessions_ended": 1}),
        (user_name(Role.ADMIN), {"user": user_name(Role.REVIEWER), "sessions_ended": 0}),
    ]


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.REVIEWER, Role.AUDITOR])
def test_only_admins_reset_others_passwords(web: WebStore, role: Role) -> None:
    with app_client(web.root) as client:
        csrf = sign_in(client, role)
        for target in (user_name(Role.ADMIN), user_name(role)):
            response = client.post(
                f"/api/users/{target}/password",
                json={"password": NEW_PASSWORD},
                headers={"X-CSRF-Token": csrf},
            )
            assert response.status_code == 403, response.text
        assert _api_sign_in(client, user_name(Role.ADMIN), PASSWORD)[0] == 200
    assert audit_rows(web.root, "password reset") == []


def test_user_passwd_command(
    web: WebStore, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with app_client(web.root) as client:
        sign_in(client, Role.REVIEWER)
        monkeypatch.setattr("sys.stdin", io.StringIO(NEW_PASSWORD + "\n"))
        code, out, err = run_main(
            capsys, "--store", web.root, "user", "passwd", user_name(Role.REVIEWER), "--password-stdin"
        )
        assert code == 0, err
        assert "1 session ended" in out
        assert client.get("/api/fleet").status_code == 401
        assert _api_sign_in(client, user_name(Role.REVIEWER), NEW_PASSWORD)[0] == 200
    monkeypatch.setattr("sys.stdin", io.StringIO(NEW_PASSWORD + "\n"))
    code, _, err = run_main(capsys, "--store", web.root, "user", "passwd", "nobody", "--password-stdin")
    assert (code, "does not exist" in err) == (1, True)
    ((_, _, detail),) = audit_rows(web.root, "password reset")
    assert detail == {"user": user_name(Role.REVIEWER), "sessions_ended": 1}


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
    with sqlite3.connect(str(web.root / "fov-monitor.sqlite")) as connection:
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
        ("worker_threads", 0),
        ("heavy_threads", 2.5),
        ("history_limit", 1001),
    ],
)
def test_settings_are_refused_in_one_line_naming_the_setting(setting: str, value: object) -> None:
    with pytest.raises(InvalidSettingsError, match=f"^web {setting} must be") as caught:
        WebSettings(**{setting: value})  # type: ignore[arg-type]
    assert "\n" not in str(caught.value)


def test_nobody_can_flood_the_audit_log_by_signing_in_while_locked(web: WebStore, clock: FakeClock) -> None:
    with app_client(web.root, SETTINGS, clock, address="203.0.113.7") as client:
        _fail(client, TECHNICIAN, 5)
        assert {_api_sign_in(client, TECHNICIAN, WRONG)[0] for _ in range(300)} == {429}
        clock.advance(seconds=61)
        assert _fail(client, TECHNICIAN, 5) == [401, 401, 401, 401, 429]
        assert {_api_sign_in(client, TECHNICIAN, WRONG)[0] for _ in range(50)} == {429}
    locked = audit_rows(web.root, "sign-in locked")
    assert len(locked) == 2, "one line per lock, not one per refused attempt"
    assert [d["retry_after_s"] for _, _, d in locked] == [60, 120]
    counted = raw(
        str(web.root / "fov-monitor.sqlite"),
        "SELECT refused_while_locked FROM signin_throttle WHERE kind = 'account' AND subject = ?",
        (TECHNICIAN,),
    )
    assert counted == [(50,)], "the second lock counts its own refusals"


# Sign-ins under attack: a flood of password guesses, a forged client address


FLOOD = WebSettings(
    secure_cookies=False,  # plain HTTP on loopback
    worker_threads=1,
    signin_max_failures=100,
    signin_address_max_failures=10_000,
)
"""One thread for the quick requests, and locks that never stop the flood: every guess is hashed."""


def _timed(send: Callable[[], httpx.Response]) -> float:
    started = time.perf_counter()
    response = send()
    assert response.status_code in (200, 401), response.text
    return time.perf_counter() - started


def test_a_flood_of_wrong_sign_ins_leaves_signed_in_users_their_threads(web: WebStore) -> None:
    with running_server(web.root, FLOOD) as url, httpx.Client(base_url=url, timeout=60) as user:
        assert user.post("/api/session", json={"name": TECHNICIAN, "password": PASSWORD}).status_code == 200
        guesses: list[float] = []

        def guess(number: int) -> None:
            with httpx.Client(base_url=url, timeout=60) as guesser:
                for round_ in range(2):
                    body = {"name": f"guess-{number}-{round_}", "password": WRONG}
                    guesses.append(_timed(functools.partial(guesser.post, "/api/session", json=body)))

        flood = [threading.Thread(target=guess, args=(number,)) for number in range(2)]
        for thread in flood:
            thread.start()
        during = []
        while not guesses:  # until the first guess is answered, the others are surely in hand
            time.sleep(0.01)
        while any(thread.is_alive() for thread in flood):
            during.append(_timed(lambda: user.get("/api/fleet")))
        for thread in flood:
            thread.join()
    # Before, the guesses held the request thread for a password hash each, and the user waited behind them.
    assert statistics.median(during) < min(guesses) / 2, (sorted(during), sorted(guesses))


def test_password_checks_beyond_the_queue_are_answered_503_uncounted(web: WebStore) -> None:
    settings = dataclasses.replace(FLOOD, worker_threads=4, password_threads=1, password_queue=1)
    start = threading.Barrier(8)
    answers: list[tuple[int, str | None]] = []

    with running_server(web.root, settings) as url:

        def guess(number: int) -> None:
            with httpx.Client(base_url=url, timeout=60) as guesser:
                start.wait()
                response = guesser.post("/api/session", json={"name": f"guess-{number}", "password": WRONG})
                answers.append((response.status_code, response.headers.get("retry-after")))

        threads = [threading.Thread(target=guess, args=(number,)) for number in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    busy = [retry_after for status, retry_after in answers if status == 503]
    assert busy, answers
    assert set(busy) == {"2"}
    assert {status for status, _ in answers} == {401, 503}
    refused = audit_rows(web.root, "sign-in refused")
    assert len(refused) == len(answers) - len(busy), "a sign-in refused for a full queue is not counted"


@contextmanager
def _serve(root: Path, *options: str) -> Iterator[str]:
    """Run ``fov-monitor serve`` itself in a subprocess on a free loopback port; yield its URL."""
    port = free_port()
    command = [sys.executable, "-m", "fov_monitor", "--store", str(root), "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--insecure-cookies", *options],
        env=os.environ | {"PYTHONPATH": str(REPO)},
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/signin", timeout=1.0)
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    error = process.communicate()[1]
                    raise RuntimeError(f"fov-monitor serve did not start: {error}") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        assert process.stderr is not None
        process.stderr.close()


@pytest.mark.parametrize(
    ("options", "counted_against"),
    [((), "127.0.0.1"), (("--forwarded-allow-ips", "127.0.0.1,::1"), "198.51.100.7")],
    ids=["no proxy named: the header is ignored", "a named proxy is believed"],
)
def test_serve_believes_x_forwarded_for_only_from_the_proxies_it_is_told(
    web: WebStore, options: tuple[str, ...], counted_against: str
) -> None:
    with _serve(web.root, *options) as url:
        answer = httpx.post(
            url + "/api/session",
            json={"name": TECHNICIAN, "password": WRONG},
            headers={"X-Forwarded-For": "198.51.100.7"},
        )
    assert answer.status_code == 401
    ((_, _, detail),) = audit_rows(web.root, "sign-in refused")
    assert detail["address"] == counted_against
    assert raw(
        str(web.root / "fov-monitor.sqlite"), "SELECT subject FROM signin_throttle WHERE kind = 'address'"
    ) == [(counted_against,)]


def test_serve_refuses_a_forwarded_allow_ips_that_is_no_address(
    web: WebStore, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(capsys, "--store", web.root, "serve", "--forwarded-allow-ips", "127.0.0.1,*")
    assert code == 2
    assert "'*' is not an IP address or network" in err


def test_refused_sign_ins_write_a_bounded_number_of_audit_lines_per_address_and_minute(
    web: WebStore, clock: FakeClock
) -> None:
    settings = WebSettings(signin_address_max_failures=100)
    with app_client(web.root, settings, clock, address="203.0.113.5") as client:
        sprayed = [_api_sign_in(client, f"name-{number}", WRONG)[0] for number in range(7)]
        clock.advance(minutes=1)
        assert _api_sign_in(client, "name-7", WRONG)[0] == 401
    assert sprayed == [401] * 7
    refused = audit_rows(web.root, "sign-in refused")
    assert [actor for actor, _, _ in refused] == [f"name-{number}" for number in (0, 1, 2, 3, 4, 7)]
    assert [detail.get("refused_unaudited_before") for _, _, detail in refused] == [None] * 5 + [2]
    assert raw(
        str(web.root / "fov-monitor.sqlite"), "SELECT failures FROM signin_throttle WHERE kind = 'address'"
    ) == [(8,)], "every refusal is counted towards the address's lock"
