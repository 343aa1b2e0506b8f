"""Signs in the organisation's language, or the one a command asks for: Swedish as a Swede writes it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fov_monitor.cli import main
from tests.report.conftest import warm
from tests.support.images import sample_bgr
from tests.support.report_history import ORGANISATION, make_store

TOLD = ORGANISATION | {"register_url": "https://example.org/kameror/", "retention": ""}


def _signs(tmp_path: Path, view_cache: Path, organisation: dict[str, object], *options: str) -> Path:
    store = warm(
        make_store(tmp_path / "store", {"cam-1": "Södra hamnen"}, sample_bgr("astronaut")), view_cache
    )
    (store.root / "organisation.json").write_text(json.dumps(organisation), encoding="utf-8")
    out = tmp_path / "signs"
    assert main(["--store", str(store.root), "report", "signs", *options, "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize(
    ("organisation", "options"),
    [(TOLD | {"language": "sv"}, ()), (TOLD, ("--language", "sv"))],
    ids=["organisation.json", "--language"],
)
def test_a_swedish_sign_says_everything_in_swedish(
    tmp_path: Path, view_cache: Path, organisation: dict[str, object], options: tuple[str, ...]
) -> None:
    out = _signs(tmp_path, view_cache, organisation, *options)
    sign = (out / "signs" / "cam-1-a4.html").read_text(encoding="utf-8")
    assert '<html lang="sv">' in sign
    assert "<title>Kamerabevakning: Camera cam-1</title>" in sign
    assert "<h1>Kamerabevakning</h1>" in sign
    assert "Här filmar Municipality of Example." in sign
    assert "Alla dagar kl. 22.00\u201306.00" in sign
    assert "Fråga oss hur länge de sparas." in sign
    for english in ("Camera surveillance", "Responsible", "Recordings", "every day", "Ask us"):
        assert english not in sign, english
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<html lang="sv">' in index
    assert "Skyltar för Municipality of Example kameror" in index
    assert 'Sida " counter(page) " av " counter(pages)' in index


def test_signs_are_english_when_nothing_asks_for_another_language(tmp_path: Path, view_cache: Path) -> None:
    sign = (_signs(tmp_path, view_cache, TOLD) / "signs" / "cam-1-a4.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in sign
    assert "Every day from 22:00 to 06:00" in sign
    assert "Ask us how long they are kept." in sign


def test_a_language_the_signs_are_not_written_in_is_refused_by_organisation_json(
    tmp_path: Path, view_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = warm(make_store(tmp_path / "store", {"cam-1": "Norr"}, sample_bgr("astronaut")), view_cache)
    (store.root / "organisation.json").write_text(json.dumps(TOLD | {"language": "fi"}), encoding="utf-8")
    code = main(["--store", str(store.root), "report", "signs", "--out", str(tmp_path / "signs")])
    err = capsys.readouterr().err
    assert code == 1
    assert "organisation.json" in err, err
    assert "field 'language'" in err, err
    assert "'sv'" in err, err
    assert len(err.strip().splitlines()) == 1, err
