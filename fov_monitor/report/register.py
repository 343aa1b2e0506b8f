"""The public camera register: where, why and when each camera films, in plain language.

Layout of the register folder::

    index.html          who is responsible, how to ask and complain, the areas with their cameras (links)
    areas/<area>.html   one section per camera of the area (group): where, why, when, who, how to ask,
                        the legal basis, how long recordings are kept, sound, live watching, the
                        decision, and the permitted view with faces blurred and privacy zones covered

Only a camera whose decision is valid on the day the register is made is described as filming; a
camera without one (ended, not yet in force, or none recorded) is listed apart, with what the owner
records of it in ``organisation.json``: filming there has stopped, or it is under review.

An area's page is named after the area itself, transliterated to plain letters (``Södra hamnen``:
``areas/sodra-hamnen.html``), so that adding an area renames no page and a link printed on a sign
keeps working. Pages of earlier names (the numbered names of earlier versions, and names a previous
register at ``--out`` had) are kept as small pages that send the reader on to the area's page.

One page per area keeps each file small enough to open on a phone (a camera's picture is about
40 KB), while a person still finds every camera of their street on one page. The wording aims at
easy-to-read language: short sentences, one fact each, no jargon, times written out in the
organisation's time zone. A camera whose store files cannot be read is left out (the register tells
the public nothing it cannot stand behind); the command names it.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from fov_monitor import __version__
from fov_monitor.core.permit import Decision
from fov_monitor.errors import FovMonitorError
from fov_monitor.faces.privacy import PrivacySettings
from fov_monitor.i18n import Language, translations
from fov_monitor.report.drawing import damaged_drawings, permit_drawings
from fov_monitor.report.organisation import Notice, Organisation
from fov_monitor.report.selection import UnreadableCamera, select_cameras
from fov_monitor.report.templates import render
from fov_monitor.report.wording import date_in_words, hours_in_words
from fov_monitor.store.camera import CameraConfig
from fov_monitor.store.store import Store

AREAS_FOLDER = "areas"


@dataclass(frozen=True, slots=True)
class RegisterEntry:
    """One camera as the public register tells it.

    ``valid`` is False for a camera without a decision valid on the register's day; ``status`` then
    says, in a sentence, what the owner records of it (or that it is not recorded).
    """

    camera_id: str
    title: str
    where: str
    why: str
    when: str
    valid_until: str
    image_uri: str | None
    image_alt: str
    no_image_reason: str
    notice: Notice
    valid: bool = True
    status: str = ""


@dataclass(frozen=True, slots=True)
class RegisterBuild:
    """What a register build wrote: how many cameras, and the cameras left out because unreadable."""

    cameras: int
    not_reported: list[UnreadableCamera]
    without_decision: int = 0
    pages: dict[str, str] | None = None
    """The area page of each camera (``areas/<name>.html``), by camera id."""


def build_register(
    store: Store,
    folder: Path,
    *,
    organisation: Organisation,
    privacy: PrivacySettings,
    group: str | None = None,
    jobs: int | None = None,
    previous: Path | None = None,
    language: Language | None = None,
) -> RegisterBuild:
    """Write the public register of the store's cameras (of ``group``) into ``folder``.

    It is written in ``language``, by default the organisation's.

    ``organisation`` (from ``organisation.json``, :meth:`Organisation.require`) is named on every
    page; faces in the permit drawings are blurred as ``privacy`` (the store's settings) says.
    ``previous`` is the register this one replaces (``--out``): its page names are kept working.

    Raises
    ------
    ReportError
        When the store has no camera, or none of ``group``.
    """
    clock = organisation.clock
    language = language or organisation.language
    _ = translations(language).gettext
    today = clock.today()
    selection = select_cameras(store, group)
    drawings = permit_drawings(store, selection.camera_ids, privacy, jobs=jobs)
    selection = selection.without(damaged_drawings(drawings, selection.configs))
    camera_ids = selection.camera_ids
    areas: dict[str, list[RegisterEntry]] = defaultdict(list)
    for camera_id in camera_ids:
        config = selection.configs[camera_id]
        drawing = drawings[camera_id]
        areas[config.group].append(
            _entry(store, camera_id, config, drawing.register_uri, organisation, today, language)
        )
    common = {
        "version": __version__,
        "generated_at": clock.now_text(),
        "zone_label": clock.label_in(language),
        "organisation": organisation,
    }
    names = area_file_names(sorted(areas))
    (folder / AREAS_FOLDER).mkdir()
    for area, entries in sorted(areas.items()):
        page = render(
            "register_area.html",
            language,
            title=_("Cameras in the area %(area)s: %(organisation)s")
            % {"area": area, "organisation": organisation.name},
            area=area,
            entries=[entry for entry in entries if entry.valid],
            stopped=[entry for entry in entries if not entry.valid],
            **common,
        )
        (folder / AREAS_FOLDER / names[area]).write_text(page, encoding="utf-8")
    _keep_old_names(folder, names, previous, common, language)
    valid = sum(1 for entries in areas.values() for entry in entries if entry.valid)
    index = render(
        "register_index.html",
        language,
        title=_("Cameras of %(organisation)s") % {"organisation": organisation.name},
        areas=[
            {
                "name": area,
                "href": f"{AREAS_FOLDER}/{names[area]}",
                "entries": [entry for entry in areas[area] if entry.valid],
                "stopped": [entry for entry in areas[area] if not entry.valid],
            }
            for area in sorted(areas)
        ],
        cameras=valid,
        group=group,
        **common,
    )
    (folder / "index.html").write_text(index, encoding="utf-8")
    pages = {
        entry.camera_id: f"{AREAS_FOLDER}/{names[area]}"
        for area, entries in areas.items()
        for entry in entries
    }
    return RegisterBuild(valid, selection.unreadable, len(camera_ids) - valid, pages)


def _entry(
    store: Store,
    camera_id: str,
    config: CameraConfig,
    image_uri: str | None,
    organisation: Organisation,
    today: date,
    language: Language,
) -> RegisterEntry:
    words = translations(language)
    try:
        stored = store.permit(camera_id)
    except FovMonitorError:
        stored = None
    decision = stored.permit.decision if stored is not None else None
    zones = len(stored.permit.zones) if stored is not None else 0
    where = config.place or config.name or camera_id
    alt = words.gettext("Camera view of %(place)s. The green line shows the area the camera may film.") % {
        "place": where
    }
    if zones:
        alt += " " + words.ngettext(
            "%(num)d private place is covered in grey.", "%(num)d private places are covered in grey.", zones
        ) % {"num": zones}
    alt += " " + words.gettext("Faces are blurred.")
    notice = organisation.notice(camera_id, decision.reference_number if decision else "")
    valid = decision is not None and decision.is_valid_on(today)
    valid_to = decision.valid_to if decision else None
    return RegisterEntry(
        camera_id=camera_id,
        title=config.name or where,
        where=where,
        why=decision.purpose if decision and decision.purpose else "",
        when=hours_in_words(decision.permitted_hours, organisation.clock.label_in(language), language)
        if decision
        else "",
        valid_until=date_in_words(valid_to.isoformat(), language) if valid_to else "",
        image_uri=image_uri,
        image_alt=alt,
        no_image_reason="" if image_uri else words.gettext("There is no picture of this camera's view yet."),
        notice=notice,
        valid=valid,
        status="" if valid else _status(decision, notice, today, language),
    )


def _status(decision: Decision | None, notice: Notice, today: date, language: Language) -> str:
    """Say, in plain words, why a camera has no valid decision and what the owner records of it."""
    _ = translations(language).gettext
    if decision is None:
        why = _("There is no decision that allows this camera to film.")
    elif decision.valid_from is not None and today < decision.valid_from:
        why = _("The decision for this camera starts on %(day)s.") % {
            "day": date_in_words(decision.valid_from.isoformat(), language)
        }
    else:
        ended = decision.valid_to.isoformat() if decision.valid_to else ""
        why = _("The decision for this camera ended on %(day)s.") % {"day": date_in_words(ended, language)}
    if notice.without_decision is None:
        return f"{why} " + _("We have not yet said if filming here has stopped or is under review. Ask us.")
    if notice.without_decision == "stopped":
        return f"{why} " + _("Filming here has stopped.")
    return f"{why} " + _(
        "Filming here is under review. The camera does not film until a new decision is made."
    )


_LETTERS = str.maketrans({"æ": "ae", "ø": "o", "ß": "ss", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "œ": "oe"})


def area_slug(area: str) -> str:
    """Return the plain-letter name of an area's page: ``"Södra hamnen"`` gives ``"sodra-hamnen"``."""
    text = unicodedata.normalize("NFKD", area.lower().translate(_LETTERS))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:60].strip("-") or "area"


