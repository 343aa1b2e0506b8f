"""The verdicts have one name each per language, the same on every page, report, register and mail."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from fov_monitor.alerts.model import Event, Problem, State
from fov_monitor.core.result import Outcome, Status
from fov_monitor.i18n import Language, outcome_word
from fov_monitor.i18n.catalogue import catalogue_path
from fov_monitor.i18n.words import EVENT_WORDS, OUTCOME_WORDS, STATE_WORDS, event_word, state_word

VALUES = sorted({*Status, *Outcome, *Problem}, key=str)


@pytest.mark.parametrize("value", VALUES, ids=str)
def test_every_verdict_and_problem_has_words_of_its_own(value: str) -> None:
    assert str(value) in OUTCOME_WORDS, f"{value!r} would be shown as its code; add it to OUTCOME_WORDS"


@pytest.mark.parametrize("language", list(Language))
def test_no_two_verdicts_share_a_name(language: Language) -> None:
    words = [outcome_word(str(value), language) for value in VALUES]
    assert len(set(words)) == len(words), words


def test_the_swedish_names_are_the_municipalitys_words() -> None:
    swedish = {str(value): outcome_word(str(value), Language.SV) for value in VALUES}
    assert swedish["compliant"] == "inom beslutet"
    assert swedish["redirected"] == "omriktad"
    assert swedish["zone_exposed"] == "skyddat område synligt"
    assert swedish["tampered"] == "manipulerad"
    assert swedish["unverifiable"] == "kan inte kontrolleras"
    assert swedish["offline"] == "nås inte"


def test_no_message_names_a_verdict_in_other_swedish_words() -> None:
    """A heading or button that is a verdict alone ("Redirected") says it as the verdict does."""
    english = {OUTCOME_WORDS[str(value)]: outcome_word(str(value), Language.SV) for value in VALUES}
    with catalogue_path(Language.SV).open("rb") as file:
        catalogue = read_po(file)
    other = {
        str(message.id): str(message.string)
        for message in catalogue
        if isinstance(message.id, str)
        and message.id.lower() in english
        and message.string.lower() != english[message.id.lower()]
    }
    assert not other, other


@pytest.mark.parametrize("event", list(Event), ids=str)
def test_every_event_of_an_alert_has_words_in_each_language(event: Event) -> None:
    assert str(event) in EVENT_WORDS, f"{event!r} would be shown as its code; add it to EVENT_WORDS"
    assert event_word(str(event), Language.SV) != event_word(str(event), Language.EN)


@pytest.mark.parametrize("state", list(State), ids=str)
def test_every_state_of_an_alert_has_words_in_each_language(state: State) -> None:
    assert str(state) in STATE_WORDS, f"{state!r} would be shown as its code; add it to STATE_WORDS"
    assert state_word(str(state), Language.SV) != state_word(str(state), Language.EN)
