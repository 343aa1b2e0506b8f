"""The yearly report and the public register, on a small hand-made history with known figures.

Ten cameras, 30 nights from 1 March 2026 (tests/support/report_history.py writes them through the
database API), alerts for each stretch of trouble with a reviewer's note, a re-baseline in the year
and one the year before. The figures are checked exactly; the pages are parsed (alt texts, embedded
images, no external resources, heading order) and opened in a real headless Chromium.
"""

from __future__ import annotations

import base64
import csv
import io
import itertools
import json
import shutil
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import cv2
import numpy as np
import pytest

from fov_monitor.cli import main
from fov_monitor.db.database import Database
from fov_monitor.errors import ReportError
from fov_monitor.report import charts, drawing
from fov_monitor.report.clock import LocalTime
from fov_monitor.report.figures import DayStatus, FleetFigures, yearly_figures
from fov_monitor.report.removed import removed_cameras
from fov_monitor.report.wording import hours_in_words
from fov_monitor.store.store import Store
from tests.report.conftest import warm
from tests.support.cli import assert_cli_error, run_main
from tests.support.images import sample_bgr
from tests.support.report_history import (
    ORGANISATION,
    Trouble,
    make_store,
    troubles_of,
    write_alert,
    write_alerts,
    write_rebaseline,
    write_scan_run,
    write_scans,
)

START = date(2026, 3, 1)
MARCH_1 = 31 + 28
"""Day of the year (from 0) of 1 March 2026."""
C, R, Z, U, OFF, E = "compliant", "redirected", "zone_exposed", "unverifiable", "offline", "error"
SCHEDULE = {
    "cam-00": [C] * 30,
    "cam-01": [C] * 10 + [R] * 3 + [C] * 17,
    "cam-02": [C] * 5 + [OFF] * 4 + [C] * 21,
    "cam-03": [C, C, Z, U] + [C] * 16 + [Z] + [C] * 9,
    "cam-04": [],
    "cam-05": [E] * 30,
    "cam-06": [C] * 30,
    "cam-07": [C] * 30,
    "cam-08": [C] * 30,
    "cam-09": [C] * 30,
}
GROUPS = {camera_id: "north" if index < 5 else "south" for index, camera_id in enumerate(SCHEDULE)}
WEIGHING = {
    "purpose": "to keep the market entrance safe at night",
    "value": "two thefts solved",
    "intrusion": "low: an empty square at night",
    "alternatives": "lighting alone was tried in 2024",
    "measures": "the school is a privacy zone; recordings kept 7 days",
    "conclusion": "continue",
    "assessed_by": "ann",
    "assessed_at": "2027-01-15",
}


@dataclass(frozen=True)
class Built:
    store: Path
    yearly: Path
    register: Path


def _history(root: Path) -> Store:
    store = make_store(root, GROUPS, sample_bgr("astronaut"))
    with Database(store.database_path) as database:
        write_scans(database, SCHEDULE, START)
        write_alerts(database, troubles_of(SCHEDULE), START)
        # the year before, closed then (an alert still open on 1 January is carried over)
        write_alerts(database, [Trouble("cam-00", R, 0, 0)], date(2025, 12, 1))
        write_rebaseline(database, "cam-01", "2026-03-20T10:00:00+00:00", moved=(0.031, -0.004))
        write_rebaseline(database, "cam-01", "2025-06-01T10:00:00+00:00")
    weighing = root / "weighing" / "2026"
    weighing.mkdir(parents=True)
    (weighing / "cam-00.json").write_text(json.dumps(WEIGHING), encoding="utf-8")
    (weighing / "cam-01.md").write_text("Useful at night.\n\nKeep, narrow the view.\n", encoding="utf-8")
    return store


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, view_cache: Path) -> Built:
    """One store with the hand-made history; the yearly report and the register built from it once."""
    root = tmp_path_factory.mktemp("report")
    store = warm(_history(root / "store"), view_cache)
    yearly, register = root / "out" / "yearly", root / "out" / "register"
    assert main(["--store", str(store.root), "report", "yearly", "--year", "2026", "--out", str(yearly)]) == 0
    assert main(["--store", str(store.root), "report", "register", "--out", str(register)]) == 0
    return Built(store.root, yearly, register)


@pytest.fixture(scope="module")
def fleet(built: Built) -> FleetFigures:
    store = Store(built.store)
    with Database(store.database_path) as database:
        return yearly_figures(database, store, 2026, store.camera_ids())


# figures


