"""Which language a reader gets, and dates, times and numbers as that language writes them."""

from __future__ import annotations

from datetime import date, time

import pytest

from fov_monitor.errors import InvalidSettingsError
from fov_monitor.i18n import Language, date_in_words, decimal, from_accept_language, language_of, time_span


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("sv-SE,sv;q=0.9,en-US;q=0.8,en;q=0.7", Language.SV),
        ("en-US;q=0.5, sv;q=0.9", Language.SV),
        ("de-DE, fr;q=0.8, en;q=0.3", Language.EN),
        ("sv;q=0, en", Language.EN),
        ("de, fr", Language.SV),  # none written: the fallback given
        ("", Language.SV),
        ("*", Language.SV),
    ],
)
def test_a_browsers_languages_are_taken_by_their_quality(header: str, expected: Language) -> None:
    assert from_accept_language(header, fallback=Language.SV) is expected


@pytest.mark.parametrize("value", ["sv", "SV", "sv-SE", "sv_SE"])
def test_a_language_setting_takes_a_region_and_any_case(value: str) -> None:
    assert language_of(value, "organisation.json") is Language.SV


def test_a_language_fov_monitor_does_not_write_is_one_line_naming_those_it_does() -> None:
    with pytest.raises(InvalidSettingsError) as caught:
        language_of("fi", "organisation.json, field 'language'")
    assert str(caught.value) == (
        "organisation.json, field 'language': language 'fi' is not one fov-monitor writes; "
        "give one of 'en', 'sv'"
    )


def test_swedish_dates_times_and_numbers_are_written_as_a_swede_writes_them() -> None:
    assert date_in_words(date(2026, 7, 1), Language.SV) == "1 juli 2026"
    assert date_in_words(date(2026, 7, 1), Language.EN) == "1 July 2026"
    assert time_span(time(22), time(6), Language.SV) == "22.00\u201306.00"
    assert time_span(time(22), time(6), Language.EN) == "22:00\u201306:00"
    assert decimal(12.5, Language.SV) == "12,5"
    assert decimal(1234.5, Language.SV) == "1\u00a0234,5"
    assert decimal(12.5, Language.EN) == "12.5"
