"""What a refused request or a failed step tells people, in the page's language and of the page's buttons.

The core's errors speak to the command line (``--by NAME``, ``fov-monitor alerts list``); those the
web app can show also carry a message for people (:meth:`fov_monitor.errors.FovMonitorError.saying`),
and the web app's own refusals are :class:`Refusal`s, which carry one too. A page shows that message
translated. An error without one is shown with a sentence for its kind, and its own (English) text
after it, unless that text names commands or flags: then it goes to the server's log only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus

from fastapi import HTTPException
from markupsafe import Markup, escape
from starlette.exceptions import HTTPException as FrameworkRefusal

from fov_monitor.errors import (
    N_,
    AlertError,
    DatabaseUnavailableError,
    FovMonitorError,
    InvalidPermitError,
    InvalidSettingsError,
    PeopleMessage,
    ReportError,
    SourceError,
    StoreError,
)
from fov_monitor.i18n import Language
from fov_monitor.i18n.marks import marked
from fov_monitor.i18n.messages import people_text
from fov_monitor.store.store import Store
from fov_monitor.web.context import public_text

log = logging.getLogger(__name__)

COMMAND_LINE = re.compile(r"--\w|\bfov-monitor ")
"""What marks a text written for the command line: a flag, or a command to type."""

KIND_WORDS: tuple[tuple[type[FovMonitorError], str], ...] = (
    (
        DatabaseUnavailableError,
        N_("The database is busy or cannot be reached just now; try again in a moment."),
    ),
    (SourceError, N_("The camera gave no usable picture.")),
    (InvalidPermitError, N_("The permit cannot be used as it is.")),
    (StoreError, N_("The camera's files cannot be read or written as asked.")),
    (InvalidSettingsError, N_("This value is not allowed.")),
    (AlertError, N_("This step cannot be taken on the alert.")),
    (ReportError, N_("The organisation's settings cannot be read.")),
    (FovMonitorError, N_("This cannot be done.")),
)
"""What an error without a message for people says first, by its kind (the first that fits)."""

STATUS_WORDS: Mapping[int, str] = {
    404: N_("There is no such page."),
    405: N_("This page does not take this kind of request."),
}
"""What an answer of the framework's own (no :class:`Refusal`) says, by its status."""
OTHER_STATUS = N_("The request cannot be answered (%(status)s).")
DETAILS_IN_LOG = N_("The details are in the server's log.")


class Refusal(HTTPException):
    """The web app's refusal of a request: its status, and what it tells people.

    ``detail`` (the JSON API's) is the message in English unless given; ``values`` fill the
    message's placeholders.
    """

    def __init__(
        self,
        status_code: int,
        message: str | PeopleMessage,
        /,
        *,
        headers: Mapping[str, str] | None = None,
        detail: str | None = None,
        **values: object,
    ) -> None:
        self.people = message if isinstance(message, PeopleMessage) else PeopleMessage(message, values)
        english = people_text(self.people, Language.EN)
        super().__init__(status_code, detail if detail is not None else english, headers)


@dataclass(frozen=True, slots=True)
class Explained:
    """An error as people read it: a sentence in the page's language, and maybe the error's English text."""

    text: str
    english: str = ""
    """The error's own words, in English, when nothing better was given for people."""

    def html(self, language: Language) -> Markup:
        """Return it for a page: the English text marked ``lang="en"`` on a page in another language."""
        if not self.english:
            return escape(self.text)
        return Markup("{} {}").format(self.text, marked(self.english, Language.EN, language))

    def plain(self) -> str:
        """Return it as one line of text."""
        return f"{self.text} {self.english}" if self.english else self.text


def explain(error: BaseException, language: Language, store: Store) -> Explained:
    """Return what ``error`` tells people in ``language``, the store's place on the server left out."""
    people = getattr(error, "people", None)
    if isinstance(people, PeopleMessage):
        return Explained(_capitalised(public_text(store, people_text(people, language))))
    if isinstance(error, FrameworkRefusal):
        status = error.status_code
        message = PeopleMessage(STATUS_WORDS.get(status, OTHER_STATUS), {"status": _status_name(status)})
        return Explained(people_text(message, language))
    kind = next((words for cls, words in KIND_WORDS if isinstance(error, cls)), KIND_WORDS[-1][1])
    lead = people_text(PeopleMessage(kind), language)
    own = public_text(store, str(error))
    if COMMAND_LINE.search(own):
        log.warning("shown on a page without its text, which names commands: %s", own)
        return Explained(f"{lead} {people_text(PeopleMessage(DETAILS_IN_LOG), language)}")
    return Explained(lead, _sentence(own))


def _status_name(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sentence(text: str) -> str:
    text = _capitalised(text.strip())
    return text if not text or text.endswith((".", "!", "?")) else f"{text}."


__all__ = ["COMMAND_LINE", "Explained", "Refusal", "explain"]
