"""The yearly report in Swedish: every page in plain Swedish, marked as Swedish, its numbers as a Swede
writes them; the exports stay English for programs, and words in another language are marked so."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from fov_monitor.cli import main
from fov_monitor.core.result import Outcome
from fov_monitor.db.database import Database
from fov_monitor.i18n import Language, outcome_word
from fov_monitor.report.clock import LocalTime, Period
from fov_monitor.report.wording import day_time, hours, percent
from tests.report.conftest import warm
from tests.support.images import sample_bgr
from tests.support.report_history import (
    ORGANISATION,
    make_store,
    troubles_of,
    write_alerts,
    write_rebaseline,
    write_scans,
)

TOLD_IN_SWEDISH = ORGANISATION | {
    "name": "Exempelstads kommun",
    "contact": "kameror@exempelstad.example.se, 012-345 67 89",
    "address": "Stadshuset, Torget 1, 123 45 Exempelstad",
    "responsible": "chefen för ordningsenheten",
    "timezone": "Europe/Stockholm",
    "language": "sv",
}
SCHEDULE = {
    "cam-1": ["compliant"] * 20
    + ["redirected"] * 4
    + ["compliant"] * 10
    + ["zone_exposed"]
    + ["offline"] * 3,
    "cam-2": ["compliant"] * 30 + ["tampered"] + ["compliant"] * 7,
}
WEIGHING = {
    "purpose": "Att göra hamnen trygg på natten.",
    "value": "Färre stölder vid entrén.",
    "intrusion": "Den som går förbi filmas.",
    "alternatives": "Bättre belysning prövades först.",
    "measures": "Skolgården är ett skyddat område.",
    "conclusion": "continue",
    "conclusion_note": "Fortsätt som i dag.",
    "assessed_by": "A. Berg",
    "assessed_at": "2027-01-15",
}
TYPED_BY_PEOPLE = (
    *(f"Camera cam-{n}" for n in (1, 2)),
    *(f"Market square entrance {n}" for n in (1, 2)),
    "to keep the market entrance safe at night",
    "school",
    "site visit planned",
    "pole replaced after a storm",
    "head-of-ops",
    ">day<",  # the reference's name
)
"""What people typed in English into the test store (names, places, the purpose, notes), left as typed."""
ENGLISH_WORDS = re.compile(
    r"\b(the|of|and|camera|cameras|check|checks|day|days|yearly|report|permit|decision|weighing|deviations?|"
    r"uptime|compliant|monitored|open|closed|none|unknown|share|group|alert|reference|view)\b",
    re.I,
)


@dataclass(frozen=True)
class Reports:
    swedish: Path
    """Swedish, as organisation.json asks."""
    english: Path
    """English by --language, over the organisation's Swedish."""
    swedish_by_option: Path
    """Swedish by --language, for an organisation.json without a language (English)."""
    english_by_default: Path
    """No language anywhere: English."""


def _build(store: Path, out: Path, *options: str) -> Path:
    assert (
        main(["--store", str(store), "report", "yearly", "--year", "2026", *options, "--out", str(out)]) == 0
    )
    return out


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory, view_cache: Path) -> Reports:
    root = tmp_path_factory.mktemp("yearly-language")
    store = warm(
        make_store(root / "store", {"cam-1": "Södra hamnen", "cam-2": "Norr"}, sample_bgr("astronaut")),
        view_cache,
    )
    with Database(store.database_path) as database:
        write_scans(database, SCHEDULE, date(2026, 3, 1))
        write_alerts(database, troubles_of(SCHEDULE), date(2026, 3, 1))
        write_rebaseline(database, "cam-1", "2026-03-20T10:00:00+00:00", moved=(0.031, -0.004))
    weighing = store.root / "weighing" / "2026"
    weighing.mkdir(parents=True)
    (weighing / "cam-1.json").write_text(json.dumps(WEIGHING), encoding="utf-8")
    organisation = store.root / "organisation.json"
    organisation.write_text(json.dumps(TOLD_IN_SWEDISH), encoding="utf-8")
    swedish = _build(store.root, root / "sv")
    english = _build(store.root, root / "en", "--language", "en")
    organisation.write_text(json.dumps(ORGANISATION), encoding="utf-8")
    return Reports(
        swedish,
        english,
        _build(store.root, root / "sv-option", "--language", "sv"),
        _build(store.root, root / "en-default"),
    )


def _pages(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(folder.rglob("*.html"))
    }


