"""The web app keeps nothing it need not: no unblurred copy of a compliant check, no page in a cache.

The app under test over a real store (TestClient), and a real headless Chromium for what a browser
keeps after Sign out.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from fov_monitor.core.permit import Permit
from fov_monitor.db.database import Database
from fov_monitor.settings import SETTINGS_FILE
from fov_monitor.store.store import Store
from fov_monitor.web.accounts import add_user
from fov_monitor.web.roles import Role
from tests.support.enrol import enrol_view
from tests.support.images import sample_bgr
from tests.support.web_server import running_server
from tests.support.web_store import (
    FACE_CAMERA,
    MOVED_CAMERA,
    PASSWORD,
    WebStore,
    app_client,
    build_store,
    open_alerts,
    sign_in,
    user_name,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> WebStore:
    return build_store(tmp_path_factory.mktemp("web-privacy") / "store")


@pytest.fixture
def web(template: WebStore, tmp_path: Path) -> WebStore:
    shutil.copytree(template.root, tmp_path / "store")
    return WebStore(tmp_path / "store", template.face_image)


def test_check_now_keeps_an_unblurred_copy_only_of_a_view_that_is_not_compliant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    view = sample_bgr("coffee")
    source = tmp_path / "live.png"
    cv2.imwrite(str(source), view)
    store = Store(tmp_path / "store")
    store.init()
    enrol_view(store, "cam-1", str(source), view, timeout_s=10.0)
    (store.root / SETTINGS_FILE).write_text(
        json.dumps({"schema_version": 1, "privacy": {"keep_unblurred": True}}), encoding="utf-8"
    )
    with Database(store.database_path) as database:
        add_user(database, user_name(Role.TECHNICIAN), PASSWORD, Role.TECHNICIAN, actor="fixture")
    copies = store.root / "_unblurred"
    with app_client(store.root) as client:
        csrf = sign_in(client, Role.TECHNICIAN)
        answer = client.post("/api/cameras/cam-1/check", headers={"X-CSRF-Token": csrf})
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "compliant"
        assert not copies.exists(), "the last live frame is kept as evidence, blurred; nothing unblurred"
        height, width = view.shape[:2]
        narrow = Permit(permitted_xy=[(0, 0), (0.7 * width, 0), (0.7 * width, height), (0, height)])
        store.save_permit("cam-1", narrow, (width, height), "fixture")
        noise = np.random.default_rng(7).normal(0, 2.0, view.shape)  # the next grab: not a frozen feed
        cv2.imwrite(str(source), np.clip(view + noise, 0, 255).astype(np.uint8))
        answer = client.post("/api/cameras/cam-1/check", headers={"X-CSRF-Token": csrf})
        assert answer.json()["status"] == "redirected"
    assert len(list(copies.rglob("*.png"))) == 1


PAGES = ["/", f"/cameras/{FACE_CAMERA}", f"/cameras/{FACE_CAMERA}/permit", "/alerts", "/alerts/1", "/audit",
         "/users", "/account"]  # fmt: skip
API = ["/api/fleet", f"/api/cameras/{FACE_CAMERA}", f"/api/cameras/{FACE_CAMERA}/history", "/api/alerts",
       "/api/alerts/1", "/api/session", "/api/audit", "/api/users",
       f"/api/cameras/{FACE_CAMERA}/results/1/evidence", f"/api/cameras/{FACE_CAMERA}/references/day/image",
       "/api/cameras/nobody"]  # fmt: skip


def test_every_answer_to_a_signed_in_user_is_no_store(web: WebStore) -> None:
    open_alerts(web.root)
    answers = {}
    with app_client(web.root) as client:
        for role in Role:  # what one role may see and another may not: answered 200 or 403
            sign_in(client, role)
            answers |= {(role, path): client.get(path, follow_redirects=False) for path in PAGES + API}
            client.cookies.clear()
        static = client.get("/static/app.css")
    shown = {path for (_, path), answer in answers.items() if answer.status_code == 200}
    assert shown == set(PAGES + API) - {"/api/cameras/nobody"}, "every path was answered to some role"
    missing = {key: answer.headers.get("cache-control") for key, answer in answers.items()
               if "no-store" not in answer.headers.get("cache-control", "")}  # fmt: skip
    assert missing == {}
    assert static.status_code == 200
    assert "no-store" not in static.headers.get("cache-control", ""), "styles may be cached"


def test_back_after_sign_out_shows_no_alert(browser: Any, web: WebStore) -> None:
    alert_id = open_alerts(web.root)[MOVED_CAMERA]
    with running_server(web.root) as url:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{url}/alerts/{alert_id}")
        page.get_by_label("Name").fill(user_name(Role.REVIEWER))
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{url}/alerts/{alert_id}")
        page.wait_for_load_state("networkidle")
        assert page.locator("figure.evidence img").count() == 1
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{url}/signin")
        page.go_back()
        page.wait_for_load_state("networkidle")
        assert "/signin" in page.url, "the page is asked for again, and the server wants a sign-in"
        assert page.locator("figure.evidence").count() == 0
        assert MOVED_CAMERA not in page.content()
        context.close()
