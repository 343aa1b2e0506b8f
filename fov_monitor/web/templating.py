"""The pages' templates, one Jinja2 environment per language, built once when the app starts.

Each environment has gettext (``{{ _("...") }}``, ``ngettext``) from its language's catalogue, the
``lang`` of its pages, and filters that write in its language: times, numbers, statuses and the
other stored values in words. Two filters mark text in another language than the page's, with
``lang``: ``typed`` what people typed (in the organisation's language, the page's ``typed_in``),
``english`` the check's own words (a verdict's reasons, an error's text), which are English, and
``detail`` an error's text the same way, unless it is written for the command line (it is left out).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jinja2
from fastapi.templating import Jinja2Templates

from fov_monitor.i18n import Language, translations
from fov_monitor.i18n.marks import marked
from fov_monitor.i18n.words import event_word
from fov_monitor.web import formats, words
from fov_monitor.web.context import TEMPLATES
from fov_monitor.web.messages import COMMAND_LINE


def page_templates() -> dict[Language, Jinja2Templates]:
    """Return the templates of each language."""
    return {language: Jinja2Templates(env=_environment(language)) for language in Language}


def _environment(language: Language) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, extensions=["jinja2.ext.i18n"]
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(lang=str(language), language_names=words.LANGUAGE_NAMES)
    env.filters.update(_filters(language))
    return env


def _filters(language: Language) -> dict[str, Callable[..., Any]]:
    def vocabulary(table: Mapping[str, str]) -> Callable[[object], str]:
        return lambda value: words.word(table, value, language)

    return {
        "when": lambda value: formats.when(value, language),
        "number": lambda value, digits=1, signed=False: formats.number(value, language, digits, signed),
        "percent": lambda share, digits=1: formats.percent(share, language, digits),
        "detail_items": formats.detail_items,
        "status_word": lambda value: words.status_word(value, language),
        "state_word": vocabulary(words.STATE_WORDS),
        "event_word": lambda value: event_word(str(value), language),
        "delivery_word": vocabulary(words.DELIVERY_WORDS),
        "role_word": vocabulary(words.ROLE_WORDS),
        "english": lambda text: marked(text, Language.EN, language),
        "detail": lambda text: "" if COMMAND_LINE.search(str(text)) else marked(text, Language.EN, language),
        "typed": jinja2.pass_context(
            lambda context, text: marked(text, context.get("typed_in", language), language)
        ),
    }


__all__ = ["page_templates"]
