"""The owner's yearly weighing of interests: why a camera is worth its intrusion, or what changes.

Kept beside the store, one file per camera and year: ``<store>/weighing/<year>/<camera>.json``::

    {"purpose": "...", "value": "...", "intrusion": "...", "alternatives": "...",
     "measures": "...", "conclusion": "continue", "conclusion_note": "...",
     "assessed_by": "A. Berg", "assessed_at": "2027-01-15"}

or ``<camera>.md``, the same in Markdown: a header of ``key: value`` lines between ``---`` lines
(``conclusion``, ``assessed_by``, ``assessed_at``), then a ``## `` section per text field::

    ---
    conclusion: change
    assessed_by: A. Berg
    assessed_at: 2027-01-15
    ---
    ## Purpose
    To keep the market entrance safe at night.
    ## Value
    ...  (## Intrusion, ## Alternatives, ## Measures, ## Conclusion: the note)

The text fields are the owner's words in Markdown, shown safely: paragraphs, emphasis, lists, quotes
and code only; HTML, pictures, links and headings are shown as the text they are. A weighing is
**written** when every part is there (the five texts, the conclusion ``continue``, ``change`` or
``stop``, who assessed it and when); an empty ``{}`` or a blank file is **incomplete**, and says
what is missing. A file that cannot be read is named with the reason and the line; the report goes
on without it (the command then exits 4).
"""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from markdown_it import MarkdownIt
from markupsafe import Markup
from pydantic import AfterValidator, Field

from fov_monitor.errors import ReportError
from fov_monitor.files.settings_files import Expect, SettingsSchema, read_settings_file, unfit
from fov_monitor.i18n import Language, translations
from fov_monitor.i18n.words import N_

WEIGHING_FOLDER = "weighing"

TEXTS: tuple[tuple[str, str], ...] = (
    ("purpose", N_("Purpose")),
    ("value", N_("Value of the purpose: what the camera does for it")),
    ("intrusion", N_("Intrusion on privacy")),
    ("alternatives", N_("Less intrusive alternatives considered")),
    ("measures", N_("Measures taken to limit the intrusion")),
)
"""The text fields of a weighing in the order the law's weighing of interests asks them, with titles
(English; translated where shown)."""


class Conclusion(enum.StrEnum):
    """What the owner decides for the camera."""

    CONTINUE = "continue"
    CHANGE = "change"
    STOP = "stop"


CONCLUSION_WORDS = {"continue": N_("continue"), "change": N_("change"), "stop": N_("stop")}
"""A conclusion's words in the report, in English (translated where shown)."""


class WeighingState(enum.StrEnum):
    """Where a camera's weighing of the year stands."""

    WRITTEN = "written"
    INCOMPLETE = "incomplete"
    MISSING = "missing"
    UNREADABLE = "unreadable"


def _iso_day(text: str) -> str:
    if text:
        try:
            date.fromisoformat(text)
        except ValueError:
            raise unfit() from None
    return text


class WeighingFile(SettingsSchema):
    """``<store>/weighing/<year>/<camera>.json``, as the owner writes it; the texts are Markdown."""

    schema_version: Literal[1] = Field(1, description="The version of this file's format: 1.")
    purpose: str = Field("", description="The purpose of the camera.")
    value: str = Field("", description="What the camera does for its purpose.")
    intrusion: str = Field("", description="What it costs in privacy: who is filmed, where, when.")
    alternatives: str = Field("", description="Less intrusive ways considered, and why not taken.")
    measures: str = Field("", description="What limits the intrusion (zones, hours, retention).")
    conclusion: Literal["", "continue", "change", "stop"] = Field(
        "", description="What the owner decides: continue, change or stop."
    )
    conclusion_note: str = Field("", description="Why, and for 'change' what changes.")
    assessed_by: str = Field("", description="Who assessed it.")
    assessed_at: Annotated[str, AfterValidator(_iso_day), Expect("a day like '2027-01-15'")] = Field(
        "", description="When, as a day (2027-01-15)."
    )


@dataclass(frozen=True, slots=True)
class Weighing:
    """One camera's weighing of one year, as read.

    Attributes
    ----------
    state : WeighingState
    source : str
        The file it was read from ("" when there is none).
    texts : dict of str to str
        The text fields (:data:`TEXTS`) as written, Markdown.
    conclusion : Conclusion or None
    conclusion_note, assessed_by, assessed_at : str
    free_text : str
        A Markdown file without sections: its text, shown as it is (the weighing is incomplete).
    problem : str
        Why the file cannot be read (state ``unreadable``).
    """

    state: WeighingState
    source: str = ""
    texts: dict[str, str] = field(default_factory=dict)
    conclusion: Conclusion | None = None
    conclusion_note: str = ""
    assessed_by: str = ""
    assessed_at: str = ""
    free_text: str = ""
    problem: str = ""

    @property
    def missing(self) -> list[str]:
        """The parts not written, as the file names them."""
        absent = [name for name, _ in TEXTS if not self.texts.get(name, "").strip()]
        absent += [] if self.conclusion is not None else ["conclusion"]
        absent += [name for name in ("assessed_by", "assessed_at") if not getattr(self, name).strip()]
        return absent

    @property
    def label(self) -> str:
        """The weighing in the exports, in English (:meth:`label_in`)."""
        return self.label_in(Language.EN)

    def label_in(self, language: Language) -> str:
        """The weighing in the index: its conclusion, or where it stands."""
        if self.state is WeighingState.WRITTEN and self.conclusion is not None:
            return self.conclusion_in(language)
        words = {
            WeighingState.INCOMPLETE: N_("incomplete"),
            WeighingState.MISSING: N_("to be completed"),
            WeighingState.UNREADABLE: N_("file cannot be read"),
        }.get(self.state, str(self.state))
        return translations(language).gettext(words)

    def conclusion_in(self, language: Language) -> str:
        """The conclusion in words (empty when none is written): ``"continue"``, ``"fortsätta"``."""
        if self.conclusion is None:
            return ""
        return translations(language).gettext(CONCLUSION_WORDS[self.conclusion])

    @property
    def written(self) -> bool:
        """True when every part is written."""
        return self.state is WeighingState.WRITTEN

    def sections(self, language: Language = Language.EN) -> list[tuple[str, Markup]]:
        """Return the written texts as (title in ``language``, safe HTML), in the order of :data:`TEXTS`."""
        _ = translations(language).gettext
        return [
            (_(title), markdown(self.texts[name]))
            for name, title in TEXTS
            if self.texts.get(name, "").strip()
        ]

    def warning(self) -> str:
        """The line the command prints for an unreadable weighing."""
        return f"the weighing {self.source} cannot be read and is left out: {self.problem}"


