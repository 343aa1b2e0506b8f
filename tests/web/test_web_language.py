"""The pages' language: the user's choice, else the browser's, else the organisation's; and what they say.

Every page says its language (``<html lang>``, ``Content-Language``); the status words are the same
as everywhere else (:func:`fov_monitor.i18n.outcome_word`); an error the web app shows speaks of the
page's buttons in the page's language, never of the command line's flags.
"""

from __future__ import annotations

import ast
import html
import json
import re
import shutil
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from fov_monitor.errors import StoreError
from fov_monitor.i18n import Language, outcome_word, translations
from fov_monitor.store.camera import CameraConfig
from fov_monitor.store.store import Store
from fov_monitor.web.messages import COMMAND_LINE, KIND_WORDS, explain
from fov_monitor.web.roles import Role
from tests.support.web_store import (
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
PACKAGE = Path(__file__).resolve().parents[2] / "fov_monitor"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with both cameras' alerts open."""
    root = tmp_path_factory.mktemp("language") / "store"
    build_store(root)
    assert open_alerts(root) == {FACE_CAMERA: FACE_ALERT, MOVED_CAMERA: MOVED_ALERT}
    return root


@pytest.fixture
def root(template: Path, tmp_path: Path) -> Path:
    """A private copy of the store."""
    return Path(shutil.copytree(template, tmp_path / "store"))


def _organisation_speaks(root: Path, language: Language) -> None:
    organisation = {"schema_version": 1, "name": "Exempel kommun", "contact": "x", "address": "y"}
    (root / "organisation.json").write_text(json.dumps(organisation | {"language": str(language)}))


def _lang(response: httpx.Response) -> str:
    found = re.search(r'<html lang="([^"]+)">', response.text)
    assert found, response.text[:200]
    return found.group(1)


def _says(response: httpx.Response) -> tuple[str, str, bool]:
    """Return the page's ``lang``, its ``Content-Language``, and whether it varies with Accept-Language."""
    vary = "accept-language" in response.headers.get("vary", "").lower()
    return _lang(response), response.headers["content-language"], vary


def _main(response: httpx.Response) -> str:
    """Return the text of the page's main part (tags out), as a reader reads it."""
    main = response.text.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    return html.unescape(re.sub(r"<[^>]+>", " ", main))


def _csrf(client: TestClient) -> str:
    return str(client.get("/api/session").json()["csrf_token"])


def _choose(client: TestClient, language: str) -> httpx.Response:
    return client.post(
        "/account/language", data={"csrf_token": _csrf(client), "language": language}, follow_redirects=False
    )


def test_the_users_choice_beats_the_browser_which_beats_the_organisation(root: Path) -> None:
    with app_client(root) as client:
        sign_in(client, Role.REVIEWER)
        assert _says(client.get("/")) == ("en", "en", True), "no choice, no header, no organisation: English"
        _organisation_speaks(root, Language.SV)
        assert _says(client.get("/")) == ("sv", "sv", True), "the organisation's"
        assert _says(client.get("/", headers={"Accept-Language": "de-DE, fr;q=0.8"})) == ("sv", "sv", True)
        browser_en = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,sv;q=0.5"})
        assert _says(browser_en) == ("en", "en", True), "the browser's beats the organisation's"
        assert _choose(client, "sv").status_code == 303
        chosen = client.get("/", headers={"Accept-Language": "en"})
        assert _says(chosen) == ("sv", "sv", False), "the user's choice beats the browser's"
        assert ">Kameror</a>" in chosen.text, "the navigation in Swedish"
        _organisation_speaks(root, Language.EN)
        assert _says(client.get("/alerts")) == ("sv", "sv", False)


def test_the_signin_page_takes_the_browsers_language_else_the_organisations(root: Path) -> None:
    with app_client(root) as client:
        swedish = client.get("/signin", headers={"Accept-Language": "sv-SE,sv;q=0.9"})
        assert _says(swedish) == ("sv", "sv", True)
        assert "Logga in" in swedish.text
        assert "Lösenord" in swedish.text
        assert _says(client.get("/signin")) == ("en", "en", True)
        _organisation_speaks(root, Language.SV)
        assert _says(client.get("/signin")) == ("sv", "sv", True)
        assert _says(client.get("/signin", headers={"Accept-Language": "en"})) == ("en", "en", True)
        refused = client.post(
            "/signin",
            data={"name": "nobody", "password": "wrong password", "csrf_token": _signin_token(client)},
        )
        assert refused.status_code == 401
        assert "Fel namn eller lösenord." in refused.text


def _signin_token(client: TestClient) -> str:
    return client.get("/signin").text.split('name="csrf_token" value="')[1].split('"')[0]


def test_the_choice_made_on_the_account_page_is_kept_and_audited(root: Path) -> None:
    reviewer = user_name(Role.REVIEWER)
    with app_client(root) as client:
        sign_in(client, Role.REVIEWER)
        refused = client.post("/account/language", data={"language": "sv"}, follow_redirects=False)
        assert refused.status_code == 403, "no CSRF token, no change"
        chosen = _choose(client, "sv")
        assert (chosen.status_code, chosen.headers["location"]) == (303, "/account?language_chosen=true")
        page = client.get("/account?language_chosen=true")
        assert "Ditt val av språk är sparat." in page.text
        assert re.search(r'<option value="sv" lang="sv"\s+selected>Svenska</option>', page.text)
    with app_client(root) as again:  # a new session: the choice is the user's, in the database
        sign_in(again, Role.REVIEWER)
        assert _lang(again.get("/")) == "sv"
        assert _choose(again, "browser").status_code == 303
        assert _lang(again.get("/", headers={"Accept-Language": "en"})) == "en"
        invalid = again.post(
            "/account/language", data={"csrf_token": _csrf(again), "language": "fi"}, follow_redirects=False
        )
        assert invalid.status_code == 400
    lines = audit_rows(root, "language chosen")
    assert [(actor, detail) for actor, _, detail in lines] == [
        (reviewer, {"user": reviewer, "language": "sv", "previous": None}),
        (reviewer, {"user": reviewer, "language": None, "previous": "sv"}),
    ]


def test_the_api_chooses_too(root: Path) -> None:
    with app_client(root) as client:
        csrf = sign_in(client, Role.AUDITOR)
        chosen = client.put("/api/account/language", json={"language": "sv"}, headers={"X-CSRF-Token": csrf})
        assert chosen.status_code == 204
        assert _lang(client.get("/audit")) == "sv"
        refused = client.get("/api/cameras/nobody")
        assert refused.status_code == 404
        assert refused.json() == {
            "detail": "no camera 'nobody' in the store",
            "message": "Det finns ingen kamera nobody.",
        }


def test_swedish_pages_use_the_status_words_of_every_other_swedish_text(root: Path) -> None:
    with app_client(root) as client:
        sign_in(client, Role.REVIEWER)
        _choose(client, "sv")
        fleet = _main(client.get("/"))
        for status in ("redirected", "zone_exposed"):
            assert outcome_word(status, Language.SV) in fleet
        assert "redirected" not in fleet
        assert "zone exposed" not in fleet
        queue = _main(client.get("/alerts"))
        assert outcome_word("zone_exposed", Language.SV) in queue
        assert "öppet" in queue
        assert " open " not in queue
        alert = client.get(f"/alerts/{MOVED_ALERT}")
        assert outcome_word("redirected", Language.SV) in _main(alert)
        assert "Godkänn ny referensbild" not in alert.text, "no proposal yet, no approval"
        camera = client.get(f"/cameras/{MOVED_CAMERA}")
        assert "29 november 2026 02.15.07 UTC" in _main(camera), (
            "the scan's check, in a Swedish date and time"
        )
        assert re.search(r"\d+,\d %", _main(camera)), "a decimal comma"


def test_text_in_another_language_than_the_page_is_marked(root: Path) -> None:
    _organisation_speaks(root, Language.SV)
    with app_client(root) as client:
        csrf = sign_in(client, Role.REVIEWER)
        note = "kameran riktad om på plats"
        client.post(
            f"/api/alerts/{MOVED_ALERT}/acknowledge", json={"note": note}, headers={"X-CSRF-Token": csrf}
        )
        english = client.get(f"/alerts/{MOVED_ALERT}", headers={"Accept-Language": "en"})
        assert f'<span lang="sv">{note}</span>' in english.text, "a note typed in the organisation's language"
        swedish = client.get(f"/alerts/{MOVED_ALERT}", headers={"Accept-Language": "sv"})
        assert f": {note}" in swedish.text, "the same language as the page's: not marked"
        assert f'lang="sv">{note}' not in swedish.text
        assert re.search(r'<span lang="en">[^<]*found redirected', swedish.text), (
            "the check's words, in English"
        )


def _web_errors(root: Path, language: Language) -> list[tuple[str, httpx.Response]]:
    """Take every kind of refused step a person can take on the pages; return (what, the answer)."""
    (root / FACE_CAMERA / "permit.json").unlink()  # a camera that cannot be checked
    header = {"Accept-Language": str(language)}
    answers = []
    with app_client(root) as reviewer, app_client(root) as admin, app_client(root) as technician:
        for client, role in ((reviewer, Role.REVIEWER), (admin, Role.ADMIN), (technician, Role.TECHNICIAN)):
            sign_in(client, role)
            client.headers.update(header)

        def form(client: TestClient, path: str, **data: str) -> httpx.Response:
            return client.post(path, data={"csrf_token": _csrf(client), **data}, follow_redirects=False)

        answers += [
            (
                "approve without a proposal",
                form(reviewer, f"/alerts/{MOVED_ALERT}/approve-rebaseline", note="x"),
            ),
            (
                "reject without a proposal",
                form(reviewer, f"/alerts/{MOVED_ALERT}/reject-rebaseline", note="x"),
            ),
        ]
        form(reviewer, f"/alerts/{MOVED_ALERT}/dismiss", note="moved on purpose", propose_rebaseline="yes")
        answers += [
            ("the proposer approves", form(reviewer, f"/alerts/{MOVED_ALERT}/approve-rebaseline", note="x")),
            ("propose twice", form(reviewer, f"/alerts/{MOVED_ALERT}/propose-rebaseline", note="x")),
            ("acknowledge a dismissed alert", form(reviewer, f"/alerts/{MOVED_ALERT}/acknowledge", note="x")),
            ("an empty note", form(reviewer, f"/alerts/{FACE_ALERT}/acknowledge", note=" ")),
            ("no alert", reviewer.get("/alerts/99")),
            ("no role for it", reviewer.get("/users")),
            ("no CSRF token", reviewer.post(f"/alerts/{FACE_ALERT}/acknowledge", data={"note": "x"})),
            ("a bad filter", reviewer.get("/alerts", params={"state": "sideways"})),
            ("no such page", reviewer.get("/nowhere")),
            ("a name taken", form(admin, "/users", name=user_name(Role.AUDITOR), password=PASSWORD,
                                  role="auditor")),
            ("a short password", form(admin, "/users", name="berg", password="short", role="auditor")),
            ("a bad name", form(admin, "/users", name="-berg", password=PASSWORD, role="auditor")),
            ("no role", form(admin, "/users", name="berg", password=PASSWORD)),
            ("an unknown role", form(admin, "/users", name="berg", password=PASSWORD, role="boss")),
            ("disable oneself", form(admin, f"/users/{user_name(Role.ADMIN)}/disable")),
            ("disable nobody", form(admin, "/users/nobody/disable")),
            ("reset one's own", form(admin, f"/users/{user_name(Role.ADMIN)}/password", password=PASSWORD)),
            ("reset nobody's", form(admin, "/users/nobody/password", password=PASSWORD)),
            ("a short reset", form(admin, f"/users/{user_name(Role.AUDITOR)}/password", password="short")),
            ("passwords differ", form(admin, "/account/password", current_password=PASSWORD,
                                      new_password="a new password", new_password_again="another one")),
            ("a wrong current password", form(admin, "/account/password", current_password="wrong one",
                                              new_password="a new password",
                                              new_password_again="a new password")),
            ("check a camera without a permit", form(technician, f"/cameras/{FACE_CAMERA}/check")),
            ("remove a technician's reference",
             form(technician, f"/cameras/{MOVED_CAMERA}/references/day/forget")),
            ("no camera", technician.get("/cameras/nobody")),
        ]  # fmt: skip
        Store(root).add_camera(CameraConfig("cam-bare", source="http://127.0.0.1:9/snap.jpg"))
        answers.append(("an editor without a reference", technician.get("/cameras/cam-bare/permit")))
    return answers


def _shown(answer: httpx.Response) -> str:
    """Return the error a page shows: its alert paragraph's text."""
    found = re.search(
        r'<p class="error" role="alert"[^>]*>(.*?)</p>|<p role="alert">(.*?)</p>', answer.text, re.S
    )
    assert found, _main(answer)
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1) or found.group(2))).strip()


