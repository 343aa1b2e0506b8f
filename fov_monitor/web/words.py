"""The pages' words for what is stored as values: statuses, alert states and events, roles, rights.

The database, the JSON API and the URLs keep the values (``zone_exposed``, ``acknowledged``,
``technician``); the pages show these words in their language. A check's outcome is always
:func:`fov_monitor.i18n.outcome_word`'s, the same words as in the reports, the register and the mails.
"""

from __future__ import annotations

from fov_monitor.errors import N_
from fov_monitor.i18n import Language, outcome_word
from fov_monitor.i18n.words import OUTCOME_WORDS, word
from fov_monitor.i18n.words import STATE_WORDS as ALERT_STATE_WORDS

STATUS_WORDS = {
    "unchecked": N_("not checked"),
    "broken": N_("cannot be read"),
}
"""A camera's status or an alert's problem that is no check's outcome (those are :data:`OUTCOME_WORDS`)."""

STATE_WORDS = {
    **ALERT_STATE_WORDS,
    "active": N_("active (open, acknowledged, dismissed)"),
    "all": N_("all"),
}
"""An alert's state, and the states the review queue filters by."""

DELIVERY_WORDS = {"pending": N_("waiting"), "sent": N_("sent"), "failed": N_("failed")}
"""Where an announcement of an alert stands."""

ROLE_WORDS = {
    "admin": N_("admin"),
    "technician": N_("technician"),
    "reviewer": N_("reviewer"),
    "auditor": N_("auditor"),
}

PERMISSION_WORDS = {
    "view fleet": N_("see the fleet"),
    "view camera": N_("see a camera's page"),
    "view images": N_("see images"),
    "edit permit": N_("edit a permit"),
    "run check": N_("check a camera"),
    "remove learned references": N_("remove learned references"),
    "view alerts": N_("see the alerts"),
    "review alerts": N_("review alerts"),
    "approve a re-baseline": N_("approve a re-baseline"),
    "view audit log": N_("read the audit log"),
    "manage users": N_("manage users"),
    "export the camera list": N_("download the camera list"),
}
"""What a role may do, as in "your role may not …"."""

LANGUAGE_NAMES = {Language.EN: "English", Language.SV: "Svenska"}
"""Each language by its own name, the same on every page (marked with its ``lang``)."""


def status_word(value: object, language: Language) -> str:
    """Return a camera's status or an alert's problem in words: a check's outcome as everywhere else."""
    text = str(value)
    if text in OUTCOME_WORDS:
        return outcome_word(text, language)
    return word(STATUS_WORDS, text, language)


__all__ = [
    "DELIVERY_WORDS",
    "LANGUAGE_NAMES",
    "PERMISSION_WORDS",
    "ROLE_WORDS",
    "STATE_WORDS",
    "STATUS_WORDS",
    "status_word",
    "word",
]