def read_weighing(store_root: Path, year: int, camera_id: str) -> Weighing:
    """Return the owner's weighing of ``camera_id`` for ``year``; never raise for the file's content.

    A file that cannot be read gives a weighing of state ``unreadable`` with the one-line reason.
    """
    folder = Path(store_root) / WEIGHING_FOLDER / str(year)
    markdown_file, document = folder / f"{camera_id}.md", folder / f"{camera_id}.json"
    try:
        if document.exists():
            written = read_settings_file(document, WeighingFile, error=ReportError)
            texts = {name: getattr(written, name) for name, _ in TEXTS}
            return _complete(
                Weighing(
                    WeighingState.WRITTEN,
                    str(document),
                    texts,
                    Conclusion(written.conclusion) if written.conclusion else None,
                    written.conclusion_note,
                    written.assessed_by,
                    written.assessed_at,
                )
            )
        if markdown_file.exists():
            return _complete(_read_markdown(markdown_file))
    except ReportError as exc:
        source = document if document.exists() else markdown_file
        return Weighing(WeighingState.UNREADABLE, str(source), problem=str(exc))
    return Weighing(WeighingState.MISSING)


def _complete(weighing: Weighing) -> Weighing:
    if weighing.missing:
        return Weighing(
            WeighingState.INCOMPLETE,
            weighing.source,
            weighing.texts,
            weighing.conclusion,
            weighing.conclusion_note,
            weighing.assessed_by,
            weighing.assessed_at,
            weighing.free_text,
        )
    return weighing


_SECTION_NAMES = {name: name for name, _ in TEXTS} | {"conclusion": "conclusion_note"}
_HEADER_KEYS = ("conclusion", "assessed_by", "assessed_at")


def _read_markdown(path: Path) -> Weighing:
    """Read a Markdown weighing: its header, then its ``## `` sections (or free text without any)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path} is not readable UTF-8 text ({exc}); fix it") from None
    header, body_at = _header(path, lines)
    parts: dict[str, list[str]] = {}
    current: list[str] | None = None
    preamble: list[str] = []
    for number, line in enumerate(lines[body_at:], start=body_at + 1):
        if line.startswith("## "):
            title = line[3:].strip()
            name = _SECTION_NAMES.get(title.split()[0].lower() if title else "")
            if name is None:
                known = ", ".join(f"'## {n.capitalize()}'" for n in _SECTION_NAMES)
                raise ReportError(
                    f"{path}, line {number}: unknown section {title!r}; the sections are {known}"
                )
            current = parts.setdefault(name, [])
        elif current is None:
            preamble.append(line)
        else:
            current.append(line)
    texts = {name: "\n".join(parts.get(name, [])).strip() for name, _ in TEXTS}
    conclusion = header.get("conclusion", "")
    return Weighing(
        WeighingState.WRITTEN,
        str(path),
        texts,
        Conclusion(conclusion) if conclusion else None,
        "\n".join(parts.get("conclusion_note", [])).strip(),
        header.get("assessed_by", ""),
        header.get("assessed_at", ""),
        "\n".join(preamble).strip() if not parts else "",
    )


def _header(path: Path, lines: list[str]) -> tuple[dict[str, str], int]:
    """Return the ``key: value`` lines between the first two ``---`` lines, and where the body starts."""
    if not lines or lines[0].strip() != "---":
        return {}, 0
    header: dict[str, str] = {}
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == "---":
            return header, number
        key, colon, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if not colon or key not in _HEADER_KEYS:
            raise ReportError(
                f"{path}, line {number}: {line.strip()!r} is not one of {', '.join(_HEADER_KEYS)} "
                "followed by ':' and its value"
            )
        if key == "conclusion" and value not in {str(c) for c in Conclusion}:
            raise ReportError(
                f"{path}, line {number}: conclusion must be continue, change or stop, got {value!r}"
            )
        if key == "assessed_at" and value and not _is_day(value):
            raise ReportError(
                f"{path}, line {number}: assessed_at must be a day like '2027-01-15', got {value!r}"
            )
        header[key] = value
    raise ReportError(f"{path}: the header that starts on line 1 with '---' has no closing '---' line")


def _is_day(text: str) -> bool:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) is None:
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


@functools.cache
def _renderer() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False})
    # What an owner's text may be: paragraphs, emphasis, lists, quotes and code. No pictures (a page
    # loads nothing from outside), no links, no headings (the page's own outline stays in order).
    parser.disable(["image", "link", "autolink", "heading", "lheading", "html_block", "html_inline"], True)
    return parser


def markdown(text: str) -> Markup:
    """Return the owner's Markdown ``text`` as safe HTML (raw HTML shown as text, nothing fetched)."""
    return Markup(_renderer().render(text))
