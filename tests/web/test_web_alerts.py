"""The review queue over HTTP: the steps as the signed-in user, refusals that change nothing, evidence.

Who may reach which route is the role matrix's (``test_web_api.py``); here each step's effect: the
alert's state, its event and the audit line with the reviewer's name, and what is refused and why.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import sqlite3
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from fov_monitor.alerts.channels.mail import render_mail
from fov_monitor.alerts.settings import EvidenceMode
from fov_monitor.db.database import Database
from fov_monitor.db.retry import RetryPolicy
from fov_monitor.faces.detection import detect_faces
from fov_monitor.web.accounts import add_user
from fov_monitor.web.roles import Role
from tests.support.web_store import (
    BASE,
    FACE_CAMERA,
    MOVED_CAMERA,
    PASSWORD,
    app_client,
    audit_rows,
    build_store,
    open_alerts,
    sign_in,
    user_name,
)

FACE_ALERT, MOVED_ALERT = 1, 2
SECOND_REVIEWER = "second-reviewer"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with both cameras' alerts open, and a second reviewer."""
    root = tmp_path_factory.mktemp("alerts") / "store"
    build_store(root)
    assert open_alerts(root) == {FACE_CAMERA: FACE_ALERT, MOVED_CAMERA: MOVED_ALERT}
    with Database(root / "fov-monitor.sqlite") as database:
        add_user(database, SECOND_REVIEWER, PASSWORD, Role.REVIEWER, actor="fixture")
    return root


@pytest.fixture
def root(template: Path, tmp_path: Path) -> Path:
    """A private copy of the store (its sources beside it, so that a re-baseline can grab them)."""
    shutil.copytree(template.parent / "sources", tmp_path / "sources")
    return Path(shutil.copytree(template, tmp_path / "store"))


def _state(root: Path, alert_id: int) -> str:
    with sqlite3.connect(root / "fov-monitor.sqlite") as connection:
        return str(connection.execute("SELECT state FROM alerts WHERE id = ?", (alert_id,)).fetchone()[0])


def _events(root: Path, alert_id: int) -> list[tuple[str, str, str]]:
    """Return (event, actor, note) of the alert's events, oldest first."""
    with sqlite3.connect(root / "fov-monitor.sqlite") as connection:
        rows = connection.execute(
            "SELECT event, actor, note FROM alert_events WHERE alert_id = ? ORDER BY id", (alert_id,)
        ).fetchall()
    return [(str(e), str(a), str(n)) for e, a, n in rows]


def _tables(root: Path) -> tuple[int, ...]:
    """Return the rows of every table a step writes to, to show that nothing changed."""
    with sqlite3.connect(root / "fov-monitor.sqlite") as connection:
        alerts = connection.execute("SELECT id, state, updated_at FROM alerts ORDER BY id").fetchall()
        counts = tuple(
            connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("alert_events", "deliveries", "audit")
        )
    return (hash(tuple(alerts)), *counts)


def _api_step(
    client: TestClient, csrf: str, alert_id: int, step: str, note: str, **extra: object
) -> httpx.Response:
    return client.post(
        f"/api/alerts/{alert_id}/{step}", json={"note": note, **extra}, headers={"X-CSRF-Token": csrf}
    )


def test_reviewer_resolves_through_the_api_with_their_name_and_note(root: Path) -> None:
    with app_client(root) as client:
        csrf = sign_in(client, Role.REVIEWER)
        response = client.post(
            f"/api/alerts/{MOVED_ALERT}/resolve",
            json={"note": "re-aimed on site"},
            headers={"X-CSRF-Token": csrf},
        )
        assert response.status_code == 200, response.text
        assert response.json()["state"] == "resolved"
        shown = client.get(f"/api/alerts/{MOVED_ALERT}").json()
    reviewer = user_name(Role.REVIEWER)
    assert _state(root, MOVED_ALERT) == "resolved"
    assert _events(root, MOVED_ALERT)[-1] == ("resolved", reviewer, "re-aimed on site")
    assert [(e["event"], e["actor"]) for e in shown["events"]][-1] == ("resolved", reviewer)
    assert shown["steps"] == []
    assert [d["channel"] for d in shown["deliveries"]] == ["log", "log"], "opened and resolved announced"
    ((actor, camera, detail),) = audit_rows(root, "alert resolved")
    assert (actor, camera, detail["alert_id"], detail["note"]) == (
        reviewer,
        MOVED_CAMERA,
        MOVED_ALERT,
        "re-aimed on site",
    )


