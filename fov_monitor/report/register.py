"""The public camera register: where, why and when each camera films, in plain language.

Layout of the register folder::

    index.html          who is responsible, how to ask, the areas with their cameras (links)
    areas/<area>.html   one section per camera of the area (group): where, why, when, who, how to ask,
                        and the permitted view with faces blurred and privacy zones covered

One page per area keeps each file small enough to open on a phone (a camera's picture is about
40 KB), while a person still finds every camera of their street on one page. The wording aims at
easy-to-read language: short sentences, one fact each, no jargon, times written out in the
organisation's time zone. A camera whose store files cannot be read is left out (the register tells
the public nothing it cannot stand behind); the command names it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from fov_monitor import __version__
from fov_monitor.errors import FovMonitorError
from fov_monitor.faces.privacy import PrivacySettings
from fov_monitor.report.drawing import damaged_drawings, permit_drawings
from fov_monitor.report.organisation import Organisation
from fov_monitor.report.selection import UnreadableCamera, select_cameras
from fov_monitor.report.templates import render
from fov_monitor.report.wording import date_in_words, hours_in_words
from fov_monitor.store.store import Store


@dataclass(frozen=True, slots=True)
class RegisterEntry:
    """One camera as the public register tells it."""

    camera_id: str
    title: str
    where: str
    why: str
    when: str
    valid_until: str
    image_uri: str | None
    image_alt: str
    no_image_reason: str


@dataclass(frozen=True, slots=True)
class RegisterBuild:
    """What a register build wrote: how many cameras, and the cameras left out because unreadable."""

    cameras: int
    not_reported: list[UnreadableCamera]


def build_register(
    store: Store,
    folder: Path,
    *,
    organisation: Organisation,
    privacy: PrivacySettings,
    group: str | None = None,
    jobs: int | None = None,
) -> RegisterBuild:
    """Write the public register of the store's cameras (of ``group``) into ``folder``.

    ``organisation`` (from ``organisation.json``, :meth:`Organisation.require`) is named on every
    page; faces in the permit drawings are blurred as ``privacy`` (the store's settings) says.

    Raises
    ------
    ReportError
        When the store has no camera, or none of ``group``.
    """
    clock = organisation.clock
    selection = select_cameras(store, group)
    drawings = permit_drawings(store, selection.camera_ids, privacy, jobs=jobs)
    selection = selection.without(damaged_drawings(drawings, selection.configs))
    camera_ids = selection.camera_ids
    areas: dict[str, list[RegisterEntry]] = defaultdict(list)
    for camera_id in camera_ids:
        config = selection.configs[camera_id]
        drawing = drawings[camera_id]
        areas[config.group].append(
            _entry(store, camera_id, config.name, config.place, drawing.register_uri, clock.label)
        )
    common = {
        "lang": "en",
        "version": __version__,
        "generated_at": clock.now_text(),
        "zone_label": clock.label,
        "organisation": organisation,
    }
    names = _file_names(sorted(areas))
    (folder / "areas").mkdir()
    for area, entries in sorted(areas.items()):
        html = render(
            "register_area.html",
            title=f"Cameras in the area {area}: {organisation.name}",
            area=area,
            entries=entries,
            **common,
        )
        (folder / "areas" / names[area]).write_text(html, encoding="utf-8")
    index = render(
        "register_index.html",
        title=f"Cameras of {organisation.name}",
        areas=[
            {"name": area, "href": f"areas/{names[area]}", "entries": areas[area]} for area in sorted(areas)
        ],
        cameras=len(camera_ids),
        group=group,
        **common,
    )
    (folder / "index.html").write_text(index, encoding="utf-8")
    return RegisterBuild(len(camera_ids), selection.unreadable)


def _entry(
    store: Store, camera_id: str, name: str, place: str, image_uri: str | None, zone_label: str
) -> RegisterEntry:
    try:
        stored = store.permit(camera_id)
    except FovMonitorError:
        stored = None
    decision = stored.permit.decision if stored is not None else None
    zones = len(stored.permit.zones) if stored is not None else 0
    where = place or name or camera_id
    alt = f"Camera view of {where}. The green line shows the area the camera may film."
    if zones:
        alt += f" {zones} private place{'s are' if zones > 1 else ' is'} covered in grey."
    alt += " Faces are blurred."
    return RegisterEntry(
        camera_id=camera_id,
        title=name or where,
        where=where,
        why=decision.purpose if decision and decision.purpose else "",
        when=hours_in_words(decision.permitted_hours, zone_label) if decision else "",
        valid_until=date_in_words(decision.valid_to.isoformat()) if decision and decision.valid_to else "",
        image_uri=image_uri,
        image_alt=alt,
        no_image_reason="" if image_uri else "There is no picture of this camera's view yet.",
    )


def _file_names(areas: list[str]) -> dict[str, str]:
    """Return a safe, unique file name for each area (group names are free text)."""
    names = {}
    for number, area in enumerate(areas, start=1):
        slug = re.sub(r"[^a-z0-9]+", "-", area.lower()).strip("-")[:40] or "area"
        names[area] = f"{number:02d}-{slug}.html"
    return names