def area_file_names(areas: list[str]) -> dict[str, str]:
    """Return each area's page name, from its own name: stable whatever other areas there are.

    Two areas whose names read the same in plain letters (``Söder``, ``Soder``): the first in sorted
    order keeps the plain name, the others add a short checksum of their own name.
    """
    names: dict[str, str] = {}
    taken: set[str] = set()
    for area in sorted(areas):
        slug = area_slug(area)
        if slug in taken:
            slug = f"{slug}-{hashlib.sha256(area.encode('utf-8')).hexdigest()[:6]}"
        taken.add(slug)
        names[area] = f"{slug}.html"
    return names


def legacy_file_names(areas: list[str]) -> dict[str, str]:
    """Return the numbered page names earlier versions gave the areas (``04-s-dra-hamnen.html``)."""
    names = {}
    for number, area in enumerate(sorted(areas), start=1):
        slug = re.sub(r"[^a-z0-9]+", "-", area.lower()).strip("-")[:40] or "area"
        names[area] = f"{number:02d}-{slug}.html"
    return names


_AREA_MARK = re.compile(r'<meta name="fov-monitor-area" content="([^"]*)">')
_AREA_HEADING = re.compile(r"<h1>Cameras in the area (.*?)</h1>")


def _keep_old_names(
    folder: Path, names: dict[str, str], previous: Path | None, common: dict[str, object], language: Language
) -> None:
    """Write a page at each earlier name of an area that sends the reader on to the area's page."""
    old: dict[str, str | None] = {name: area for area, name in legacy_file_names(list(names)).items()}
    if previous is not None and (previous / AREAS_FOLDER).is_dir():
        for page in (previous / AREAS_FOLDER).glob("*.html"):
            old.setdefault(page.name, _area_of(page))
    current = set(names.values())
    for name, area in sorted(old.items()):
        if name in current:
            continue
        target = names.get(area) if area is not None else None
        title = translations(language).gettext("This page has moved")
        moved = render("register_moved.html", language, title=title, area=area, target=target, **common)
        (folder / AREAS_FOLDER / name).write_text(moved, encoding="utf-8")


def _area_of(page: Path) -> str | None:
    """Return the area a page of an earlier register was about (its mark, else its heading)."""
    try:
        text = page.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    found = _AREA_MARK.search(text) or _AREA_HEADING.search(text)
    return html.unescape(found.group(1)) if found else None