def test_the_alert_mail_links_to_the_alert_page(root: Path) -> None:
    with sqlite3.connect(root / "fov-monitor.sqlite") as connection:
        (document,) = connection.execute(
            "SELECT payload_json FROM deliveries WHERE alert_id = ? ORDER BY id LIMIT 1", (MOVED_ALERT,)
        ).fetchone()
    mail = render_mail(json.loads(document), EvidenceMode.NONE, review_url=f"{BASE}/")
    link = f"{BASE}/alerts/{MOVED_ALERT}"
    assert f"Review it at {link}" in mail.text
    assert f'<a href="{link}">' in mail.html
    with app_client(root) as client:
        sign_in(client, Role.REVIEWER)
        page = client.get(link)
    assert page.status_code == 200
    assert MOVED_CAMERA in page.text
    assert "Resolve" in page.text


def test_forms_acknowledge_then_dismiss_with_a_proposal(root: Path) -> None:
    with app_client(root) as client:
        csrf = sign_in(client, Role.REVIEWER)
        page = client.get(f"/alerts/{MOVED_ALERT}").text
        assert 'action="/alerts/2/acknowledge"' in page
        assert "propose re-baseline" in page
        ack = client.post(
            f"/alerts/{MOVED_ALERT}/acknowledge",
            data={"csrf_token": csrf, "note": "on it"},
            follow_redirects=False,
        )
        assert ack.status_code == 303
        assert ack.headers["location"] == f"/alerts/{MOVED_ALERT}"
        dismissed = client.post(
            f"/alerts/{MOVED_ALERT}/dismiss",
            data={"csrf_token": csrf, "note": "the pole was moved", "propose_rebaseline": "yes"},
            follow_redirects=False,
        )
        assert dismissed.status_code == 303
        page = client.get(f"/alerts/{MOVED_ALERT}").text
    reviewer = user_name(Role.REVIEWER)
    assert _state(root, MOVED_ALERT) == "dismissed"
    assert _events(root, MOVED_ALERT)[1:] == [
        ("acknowledged", reviewer, "on it"),
        ("dismissed", reviewer, "the pole was moved"),
        ("rebaseline_proposed", reviewer, "the pole was moved"),
    ]
    assert f"proposed by {reviewer}" in page
    assert "another reviewer must approve" in page
    assert [a for a, _, _ in audit_rows(root, "alert acknowledged")] == [reviewer]


def test_the_proposer_cannot_approve_but_another_reviewer_can(root: Path) -> None:
    with app_client(root) as client:
        csrf = sign_in(client, Role.REVIEWER)
        assert (
            _api_step(client, csrf, MOVED_ALERT, "dismiss", "new pole", propose_rebaseline=True).status_code
            == 200
        )
        before = _tables(root)
        refused = client.post(
            f"/alerts/{MOVED_ALERT}/approve-rebaseline",
            data={"csrf_token": csrf, "note": "looks right"},
            follow_redirects=False,
        )
        assert refused.status_code == 409
        assert "cannot also approve" in refused.text
        assert 'id="step-error"' in refused.text, "the page shows the reason"
        api_refused = _api_step(client, csrf, MOVED_ALERT, "approve-rebaseline", "looks right")
        assert api_refused.status_code == 409
        assert "cannot also approve" in api_refused.json()["detail"]
        assert _tables(root) == before
    reference = root / MOVED_CAMERA / "references"
    old = {p.name: p.read_bytes() for p in reference.iterdir()}
    with app_client(root) as other:
        response = other.post("/api/session", json={"name": SECOND_REVIEWER, "password": PASSWORD})
        csrf = response.json()["csrf_token"]
        approved = _api_step(other, csrf, MOVED_ALERT, "approve-rebaseline", "permit KS-9 covers the pole")
        assert approved.status_code == 200, approved.text
        page = other.get(f"/alerts/{MOVED_ALERT}").text
    assert "the permit&#39;s drawing moved with it, so it covers the same place" in page
    assert _events(root, MOVED_ALERT)[-2:] == [
        ("rebaseline_approved", SECOND_REVIEWER, "permit KS-9 covers the pole"),
        ("rebaseline_applied", SECOND_REVIEWER, "permit KS-9 covers the pole"),
    ]
    assert {p.name: p.read_bytes() for p in reference.iterdir()} != old, "the current view is the reference"
    assert _state(root, MOVED_ALERT) == "dismissed", "the next compliant scan closes it"


