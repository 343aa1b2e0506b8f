"""What an error tells people, in their language: a :class:`~fov_monitor.errors.PeopleMessage` translated."""

from __future__ import annotations

from fov_monitor.errors import PeopleMessage
from fov_monitor.i18n.catalogue import translations
from fov_monitor.i18n.choice import Language


def people_text(message: PeopleMessage, language: Language) -> str:
    """Return ``message`` in ``language``, its values filled in (those that are messages translated too)."""
    values = {
        name: people_text(value, language) if isinstance(value, PeopleMessage) else value
        for name, value in message.values.items()
    }
    words = translations(language)
    if message.plural is not None:
        text = words.ngettext(message.message, message.plural, message.count)
    else:
        text = words.gettext(message.message)
    return text % values if values else text
