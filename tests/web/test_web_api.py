"""The web app's routes: every route for every role, sign-in, CSRF, bad input, and audited, blurred images."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from fov_monitor.core.synthetic import crop_move
from fov_monitor.db.database import Database, append_audit
from fov_monitor.faces.detection import detect_faces
from fov_monitor.faces.privacy import ZONE_FILL_BGR
from fov_monitor.store.camera import CameraConfig
from fov_monitor.store.store import Store
from fov_monitor.web.app import ROUTERS
from fov_monitor.web.review import ReviewStep
from fov_monitor.web.roles import GRANTS, Permission, Role
from fov_monitor.web.settings import WebSettings
from fov_monitor.workflows.evidence import GAP, PANEL_HEIGHT, EvidenceLayout
from tests.support.cli import run_main
from tests.support.database import raw
from tests.support.files import tree_bytes
from tests.support.images import sample_bgr
from tests.support.web_store import (
    FACE_CAMERA,
    MOVED_CAMERA,
    PASSWORD,
    ZONE_XY,
    WebStore,
    app_client,
    audit_rows,
    build_store,
    open_alerts,
    sign_in,
    user_name,
)

# (method, path, permission, is_page); permission None: any signed-in user
READS: list[tuple[str, str, Permission | None, bool]] = [
    ("GET", "/account", None, True),
    ("GET", "/", Permission.VIEW_FLEET, True),
    ("GET", f"/cameras/{FACE_CAMERA}", Permission.VIEW_CAMERA, True),
    ("GET", f"/cameras/{FACE_CAMERA}/permit", Permission.EDIT_PERMIT, True),
    ("GET", "/audit", Permission.VIEW_AUDIT, True),
    ("GET", "/users", Permission.MANAGE_USERS, True),
    ("GET", "/api/fleet", Permission.VIEW_FLEET, False),
    ("GET", f"/api/cameras/{FACE_CAMERA}", Permission.VIEW_CAMERA, False),
    ("GET", f"/api/cameras/{FACE_CAMERA}/history", Permission.VIEW_CAMERA, False),
    ("GET", f"/api/cameras/{FACE_CAMERA}/permit", Permission.VIEW_CAMERA, False),
    ("GET", f"/api/cameras/{FACE_CAMERA}/permit/versions", Permission.VIEW_CAMERA, False),
    ("GET", f"/api/cameras/{FACE_CAMERA}/references/day/image", Permission.VIEW_IMAGES, False),
    ("GET", f"/api/cameras/{FACE_CAMERA}/results/1/evidence", Permission.VIEW_IMAGES, False),
    ("GET", "/api/audit", Permission.VIEW_AUDIT, False),
    ("GET", "/api/users", Permission.MANAGE_USERS, False),
    ("GET", "/alerts", Permission.VIEW_ALERTS, True),
    ("GET", "/alerts/1", Permission.VIEW_ALERTS, True),  # the face camera's alert (open_alerts)
    ("GET", "/api/alerts", Permission.VIEW_ALERTS, False),
    ("GET", "/api/alerts/1", Permission.VIEW_ALERTS, False),
    ("GET", "/api/alerts/1/evidence", Permission.VIEW_IMAGES, False),
    ("GET", "/api/fleet/export", Permission.EXPORT_CAMERAS, False),
]
WRITES: list[tuple[str, str, Permission | None, bool]] = [
    ("POST", "/account/password", None, True),
    ("POST", "/api/account/password", None, False),
    ("POST", "/account/language", None, True),
    ("PUT", "/api/account/language", None, False),
    ("POST", f"/cameras/{FACE_CAMERA}/check", Permission.RUN_CHECK, True),
    ("POST", f"/api/cameras/{FACE_CAMERA}/check", Permission.RUN_CHECK, False),
    ("POST", f"/cameras/{FACE_CAMERA}/references/learned-1/forget", Permission.MANAGE_REFERENCES, True),
    ("POST", f"/api/cameras/{FACE_CAMERA}/references/learned-1/forget", Permission.MANAGE_REFERENCES, False),
    ("PUT", f"/api/cameras/{FACE_CAMERA}/permit", Permission.EDIT_PERMIT, False),
    ("POST", "/users", Permission.MANAGE_USERS, True),
    ("POST", "/users/auditor-user/disable", Permission.MANAGE_USERS, True),
    ("POST", "/api/users", Permission.MANAGE_USERS, False),
    ("POST", "/api/users/auditor-user/disable", Permission.MANAGE_USERS, False),
    ("POST", "/users/auditor-user/password", Permission.MANAGE_USERS, True),
    ("POST", "/api/users/auditor-user/password", Permission.MANAGE_USERS, False),
    *[
        ("POST", f"{prefix}/alerts/1/{step}", step.permission, not prefix)
        for step in ReviewStep
        for prefix in ("", "/api")
    ],
]
PUBLIC = {("GET", "/signin"), ("POST", "/signin"), ("POST", "/signout"), ("POST", "/api/session"),
          ("GET", "/api/session"), ("DELETE", "/api/session")}  # fmt: skip
CALLERS = [None, *Role]


@pytest.fixture(scope="session")
def web_template(tmp_path_factory: pytest.TempPathFactory) -> WebStore:
    return build_store(tmp_path_factory.mktemp("web") / "store")


def _copy(template: WebStore, root: Path) -> WebStore:
    shutil.copytree(template.root, root)
    return WebStore(root, template.face_image)


@pytest.fixture(scope="module")
def shared(
    web_template: WebStore, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[WebStore, dict]]:
    """One app over a copy of the store, and a signed-in client per role (None: anonymous)."""
    web = _copy(web_template, tmp_path_factory.mktemp("shared") / "store")
    assert open_alerts(web.root)[FACE_CAMERA] == 1
    clients: dict[Role | None, tuple[TestClient, str]] = {}
    for role in CALLERS:
        client = app_client(web.root).__enter__()
        clients[role] = (client, sign_in(client, role) if role else "")
    yield web, clients
    for client, _ in clients.values():
        client.__exit__(None, None, None)


@pytest.fixture
def web(web_template: WebStore, tmp_path: Path) -> WebStore:
    """A private copy of the store, for tests that change it."""
    return _copy(web_template, tmp_path / "store")


def test_every_route_is_in_the_role_matrix() -> None:
    routes = {
        (method, route.path)
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    covered = {(m, p.replace(FACE_CAMERA, "{camera_id}")) for m, p, _, _ in READS + WRITES} | PUBLIC
    normalise = {
        "/api/cameras/{camera_id}/references/day/image": "/api/cameras/{camera_id}/references/{label}/image",
        "/cameras/{camera_id}/references/learned-1/forget": "/cameras/{camera_id}/references/{label}/forget",
        "/api/cameras/{camera_id}/references/learned-1/forget": (
            "/api/cameras/{camera_id}/references/{label}/forget"
        ),
        "/api/cameras/{camera_id}/results/1/evidence": (
            "/api/cameras/{camera_id}/results/{result_id}/evidence"
        ),
        "/users/auditor-user/disable": "/users/{name}/disable",
        "/api/users/auditor-user/disable": "/api/users/{name}/disable",
        "/users/auditor-user/password": "/users/{name}/password",
        "/api/users/auditor-user/password": "/api/users/{name}/password",
        "/alerts/1": "/alerts/{alert_id}",
        "/api/alerts/1": "/api/alerts/{alert_id}",
        "/api/alerts/1/evidence": "/api/alerts/{alert_id}/evidence",
    }
    for step in ReviewStep:
        normalise[f"/alerts/1/{step}"] = "/alerts/{alert_id}/{step}"
        normalise[f"/api/alerts/1/{step}"] = "/api/alerts/{alert_id}/{step}"
    covered = {(m, normalise.get(p, p)) for m, p in covered}
    assert routes == covered


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: str(c or "anonymous"))
@pytest.mark.parametrize(
    ("method", "path", "permission", "page"), READS, ids=[f"{m} {p}" for m, p, _, _ in READS]
)
def test_reads_by_role(
    shared: tuple[WebStore, dict],
    caller: Role | None,
    method: str,
    path: str,
    permission: Permission | None,
    page: bool,
) -> None:
    web, clients = shared
    client, _ = clients[caller]
    image = path.endswith(("/image", "/evidence"))
    views_before = len(audit_rows(web.root, "image viewed"))
    response = client.request(method, path, follow_redirects=False)
    if caller is None:
        if page:
            assert response.status_code == 303
            assert response.headers["location"].startswith("/signin?next=")
        else:
            assert response.status_code == 401
    elif permission is not None and permission not in GRANTS[caller]:
        assert response.status_code == 403, response.text
        assert str(caller) in response.text
    else:
        assert response.status_code == 200, response.text
    views = audit_rows(web.root, "image viewed")
    if image and response.status_code == 200:
        assert response.headers["content-type"] == "image/jpeg"
        assert len(views) == views_before + 1
        actor, camera, detail = views[-1]
        assert (actor, camera) == (user_name(caller), FACE_CAMERA)  # type: ignore[arg-type]
        assert detail["kind"] in ("reference", "evidence")
    else:
        assert len(views) == views_before, "no image, no audit line of one"


REFUSED_WRITES = [
    (caller, *write)
    for caller in CALLERS
    for write in WRITES
    if caller is None or (write[2] is not None and write[2] not in GRANTS[caller])
]
"""Each change with each caller that may not make it; those that may are tested route by route."""


@pytest.mark.parametrize(
    ("caller", "method", "path", "permission", "page"),
    REFUSED_WRITES,
    ids=[f"{c or 'anonymous'} {m} {p}" for c, m, p, _, _ in REFUSED_WRITES],
)
def test_writes_refused_to_roles_without_the_right(
    shared: tuple[WebStore, dict],
    caller: Role | None,
    method: str,
    path: str,
    permission: Permission | None,
    page: bool,
) -> None:
    web, clients = shared
    client, csrf = clients[caller]
    before = tree_bytes(web.root / FACE_CAMERA)
    body = (
        {"permitted_xy": [[0, 0], [10, 0], [10, 10]]}
        if method == "PUT"
        else {"name": "x", "password": PASSWORD, "role": "admin"}
    )
    if page:
        response = client.request(method, path, data={"csrf_token": csrf, **body}, follow_redirects=False)
    else:
        response = client.request(
            method, path, json=body, headers={"X-CSRF-Token": csrf}, follow_redirects=False
        )
    if caller is None:
        assert response.status_code == (303 if page else 401)
    else:
        assert response.status_code == 403, response.text
    assert tree_bytes(web.root / FACE_CAMERA) == before


def test_served_images_have_no_face(shared: tuple[WebStore, dict]) -> None:
    web, clients = shared
    assert len(detect_faces(web.face_image)) >= 1, (
        "the sample must show a face for this test to mean anything"
    )
    client, _ = clients[Role.TECHNICIAN]
    stored = cv2.imread(str(web.root / FACE_CAMERA / "references" / "day.png"))
    assert len(detect_faces(stored)) >= 1, "the stored reference is unblurred on purpose"
    for path in (
        f"/api/cameras/{FACE_CAMERA}/references/day/image",
        f"/api/cameras/{FACE_CAMERA}/results/1/evidence",
    ):
        response = client.get(path)
        assert response.status_code == 200
        served = cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_COLOR)
        assert len(detect_faces(served)) == 0, path


def test_served_reference_has_its_privacy_zone_filled(shared: tuple[WebStore, dict]) -> None:
    web, clients = shared
    response = clients[Role.REVIEWER][0].get(f"/api/cameras/{FACE_CAMERA}/references/day/image")
    served = cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_COLOR).astype(int)
    (x0, y0), (x1, y1) = ZONE_XY[0], ZONE_XY[2]
    inside = served[int(y0) + 5 : int(y1) - 5, int(x0) + 5 : int(x1) - 5]
    assert np.abs(inside - 70).max() <= 8, "the zone is one flat grey"
    original = web.face_image[int(y0) + 5 : int(y1) - 5, int(x0) + 5 : int(x1) - 5].astype(int)
    assert np.abs(original - 70).max() > 40, "the scene there is not grey by itself"


def test_no_image_without_its_audit_line(shared: tuple[WebStore, dict]) -> None:
    client, _ = shared[1][Role.TECHNICIAN]
    database = shared[0].root / "fov-monitor.sqlite"
    # A real refusal by the database: every new audit line is aborted while this trigger stands.
    with sqlite3.connect(database) as connection:
        connection.execute(
            "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    try:
        response = client.get(f"/api/cameras/{FACE_CAMERA}/references/day/image")
    finally:
        with sqlite3.connect(database) as connection:
            connection.execute("DROP TRIGGER refuse_audit")
    assert response.status_code >= 400
    assert response.headers["content-type"].startswith("application/json")
    assert b"\xff\xd8" not in response.content[:4]


def test_fleet_filters_by_group_and_status(shared: tuple[WebStore, dict]) -> None:
    client, _ = shared[1][Role.AUDITOR]
    every = client.get("/api/fleet").json()
    assert {row["camera_id"]: row["status"] for row in every["cameras"]} == {
        FACE_CAMERA: "zone_exposed",
        MOVED_CAMERA: "redirected",
    }
    assert (every["total"], every["page"], every["pages"], every["page_size"]) == (2, 1, 1, 200)
    for params in ({"group": "south"}, {"status": "redirected"}):
        shown = client.get("/api/fleet", params=params).json()
        assert [row["camera_id"] for row in shown["cameras"]] == [MOVED_CAMERA]
        assert shown["total"] == 1
    assert client.get("/api/fleet", params={"page": 2}).json()["cameras"] == []
    assert client.get("/api/fleet", params={"page": 0}).status_code == 422
    assert client.get("/api/fleet", params={"status": "sideways"}).status_code == 422
    page = client.get("/", params={"status": "redirected"}).text
    assert MOVED_CAMERA in page
    assert f"/cameras/{FACE_CAMERA}" not in page


def test_auditor_sees_no_image_on_the_camera_page(shared: tuple[WebStore, dict]) -> None:
    page = shared[1][Role.AUDITOR][0].get(f"/cameras/{FACE_CAMERA}").text
    assert "/image" not in page
    assert "/evidence" not in page
    page = shared[1][Role.TECHNICIAN][0].get(f"/cameras/{FACE_CAMERA}").text
    assert f"/api/cameras/{FACE_CAMERA}/references/day/image" in page
    assert "Check now" in page


# Signing in and sessions


def test_sign_in_form_and_cookie_attributes(web: WebStore) -> None:
    with app_client(web.root) as client:
        form = client.get("/signin", params={"next": f"/cameras/{FACE_CAMERA}"})
        token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
        response = client.post(
            "/signin",
            data={
                "name": user_name(Role.TECHNICIAN),
                "password": PASSWORD,
                "csrf_token": token,
                "next": f"/cameras/{FACE_CAMERA}",
            },
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"] == f"/cameras/{FACE_CAMERA}"
        cookie = next(
            v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith("fov_session=")
        )
        assert {"HttpOnly", "Secure", "SameSite=strict"} <= {part.strip() for part in cookie.split(";")}
        assert client.get(f"/cameras/{FACE_CAMERA}").status_code == 200
    assert [actor for actor, _, _ in audit_rows(web.root, "signed in")] == [user_name(Role.TECHNICIAN)]


@pytest.mark.parametrize(
    ("name", "password", "with_token"),
    [
        ("technician-user", "wrong password!", True),
        ("nobody", PASSWORD, True),
        ("technician-user", PASSWORD, False),
    ],
    ids=["wrong password", "unknown user", "no csrf token"],
)
def test_sign_in_refused(web: WebStore, name: str, password: str, with_token: bool) -> None:
    with app_client(web.root) as client:
        form = client.get("/signin")
        token = form.text.split('name="csrf_token" value="')[1].split('"')[0] if with_token else ""
        response = client.post(
            "/signin", data={"name": name, "password": password, "csrf_token": token}, follow_redirects=False
        )
        assert response.status_code == (401 if with_token else 403)
        assert "fov_session" not in client.cookies
        assert client.get("/", follow_redirects=False).status_code == 303


def test_sign_in_goes_only_to_local_pages(web: WebStore) -> None:
    with app_client(web.root) as client:
        token = client.get("/signin").text.split('name="csrf_token" value="')[1].split('"')[0]
        response = client.post(
            "/signin",
            data={
                "name": user_name(Role.AUDITOR),
                "password": PASSWORD,
                "csrf_token": token,
                "next": "//evil.example/x",
            },
            follow_redirects=False,
        )
        assert response.headers["location"] == "/"


def test_expired_session_is_sent_to_sign_in(web: WebStore) -> None:
    with app_client(web.root) as client:
        sign_in(client, Role.TECHNICIAN)
        assert client.get("/").status_code == 200
        with sqlite3.connect(web.root / "fov-monitor.sqlite") as connection:
            connection.execute("UPDATE sessions SET expires_at = '2000-01-01T00:00:00+00:00'")
        response = client.get(f"/cameras/{FACE_CAMERA}", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/signin?next=%2Fcameras%2F{FACE_CAMERA}"
        assert client.get("/api/fleet").status_code == 401


def test_sign_out_ends_the_session(web: WebStore) -> None:
    with app_client(web.root) as client:
        csrf = sign_in(client, Role.REVIEWER)
        stolen = client.cookies.get("fov_session")
        assert stolen
        assert client.delete("/api/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    with app_client(web.root) as replay:
        replay.cookies.set("fov_session", stolen)
        assert replay.get("/api/fleet").status_code == 401


def test_disabled_user_loses_their_session(web: WebStore) -> None:
    with app_client(web.root) as admin, app_client(web.root) as auditor:
        csrf = sign_in(admin, Role.ADMIN)
        sign_in(auditor, Role.AUDITOR)
        assert auditor.get("/api/fleet").status_code == 200
        assert (
            admin.post("/api/users/auditor-user/disable", headers={"X-CSRF-Token": csrf}).status_code == 204
        )
        assert auditor.get("/api/fleet").status_code == 401
        refused = auditor.post("/api/session", json={"name": user_name(Role.AUDITOR), "password": PASSWORD})
        assert refused.status_code == 401
        assert admin.post("/api/users/admin-user/disable", headers={"X-CSRF-Token": csrf}).status_code == 400


def test_admin_adds_users(web: WebStore) -> None:
    with app_client(web.root) as client:
        csrf = sign_in(client, Role.ADMIN)
        added = client.post(
            "/api/users",
            json={"name": "berg", "password": PASSWORD, "role": "technician"},
            headers={"X-CSRF-Token": csrf},
        )
        assert added.status_code == 201, added.text
        again = client.post(
            "/api/users",
            json={"name": "berg", "password": PASSWORD, "role": "auditor"},
            headers={"X-CSRF-Token": csrf},
        )
        assert again.status_code == 400
        assert "already exists" in again.text
        short = client.post(
            "/api/users",
            json={"name": "kort", "password": "short", "role": "auditor"},
            headers={"X-CSRF-Token": csrf},
        )
        assert short.status_code == 400
        assert "10" in short.text
        form = client.post(
            "/users",
            data={"csrf_token": csrf, "name": "lind", "password": PASSWORD, "role": "reviewer"},
            follow_redirects=False,
        )
        assert form.status_code == 303
        names = {user["name"]: user["role"] for user in client.get("/api/users").json()}
        assert names["berg"] == "technician"
        assert names["lind"] == "reviewer"
        assert "kort" not in names
        assert "password_hash" not in client.get("/api/users").text
    assert [detail["user"] for _, _, detail in audit_rows(web.root, "user added")][-2:] == ["berg", "lind"]


# Changes: CSRF, bad input, the permit editor's saves


def _permit_request(
    client: TestClient, body: object, csrf: str | None, content_type: str = "application/json"
) -> int:
    headers = {"Content-Type": content_type}
    if csrf is not None:
        headers["X-CSRF-Token"] = csrf
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.put(f"/api/cameras/{FACE_CAMERA}/permit", content=data, headers=headers).status_code


SQUARE = [[10, 10], [300, 10], [300, 300], [10, 300]]
CIRCLE_501 = [
    [round(150 + 100 * np.cos(2 * np.pi * i / 501), 3), round(150 + 100 * np.sin(2 * np.pi * i / 501), 3)]
    for i in range(501)
]
"""A privacy zone one point over the limit that the permitted polygon has too."""


@pytest.mark.parametrize(
    ("body", "csrf", "content_type", "status", "says"),
    [
        ({"permitted_xy": SQUARE}, None, "application/json", 403, "CSRF"),
        ({"permitted_xy": SQUARE}, "forged", "application/json", 403, "CSRF"),
        (b'{"permitted_xy": [[1, 2], ', "ok", "application/json", 422, "JSON"),
        ({"permitted_xy": SQUARE}, "ok", "text/plain", 415, "application/json"),
        ({"permitted_xy": [[0, 0], [10, 0]]}, "ok", "application/json", 400, "at least 3 distinct points"),
        (
            {"permitted_xy": [[0, 0], [100, 100], [100, 0], [0, 100]]},
            "ok",
            "application/json",
            400,
            "not a simple polygon",
        ),
        ({"permitted_xy": [[0, 0], [5000, 0], [5000, 5000]]}, "ok", "application/json", 400, "far outside"),
        (
            {"permitted_xy": SQUARE, "privacy_zones": {"x": [[0, 0], [1, 1], [2, 2]]}},
            "ok",
            "application/json",
            400,
            "zone 'x'",
        ),
        (
            {"permitted_xy": SQUARE, "privacy_zones": {"door\u202egnp": SQUARE}},
            "ok",
            "application/json",
            400,
            "U+202E",
        ),
        (
            {"permitted_xy": SQUARE, "privacy_zones": {"door\x00": SQUARE}},
            "ok",
            "application/json",
            400,
            "U+0000",
        ),
        (
            {"permitted_xy": SQUARE, "privacy_zones": {"door": CIRCLE_501}},
            "ok",
            "application/json",
            422,
            "at most 500",
        ),
        ({"permitted_xy": SQUARE, "owner": "me"}, "ok", "application/json", 422, "owner"),
        ({"permitted_xy": "0,0 1,1 2,0"}, "ok", "application/json", 422, "permitted_xy"),
        (b"[" * 2_000_000, "ok", "application/json", 413, "larger than"),
        ((b" " * 10_000,) * 300, "ok", "application/json", 413, "larger than"),
    ],
    ids=[
        "no csrf",
        "wrong csrf",
        "malformed json",
        "wrong content type",
        "two points",
        "self-intersecting",
        "far outside",
        "zone on a line",
        "zone name reversing the text after it",
        "zone name with a NUL",
        "zone of 501 points",
        "unknown field",
        "points as text",
        "oversized",
        "oversized, streamed without a length",
    ],
)
def test_bad_permit_saves_store_nothing(
    web: WebStore, body: object, csrf: str | None, content_type: str, status: int, says: str
) -> None:
    with app_client(web.root) as client:
        token = sign_in(client, Role.TECHNICIAN)
        before = tree_bytes(web.root / FACE_CAMERA)
        headers = {"Content-Type": content_type}
        if csrf is not None:
            headers["X-CSRF-Token"] = token if csrf == "ok" else csrf
        data: bytes | Iterator[bytes]
        if isinstance(body, tuple):
            data = iter(body)  # sent chunked: no Content-Length to refuse it by
        else:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        response = client.put(f"/api/cameras/{FACE_CAMERA}/permit", content=data, headers=headers)
        assert response.status_code == status, response.text
        assert says in response.text
        assert tree_bytes(web.root / FACE_CAMERA) == before
    assert audit_rows(web.root, "permit set") == []


def test_permit_save_keeps_the_old_version_and_audits_who(web: WebStore) -> None:
    with app_client(web.root) as client:
        csrf = sign_in(client, Role.TECHNICIAN)
        body = {"permitted_xy": SQUARE, "privacy_zones": {"door": [[20, 20], [60, 20], [60, 60]]}}
        response = client.put(f"/api/cameras/{FACE_CAMERA}/permit", json=body, headers={"X-CSRF-Token": csrf})
        assert response.status_code == 200, response.text
        versions = client.get(f"/api/cameras/{FACE_CAMERA}/permit/versions").json()
    on_disk = json.loads((web.root / FACE_CAMERA / "permit.json").read_text())
    assert on_disk["permitted_xy"] == SQUARE
    assert on_disk["set_by"] == user_name(Role.TECHNICIAN)
    assert list(on_disk["privacy_zones"]) == ["door"]
    assert [(v["set_by"], v["current"]) for v in versions] == [
        (user_name(Role.TECHNICIAN), True),
        ("fixture", False),
        ("fleet", False),
    ]
    ((actor, camera, detail),) = audit_rows(web.root, "permit set")
    assert (actor, camera, detail["via"]) == (user_name(Role.TECHNICIAN), FACE_CAMERA, "web")


def test_saving_from_the_editor_keeps_a_hand_set_zone_tolerance(web: WebStore) -> None:
    path = web.root / FACE_CAMERA / "permit.json"
    written = json.loads(path.read_text())
    written["zone_tolerance"] = 0.05  # set by hand: the editor does not show it
    path.write_text(json.dumps(written))
    with app_client(web.root) as client:
        csrf = sign_in(client, Role.TECHNICIAN)
        body = {"permitted_xy": SQUARE, "privacy_zones": {"door": [[20, 20], [60, 20], [60, 60]]}}
        response = client.put(f"/api/cameras/{FACE_CAMERA}/permit", json=body, headers={"X-CSRF-Token": csrf})
        assert response.status_code == 200, response.text
    assert json.loads(path.read_text())["zone_tolerance"] == 0.05


def test_csrf_less_form_post_is_refused(web: WebStore) -> None:
    with app_client(web.root) as client:
        sign_in(client, Role.TECHNICIAN)
        before = len(audit_rows(web.root, "check"))
        response = client.post(f"/cameras/{MOVED_CAMERA}/check", data={}, follow_redirects=False)
        assert response.status_code == 403
        assert len(audit_rows(web.root, "check")) == before


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.REVIEWER, Role.TECHNICIAN])
def test_a_cameras_source_is_shown_without_its_credentials(web: WebStore, role: Role) -> None:
    store = Store(web.root)
    config = store.camera(MOVED_CAMERA)
    store.save_camera(dataclasses.replace(config, source="rtsp://admin:hunter2@10.0.0.7/live?token=abc123"))
    with app_client(web.root) as client:
        sign_in(client, role)
        shown = client.get(f"/api/cameras/{MOVED_CAMERA}")
    assert shown.status_code == 200
    assert shown.json()["camera"]["source"] == "rtsp://10.0.0.7/live?token=***"
    assert "hunter2" not in shown.text
    assert "abc123" not in shown.text


def test_check_now_records_a_result(web: WebStore) -> None:
    with app_client(web.root) as client:
        csrf = sign_in(client, Role.TECHNICIAN)
        response = client.post(f"/api/cameras/{MOVED_CAMERA}/check", headers={"X-CSRF-Token": csrf})
        assert response.status_code == 200, response.text
        form = client.post(
            f"/cameras/{MOVED_CAMERA}/check", data={"csrf_token": csrf}, follow_redirects=False
        )
        assert form.status_code == 303
        assert form.headers["location"] == f"/cameras/{MOVED_CAMERA}?checked=true"
        history = client.get(f"/api/cameras/{MOVED_CAMERA}/history").json()
    # The same file grabbed again looks like a frozen feed to the check: not compliant either way.
    assert response.json()["status"] in ("redirected", "tampered")
    assert len(history) == 3
    assert history[1]["result_id"] == response.json()["result_id"]
    assert [row["evidence"] for row in history] == [
        f"/api/cameras/{MOVED_CAMERA}/results/{row['result_id']}/evidence" for row in history
    ], "check now keeps the live frame for the camera page, given by its URL"
    assert not any("evidence_path" in row or str(web.root) in json.dumps(row) for row in history)
    checks = [actor for actor, camera, _ in audit_rows(web.root, "check") if camera == MOVED_CAMERA]
    assert checks == ["fixture", user_name(Role.TECHNICIAN), user_name(Role.TECHNICIAN)]


@pytest.mark.parametrize(
    "path",
    [
        "/api/cameras/..%2F..%2Fetc/history",
        "/api/cameras/%2e%2e/permit",
        "/api/cameras/.removed/history",
        "/api/cameras/no-such-camera",
        f"/api/cameras/{FACE_CAMERA}/references/..%2Fday/image",
        f"/api/cameras/{FACE_CAMERA}/references/night/image",
        f"/api/cameras/{FACE_CAMERA}/results/2/evidence",  # the other camera's evidence
        f"/api/cameras/{FACE_CAMERA}/results/999/evidence",
    ],
)
def test_unknown_and_traversing_ids_are_404(shared: tuple[WebStore, dict], path: str) -> None:
    web, clients = shared
    views = len(audit_rows(web.root, "image viewed"))
    response = clients[Role.TECHNICIAN][0].get(path)
    assert response.status_code in (400, 404), (path, response.status_code)
    assert len(audit_rows(web.root, "image viewed")) == views


def test_pages_carry_security_headers_and_openapi_lists_the_api(shared: tuple[WebStore, dict]) -> None:
    client, _ = shared[1][Role.AUDITOR]
    response = client.get("/")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/fleet" in paths
    assert "/api/cameras/{camera_id}/permit" in paths


def test_audit_log_page_lists_image_views_for_auditors(shared: tuple[WebStore, dict]) -> None:
    _, clients = shared
    clients[Role.REVIEWER][0].get(f"/api/cameras/{FACE_CAMERA}/references/day/image")
    lines = (
        clients[Role.AUDITOR][0]
        .get("/api/audit", params={"action": "image viewed", "actor": "reviewer-user"})
        .json()
    )
    assert lines
    assert lines[0]["camera_id"] == FACE_CAMERA
    assert lines[0]["detail"]["kind"] == "reference"
    assert "image viewed" in clients[Role.AUDITOR][0].get("/audit", params={"action": "image viewed"}).text


ISO_TIME_SHOWN = re.compile(r">[^<]*\d{4}-\d\d-\d\dT\d\d:\d\d")
"""A stored time written into a page's text as it is stored (``2026-11-29T02:15:07+00:00``)."""
TIME_SHOWN = re.compile(r">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC<")