def test_every_error_a_page_shows_speaks_of_the_page_in_its_language_not_of_commands(
    template: Path, tmp_path: Path
) -> None:
    shown: dict[Language, dict[str, str]] = {}
    for language in Language:
        root = Path(shutil.copytree(template, tmp_path / str(language)))
        answers = _web_errors(root, language)
        for what, answer in answers:
            assert 400 <= answer.status_code < 500, (what, answer.status_code, answer.text[:300])
            assert _says(answer)[:2] == (str(language), str(language)), what
        shown[language] = {what: _shown(answer) for what, answer in answers}
    leads = {translations(language).gettext(lead) for language in Language for _, lead in KIND_WORDS}
    for what, english in shown[Language.EN].items():
        swedish = shown[Language.SV][what]
        for text in (english, swedish):
            assert text, what
            assert not COMMAND_LINE.search(text), (what, text)
            assert "fov-monitor" not in text, (what, text)
            assert not any(text.startswith(lead) for lead in leads), f"{what}: nothing for people: {text}"
        assert swedish != english, f"{what}: not in Swedish ({swedish})"


def test_a_core_error_is_shown_in_swedish_naming_the_pages_button(root: Path) -> None:
    with app_client(root) as client:
        csrf = sign_in(client, Role.REVIEWER)
        _choose(client, "sv")
        refused = client.post(
            f"/alerts/{MOVED_ALERT}/approve-rebaseline", data={"csrf_token": csrf, "note": "ny stolpe"}
        )
        assert refused.status_code == 409
        shown = re.search(r'id="step-error">(.*?)</p>', refused.text, re.S)
        assert shown, refused.text
        error = html.unescape(shown.group(1))
        assert error == (
            f"Larm {MOVED_ALERT} har ingen ny referensbild som väntar på beslut. En granskare föreslår en "
            "när larmet avfärdas, eller efteråt med knappen ”Föreslå ny referensbild”."
        )
        assert "ny stolpe" in refused.text, "the note typed is kept"
        api = client.post(
            f"/api/alerts/{MOVED_ALERT}/approve-rebaseline",
            json={"note": "x"},
            headers={"X-CSRF-Token": csrf},
        )
        assert "--propose-rebaseline" in api.json()["detail"], "the API's detail stays the command line's"
        assert api.json()["message"] == error