def _textareas(page: str) -> dict[str, str]:
    """Return each note field of an alert page by id, with what it holds."""
    return {
        ident: html.unescape(text)
        for ident, text in re.findall(r'<textarea id="([^"]+)"[^>]*>([^<]*)</textarea>', page)
    }


def test_a_refused_steps_note_stays_in_its_own_form(root: Path) -> None:
    with app_client(root) as client:
        csrf = sign_in(client, Role.REVIEWER)
        _api_step(client, csrf, MOVED_ALERT, "dismiss", "new pole", propose_rebaseline=True)
        refused = client.post(
            f"/alerts/{MOVED_ALERT}/approve-rebaseline",
            data={"csrf_token": csrf, "note": "looks right <b>to me</b>"},
            follow_redirects=False,
        )
    assert refused.status_code == 409
    fields = _textareas(refused.text)
    assert fields["note-approve"] == "looks right <b>to me</b>", "the note is where it was written"
    assert fields["note-resolve"] == "", "one click on Resolve must not close the alert with it"
    assert set(fields.values()) == {"", "looks right <b>to me</b>"}
    assert "<b>to me</b>" not in refused.text, "escaped"


def test_reject_a_proposal(root: Path) -> None:
    with app_client(root) as client:
        csrf = sign_in(client, Role.REVIEWER)
        _api_step(client, csrf, MOVED_ALERT, "dismiss", "new pole", propose_rebaseline=True)
        response = _api_step(client, csrf, MOVED_ALERT, "reject-rebaseline", "not in the permit")
        assert response.status_code == 200
        assert client.get(f"/api/alerts/{MOVED_ALERT}").json()["rebaseline_proposed_by"] is None
        assert _events(root, MOVED_ALERT)[-1] == (
            "rebaseline_rejected",
            user_name(Role.REVIEWER),
            "not in the permit",
        )
        # Once the permit covers it, the same view can be proposed again (it could not before).
        page = client.get(f"/alerts/{MOVED_ALERT}").text
        assert f'action="/alerts/{MOVED_ALERT}/propose-rebaseline"' in page
        again = client.post(
            f"/alerts/{MOVED_ALERT}/propose-rebaseline",
            data={"csrf_token": csrf, "note": "permit KS-9 now covers it"},
            follow_redirects=False,
        )
        assert again.status_code == 303, again.text
        assert client.get(f"/api/alerts/{MOVED_ALERT}").json()["rebaseline_proposed_by"] == user_name(
            Role.REVIEWER
        )
    assert _state(root, MOVED_ALERT) == "dismissed"


@pytest.mark.parametrize(
    ("steps", "refused", "status", "says"),
    [
        (["acknowledge"], "acknowledge", 409, "alert 1 is acknowledged; only an alert that is open"),
        (["resolve"], "dismiss", 409, "alert 1 is resolved"),
        ([], "approve-rebaseline", 409, "no pending re-baseline proposal"),
        ([], "reject-rebaseline", 409, "no pending re-baseline proposal"),
        ([], "sideways", 422, "step"),
    ],
    ids=[
        "ack twice",
        "dismiss a resolved alert",
        "approve without proposal",
        "reject without",
        "no such step",
    ],
)
def test_steps_the_state_does_not_allow_change_nothing(
    root: Path, steps: list[str], refused: str, status: int, says: str
) -> None:
    with app_client(root) as client:
        csrf = sign_in(client, Role.REVIEWER)
        for step in steps:
            assert _api_step(client, csrf, FACE_ALERT, step, "first").status_code == 200
        before = _tables(root)
        response = _api_step(client, csrf, FACE_ALERT, refused, "again")
        assert response.status_code == status, response.text
        assert says in response.text
        if status == 409:
            assert "\n" not in response.json()["detail"]
        assert _tables(root) == before


