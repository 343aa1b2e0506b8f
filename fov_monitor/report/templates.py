"""The Jinja2 environments of the report pages, one per language: the package's templates, autoescaped,
with filters, and gettext (``{{ _("...") }}``) from the language's catalogue."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import jinja2
from markupsafe import Markup

from fov_monitor.i18n import Language, decimal, outcome_word, translations
from fov_monitor.i18n.marks import lang_attribute, marked
from fov_monitor.i18n.words import event_word
from fov_monitor.report import weighing, wording
from fov_monitor.report.organisation import DEFAULTS

TEMPLATES = Path(__file__).parent / "templates"


@functools.cache
def environment(language: Language = Language.EN) -> jinja2.Environment:
    """Return the environment of ``language`` (built once): HTML autoescaped, undefined names an error."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.globals["lang"] = str(language)
    env.globals["language"] = language
    env.filters.update(
        percent=functools.partial(wording.percent, language=language),
        hours=functools.partial(wording.hours, language=language),
        day_time=functools.partial(wording.day_time, language=language),
        decimal=functools.partial(_decimal, language=language),
        outcome=functools.partial(outcome_word, language=language),
        event=functools.partial(event_word, language=language),
        date_in_words=functools.partial(wording.date_in_words, language=language),
        hours_in_words=functools.partial(wording.hours_in_words, language=language),
        css_string=css_string,
        css_counters=css_counters,
        markdown=weighing.markdown,
        sentence=sentence,
        written=written,
        recorded=functools.partial(marked, written_in=Language.EN, page=language),
    )
    return env


def _decimal(value: float, digits: int = 1, *, language: Language) -> str:
    return decimal(value, language, digits)


def sentence(text: str) -> str:
    """Return ``text`` as a sentence: a capital first, a full stop last."""
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def owner_language(organisation: object, page: Language) -> Language:
    """Return the language the organisation's people write in (the page's when it names none)."""
    own = getattr(organisation, "language", None)
    return Language(own) if own is not None else page


@jinja2.pass_context
def written(context: jinja2.runtime.Context, text: str) -> Markup | str:
    """Return text the organisation's people wrote (a place, a purpose, a note), marked with their language.

    A page in English of a Swedish organisation names its places in Swedish: ``<span lang="sv">``
    tells a screen reader to say them so (WCAG 3.1.2). A default fov-monitor wrote for the
    organisation (the supervisory authority) is translated instead.
    """
    page = Language(str(context.resolve("lang")))
    if text in DEFAULTS:
        return translations(page).gettext(text)
    return marked(text, owner_language(context.resolve("organisation"), page), page)


def css_string(text: str) -> Markup:
    """Return ``text`` as a quoted CSS string, safe inside ``<style>`` (no quote, backslash or ``<`` left)."""
    escaped = "".join(ch if ch.isalnum() or ch in " .,:;!?()-_/'+&@" else f"\\{ord(ch):x} " for ch in text)
    return Markup(f'"{escaped}"')


def css_counters(text: str) -> Markup:
    """Return a CSS ``content`` value of ``text``: its words as strings, ``{page}``/``{pages}`` as counters.

    A translated ``"Page {page} of {pages}"`` becomes ``"Page " counter(page) " of " counter(pages)``,
    in whatever order the language puts them.
    """
    parts = re.split(r"\{(page|pages)\}", str(text))
    values = [f"counter({part})" if index % 2 else css_string(part) for index, part in enumerate(parts)]
    return Markup(" ".join(value for value in values if value != '""'))


def render(template: str, language: Language = Language.EN, /, **context: object) -> str:
    """Render one template of the package in ``language`` (its ``lang`` attribute too).

    The page also gets ``owner_lang`` and ``system_lang``: the ``lang`` attribute for a block the
    organisation's people wrote (in the language of ``organisation``) and for one fov-monitor
    recorded in English, empty where that is the page's language.
    """
    context.setdefault(
        "owner_lang", lang_attribute(owner_language(context.get("organisation"), language), language)
    )
    context.setdefault("system_lang", lang_attribute(Language.EN, language))
    return environment(language).get_template(template).render(**context)