@pytest.mark.parametrize(
    ("camera_id", "checks", "share", "non_compliant_days", "zone_days", "offline_h", "uptime"),
    [
        ("cam-00", 30, 1.0, 0, 0, 0.0, 1.0),
        ("cam-01", 30, 27 / 30, 3, 0, 0.0, 1.0),
        ("cam-02", 30, 1.0, 0, 0, 96.0, 1 - 96 / 720),
        ("cam-03", 30, 27 / 30, 2, 2, 0.0, 1.0),
        ("cam-04", 0, None, 0, 0, 0.0, None),
        ("cam-05", 30, None, 0, 0, 0.0, 1.0),
    ],
)
def test_camera_figures_are_exact(
    fleet: FleetFigures,
    camera_id: str,
    checks: int,
    share: float | None,
    non_compliant_days: int,
    zone_days: int,
    offline_h: float,
    uptime: float | None,
) -> None:
    camera = next(c for c in fleet.cameras if c.camera_id == camera_id)
    assert camera.checks == checks
    assert camera.share_compliant == (pytest.approx(share) if share is not None else None)
    assert camera.days_non_compliant == non_compliant_days
    assert camera.zone_exposure_days == zone_days
    assert camera.offline_hours == pytest.approx(offline_h)
    assert camera.uptime == (pytest.approx(uptime) if uptime is not None else None)


def test_deviations_have_start_end_time_to_fix_and_notes(fleet: FleetFigures) -> None:
    cameras = {c.camera_id: c for c in fleet.cameras}
    (moved,) = cameras["cam-01"].deviations
    assert (moved.problem, moved.start, moved.end) == (
        "redirected",
        "2026-03-11T02:15:07+00:00",
        "2026-03-14T02:15:07+00:00",
    )
    assert moved.time_to_fix_h == pytest.approx(72.0)
    assert [(n.actor, n.note) for n in moved.notes] == [("reviewer-ann", "site visit planned")]
    assert [d.problem for d in cameras["cam-03"].deviations] == ["zone_exposed", "zone_exposed"]
    assert [d.problem for d in cameras["cam-02"].deviations] == ["offline"]
    assert cameras["cam-00"].deviations == []  # its alert of December 2025 closed in 2025
    assert fleet.totals.deviations == 4
    assert fleet.totals.non_compliance_deviations == 3


def test_figures_are_the_same_in_either_dialect(tmp_path: Path, database_location: str) -> None:
    store = make_store(tmp_path / "store", {"cam-01": "north", "cam-02": "north"}, sample_bgr("astronaut"))
    schedule = {camera_id: SCHEDULE[camera_id] for camera_id in ("cam-01", "cam-02")}
    with Database(database_location) as database:
        write_scans(database, schedule, START)
        write_alerts(database, troubles_of(schedule), START)
        fleet = yearly_figures(database, store, 2026, ["cam-01", "cam-02"])
        store.remove_camera("cam-02")
        (removed,) = removed_cameras(store, database, LocalTime().year_bounds(2026))
    moved, dark = fleet.cameras
    assert moved.share_compliant == pytest.approx(0.9)
    assert moved.deviations[0].time_to_fix_h == pytest.approx(72.0)
    assert dark.offline_hours == pytest.approx(96.0)
    assert fleet.totals.deviations == 2
    assert (removed.camera_id, removed.group) == ("cam-02", "north")


def test_rebaselines_are_those_of_the_year(fleet: FleetFigures) -> None:
    (rebaseline,) = next(c for c in fleet.cameras if c.camera_id == "cam-01").rebaselines
    assert (rebaseline.at, rebaseline.approved_by, rebaseline.reason, rebaseline.view_moved) == (
        "2026-03-20T10:00:00+00:00",
        "head-of-ops",
        "pole replaced after a storm",
        (0.031, -0.004),
    )


def test_timeline_has_each_days_worst_status_and_outside_share(fleet: FleetFigures) -> None:
    camera = next(c for c in fleet.cameras if c.camera_id == "cam-01")
    assert camera.day_status.shape == (365,)
    assert camera.day_status[MARCH_1 - 1] == DayStatus.NOT_MONITORED
    assert camera.day_status[MARCH_1 + 10] == DayStatus.REDIRECTED
    assert camera.day_status[MARCH_1 + 13] == DayStatus.COMPLIANT
    assert camera.day_outside[MARCH_1 + 11] == pytest.approx(0.12)
    assert camera.max_outside == pytest.approx(0.12)
    assert int(fleet.monthly_counts[2].sum()) == 30 * 9  # every check of March (cam-04 has none)