def test_a_dismissal_proposes_a_rebaseline_only_for_a_moved_view(root: Path) -> None:
    with app_client(root) as client:
        csrf = sign_in(client, Role.REVIEWER)
        page = client.get(f"/alerts/{FACE_ALERT}").text
        assert "propose re-baseline" in page  # zone exposed: a view that may have moved on purpose
        before = _tables(root)
        # An empty note is refused by the app before the review module sees it.
        for note in ("", "   "):
            form = client.post(
                f"/alerts/{FACE_ALERT}/dismiss",
                data={"csrf_token": csrf, "note": note},
                follow_redirects=False,
            )
            assert form.status_code == 400, form.text
            assert "Write a note" in form.text
        assert _api_step(client, csrf, FACE_ALERT, "resolve", "").status_code == 422
        assert _tables(root) == before


QUICK_GIVE_UP = RetryPolicy(attempts=2, first_delay_s=0.05, max_delay_s=0.05, busy_timeout_s=0.1)
"""A locked database waited for a fraction of a second, not the default's many seconds."""


def test_a_locked_database_is_503_with_retry_after_and_its_page_keeps_the_navigation(root: Path) -> None:
    with app_client(root, retry=QUICK_GIVE_UP) as client:
        csrf = sign_in(client, Role.REVIEWER)
        before = _tables(root)
        with sqlite3.connect(root / "fov-monitor.sqlite", isolation_level=None) as holder:
            holder.execute("BEGIN EXCLUSIVE")  # another process writing for a while (a scan)
            api = _api_step(client, csrf, FACE_ALERT, "acknowledge", "on it")
            page = client.post(
                f"/alerts/{FACE_ALERT}/acknowledge",
                data={"csrf_token": csrf, "note": "on it"},
                follow_redirects=False,
            )
            holder.execute("ROLLBACK")
        assert (api.status_code, api.headers.get("retry-after")) == (503, "5"), api.text
        assert "stayed locked" in api.json()["detail"]
        assert (page.status_code, page.headers.get("retry-after")) == (503, "5")
        assert "Sign out" in page.text, "the error page keeps the navigation"
        assert 'href="/alerts"' in page.text
        assert _tables(root) == before
        assert _api_step(client, csrf, FACE_ALERT, "acknowledge", "on it").status_code == 200


def test_error_pages_keep_the_navigation_and_steps_refuse_what_is_not_json(root: Path) -> None:
    with app_client(root) as client:
        csrf = sign_in(client, Role.REVIEWER)
        for path, status in (("/users", 403), ("/alerts/999", 404), ("/no-such-page", 404)):
            page = client.get(path)
            assert page.status_code == status
            assert "Sign out" in page.text, path
            assert f"{user_name(Role.REVIEWER)} (reviewer)" in page.text, path
        before = _tables(root)
        sent = client.post(
            f"/api/alerts/{FACE_ALERT}/acknowledge",
            content=b"note=on it",
            headers={"X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert sent.status_code == 415, sent.text
        assert "expected a JSON body" in sent.json()["detail"]
        assert _tables(root) == before


@pytest.mark.parametrize("form", [True, False], ids=["form", "api"])
def test_a_step_without_the_csrf_token_is_refused(root: Path, form: bool) -> None:
    with app_client(root) as client:
        sign_in(client, Role.REVIEWER)
        before = _tables(root)
        if form:
            response = client.post(
                f"/alerts/{FACE_ALERT}/resolve", data={"note": "x"}, follow_redirects=False
            )
        else:
            response = client.post(f"/api/alerts/{FACE_ALERT}/resolve", json={"note": "x"})
        assert response.status_code == 403
        assert "CSRF" in response.text
        assert _tables(root) == before
        assert _state(root, FACE_ALERT) == "open"


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("GET", "/alerts/999", (404,)),
        ("GET", "/api/alerts/999", (404,)),
        ("GET", "/api/alerts/999/evidence", (404,)),
        ("POST", "/api/alerts/999/resolve", (404,)),
        ("POST", "/alerts/999/resolve", (404,)),
        ("GET", "/api/alerts/..%2F1", (404, 405, 422)),  # routed as /{alert_id}/{step}: POST only
        ("GET", "/api/alerts/1%2F..%2F2", (404, 422)),
        ("GET", "/alerts/-1", (400, 404)),
        ("GET", "/api/alerts/99999999999999999999999", (404, 422)),
    ],
)
def test_unknown_and_malformed_alert_ids(
    root: Path, method: str, path: str, statuses: tuple[int, ...]
) -> None:
    with app_client(root) as client:
        csrf = sign_in(client, Role.REVIEWER)
        before = _tables(root)
        if method == "POST" and path.startswith("/api/"):
            response = client.post(path, json={"note": "x"}, headers={"X-CSRF-Token": csrf})
        elif method == "POST":
            response = client.post(path, data={"note": "x", "csrf_token": csrf}, follow_redirects=False)
        else:
            response = client.get(path)
        assert response.status_code in statuses, (path, response.status_code, response.text)
        assert _tables(root) == before, "no image viewed, no step taken"