@pytest.mark.parametrize(
    ("role", "path"),
    [
        (Role.AUDITOR, "/"),
        (Role.AUDITOR, f"/cameras/{FACE_CAMERA}"),
        (Role.AUDITOR, "/alerts"),
        (Role.AUDITOR, "/alerts/1"),
        (Role.AUDITOR, "/audit"),
        (Role.ADMIN, "/users"),
    ],
)
def test_every_page_writes_times_one_way(shared: tuple[WebStore, dict], role: Role, path: str) -> None:
    page = shared[1][role][0].get(path)
    assert page.status_code == 200
    assert not ISO_TIME_SHOWN.search(page.text), ISO_TIME_SHOWN.search(page.text)
    assert TIME_SHOWN.search(page.text), "times read 2026-11-29 02:15:07 UTC"


def test_audit_page_shows_details_as_written_not_as_escaped_json(web: WebStore) -> None:
    with Database(web.root / "fov-monitor.sqlite") as database:
        detail = {"note": "it's the gate’s pole", "n": [1]}
        database.write(lambda t: append_audit(t, "2026-11-29T02:15:07+00:00", "berg", "note", None, detail))
    with app_client(web.root) as client:
        sign_in(client, Role.AUDITOR)
        page = client.get("/audit", params={"actor": "berg"}).text
    assert "\\u0027" not in page
    assert "\\u2019" not in page
    assert "<dt>note</dt><dd>it&#39;s the gate’s pole</dd>" in page
    assert "<dt>n</dt><dd>[1]</dd>" in page


