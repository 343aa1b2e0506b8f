"""End to end in a real headless Chromium (Debian's, driven by Playwright): sign in, draw, save, review.

Every page is opened in both languages, the browser asking for each
(``test_every_page_in_each_language``).

The browser comes from ``tests/support/browser.py``: nothing is downloaded, and without Chromium the tests
are skipped unless ``FOV_MONITOR_REQUIRE_BROWSER=1`` (CI), where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from fov_monitor.i18n import Language, translations
from fov_monitor.i18n.catalogue import catalogue_path
from fov_monitor.web.roles import Role
from tests.support.web_server import running_server
from tests.support.web_store import FACE_CAMERA, MOVED_CAMERA, PASSWORD, build_store, open_alerts, user_name

SCREENSHOTS_ENV = "FOV_MONITOR_SCREENSHOTS"
"""A folder to copy the screenshots to, for people to look at (they always go to pytest's tmp dir)."""


@pytest.fixture
def site(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The app over a fresh store, served by uvicorn on loopback; yields (base URL, store)."""
    root = tmp_path / "store"
    template = tmp_path_factory.getbasetemp() / "web-browser-template" / "store"
    if not template.exists():
        build_store(template)
    shutil.copytree(template, root)
    with running_server(root) as url:
        yield url, root


def _shoot(page: Any, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    copy_to = os.environ.get(SCREENSHOTS_ENV)
    if copy_to:
        Path(copy_to).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(copy_to) / path.name)
    return path


def _sign_in(page: Any, url: str, path: str, role: Role, language: Language = Language.EN) -> None:
    _ = translations(language).gettext
    page.goto(url + path)
    assert "/signin" in page.url, "an anonymous visitor is sent to sign in"
    page.get_by_label(_("Name")).fill(user_name(role))
    page.get_by_label(_("Password")).fill(PASSWORD)
    page.get_by_role("button", name=_("Sign in")).click()
    page.wait_for_url(url + path)


def test_technician_draws_and_saves_a_permit(browser: Any, site: tuple[str, Path], tmp_path: Path) -> None:
    url, root = site
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    _sign_in(page, url, f"/cameras/{FACE_CAMERA}", Role.TECHNICIAN)
    page.wait_for_load_state("networkidle")
    _shoot(page, tmp_path, "camera-page")

    page.get_by_role("link", name="Edit permit").click()
    page.wait_for_url(f"{url}/cameras/{FACE_CAMERA}/permit")
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Clear shape").click()
    drawing = page.locator("#drawing")
    box = drawing.bounding_box()
    scale = 512 / box["width"]  # the reference is 512 px wide, shown at whatever width fits
    clicks = [(50, 60), (450, 60), (450, 420), (250, 470), (50, 420)]
    for x, y in clicks:
        drawing.click(position={"x": x / scale, "y": y / scale})
    # The keyboard's way: the last point is selected; Delete removes it.
    page.locator('#drawing circle[data-index="4"]').focus()
    page.keyboard.press("Delete")
    assert page.locator("#drawing circle").count() == 4
    page.get_by_role("button", name="Save permit").click()
    page.get_by_text("Saved.").wait_for()
    _shoot(page, tmp_path, "permit-editor")

    saved = json.loads((root / FACE_CAMERA / "permit.json").read_text())
    assert saved["set_by"] == user_name(Role.TECHNICIAN)
    assert len(saved["permitted_xy"]) == 4
    for (x, y), (sx, sy) in zip(clicks[:4], saved["permitted_xy"], strict=True):
        assert abs(sx - x) <= 2, (clicks, saved["permitted_xy"])
        assert abs(sy - y) <= 2, (clicks, saved["permitted_xy"])
    assert saved["privacy_zones"], "the zone drawn before is kept"
    with sqlite3.connect(root / "fov-monitor.sqlite") as connection:
        edits = connection.execute(
            "SELECT actor, camera_id, detail_json FROM audit WHERE action = 'permit set'"
        ).fetchall()
        views = connection.execute("SELECT COUNT(*) FROM audit WHERE action = 'image viewed'").fetchone()[0]
    assert [(actor, camera) for actor, camera, _ in edits] == [(user_name(Role.TECHNICIAN), FACE_CAMERA)]
    assert json.loads(edits[0][2])["permit"]["permitted_xy"] == saved["permitted_xy"]
    assert views >= 3, "reference and evidence on the camera page, reference in the editor"

    # A bad drawing is refused with the reason, and nothing changes on disk.
    page.get_by_role("button", name="Clear shape").click()
    for x, y in [(50, 60), (450, 420), (450, 60), (50, 420)]:  # a bow tie
        drawing.click(position={"x": x / scale, "y": y / scale})
    page.get_by_role("button", name="Save permit").click()
    page.get_by_text("not a simple polygon").wait_for()
    assert json.loads((root / FACE_CAMERA / "permit.json").read_text()) == saved
    context.close()


def test_fleet_overview_on_a_phone(browser: Any, site: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = site
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    page = context.new_page()
    _sign_in(page, url, "/", Role.REVIEWER)
    rows = page.locator("table.fleet tbody tr")
    assert rows.count() == 2
    _shoot(page, tmp_path, "fleet-phone")
    page.get_by_label("Status").select_option("redirected")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(f"{url}/?group=&status=redirected")
    assert page.locator("table.fleet tbody tr").count() == 1
    assert page.get_by_role("link", name=MOVED_CAMERA).is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the fleet page scrolls sideways on a phone ({width} px)"
    context.close()


def test_auditor_reads_the_audit_log(browser: Any, site: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = site
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _sign_in(page, url, "/", Role.AUDITOR)
    _shoot(page, tmp_path, "fleet")
    page.get_by_role("link", name="Audit log").click()
    page.wait_for_url(f"{url}/audit")
    assert page.get_by_role("cell", name="signed in").first.is_visible()
    _shoot(page, tmp_path, "audit-log")
    assert page.goto(f"{url}/cameras/{FACE_CAMERA}/permit").status == 403
    context.close()


def test_reviewer_resolves_a_redirected_camera(browser: Any, site: tuple[str, Path], tmp_path: Path) -> None:
    url, root = site
    moved_alert = open_alerts(root)[MOVED_CAMERA]
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    _sign_in(page, url, "/alerts", Role.REVIEWER)
    row = page.locator("table.alerts tbody tr", has_text=MOVED_CAMERA)
    assert "redirected" in row.inner_text()
    assert "open" in row.inner_text()
    _shoot(page, tmp_path, "review-queue")

    row.get_by_role("link", name=MOVED_CAMERA).click()
    page.wait_for_url(f"{url}/alerts/{moved_alert}")
    page.wait_for_load_state("networkidle")
    assert page.locator("figure.evidence img").evaluate("img => img.naturalWidth") > 0, "evidence shown"
    _shoot(page, tmp_path, "alert-page")
    page.get_by_label("Note (resolve: what was fixed)").fill("re-aimed on site, bracket tightened")
    page.get_by_role("button", name="Resolve").click()
    page.wait_for_url(f"{url}/alerts/{moved_alert}")
    assert page.locator("h1 .badge.state-resolved").is_visible()
    assert page.get_by_text("re-aimed on site, bracket tightened").is_visible(), "the note is in the timeline"
    _shoot(page, tmp_path, "alert-resolved")
    context.close()

    reviewer = user_name(Role.REVIEWER)
    with sqlite3.connect(root / "fov-monitor.sqlite") as connection:
        state = connection.execute("SELECT state FROM alerts WHERE id = ?", (moved_alert,)).fetchone()[0]
        audit = connection.execute(
            "SELECT action, actor, camera_id, detail_json FROM audit "
            "WHERE action IN ('alert resolved', 'image viewed') ORDER BY id"
        ).fetchall()
    assert state == "resolved"
    assert {(actor, camera) for _, actor, camera, _ in audit} == {(reviewer, MOVED_CAMERA)}
    # The evidence on the page before the step and again after it: each view has its line.
    assert [action for action, _, _, _ in audit] == ["image viewed", "alert resolved", "image viewed"]
    assert json.loads(audit[0][3])["alert_id"] == moved_alert
    assert json.loads(audit[1][3])["note"] == "re-aimed on site, bracket tightened"


def _editor_points(page: Any) -> list[tuple[float, float]]:
    text = page.get_by_label("Points of the selected shape (x,y pairs, reference pixels)").input_value()
    return [(float(x), float(y)) for x, y in (pair.split(",") for pair in text.split())]


def test_permit_editor_on_a_phone_corner_handles_are_whole_and_grabbed_and_the_saved_zone_shows(
    browser: Any, site: tuple[str, Path], tmp_path: Path
) -> None:
    url, root = site
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    page = context.new_page()
    _sign_in(page, url, f"/cameras/{FACE_CAMERA}/permit", Role.TECHNICIAN)
    page.wait_for_load_state("networkidle")
    corner = page.locator('#drawing circle[data-index="0"]')  # the permitted area's corner at (0, 0)
    box = corner.bounding_box()
    assert box["width"] >= 20, f"a handle of {box['width']:.1f} px is no target for a finger"
    # Its outer part, beyond the picture's corner, is shown and takes the pointer (it was clipped).
    outer = (box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.25)
    assert page.evaluate("([x, y]) => document.elementFromPoint(x, y).dataset.index", list(outer)) == "0"
    _shoot(page, tmp_path, "editor-phone")

    image = page.locator("#drawing").bounding_box()
    scale = 512 / image["width"]
    page.mouse.move(image["x"] + 8, image["y"] + 8)  # 8 px off the corner point, inside the picture
    page.mouse.down()
    page.mouse.move(image["x"] + 40, image["y"] + 30, steps=4)
    page.mouse.up()
    points = _editor_points(page)
    assert len(points) == 4, "the corner was grabbed, not a point added"
    assert points[0] == pytest.approx((40 * scale, 30 * scale), abs=3 * scale)

    page.get_by_label("New zone name").fill("bin")
    page.get_by_role("button", name="Add privacy zone").click()
    for x, y in [(100, 300), (200, 300), (150, 380)]:
        page.locator("#drawing").click(position={"x": x / scale, "y": y / scale})
    page.get_by_role("button", name="Save permit").click()
    page.get_by_text("Saved.").wait_for()
    page.wait_for_function("() => document.querySelector('.frame img').src.includes('saved=')")
    page.wait_for_function("() => document.querySelector('.frame img').complete")
    shown = page.evaluate(
        """([x, y]) => {
          const img = document.querySelector('.frame img');
          const canvas = document.createElement('canvas');
          canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
          const drawing = canvas.getContext('2d');
          drawing.drawImage(img, 0, 0);
          return Array.from(drawing.getImageData(x, y, 1, 1).data.slice(0, 3));
        }""",
        [150, 330],
    )
    assert all(abs(value - 70) <= 12 for value in shown), f"the new zone is not filled on the image: {shown}"
    assert "bin" in json.loads((root / FACE_CAMERA / "permit.json").read_text())["privacy_zones"]
    _shoot(page, tmp_path, "editor-phone-saved")
    context.close()


def test_check_now_says_at_once_that_it_runs_and_the_camera_links_its_alert(
    browser: Any, site: tuple[str, Path], tmp_path: Path
) -> None:
    url, root = site
    alert_id = open_alerts(root)[MOVED_CAMERA]
    (root / FACE_CAMERA / "permit.json").unlink()  # a camera that cannot be judged
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    _sign_in(page, url, f"/cameras/{FACE_CAMERA}", Role.TECHNICIAN)
    assert page.get_by_role("button", name="Check now").count() == 0
    assert page.get_by_text("Check now needs a permit").is_visible()

    page.goto(f"{url}/cameras/{MOVED_CAMERA}", wait_until="domcontentloaded")  # not its images
    alert_link = page.get_by_role("link", name=f"Alert {alert_id}: redirected")
    assert alert_link.get_attribute("href") == f"/alerts/{alert_id}"
    # What the page shows the moment the form is sent, kept over the navigation that follows.
    page.evaluate(
        """() => document.getElementById('check-now-form').addEventListener('submit', () => {
          const button = document.getElementById('check-now');
          sessionStorage.setItem('at-submit', JSON.stringify({
            status: document.getElementById('check-status').textContent,
            button: button.textContent, disabled: button.disabled}));
        })"""
    )
    checked = f"{url}/cameras/{MOVED_CAMERA}?checked=true"
    with page.expect_navigation(url=checked, wait_until="domcontentloaded", timeout=60_000):
        page.get_by_role("button", name="Check now").click()
    at_submit = json.loads(page.evaluate("() => sessionStorage.getItem('at-submit')"))
    assert "Grabbing a frame and judging it" in at_submit["status"]
    assert (at_submit["button"], at_submit["disabled"]) == ("Checking…", True)
    assert page.locator("#check-status").inner_text().startswith("Checked just now: ")
    _shoot(page, tmp_path, "checked-now")
    context.close()


def test_admin_adds_disables_and_resets_with_a_role_chosen_a_confirmation_and_a_message(
    browser: Any, site: tuple[str, Path], tmp_path: Path
) -> None:
    url, root = site
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    _sign_in(page, url, "/", Role.ADMIN)
    assert page.locator("table.fleet tbody tr").count() == 2
    assert page.locator("table.fleet a").count() == 0, "no links to camera pages an admin may not see"

    page.get_by_role("link", name="Users").click()
    page.get_by_label("Name").fill("berg")
    page.get_by_label("Password (at least 10 characters)").fill("a long enough password")
    assert page.get_by_label("Role").input_value() == "", "no role is chosen for the admin"
    page.get_by_role("button", name="Add user").click()
    assert page.url == f"{url}/users", "the browser asks for a role first"
    page.get_by_label("Role").select_option("reviewer")
    page.get_by_role("button", name="Add user").click()
    page.wait_for_url(f"{url}/users?done=added&user=berg")
    assert page.locator("#users-done").inner_text() == "User berg added as reviewer."

    row = page.locator("tr", has_text="berg")
    row.locator("summary", has_text="Disable").click()  # opens the confirmation, disables nothing yet
    assert "active" in row.inner_text()
    row.get_by_role("button", name="Disable berg").click()
    page.wait_for_url(f"{url}/users?done=disabled&user=berg")
    assert page.locator("#users-done").inner_text() == "User berg disabled; their sessions have ended."
    row = page.locator("tr", has_text="berg")
    row.locator("summary", has_text="Reset password").click()
    row.get_by_label("New password for berg").fill("another long password")
    row.get_by_role("button", name="Reset password").click()
    page.wait_for_url(f"{url}/users?done=reset&user=berg")
    assert "Password of berg reset" in page.locator("#users-done").inner_text()
    _shoot(page, tmp_path, "users")
    context.close()
    with sqlite3.connect(root / "fov-monitor.sqlite") as connection:
        actions = connection.execute(
            "SELECT action FROM audit WHERE actor = ? AND action IN "
            "('user added', 'user disabled', 'password reset') ORDER BY id",
            (user_name(Role.ADMIN),),
        ).fetchall()
    assert [action for (action,) in actions] == ["user added", "user disabled", "password reset"]


def _english_words() -> set[str]:
    """Return the catalogue's English messages that Swedish writes otherwise (``Fleet``, ``Sign out``)."""
    with catalogue_path(Language.SV).open("rb") as file:
        swedish = {str(m.id): str(m.string) for m in read_po(file) if m.id and isinstance(m.id, str)}
    return {english for english, text in swedish.items() if text and text != english}


WALK = {
    Role.TECHNICIAN: ["/", f"/cameras/{FACE_CAMERA}", f"/cameras/{FACE_CAMERA}/permit", "/alerts",
                      "/alerts/1", "/account", "/cameras/nobody"],
    Role.AUDITOR: ["/audit"],
    Role.ADMIN: ["/users"],
}  # fmt: skip
"""Every page, by the role that sees it (the sign-in page before each); the last one an error page."""
SHOWN = "nav a, h1, h2, button, label, th, summary, caption, dt, #editor-status, #shape option"
"""The words of a page's navigation, headings and controls."""
IN_PAGE_LANGUAGE = """selector => Array.from(document.querySelectorAll(selector))
  .filter(element => element.closest("[lang]").lang === document.documentElement.lang)
  .map(element => element.innerText)"""
"""The texts of what ``selector`` finds, but for those marked in another language (stored data, English)."""


@pytest.mark.parametrize("language", list(Language))
def test_every_page_in_each_language(
    browser: Any, site: tuple[str, Path], tmp_path: Path, language: Language
) -> None:
    url, root = site
    open_alerts(root)
    english = _english_words()
    for role, paths in WALK.items():
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=f"{language}-SE")
        page = context.new_page()
        _sign_in(page, url, paths[0], role, language)
        for path in paths:
            answer = page.goto(url + path)
            page.wait_for_load_state("networkidle")
            assert answer.headers["content-language"] == str(language), path
            assert page.evaluate("document.documentElement.lang") == str(language), path
            if path.endswith("/permit"):  # the editor's own words, written by its script
                page.locator("#shape option").first.wait_for(state="attached")
            words = [text.strip() for text in page.evaluate(IN_PAGE_LANGUAGE, SHOWN) if text.strip()]
            assert words, path
            if language is Language.SV:
                left = sorted({text for text in [*words, page.title().split(" · ")[0]] if text in english})
                assert not left, f"{path}: English left on a Swedish page: {left}"
            _shoot(page, tmp_path, f"{language}-{role}-{path.strip('/').replace('/', '-') or 'fleet'}")
        context.close()
