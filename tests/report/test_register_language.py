"""The public register in Swedish: every page, in plain Swedish, marked as Swedish."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fov_monitor.cli import main
from tests.report.conftest import warm
from tests.support.images import sample_bgr
from tests.support.report_history import ORGANISATION, make_store

ENGLISH_WORDS = re.compile(r"\b(the|camera|cameras|may|film|decision|ask us|who|where|when|why)\b", re.I)


def _register(tmp_path: Path, view_cache: Path, *options: str) -> Path:
    store = warm(
        make_store(
            tmp_path / "store", {"cam-1": "Södra hamnen", "cam-2": "Södra hamnen"}, sample_bgr("astronaut")
        ),
        view_cache,
    )
    told = ORGANISATION | {
        "language": "sv",
        "retention": "inspelningarna raderas efter 7 dagar",
        "timezone": "Europe/Stockholm",
    }
    (store.root / "organisation.json").write_text(json.dumps(told), encoding="utf-8")
    out = tmp_path / "register"
    assert main(["--store", str(store.root), "report", "register", *options, "--out", str(out)]) == 0
    return out


def _text(page: str) -> str:
    """The words a reader sees: no markup, no embedded pictures, no style sheet."""
    page = re.sub(r"<style>.*?</style>|<head>.*?</head>", " ", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", page)


def test_the_register_is_in_swedish_when_the_organisation_writes_swedish(
    tmp_path: Path, view_cache: Path
) -> None:
    out = _register(tmp_path, view_cache)
    index = (out / "index.html").read_text(encoding="utf-8")
    area = (out / "areas" / "sodra-hamnen.html").read_text(encoding="utf-8")
    for page in (index, area):
        assert '<html lang="sv">' in page
    assert "Municipality of Example använder 2 kameror på allmänna platser." in index
    assert "Området Södra hamnen</a> (2 kameror)" in index
    assert "Kameran får filma alla dagar kl. 22.00\u201306.00 (svensk tid)." in area
    assert "Det är tillåtet till och med den 31 december 2027." in area
    assert "Ansikten är suddade." in area
    assert "1 privat plats är täckt med grått." in area
    # The supervisory authority the organisation left to fov-monitor is named in Swedish too.
    assert "Integritetsskyddsmyndigheten (IMY), www.imy.se" in area
    # The organisation's own words (its name, contact, address, camera names, the purpose) stay as
    # written; what fov-monitor writes itself is Swedish.
    own = " ".join(
        [*map(str, ORGANISATION.values()), "Camera cam-1", "to keep the market entrance safe at night"]
    )
    for page in (index, area):
        leftover = [word for word in ENGLISH_WORDS.findall(_text(page)) if word.lower() not in own.lower()]
        assert not leftover, leftover


def test_the_command_asks_for_english_over_the_organisations_swedish(
    tmp_path: Path, view_cache: Path
) -> None:
    out = _register(tmp_path, view_cache, "--language", "en")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in index
    assert "Municipality of Example uses 2 cameras in public places." in index
    # The organisation's Swedish words in an English page are marked Swedish, for screen readers;
    # what fov-monitor wrote for it is English.
    area = (out / "areas" / "sodra-hamnen.html").read_text(encoding="utf-8")
    assert '<span lang="sv">Inspelningarna raderas efter 7 dagar.</span>' in area
    assert "the Swedish Authority for Privacy Protection (IMY), www.imy.se." in area
    assert 'lang="sv">the Swedish Authority' not in area


def test_an_unknown_organisation_language_stops_the_register_in_one_line_and_writes_nothing(
    tmp_path: Path, view_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = warm(make_store(tmp_path / "store", {"cam-1": "Norr"}, sample_bgr("astronaut")), view_cache)
    (store.root / "organisation.json").write_text(
        json.dumps(ORGANISATION | {"language": "de"}), encoding="utf-8"
    )
    out = tmp_path / "register"
    assert main(["--store", str(store.root), "report", "register", "--out", str(out)]) != 0
    error = capsys.readouterr().err
    assert error.count("\n") == 1, error
    assert "organisation.json" in error, error
    assert "'language'" in error, error
    assert not out.exists()