def _text(page: str) -> str:
    """The words a reader sees in the page's language: no markup, pictures, style, or parts marked
    as written in another language (``lang="en"``: what fov-monitor recorded, e.g. a scan's reason)."""
    page = re.sub(r"<style>.*?</style>|<head>.*?</head>|<code>.*?</code>", " ", page, flags=re.S)
    page = re.sub(r'<(\w+)[^>]* lang="en"[^>]*>.*?</\1>', " ", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", page)


def _alt_texts(page: str) -> list[str]:
    return re.findall(r'<img [^>]*alt="([^"]*)"', page)


def test_every_page_is_marked_swedish_and_has_no_english_left(reports: Reports) -> None:
    pages = _pages(reports.swedish)
    assert set(pages) == {"index.html", "cameras/cam-1.html", "cameras/cam-2.html"}
    for name, page in pages.items():
        assert '<html lang="sv">' in page, name
        for typed in TYPED_BY_PEOPLE:
            page = page.replace(typed, "> <" if typed.startswith(">") else " ")
        leftover = ENGLISH_WORDS.findall(_text(page) + " " + " ".join(_alt_texts(page)))
        assert not leftover, (name, leftover)


def test_the_swedish_index_says_the_period_and_figures_as_a_swede_writes_them(reports: Reports) -> None:
    index = (reports.swedish / "index.html").read_text(encoding="utf-8")
    assert "<h1>Uppföljning av kamerabevakningen 2026: Exempelstads kommun</h1>" in index
    assert "från 1 januari till 31 december 2026 (svensk tid)" in index
    assert "Dagar och tider anges i svensk tid (Europe/Stockholm)" in index
    assert re.search(r"<dt>Andel kontroller inom beslutet</dt><dd>\d+,\d\u00a0%</dd>", index)
    assert re.search(r"genomsnittlig drifttid \d+,\d\d\u00a0% av den kontrollerade tiden", index)
    assert "<dt>Årlig intresseavvägning gjord</dt><dd>för 1 av 2 kameror</dd>" in index
    assert "<td>fortsätta</td>" in index
    assert "<td>inte gjord än</td>" in index
    assert '<h2 id="definitions-title">Så räknas siffrorna</h2>' in index
    verdicts = ", ".join(outcome_word(outcome, Language.SV) for outcome in ("compliant", "redirected"))
    assert verdicts in index  # the share compliant's base names the outcomes in their own words
    assert "Kolumnnamnen och värdena i filerna är på engelska" in index


def test_the_swedish_camera_page_uses_the_outcomes_words_and_swedish_numbers(reports: Reports) -> None:
    page = (reports.swedish / "cameras" / "cam-1.html").read_text(encoding="utf-8")
    outcomes = re.findall(
        r'<th scope="col" class="num">([^<]*)</th>', page.split("Kontroller per resultat")[1]
    )
    assert outcomes[: len(Outcome)] == [outcome_word(outcome, Language.SV) for outcome in Outcome]
    assert "skyddat område synligt" in outcomes
    legend = page.split('<ul class="legend"')[1].split("</ul>")[0]
    for word in ("ingen kontroll", "inom beslutet", "omriktad", "manipulerad", "utanför beslutet"):
        assert f"</span>{word}</li>" in legend, word
    assert "alla dagar kl. 22.00\u201306.00 (svensk tid) (8,0 timmar per dygn)" in page
    assert "från 1 januari 2025 till och med 31 december 2027" in page
    assert "+3,1\u00a0% i sidled, -0,4\u00a0% i höjdled" in page
    assert "2026-03-20 11.00" in page  # the re-baseline at 10:00 UTC, on a Swedish clock
    assert re.search(r"\d+ h \(\d+,\d dygn\)", page)
    assert "panorering 1,20°, lutning 0,70°" in page
    assert "Bedömd av</dt><dd>A. Berg, 15 januari 2027</dd>" in page
    assert "<dt>Nyttan för syftet: vad kameran bidrar med</dt>" in page
    timeline = next(alt for alt in _alt_texts(page) if alt.startswith("Tidslinje"))
    assert "omriktad: 4 dagar" in timeline
    assert "skyddat område synligt: 1 dag" in timeline


def test_the_swedish_charts_speak_swedish(reports: Reports) -> None:
    index = (reports.swedish / "index.html").read_text(encoding="utf-8")
    charts = [
        base64.b64decode(uri).decode("utf-8")
        for uri in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', index)
    ]
    assert len(charts) == 2
    monthly, histogram = charts
    for word in ("kontroller", "jan.", "okt.", "inom beslutet", "nås inte"):
        assert word in monthly, word
    for word in ("andel kontroller inom beslutet", "kameror", "≥ 99\u00a0%"):
        assert word in histogram, word
    assert "checks" not in monthly
    assert "Jan" not in monthly


def test_the_exports_stay_english_whatever_the_pages_language(reports: Reports) -> None:
    exported = {}
    for folder in (reports.swedish, reports.english):
        rows = list(csv.DictReader(io.StringIO((folder / "figures.csv").read_text(encoding="utf-8-sig"))))
        document = json.loads((folder / "figures.json").read_text(encoding="utf-8"))
        exported[folder] = (rows, document["cameras"][0]["deviations"][0]["ending"])
    (swedish_rows, swedish_ending), (english_rows, english_ending) = exported.values()
    assert list(swedish_rows[0]) == list(english_rows[0])
    assert [row["weighing"] for row in swedish_rows] == ["continue", "to be completed"]
    assert swedish_ending == english_ending
    assert json.loads((reports.swedish / "figures.json").read_text(encoding="utf-8"))["daily_status_codes"][
        "0"
    ] == ("not_monitored")


def test_words_recorded_in_english_are_marked_english_on_a_swedish_page(reports: Reports) -> None:
    page = (reports.swedish / "cameras" / "cam-1.html").read_text(encoding="utf-8")
    assert '<span class="muted" lang="en">12.0% of the view is outside the permit</span>' in page
    assert ': <span lang="en">the camera is compliant again</span>' in page
    assert "stängt av kontrollkörning" in page
    assert '<dd class="owner-text"><p>Att göra hamnen trygg på natten.</p>' in page  # the owner's Swedish


def test_the_language_option_overrides_the_organisations(reports: Reports) -> None:
    english = (reports.english / "cameras" / "cam-1.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in english
    assert "<h1>Camera cam-1: yearly report 2026</h1>" in english
    assert "every day from 22:00 to 06:00 (Stockholm time)" in english
    # The organisation writes Swedish: on an English page its words are marked Swedish.
    assert '<dd class="owner-text" lang="sv"><p>Att göra hamnen trygg på natten.</p>' in english
    assert 'lang="en"' not in english.split("<body>")[1]
    swedish = (reports.swedish_by_option / "index.html").read_text(encoding="utf-8")
    assert '<html lang="sv">' in swedish
    assert "<h1>Uppföljning av kamerabevakningen 2026: Municipality of Example</h1>" in swedish
    assert "(UTC)" in swedish


def test_english_remains_the_default(reports: Reports) -> None:
    index = (reports.english_by_default / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in index
    assert "<h1>Yearly follow-up report 2026: Municipality of Example</h1>" in index
    assert "from 1 January to 31 December 2026 (UTC)" in index


@pytest.mark.parametrize(
    ("words", "english", "swedish"),
    [
        (lambda language: percent(0.125, 1, language), "12.5%", "12,5\u00a0%"),
        (lambda language: percent(0.9998, 2, language), "99.98%", "99,98\u00a0%"),
        (lambda language: percent(-0.004, 1, language, signed=True), "-0.4%", "-0,4\u00a0%"),
        (lambda language: percent(0.031, 1, language, signed=True), "+3.1%", "+3,1\u00a0%"),
        (lambda language: percent(None, 1, language), "-", "-"),
        (lambda language: hours(12.5, language), "12.5 h", "12,5 h"),
        (lambda language: hours(72.0, language), "72 h (3.0 days)", "72 h (3,0 dygn)"),
        (
            lambda language: day_time("2026-03-11T02:15:07+01:00", language),
            "2026-03-11 02:15",
            "2026-03-11 02.15",
        ),
        (lambda language: day_time(None, language), "still open", "pågår fortfarande"),
        (lambda language: LocalTime("Europe/Stockholm").label_in(language), "Stockholm time", "svensk tid"),
        (
            lambda language: LocalTime("Europe/Helsinki").label_in(language),
            "Helsinki time",
            "tid i Helsingfors",
        ),
        (lambda language: LocalTime().label_in(language), "UTC", "UTC"),
        (
            lambda language: Period(2026, date(2026, 12, 31)).in_words(language),
            "from 1 January to 31 December 2026",
            "från 1 januari till 31 december 2026",
        ),
        (
            lambda language: Period(2026, date(2026, 7, 1), date(2026, 7, 1)).in_words(language),
            "from 1 January 2026 to date, as of 1 July 2026",
            "från 1 januari 2026 till i dag (1 juli 2026)",
        ),
    ],
)
def test_figures_and_times_in_words(words: Callable[[Language], str], english: str, swedish: str) -> None:
    assert (words(Language.EN), words(Language.SV)) == (english, swedish)