def test_permit_facts_and_certified_move(fleet: FleetFigures) -> None:
    camera = fleet.cameras[0]
    assert camera.permit is not None
    assert camera.permit.decision_reference == "KS-2026-001"
    assert camera.permit.hours_per_day == pytest.approx(8.0)
    # the zone is the triangle (5%, 5%), (30%, 5%), (30%, 30%) of the frame
    assert camera.permit.zone_share == pytest.approx(0.25 * 0.25 / 2)
    assert camera.certified_move is not None
    assert camera.certified_move.shift_fraction == pytest.approx(0.02)


@pytest.mark.parametrize(
    ("windows", "words"),
    [
        ((), "all day and all night, every day"),
        (("22:00-06:00",), "every day from 22:00 to 06:00"),
        (("07:00-09:00", "16:00-18:00"), "every day from 07:00 to 09:00 and from 16:00 to 18:00"),
    ],
)
def test_permitted_hours_in_words(windows: tuple[str, ...], words: str) -> None:
    assert hours_in_words(windows) == words
    if windows:
        assert hours_in_words(windows, "Stockholm time") == f"{words} (Stockholm time)"


# exports


def test_csv_and_json_hold_the_same_figures(built: Built, fleet: FleetFigures) -> None:
    rows = {
        row["camera_id"]: row
        for row in csv.DictReader(io.StringIO((built.yearly / "figures.csv").read_text(encoding="utf-8-sig")))
    }
    assert len(rows) == 10
    assert float(rows["cam-01"]["share_compliant"]) == pytest.approx(0.9)
    assert rows["cam-04"]["share_compliant"] == ""
    assert rows["cam-00"]["assessment_written"] == "True"
    document = json.loads((built.yearly / "figures.json").read_text())
    assert document["totals"]["deviations"] == fleet.totals.deviations
    cam01 = next(c for c in document["cameras"] if c["camera_id"] == "cam-01")
    assert cam01["daily_status"][MARCH_1 + 10] == str(int(DayStatus.REDIRECTED))
    assert cam01["deviations"][0]["time_to_fix_h"] == pytest.approx(72.0)


# pages