def _marked(node: ast.Call) -> list[str]:
    """Return the messages a call marks: ``N_("...")``, or ``PeopleMessage.ngettext("...", "...", n)``."""
    func = node.func
    if isinstance(func, ast.Name) and func.id == "N_":
        return [
            arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
        ]
    if (
        isinstance(func, ast.Attribute)
        and func.attr == "ngettext"
        and getattr(func.value, "id", "") == "PeopleMessage"
    ):
        return [
            arg.value for arg in node.args[:2] if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
        ]
    return []


def _people_messages() -> set[str]:
    """Return every message the package marks in its Python code (errors, refusals, the pages' words)."""
    return {
        message
        for path in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        for message in _marked(node)
    }


def test_no_message_for_people_names_a_command_or_a_flag_in_either_language() -> None:
    messages = _people_messages()
    assert len(messages) > 100, "the package's marked messages were not found"
    assert "Camera %(camera)s has no permit yet: a technician draws it with “%(edit)s” first." in messages
    swedish = translations(Language.SV)
    for message in messages:
        for text in (message, swedish.gettext(message)):
            assert not COMMAND_LINE.search(text), text
            assert "fov-monitor " not in text, text


def test_an_error_without_a_message_for_people_is_shown_without_its_commands(tmp_path: Path) -> None:
    store = Store(tmp_path)
    error = StoreError(
        "camera 'x': its feature cache is damaged; repair it with 'fov-monitor validate --repair'"
    )
    for language in Language:
        shown = explain(error, language, store)
        assert not COMMAND_LINE.search(shown.plain()), shown
    assert explain(error, Language.SV, store).plain() == (
        "Kamerans filer går inte att läsa eller spara. Mer information finns i serverns logg."
    )
    plain = explain(StoreError("camera 'x': disk full"), Language.SV, store)
    assert plain.html(Language.SV) == (
        'Kamerans filer går inte att läsa eller spara. <span lang="en">Camera &#39;x&#39;: disk full.</span>'
    )
