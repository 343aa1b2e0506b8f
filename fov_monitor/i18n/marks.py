"""Words in another language than their page's, marked so (``lang``, WCAG 3.1.2).

A Swedish page quotes the check's English reasons; an English page names a Swedish organisation's
places. A screen reader reads each in its own language when the page says which.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from fov_monitor.i18n.choice import Language


def lang_attribute(written_in: Language, page: Language) -> Markup:
    """Return `` lang="sv"`` for a block written in another language than the page's, else nothing."""
    return Markup(' lang="{}"').format(written_in) if written_in is not page else Markup("")


def marked(text: object, written_in: Language, page: Language) -> Markup:
    """Return ``text`` escaped, in a ``<span lang>`` when written in another language than the page's."""
    if text is None or text == "" or written_in is page:
        return escape("" if text is None else text)
    return Markup('<span lang="{}">{}</span>').format(written_in, text)