def test_audit_filters_reach_lines_behind_any_number_of_newer_ones(web: WebStore) -> None:
    with app_client(web.root, WebSettings()) as client:
        sign_in(client, Role.REVIEWER)
        assert client.get(f"/api/cameras/{FACE_CAMERA}/references/day/image").status_code == 200
    with Database(web.root / "fov-monitor.sqlite") as database:
        database.write(
            lambda transaction: [
                append_audit(transaction, "2026-11-29T00:00:00+00:00", "nobody", "sign-in refused", None, {})
                for _ in range(12_000)
            ]
        )
    with app_client(web.root, WebSettings()) as client:
        sign_in(client, Role.AUDITOR)
        (viewed,) = client.get("/api/audit", params={"action": "image viewed"}).json()
        assert viewed["actor"] == user_name(Role.REVIEWER)
        assert [
            line["entry_id"]
            for line in client.get("/api/audit", params={"actor": user_name(Role.REVIEWER)}).json()
        ]
        first = client.get("/api/audit", params={"action": "sign-in refused", "limit": 5000}).json()
        second = client.get(
            "/api/audit", params={"action": "sign-in refused", "limit": 5000, "before": first[-1]["entry_id"]}
        ).json()
        assert len(first) == len(second) == 5000
        assert first[-1]["entry_id"] > second[0]["entry_id"]
        page = client.get("/audit", params={"action": "sign-in refused", "limit": 5000}).text
        assert f"before={first[-1]['entry_id']}" in page
        assert "Older lines" in page
        assert client.get("/api/audit", params={"before": 0}).status_code == 422


