"""The public register: page names that never change, what residents must be told, cameras named alike."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from fov_monitor.cli import main
from fov_monitor.report.output import MARKER
from fov_monitor.report.register import area_file_names, area_slug
from fov_monitor.report.wording import hours_in_words
from fov_monitor.store.store import Store
from tests.report.conftest import warm
from tests.support.images import sample_bgr
from tests.support.report_history import ORGANISATION, make_store

TOLD = {
    "legal_basis": "the Camera Surveillance Act (2018:1200), with a permit from the county board",
    "retention": "recordings are deleted after 7 days",
    "data_protection_officer": "dpo@example.org, 012 345 67 00",
    "sound_recorded": False,
    "live_watching": False,
    "accessibility_statement": "https://example.org/accessibility",
    "cameras": {"cam-2": {"sound_recorded": True, "retention": "recordings are kept 30 days",
                          "decision_reference": "LST 2025-77"}},
}  # fmt: skip


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, view_cache: Path) -> Path:
    """The store, its register built once so that the blurred references are cached for every copy."""
    groups = {"cam-1": "Södra hamnen", "cam-2": "Södra hamnen", "cam-3": "Norr"}
    root = tmp_path_factory.mktemp("register")
    store = warm(make_store(root / "store", groups, sample_bgr("astronaut")), view_cache)
    (store.root / "organisation.json").write_text(json.dumps(ORGANISATION | TOLD), encoding="utf-8")
    return store.root


@pytest.fixture
def store(template: Path, tmp_path: Path) -> Store:
    shutil.copytree(template, tmp_path / "store")
    return Store(tmp_path / "store")


def _register(store: Store, out: Path) -> None:
    assert main(["--store", str(store.root), "report", "register", "--out", str(out)]) == 0


@pytest.mark.parametrize(
    ("area", "slug"),
    [("Södra hamnen", "sodra-hamnen"), ("Ängby/Åkeshov", "angby-akeshov"), ("Æble Øst", "aeble-ost"),
     ("Straße 5", "strasse-5"), ("Café Noir", "cafe-noir"), ("???", "area")],
)  # fmt: skip
def test_an_areas_page_is_named_from_its_own_name_in_plain_letters(area: str, slug: str) -> None:
    assert area_slug(area) == slug
    assert area_file_names([area, "Aaa"])[area] == area_file_names([area, "Zzz", "Åre"])[area]


def test_area_pages_are_never_renumbered_and_old_names_keep_working(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "register"
    # a register an earlier version wrote, its area pages numbered by their order
    (out / "areas").mkdir(parents=True)
    (out / MARKER).write_text("register\n", encoding="utf-8")
    (out / "areas" / "02-s-dra-hamnen.html").write_text("<h1>Cameras in the area Södra hamnen</h1>", "utf-8")
    _register(store, out)
    first = sorted(p.name for p in (out / "areas").iterdir())
    assert {"norr.html", "sodra-hamnen.html"} <= set(first)
    assert 'id="camera-cam-1"' in (out / "areas" / "sodra-hamnen.html").read_text(encoding="utf-8")
    old = (out / "areas" / "02-s-dra-hamnen.html").read_text(encoding="utf-8")
    assert '<meta http-equiv="refresh" content="0; url=sodra-hamnen.html">' in old
    assert '<a href="sodra-hamnen.html">' in old

    # an area is added that sorts first: no page is renamed, and every earlier name still leads on
    config = store.camera("cam-3")
    store.save_camera(dataclasses.replace(config, group="Centrum"))
    _register(store, out)
    second = sorted(p.name for p in (out / "areas").iterdir())
    assert {"centrum.html", "sodra-hamnen.html"} <= set(second)
    assert set(first) - {"norr.html"} <= set(second)
    assert "url=sodra-hamnen.html" in (out / "areas" / "02-s-dra-hamnen.html").read_text(encoding="utf-8")
    gone = (out / "areas" / "norr.html").read_text(encoding="utf-8")
    assert "This area has no cameras in the register any more" in gone


def test_the_register_says_what_residents_must_be_told(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "register"
    _register(store, out)
    area = (out / "areas" / "sodra-hamnen.html").read_text(encoding="utf-8")
    one = area[area.index('id="camera-cam-1"') : area.index('id="camera-cam-2"')]
    two = area[area.index('id="camera-cam-2"') : area.index('id="ask"')]
    for text in (
        "The decision that allows the camera has the number KS-2026-001.",
        "The Camera Surveillance Act (2018:1200), with a permit from the county board.",
        "Recordings are deleted after 7 days.",
        "The camera does not record sound.",
        "Nobody watches the camera live.",
    ):
        assert text in one, text
    for text in ("The decision that allows the camera has the number LST 2025-77.",
                 "Recordings are kept 30 days.", "The camera records sound."):  # fmt: skip
        assert text in two, text
    index = (out / "index.html").read_text(encoding="utf-8")
    for page in (index, area):
        assert "<dt>Data protection officer</dt><dd>dpo@example.org, 012 345 67 00</dd>" in page
        assert (
            "You have the right to complain about the filming to the Swedish Authority for Privacy "
            "Protection (IMY), www.imy.se." in page
        )
        assert '<a href="https://example.org/accessibility">Accessibility statement</a>' in page


def test_what_is_not_written_down_is_said_so(store: Store, tmp_path: Path) -> None:
    (store.root / "organisation.json").write_text(json.dumps(ORGANISATION), encoding="utf-8")
    out = tmp_path / "register"
    _register(store, out)
    area = (out / "areas" / "norr.html").read_text(encoding="utf-8")
    for text in ("The legal basis is not written down yet. Ask us.",
                 "How long recordings are kept is not written down yet. Ask us.",
                 "Whether sound is recorded is not written down yet. Ask us."):  # fmt: skip
        assert text in area, text


def test_the_register_names_the_camera_as_its_heading_does(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "register"
    _register(store, out)
    area = (out / "areas" / "sodra-hamnen.html").read_text(encoding="utf-8")
    assert '<h2 id="title-cam-1">Camera cam-1</h2>' in area
    assert "Say the name of the camera: Camera cam-1." in area
    index = (out / "index.html").read_text(encoding="utf-8")
    assert (
        '<a href="areas/sodra-hamnen.html#camera-cam-1">Camera cam-1</a>, at Market square entrance 1'
        in index
    )


@pytest.mark.parametrize(
    ("windows", "words"),
    [
        (("22:00-24:00", "00:00-06:00"), "every day from 22:00 to 06:00"),
        (("00:00-06:00", "22:00-24:00"), "every day from 22:00 to 06:00"),
        (("08:00-12:00", "12:00-16:00"), "every day from 08:00 to 16:00"),
        (("22:00-02:00", "02:00-06:00"), "every day from 22:00 to 06:00"),
        (("06:00-18:00", "18:00-06:00"), "all day and all night, every day"),
        (("07:00-09:00", "16:00-18:00"), "every day from 07:00 to 09:00 and from 16:00 to 18:00"),
    ],
)
def test_permitted_hour_windows_that_meet_read_as_one(windows: tuple[str, ...], words: str) -> None:
    assert hours_in_words(windows) == words
