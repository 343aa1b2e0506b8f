"""The languages fov-monitor speaks to people: message catalogues, the choice of a language, its dates.

Pages, reports, the register, signs and mails are written through gettext catalogues, one per
language, in ``fov_monitor/i18n/locale/<language>/LC_MESSAGES/fov_monitor.po``; a wheel carries them
compiled (``.mo``, made by ``setup.py``'s build step), a checkout compiles them in memory when first
used. The command line stays English.
"""

from fov_monitor.i18n.catalogue import DOMAIN, LOCALE_DIR, translations
from fov_monitor.i18n.choice import Language, from_accept_language, language_of
from fov_monitor.i18n.formats import date_in_words, decimal, time_span
from fov_monitor.i18n.words import outcome_word

__all__ = [
    "DOMAIN",
    "LOCALE_DIR",
    "Language",
    "date_in_words",
    "decimal",
    "from_accept_language",
    "language_of",
    "outcome_word",
    "time_span",
    "translations",
]