class _Page(HTMLParser):
    """What the checks need of a page: its lang, images, links, resources and headings."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.images: list[dict[str, str | None]] = []
        self.links: list[str] = []
        self.resources: list[str] = []
        self.headings: list[int] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if tag == "html":
            self.lang = values.get("lang")
        elif tag == "img":
            self.images.append(values)
        elif tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))
        elif tag in ("script", "link", "iframe", "object", "embed", "video", "audio", "source"):
            self.resources.append(f"<{tag} {values}>")
        elif len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.headings.append(int(tag[1]))


def _pages(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.html"))


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


_MAGIC = {"image/png": b"\x89PNG", "image/jpeg": b"\xff\xd8\xff", "image/svg+xml": b"<?xml"}


@pytest.mark.parametrize("kind", ["yearly", "register"])
def test_pages_are_valid_self_contained_and_accessible(built: Built, kind: str) -> None:
    folder = getattr(built, kind)
    pages = _pages(folder)
    assert len(pages) == (11 if kind == "yearly" else 5)  # the register: index, 2 areas, their old names
    for path in pages:
        page = _parse(path)
        assert page.lang == "en", path
        assert page.resources == [], path
        assert page.headings[0] == 1, (path, page.headings)
        assert page.headings.count(1) == 1, (path, page.headings)
        assert all(b - a <= 1 for a, b in zip(page.headings, page.headings[1:], strict=False)), (
            path,
            page.headings,
        )
        for image in page.images:
            alt, src = (image.get("alt") or "").strip(), str(image.get("src") or "")
            assert len(alt) > 10, (path, image.get("alt"))
            header, _, body = src.partition(",")
            assert header.startswith("data:"), (path, src[:40])
            assert header.endswith(";base64"), (path, src[:40])
            assert base64.b64decode(body, validate=True).startswith(_MAGIC[header[5:-7]]), (path, header)
        for link in page.links:
            assert not link.startswith(("http:", "https:", "//")), (path, link)
            target, _, anchor = link.partition("#")
            linked = (path.parent / target).resolve() if target else path
            assert linked.is_file(), (path, link)
            if anchor:
                assert anchor in _parse(linked).ids, (path, link)


def test_camera_page_shows_the_key_sections(built: Built) -> None:
    html = (built.yearly / "cameras" / "cam-01.html").read_text(encoding="utf-8")
    for text in (
        "KS-2026-002",
        "to keep the market entrance safe at night",
        "every day from 22:00 to 06:00",
        "Permit drawing",
        "2026-03-11 02:15",
        "72 h (3.0 days)",
        "site visit planned",
        "head-of-ops",
        "pole replaced after a storm",
        "+3.1% across, -0.4% up/down; the permit's drawing moved with it",
        "2.0% of the frame",
        "Keep, narrow the view.",
    ):
        assert text in html, text
    assert html.count("<img") == 2  # the drawing, the timeline (strip and chart on one axis)
    placeholder = (built.yearly / "cameras" / "cam-02.html").read_text(encoding="utf-8")
    assert "To be completed." in placeholder
    assert "weighing/2026/cam-02.json" in placeholder
    exposures = (built.yearly / "cameras" / "cam-03.html").read_text(encoding="utf-8")
    assert "2026-03-03" in exposures
    assert "2026-03-21" in exposures


def test_register_speaks_plain_language(built: Built) -> None:
    area = (built.register / "areas" / "north.html").read_text(encoding="utf-8")
    for text in (
        "The camera is at Market square entrance 1.",
        "To keep the market entrance safe at night.",
        "The camera may film every day from 22:00 to 06:00 (UTC).",
        "This is allowed until 31 December 2027.",
        "privacy@example.org",
        "Camera view of Market square entrance 1.",
    ):
        assert text in area, text
    index = (built.register / "index.html").read_text(encoding="utf-8")
    assert "Town Hall, Market Square 1" in index
    assert "Area north" in index


def test_drawing_covers_the_privacy_zone(built: Built) -> None:
    import cv2
    import numpy as np

    page = _parse(built.yearly / "cameras" / "cam-00.html")
    src = str(page.images[0]["src"])
    image = cv2.imdecode(np.frombuffer(base64.b64decode(src.partition(",")[2]), np.uint8), cv2.IMREAD_COLOR)
    height, width = image.shape[:2]
    # inside the zone triangle (5%..30% of the frame, above its diagonal): the grey fill
    inside = image[int(0.1 * height), int(0.25 * width)].astype(int)
    assert np.abs(inside - 70).max() <= 12, inside


def test_every_drawing_goes_through_protect_and_is_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = make_store(tmp_path / "store", {"cam-a": "north", "cam-b": "north"}, sample_bgr("astronaut"))
    calls: list[tuple[int, ...]] = []
    real = drawing.protect

    def spy(image, settings=None):  # type: ignore[no-untyped-def]
        calls.append(image.shape)
        return real(image, settings)

    monkeypatch.setattr(drawing, "protect", spy)
    from fov_monitor.faces.privacy import PrivacySettings

    first = drawing.permit_drawings(store, ["cam-a", "cam-b"], PrivacySettings(), jobs=1)
    assert len(calls) == 2
    assert all(shape[1] <= drawing.WORK_WIDTH_PX for shape in calls)
    again = drawing.permit_drawings(store, ["cam-a", "cam-b"], PrivacySettings(), jobs=1)
    assert len(calls) == 2, "the second build reuses the protected references"
    assert again == first
    drawing.permit_drawings(store, ["cam-a"], PrivacySettings(blur_faces=True, keep_unblurred=True), jobs=1)
    assert len(calls) == 3, "other privacy settings are another cache entry"


def test_drawings_never_show_a_face_whatever_the_stores_settings(tmp_path: Path) -> None:
    from fov_monitor.faces.detection import detect_faces
    from fov_monitor.faces.privacy import PrivacySettings

    astronaut = sample_bgr("astronaut")
    assert len(detect_faces(astronaut)) >= 1
    store = make_store(tmp_path / "store", {"cam-a": "north"}, astronaut)  # an unblurred reference
    (drawn,) = drawing.permit_drawings(store, ["cam-a"], PrivacySettings(blur_faces=False), jobs=1).values()
    for uri in (drawn.yearly_uri, drawn.register_uri):
        assert uri is not None
        image = cv2.imdecode(
            np.frombuffer(base64.b64decode(uri.partition(",")[2]), np.uint8), cv2.IMREAD_COLOR
        )
        assert len(detect_faces(image)) == 0


# bad input


def test_group_selects_its_cameras(built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "south"
    code, printed, _ = run_main(
        capsys, "--store", built.store, "report", "yearly", "--year", "2026", "--group", "south", "--out", out
    )
    assert code == 0, printed
    assert sorted(p.stem for p in (out / "cameras").iterdir()) == [
        "cam-05",
        "cam-06",
        "cam-07",
        "cam-08",
        "cam-09",
    ]
    assert "group <strong>south</strong>" in (out / "index.html").read_text(encoding="utf-8")


def test_every_report_written_is_audited(built: Built) -> None:
    with Database(Store(built.store).database_path) as database:
        written = {
            entry.detail["out"]: entry
            for entry in database.audit_entries(limit=10_000)
            if entry.action == "report written"
        }
    yearly, register = written[str(built.yearly.resolve())], written[str(built.register.resolve())]
    assert (yearly.detail["kind"], yearly.detail["year"], yearly.detail["cameras"]) == ("yearly", 2026, 10)
    assert (register.detail["kind"], register.detail["cameras"], register.detail["not_reported"]) == (
        "register",
        len(Store(built.store).camera_ids()),
        [],
    )
    assert yearly.actor == register.actor != ""


@pytest.mark.parametrize(
    ("options", "fragments"),
    [
        (["--year", "2026", "--group", "harbour"], ["'harbour'", "north, south"]),
        (["--year", "1999"], ["--year 1999", "2000"]),
        (["--year", "2999"], ["--year 2999"]),
    ],
)
def test_bad_options_are_one_line_errors(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], fragments: list[str]
) -> None:
    out = tmp_path / "out"
    assert_cli_error(
        run_main(capsys, "--store", built.store, "report", "yearly", *options, "--out", out), *fragments
    )
    assert not out.exists()


def test_unwritable_out_is_a_one_line_error(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = run_main(
        capsys, "--store", built.store, "report", "yearly", "--year", "2026", "--out", blocker / "out"
    )
    assert_cli_error(result, "cannot write the report")
    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "thesis.txt").write_text("mine", encoding="utf-8")
    result = run_main(capsys, "--store", built.store, "report", "register", "--out", foreign)
    assert_cli_error(result, "not an fov-monitor report")
    assert [p.name for p in foreign.iterdir()] == ["thesis.txt"]


def test_register_needs_the_organisation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = make_store(tmp_path / "store", {"cam-a": "north"}, sample_bgr("astronaut"))
    (store.root / "organisation.json").unlink()
    assert_cli_error(
        run_main(capsys, "--store", store.root, "report", "register", "--out", tmp_path / "r"),
        "organisation.json is missing",
    )
    (store.root / "organisation.json").write_text(
        '{"schema_version": 1, "name": "x", "contact": "y"}', encoding="utf-8"
    )
    assert_cli_error(
        run_main(capsys, "--store", store.root, "report", "register", "--out", tmp_path / "r"),
        "'address' is missing",
    )
    assert not (tmp_path / "r").exists()


def test_failed_build_leaves_no_half_report_and_keeps_the_earlier_one(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    shutil.copytree(built.store, store)
    out = tmp_path / "out"
    shutil.copytree(built.yearly, out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    # the sixth camera's timeline cannot be drawn: the build fails after the pages before it were written
    drawn: list[int] = []
    real = charts.Timeline.render

    def failing(self: charts.Timeline, *args: object) -> str:
        drawn.append(1)
        if len(drawn) == 6:
            raise ReportError("could not encode the timeline as PNG")
        return real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(charts.Timeline, "render", failing)
    result = run_main(capsys, "--store", store, "report", "yearly", "--year", "2026", "--out", out)
    assert_cli_error(result, "could not encode the timeline")
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "store"]


# in a real browser


def _open(browser: object, path: Path):  # type: ignore[no-untyped-def]
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(path.as_uri())
    return page


def _images_loaded(page) -> bool:  # type: ignore[no-untyped-def]
    return bool(page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"))


def test_yearly_report_in_chromium_shows_its_sections_and_prints(built: Built, browser: object) -> None:
    page = _open(browser, built.yearly / "index.html")
    try:
        for name in ("Organisation summary", "Groups", "Cameras", "How the figures are counted"):
            assert page.get_by_role("heading", name=name, exact=True).is_visible(), name
        assert _images_loaded(page)
        page.get_by_role("link", name="Camera cam-01").click()
        page.wait_for_load_state()
        assert page.url.endswith("cameras/cam-01.html")
        for name in ("Permit and purpose", "Permit drawing", "Compliance over the year", "Deviations",
                     "Re-baselines", "Privacy-zone exposures", "Uptime", "Smallest detectable move",
                     "Yearly weighing: value against intrusion"):  # fmt: skip
            assert page.get_by_role("heading", name=name, exact=True).is_visible(), name
        assert _images_loaded(page)
        pdf = page.pdf(format="A4")
        assert pdf.startswith(b"%PDF")
        assert len(pdf) > 20_000
    finally:
        page.close()


def test_register_in_chromium_shows_where_why_when_and_who(built: Built, browser: object) -> None:
    page = _open(browser, built.register / "index.html")
    try:
        assert page.get_by_role("heading", name="Who to ask").is_visible()
        page.get_by_role("link", name="Area south").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="Camera cam-05").is_visible()
        assert page.get_by_role("img", name="Camera view of Market square entrance 6.").first.is_visible()
        assert _images_loaded(page)
        assert page.pdf(format="A4").startswith(b"%PDF")
    finally:
        page.close()


# cameras that cannot be read


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(
    ("damaged", "file", "fix"),
    [
        ("camera.json", "camera.json", "restore cam-02/camera.json"),
        ("permit.json", "permit.json", "fov-monitor permit set cam-02"),
        ("references/day.json", "references/*.json", "fov-monitor reference rebaseline cam-02"),
        ("references/day.png", "references/*.png", "fov-monitor reference rebaseline cam-02"),
    ],
)
def test_a_damaged_camera_is_named_not_reported_and_the_rest_is(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str], damaged: str, file: str, fix: str
) -> None:
    store = tmp_path / "store"
    shutil.copytree(built.store, store)  # the cache of blurred references too: a warm build
    _truncate(store / "cam-02" / damaged)
    out = tmp_path / "yearly"
    code, printed, errors = run_main(
        capsys, "--store", store, "report", "yearly", "--year", "2026", "--out", out
    )
    assert code == 4, errors
    assert "report of 9 cameras" in printed
    (warning,) = errors.strip().splitlines()
    assert warning.startswith("warning: camera cam-02 could not be read"), warning
    assert damaged.rsplit("/", 1)[-1] in warning, warning
    assert fix in warning, warning
    assert sorted(p.stem for p in (out / "cameras").iterdir()) == [c for c in SCHEDULE if c != "cam-02"]
    index = (out / "index.html").read_text(encoding="utf-8")
    section = index[index.index('<section id="not-reported"') : index.index('<section id="summary"')]
    assert "Cameras that could not be reported" in section
    assert "<td>cam-02</td>" in section
    assert f"<code>{file}</code>" in section
    assert fix in section
    assert "1 camera could not be reported" in index
    rows = {
        row["camera_id"]: row
        for row in csv.DictReader(io.StringIO((out / "figures.csv").read_text(encoding="utf-8-sig")))
    }
    assert fix in rows["cam-02"]["not_reported"]
    assert rows["cam-02"]["checks"] == ""
    assert rows["cam-01"]["not_reported"] == ""
    document = json.loads((out / "figures.json").read_text())
    (entry,) = document["not_reported"]
    assert (entry["camera_id"], entry["damaged"]) == ("cam-02", file)
    assert document["totals"]["cameras"] == 9
    assert "cam-02" not in {c["camera_id"] for c in document["cameras"]}

    register = tmp_path / "register"
    code, printed, errors = run_main(capsys, "--store", store, "report", "register", "--out", register)
    assert code == 4, errors
    assert "register of 9 cameras" in printed
    (warning,) = errors.strip().splitlines()
    assert "cam-02" in warning, warning
    assert fix in warning, warning
    assert "camera-cam-02" not in (register / "areas" / "north.html").read_text(encoding="utf-8")
    assert "camera-cam-01" in (register / "areas" / "north.html").read_text(encoding="utf-8")


def test_a_camera_without_readable_settings_is_named_in_every_groups_report(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    shutil.copytree(built.store, store)
    _truncate(store / "cam-02" / "camera.json")  # a north camera; its group cannot be read
    out = tmp_path / "south"
    code, _, errors = run_main(
        capsys, "--store", store, "report", "yearly", "--year", "2026", "--group", "south", "--out", out
    )
    assert code == 4
    assert "cam-02" in errors
    assert "<td>cam-02</td><td>unknown</td>" in (out / "index.html").read_text(encoding="utf-8")
    assert len(list((out / "cameras").iterdir())) == 5


def test_an_undamaged_store_exits_zero_without_a_not_reported_section(built: Built) -> None:
    index = (built.yearly / "index.html").read_text(encoding="utf-8")
    assert "not-reported" not in index
    assert json.loads((built.yearly / "figures.json").read_text())["not_reported"] == []


# the register of one group


def test_register_of_one_group(built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "south"
    code, printed, _ = run_main(
        capsys, "--store", built.store, "report", "register", "--group", "south", "--out", out
    )
    assert code == 0, printed
    assert "register of 5 cameras" in printed
    assert sorted(p.name for p in (out / "areas").iterdir()) == ["01-south.html", "south.html"]
    assert "This page is about the area south." in (out / "index.html").read_text(encoding="utf-8")
    missing = tmp_path / "harbour"
    result = run_main(
        capsys, "--store", built.store, "report", "register", "--group", "harbour", "--out", missing
    )
    assert_cli_error(result, "'harbour'", "north, south")
    assert not missing.exists()


# local time


STOCKHOLM_HISTORY = {
    "2025-12-31T23:30:00+00:00": R,  # 1 January 2026, 00:30 in Stockholm
    "2026-03-28T23:30:00+00:00": C,  # 29 March, 00:30 (winter time, UTC+1)
    "2026-03-29T22:30:00+00:00": Z,  # 30 March, 00:30 (summer time since 29 March 03:00, UTC+2)
    "2026-12-31T23:30:00+00:00": "tampered",  # 1 January 2027 in Stockholm
}
MARCH_29 = MARCH_1 + 28


def _set_timezone(store: Path, name: str | None) -> None:
    organisation = dict(ORGANISATION) | ({"timezone": name} if name is not None else {})
    (store / "organisation.json").write_text(json.dumps(organisation), encoding="utf-8")


@pytest.fixture(scope="module")
def local_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """One camera scanned around new year and summer time; an alert opened at 23:30 UTC on 31 December."""
    store = make_store(
        tmp_path_factory.mktemp("local") / "store", {"cam-a": "north"}, sample_bgr("astronaut")
    )
    with Database(store.database_path) as database:
        for at, outcome in STOCKHOLM_HISTORY.items():
            write_scan_run(database, at, {"cam-a": outcome})
        write_alert(database, "cam-a", R, "2025-12-31T23:30:00+00:00", "2026-01-01T01:00:00+00:00")
        write_rebaseline(database, "cam-a", "2026-03-29T01:30:00+00:00")  # 03:30 summer time
    return store


@pytest.mark.parametrize(
    ("timezone", "year", "checks", "deviation_starts", "rebaselines"),
    [
        ("Europe/Stockholm", 2026, 3, ["2026-01-01T00:30:00+01:00"], ["2026-03-29T03:30:00+02:00"]),
        ("Europe/Stockholm", 2025, 0, [], []),
        ("UTC", 2026, 3, ["2025-12-31T23:30:00+00:00"], ["2026-03-29T01:30:00+00:00"]),  # carried over
        ("UTC", 2025, 1, ["2025-12-31T23:30:00+00:00"], []),
    ],
)
def test_the_year_is_the_organisations_local_year(
    local_store: Store,
    timezone: str,
    year: int,
    checks: int,
    deviation_starts: list[str],
    rebaselines: list[str],
) -> None:
    with Database(local_store.database_path) as database:
        fleet = yearly_figures(database, local_store, year, ["cam-a"], clock=LocalTime(timezone))
    (camera,) = fleet.cameras
    assert camera.checks == checks
    assert [d.start for d in camera.deviations] == deviation_starts
    assert [r.at for r in camera.rebaselines] == rebaselines
    assert fleet.timezone == timezone


@pytest.mark.parametrize(
    ("timezone", "day", "status"),
    [
        ("Europe/Stockholm", 0, DayStatus.REDIRECTED),
        ("Europe/Stockholm", MARCH_29 - 1, DayStatus.NOT_MONITORED),
        ("Europe/Stockholm", MARCH_29, DayStatus.COMPLIANT),
        ("Europe/Stockholm", MARCH_29 + 1, DayStatus.ZONE_EXPOSED),  # UTC+1 all year would say 29 March
        ("Europe/Stockholm", 364, DayStatus.NOT_MONITORED),
        ("UTC", 0, DayStatus.NOT_MONITORED),
        ("UTC", MARCH_29 - 1, DayStatus.COMPLIANT),
        ("UTC", MARCH_29, DayStatus.ZONE_EXPOSED),
        ("UTC", 364, DayStatus.TAMPERED),
    ],
)
def test_timeline_days_are_local_days(local_store: Store, timezone: str, day: int, status: DayStatus) -> None:
    with Database(local_store.database_path) as database:
        fleet = yearly_figures(database, local_store, 2026, ["cam-a"], clock=LocalTime(timezone))
    assert fleet.cameras[0].day_status[day] == status


def test_local_figures_around_new_year_and_summer_time(local_store: Store) -> None:
    with Database(local_store.database_path) as database:
        fleet = yearly_figures(database, local_store, 2026, ["cam-a"], clock=LocalTime("Europe/Stockholm"))
    (camera,) = fleet.cameras
    (deviation,) = camera.deviations
    assert deviation.end == "2026-01-01T02:00:00+01:00"
    assert deviation.time_to_fix_h == pytest.approx(1.5)
    assert deviation.notes[0].at == "2026-01-01T07:30:00+01:00"
    assert [e.day for e in camera.zone_exposures] == ["2026-03-30"]
    assert fleet.monthly_counts[0].tolist() == [0, 1, 0, 0, 0, 0, 0, 0]  # the redirect of 1 January
    assert fleet.totals.open_at_year_end == 0


def test_local_time_days_and_bounds() -> None:
    stockholm = LocalTime("Europe/Stockholm")
    assert stockholm.year_bounds(2026) == ("2025-12-31T23:00:00", "2026-12-31T23:00:00")
    assert stockholm.label == "Stockholm time"
    hours = [(b - a) / 3600 for a, b in itertools.pairwise(stockholm.day_starts_s(2026))]
    assert len(hours) == 365
    assert hours[MARCH_29] == 23  # summer time starts
    assert hours[297] == 25  # 25 October: it ends
    assert hours.count(24) == 363
    assert LocalTime().year_bounds(2026) == ("2026-01-01T00:00:00", "2027-01-01T00:00:00")
    assert LocalTime("America/New_York").label == "New York time"


def test_report_and_register_show_local_time(
    local_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    shutil.copytree(local_store.root, store)
    _set_timezone(store, "Europe/Stockholm")
    yearly, register = tmp_path / "yearly", tmp_path / "register"
    code, _printed, errors = run_main(
        capsys, "--store", store, "report", "yearly", "--year", "2026", "--out", yearly
    )
    assert code == 0, errors
    page = (yearly / "cameras" / "cam-a.html").read_text(encoding="utf-8")
    for text in ("2026-01-01 00:30", "2026-01-01 02:00", "2026-03-29 03:30", "2026-03-30",
                 "every day from 22:00 to 06:00 (Stockholm time)"):  # fmt: skip
        assert text in page, text
    index = (yearly / "index.html").read_text(encoding="utf-8")
    assert "31 December 2026 (Stockholm time)" in index
    assert "Days and times are in Stockholm time (Europe/Stockholm)" in index
    assert json.loads((yearly / "figures.json").read_text())["timezone"] == "Europe/Stockholm"
    assert run_main(capsys, "--store", store, "report", "register", "--out", register)[0] == 0
    area = (register / "areas" / "north.html").read_text(encoding="utf-8")
    assert "The camera may film every day from 22:00 to 06:00 (Stockholm time)." in area


@pytest.mark.parametrize("name", ["Europe/Stokholm", "Europe", "", "CET+1"])
@pytest.mark.parametrize("kind", ["yearly", "register"])
def test_an_unknown_timezone_is_a_one_line_error(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, kind: str
) -> None:
    store = tmp_path / "store"
    shutil.copytree(built.store, store, ignore=shutil.ignore_patterns(".cache", "*.sqlite*"))
    shutil.copy(built.store / "fov-monitor.sqlite", store / "fov-monitor.sqlite")
    _set_timezone(store, name)
    options = ["--year", "2026"] if kind == "yearly" else []
    result = run_main(capsys, "--store", store, "report", kind, *options, "--out", tmp_path / "out")
    assert_cli_error(result, "organisation.json", "'timezone'", repr(name), "Europe/Stockholm")
    assert not (tmp_path / "out").exists()


# smaller things an auditor and a reader notice


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_the_timelines_kinds_of_day_reach_3_to_1_against_each_other() -> None:
    no_verdict = ("NOT_MONITORED", "UNVERIFIABLE", "OFFLINE", "ERROR")
    not_compliant = ("REDIRECTED", "ZONE_EXPOSED", "TAMPERED", "OUTSIDE_DECISION")
    kinds = [no_verdict, ("COMPLIANT",), not_compliant]
    colours = {status.name: colour for status, colour in charts.STATUS_COLOURS.items()}
    for first, second in itertools.combinations(kinds, 2):
        for a, b in itertools.product(first, second):
            light, dark = sorted((_luminance(colours[a]), _luminance(colours[b])), reverse=True)
            assert (light + 0.05) / (dark + 0.05) >= 3.0, (a, b)


def test_every_table_has_a_caption(built: Built) -> None:
    for path in _pages(built.yearly):
        html = path.read_text(encoding="utf-8")
        assert html.count("<table>") == html.count("<table>\n<caption>"), path


@pytest.mark.parametrize(("year", "march_1"), [(2026, 59), (2028, 60)])
def test_the_strip_and_the_chart_share_one_time_axis_with_month_ticks(year: int, march_1: int) -> None:
    timeline = charts.Timeline(year)
    strip, chart = timeline.strip_axes, timeline.axes
    assert strip.get_shared_x_axes().joined(strip, chart)
    assert strip.get_position().x0 == pytest.approx(chart.get_position().x0)
    assert strip.get_position().x1 == pytest.approx(chart.get_position().x1)
    assert chart.get_xlim() == (-0.5, timeline.days - 0.5)
    ticks = list(chart.get_xticks())
    assert len(ticks) == 12
    assert ticks[2] == march_1
    assert [label.get_text() for label in chart.get_xticklabels()][:3] == ["Jan", "Feb", "Mar"]
