"""Which language a page is written in: the user's choice, else the browser's, else the organisation's.

A signed-in user who chose a language on their account page gets it everywhere. Otherwise the
browser's ``Accept-Language`` decides, among the languages fov-monitor writes, and when it names none
of them the organisation's (``language`` in ``<store>/organisation.json``; English without it). What
people type (camera names, places, notes) is in the organisation's language, whatever the page's.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request, Response

from fov_monitor.i18n import Language, from_accept_language
from fov_monitor.settings import ORGANISATION_FILE
from fov_monitor.settings import organisation_language as read_organisation_language
from fov_monitor.web.context import web_context


@dataclass(frozen=True, slots=True)
class PageLanguage:
    """The language of one page, and where it came from."""

    language: Language
    by_browser: bool
    """True when ``Accept-Language`` chose it (the answer then varies with that header)."""
    organisation: Language
    """The organisation's language: that of what people type (camera names, notes)."""


def page_language(request: Request, chosen: Language | None) -> PageLanguage:
    """Return the language of the page answering ``request``: ``chosen`` (the user's), else the browser's.

    Parameters
    ----------
    request : Request
        The request; its ``Accept-Language`` header is read when nobody chose.
    chosen : Language or None
        The signed-in user's choice; None when they made none, or nobody is signed in.
    """
    organisation = organisation_language(web_context(request).store.root)
    if chosen is not None:
        return PageLanguage(chosen, False, organisation)
    header = request.headers.get("accept-language")
    return PageLanguage(from_accept_language(header, organisation), True, organisation)


def say_language(response: Response, page: PageLanguage) -> None:
    """Say the page's language (``Content-Language``); ``Vary: Accept-Language`` if the browser chose it."""
    response.headers["Content-Language"] = str(page.language)
    if page.by_browser:
        response.headers.add_vary_header("Accept-Language")


_cache: dict[Path, tuple[tuple[int, int, int] | None, Language]] = {}
_cache_lock = threading.Lock()


def organisation_language(root: Path) -> Language:
    """Return the language of ``organisation.json`` in ``root`` (``settings.organisation_language``).

    Read again only when the file changes (every page asks), so that an edit is seen at once.
    """
    path = root / ORGANISATION_FILE
    try:
        status = path.stat()
        key: tuple[int, int, int] | None = (status.st_ino, status.st_mtime_ns, status.st_size)
    except FileNotFoundError:
        key = None
    with _cache_lock:
        cached = _cache.get(path)
    if cached is not None and cached[0] == key:
        return cached[1]
    language = read_organisation_language(root) if key is not None else Language.EN
    with _cache_lock:
        _cache[path] = (key, language)
    return language


__all__ = ["PageLanguage", "organisation_language", "page_language", "say_language"]
