"""The words for a check's outcomes and an alert's events, the same on every page, report and mail."""

from __future__ import annotations

from collections.abc import Mapping

from fov_monitor.errors import N_
from fov_monitor.i18n.catalogue import translations
from fov_monitor.i18n.choice import Language

OUTCOME_WORDS = {
    "compliant": N_("compliant"),
    "redirected": N_("redirected"),
    "zone_exposed": N_("zone exposed"),
    "tampered": N_("tampered"),
    "unverifiable": N_("unverifiable"),
    "offline": N_("offline"),
    "error": N_("error"),
    "outside_decision": N_("outside decision"),
    "decision_ending": N_("decision ending"),
}
"""An outcome's value (``Outcome``, ``Status``, ``Problem``) and its words, in English."""


def word(words: Mapping[str, str], value: object, language: Language) -> str:
    """Return the words ``words`` gives a stored ``value``, in ``language`` (else the value, spaced)."""
    text = str(value)
    english = words.get(text)
    return translations(language).gettext(english) if english else text.replace("_", " ")


def outcome_word(value: str, language: Language) -> str:
    """Return the words for an outcome in ``language`` (``"zone_exposed"``: ``"skyddat område synligt"``)."""
    return word(OUTCOME_WORDS, value, language)


__all__ = ["N_", "OUTCOME_WORDS", "outcome_word"]


EVENT_WORDS = {
    "opened": N_("opened"),
    "updated": N_("updated"),
    "closed": N_("closed"),
    "acknowledged": N_("acknowledged"),
    "resolved": N_("resolved"),
    "dismissed": N_("dismissed"),
    "rebaseline_proposed": N_("re-baseline proposed"),
    "rebaseline_approved": N_("re-baseline approved"),
    "rebaseline_rejected": N_("re-baseline rejected"),
    "rebaseline_applied": N_("re-baseline done"),
    "rebaseline_failed": N_("re-baseline failed"),
}
"""What happened to an alert (an ``Event``'s value) and its words, in English."""


STATE_WORDS = {
    "open": N_("open"),
    "acknowledged": N_("acknowledged"),
    "dismissed": N_("dismissed"),
    "resolved": N_("resolved"),
    "closed": N_("closed"),
}
"""Where an alert stands (a ``State``'s value) and its words, in English."""


def state_word(value: str, language: Language) -> str:
    """Return the words for an alert's state in ``language`` (``"acknowledged"``: ``"kvitterat"``)."""
    return word(STATE_WORDS, value, language)


def event_word(value: str, language: Language) -> str:
    """Return the words for an alert's event in ``language`` (``"dismissed"``: ``"avfärdat"``)."""
    return word(EVENT_WORDS, value, language)
