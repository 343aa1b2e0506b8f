"""Which language a page, a report or a mail is written in."""

from __future__ import annotations

from enum import StrEnum

from fov_monitor.errors import InvalidSettingsError


class Language(StrEnum):
    """A language fov-monitor writes in (its value: the BCP 47 tag, as in ``lang`` attributes)."""

    EN = "en"
    SV = "sv"


DEFAULT = Language.EN
"""The language when nothing chooses one."""
_TAGS = frozenset(language.value for language in Language)


def language_of(value: str, where: str) -> Language:
    """Return the language a setting or an option names, e.g. ``"sv"``, ``"sv-SE"`` or ``"SV"``.

    Raises
    ------
    InvalidSettingsError
        Naming ``where`` and the languages there are, when ``value`` is none of them.
    """
    primary = value.strip().replace("_", "-").split("-")[0].lower()
    try:
        return Language(primary)
    except ValueError:
        known = ", ".join(f"'{language}'" for language in Language)
        raise InvalidSettingsError(
            f"{where}: language {value!r} is not one fov-monitor writes; give one of {known}"
        ) from None


def from_accept_language(header: str | None, fallback: Language = DEFAULT) -> Language:
    """Return the first language of an ``Accept-Language`` header that fov-monitor writes, else ``fallback``.

    The languages are taken by their quality (``q``), highest first, then in the order given; a
    quality of 0 refuses a language; ``*`` takes ``fallback``.
    """
    if not header:
        return fallback
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag.strip()))
    for _, _, tag in sorted(ranked):
        if tag == "*":
            return fallback
        primary = tag.split("-")[0].lower()
        if primary in _TAGS:
            return Language(primary)
    return fallback