def test_evidence_is_served_blurred_and_audited_with_the_alert(root: Path) -> None:
    face = cv2.imread(str(root / FACE_CAMERA / "references" / "day.png"))
    assert len(detect_faces(face)) >= 1, "the scene shows a face, so the test means something"
    with app_client(root) as reviewer, app_client(root) as auditor:
        sign_in(reviewer, Role.REVIEWER)
        sign_in(auditor, Role.AUDITOR)
        page = reviewer.get(f"/alerts/{FACE_ALERT}").text
        assert f'src="/api/alerts/{FACE_ALERT}/evidence"' in page
        response = reviewer.get(f"/api/alerts/{FACE_ALERT}/evidence")
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/jpeg"
        served = cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_COLOR)
        assert len(detect_faces(served)) == 0
        ((actor, camera, detail),) = audit_rows(root, "image viewed")
        assert (actor, camera, detail["alert_id"], detail["kind"]) == (
            user_name(Role.REVIEWER),
            FACE_CAMERA,
            FACE_ALERT,
            "evidence",
        )
        read_only = auditor.get(f"/alerts/{FACE_ALERT}").text
        assert "/evidence" not in read_only
        assert '<form method="post" action="/alerts/' not in read_only
        assert "rebaseline" not in read_only.split('<h2 id="events-h">')[0]
        assert auditor.get(f"/api/alerts/{FACE_ALERT}/evidence").status_code == 403
    assert len(audit_rows(root, "image viewed")) == 1


def test_technician_reads_the_queue_without_steps(root: Path) -> None:
    with app_client(root) as client:
        sign_in(client, Role.TECHNICIAN)
        page = client.get(f"/alerts/{MOVED_ALERT}").text
        assert "read-only" in client.get("/alerts").text
        assert 'action="/alerts/' not in page
        assert f'src="/api/alerts/{MOVED_ALERT}/evidence"' in page, "technicians see evidence anyway"


def test_queue_filters_and_order(root: Path) -> None:
    with app_client(root) as client:
        sign_in(client, Role.AUDITOR)
        every = client.get("/api/alerts").json()
        assert [(a["id"], a["camera_id"], a["problem"]) for a in every] == [
            (MOVED_ALERT, MOVED_CAMERA, "redirected"),
            (FACE_ALERT, FACE_CAMERA, "zone_exposed"),
        ], "newest first"
        assert [a["id"] for a in client.get("/api/alerts", params={"group": "north"}).json()] == [FACE_ALERT]
        assert [a["id"] for a in client.get("/api/alerts", params={"problem": "redirected"}).json()] == [
            MOVED_ALERT
        ]
        assert client.get("/api/alerts", params={"state": "closed"}).json() == []
        assert client.get("/api/alerts", params={"problem": "sideways"}).status_code == 422
        page = client.get("/alerts", params={"problem": "redirected"}).text
        assert f'href="/alerts/{MOVED_ALERT}"' in page
        assert f'href="/alerts/{FACE_ALERT}"' not in page
        assert "found redirected" in page
        paths = client.get("/openapi.json").json()["paths"]
        assert {"/api/alerts", "/api/alerts/{alert_id}", "/api/alerts/{alert_id}/{step}"} <= set(paths)