# The command line


def test_user_commands(
    web: WebStore, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, out, err = run_main(
        capsys, "--store", web.root, "user", "add", "nils", "--role", "reviewer", "--password-stdin"
    )
    assert code == 0, err
    code, out, _ = run_main(capsys, "--store", web.root, "user", "list", "--json")
    assert {"name": "nils", "role": "reviewer"}.items() <= next(
        u for u in json.loads(out) if u["name"] == "nils"
    ).items()
    assert run_main(capsys, "--store", web.root, "user", "disable", "nils")[0] == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code, _, err = run_main(
        capsys, "--store", web.root, "user", "add", "olle", "--role", "admin", "--password-stdin"
    )
    assert code == 1
    assert "10" in err
    with app_client(web.root) as client:
        assert client.post("/api/session", json={"name": "nils", "password": PASSWORD}).status_code == 401


def test_serve_refuses_insecure_cookies_off_loopback(
    web: WebStore, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(capsys, "--store", web.root, "serve", "--host", "0.0.0.0", "--insecure-cookies")
    assert code == 1
    assert "loopback" in err


def test_a_camera_without_a_reference_has_no_permit_editor_but_a_clear_409(web: WebStore) -> None:
    Store(web.root).add_camera(CameraConfig("cam-bare", source="http://127.0.0.1:9/snap.jpg"))
    with app_client(web.root) as client:
        sign_in(client, Role.TECHNICIAN)
        page = client.get("/cameras/cam-bare/permit")
    assert page.status_code == 409
    assert "has no reference to draw the permit on" in page.text
    assert "a technician captures a reference image first" in page.text
    assert "fov-monitor" not in page.text.split("<main")[1], "the page speaks of people, not of commands"


@pytest.mark.parametrize("result_id", ["9223372036854775808", "0", "-1", "1e3"])
def test_result_ids_beyond_a_database_row_are_422_not_500(
    shared: tuple[WebStore, dict], result_id: str
) -> None:
    client, _ = shared[1][Role.REVIEWER]
    response = client.get(f"/api/cameras/{FACE_CAMERA}/results/{result_id}/evidence")
    assert response.status_code == 422, response.text


def test_a_damaged_camera_file_shows_neither_its_values_nor_the_servers_folders(web: WebStore) -> None:
    secret = "rtsp://admin:hunter2@10.0.0.7/stream"
    folder = Store(web.root).folder(FACE_CAMERA)
    settings = json.loads((folder / "camera.json").read_text(encoding="utf-8"))
    (folder / "camera.json").write_text(json.dumps(settings | {"source": {"url": secret}}), encoding="utf-8")
    with app_client(web.root) as client:
        sign_in(client, Role.ADMIN)
        answers = [client.get("/"), client.get("/api/fleet"), client.get(f"/api/cameras/{FACE_CAMERA}")]
    for answer in answers:
        assert "hunter2" not in answer.text
        assert str(web.root.resolve()) not in answer.text
    assert "source must be text, got dict" in answers[1].text


def _served_evidence(client: TestClient, camera_id: str) -> tuple[int, np.ndarray]:
    (row,) = [row for row in client.get(f"/api/cameras/{camera_id}/history").json() if row["evidence"]][:1]
    data = client.get(row["evidence"]).content
    return row["result_id"], cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


def _is_zone_fill(pixels: np.ndarray) -> bool:
    return bool(np.abs(pixels.reshape(-1, 3).astype(float) - ZONE_FILL_BGR).max() < 12)


def test_a_privacy_zone_added_after_a_check_is_hidden_on_its_evidence_too(web: WebStore) -> None:
    live_h, live_w = crop_move(sample_bgr("coffee"), (0.10, 0.0)).live.shape[:2]
    store = Store(web.root)
    (info,) = store.reference_infos(MOVED_CAMERA)
    ref_w, ref_h = info.size_wh
    zone = np.array([[0.45, 0.35], [0.75, 0.35], [0.75, 0.65], [0.45, 0.65]]) * (ref_w, ref_h)
    with app_client(web.root) as client:
        csrf = sign_in(client, Role.TECHNICIAN)
        result_id, before = _served_evidence(client, MOVED_CAMERA)
        permit = client.get(f"/api/cameras/{MOVED_CAMERA}/permit").json()
        saved = client.put(
            f"/api/cameras/{MOVED_CAMERA}/permit",
            json={"permitted_xy": permit["permitted_xy"], "privacy_zones": {"new window": zone.tolist()}},
            headers={"X-CSRF-Token": csrf},
        )
        assert saved.status_code == 200, saved.text
        _, after = _served_evidence(client, MOVED_CAMERA)
    (recorded,) = raw(str(web.root / "fov-monitor.sqlite"), "SELECT result_json FROM results WHERE id = ?",
                      (result_id,))  # fmt: skip
    H = np.asarray(json.loads(recorded[0])["H_live_to_ref"])
    layout = EvidenceLayout.of((ref_w, ref_h), (live_w, live_h), H)
    on_reference = layout.on_reference(zone).mean(axis=0).round().astype(int)
    live = layout.on_live(zone)
    assert live is not None
    on_live = live.mean(axis=0).round().astype(int) + np.array([layout.reference_panel_w + GAP, 0])
    for x, y in (on_reference, on_live):
        assert not _is_zone_fill(before[y - 3 : y + 4, x - 3 : x + 4]), (
            "the zone was not hidden at check time"
        )
        assert _is_zone_fill(after[y - 3 : y + 4, x - 3 : x + 4]), "the zone added since is hidden"
    untouched = (slice(PANEL_HEIGHT - 60, PANEL_HEIGHT - 20), slice(10, 40))
    assert np.abs(after[untouched].astype(int) - before[untouched].astype(int)).mean() < 3


def test_evidence_whose_reference_was_replaced_since_a_zone_was_added_is_covered(web: WebStore) -> None:
    store = Store(web.root)
    (info,) = store.reference_infos(MOVED_CAMERA)
    meta = store.folder(MOVED_CAMERA) / "references" / f"{info.label}.json"
    document = json.loads(meta.read_text(encoding="utf-8"))
    replaced = {"captured_at": "2999-01-01T00:00:00+00:00", "taken_at": "2999-01-01T00:00:00+00:00"}
    meta.write_text(json.dumps(document | replaced), encoding="utf-8")
    with app_client(web.root) as client:
        csrf = sign_in(client, Role.TECHNICIAN)
        permit = client.get(f"/api/cameras/{MOVED_CAMERA}/permit").json()
        zone = [[10.0, 10.0], [60.0, 10.0], [60.0, 60.0], [10.0, 60.0]]
        client.put(
            f"/api/cameras/{MOVED_CAMERA}/permit",
            json={"permitted_xy": permit["permitted_xy"], "privacy_zones": {"z": zone}},
            headers={"X-CSRF-Token": csrf},
        )
        _, served = _served_evidence(client, MOVED_CAMERA)
    assert _is_zone_fill(served[:PANEL_HEIGHT]), "neither picture can be placed: both are covered"
    assert not _is_zone_fill(served[PANEL_HEIGHT:]), "the verdict's text stays"


def test_the_camera_list_downloads_as_camera_import_reads_it_audited(web: WebStore) -> None:
    Store(web.root).add_camera(CameraConfig("cam-new", source="http://admin:s3cr3t@127.0.0.1:9/x.jpg"))
    with app_client(web.root) as client:
        sign_in(client, Role.TECHNICIAN)
        response = client.get("/api/fleet/export", params={"format": "csv"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.headers["content-disposition"] == 'attachment; filename="cameras.csv"'
        table = list(csv.DictReader(io.StringIO(response.text)))
        assert [row["id"] for row in table] == [FACE_CAMERA, MOVED_CAMERA, "cam-new"]
        assert table[2]["source"] == "http://admin:***@127.0.0.1:9/x.jpg"
        assert "s3cr3t" not in response.text
        north = client.get("/api/fleet/export", params={"format": "jsonl", "group": "north"})
        assert [json.loads(line)["id"] for line in north.text.splitlines()] == [FACE_CAMERA]
        assert north.headers["content-disposition"] == 'attachment; filename="cameras-north.jsonl"'
        page = client.get("/").text
        assert "no reference yet, no permit yet" in page
        assert 'href="/api/fleet/export?format=csv"' in page
        incomplete = client.get("/api/fleet", params={"incomplete": "true"}).json()["cameras"]
        assert [(row["camera_id"], row["missing"]) for row in incomplete] == [
            ("cam-new", ["reference", "permit"])
        ]
    exports = audit_rows(web.root, "cameras exported")
    assert [(actor, detail["format"], detail["cameras"]) for actor, _, detail in exports] == [
        (user_name(Role.TECHNICIAN), "csv", 3),
        (user_name(Role.TECHNICIAN), "jsonl", 1),
    ]
