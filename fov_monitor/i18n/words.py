"""The words for a check's outcomes, the same in every page, report, register and mail of a language."""

from __future__ import annotations

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


def outcome_word(value: str, language: Language) -> str:
    """Return the words for an outcome in ``language`` (``"zone_exposed"``: ``"skyddat område synligt"``)."""
    english = OUTCOME_WORDS.get(value, value.replace("_", " "))
    return translations(language).gettext(english)


__all__ = ["N_", "OUTCOME_WORDS", "outcome_word"]
