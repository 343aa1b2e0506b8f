"""Printable signs: people are told where they are filmed before they enter the area.

Layout of the signs folder::

    index.html                  every sign, with links; the cameras without a valid decision (no sign)
    signs/<camera>-a4.html      the camera's sign on an A4 page
    signs/<camera>-a5.html      the same on an A5 page

Each sign is one HTML page that prints to one page of its size (``@page``): the camera pictogram,
who is responsible, the purpose, the contact, how long recordings are kept, and a QR code that opens
the camera's section of the public register (``register_url`` of ``organisation.json`` followed by
the area's page, :mod:`fov_monitor.report.register`). The code is made by segno, a maintained QR
library, as SVG, so that it prints sharp at any size. Only a camera whose decision is valid on the
day the signs are made gets a sign.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import segno

from fov_monitor import __version__
from fov_monitor.errors import ReportError
from fov_monitor.i18n import Language, translations
from fov_monitor.report.embed import data_uri
from fov_monitor.report.organisation import ORGANISATION_FILE, Organisation
from fov_monitor.report.register import area_file_names
from fov_monitor.report.selection import UnreadableCamera, select_cameras
from fov_monitor.report.templates import render
from fov_monitor.report.wording import hours_in_words
from fov_monitor.store.store import Store

SIZES = ("a4", "a5")
"""The paper sizes each camera's sign is written for."""

PICTOGRAM_SVG = b"""<?xml version="1.0" encoding="utf-8"?>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">
<rect x="3" y="3" width="94" height="94" rx="10" fill="#fff" stroke="#000" stroke-width="5"/>
<g transform="rotate(18 48 46)">
<rect x="16" y="32" width="52" height="26" rx="4" fill="#000"/>
<polygon points="68,36 84,29 84,61 68,54" fill="#000"/>
</g>
<rect x="35" y="58" width="7" height="22" fill="#000"/>
<rect x="22" y="78" width="33" height="7" rx="2" fill="#000"/>
</svg>
"""
"""A video camera on its mount in a square frame: the pictogram of camera surveillance."""


@dataclass(frozen=True, slots=True)
class Sign:
    """One camera's sign: what it says and the address its QR code opens."""

    camera_id: str
    title: str
    where: str
    purpose: str
    when: str
    retention: str
    register_address: str
    qr_uri: str


@dataclass(frozen=True, slots=True)
class SignsBuild:
    """What a build of the signs wrote: the signs, the cameras without one, the unreadable cameras."""

    signs: list[Sign]
    without_decision: list[str]
    not_reported: list[UnreadableCamera]


def qr_svg(address: str) -> bytes:
    """Return a QR code of ``address`` as an SVG document (error correction M, a 4-module quiet zone)."""
    buffer = io.BytesIO()
    segno.make(address, error="m", micro=False).save(
        buffer, kind="svg", scale=1, border=4, xmldecl=True, omitsize=True, title=address
    )
    return buffer.getvalue()


def build_signs(
    store: Store,
    folder: Path,
    *,
    organisation: Organisation,
    group: str | None = None,
    language: Language | None = None,
) -> SignsBuild:
    """Write a sign per camera (of ``group``) with a valid decision into ``folder``.

    The signs are in ``language``, by default the organisation's.

    Raises
    ------
    ReportError
        When ``organisation.json`` has no ``register_url`` (the QR codes need it), or the store has no
        camera (of ``group``).
    """
    if not organisation.register_url.strip():
        raise ReportError(
            f"{store.root / ORGANISATION_FILE} has no 'register_url': the signs' QR codes open the camera's "
            "page of the public register where it is published; add it, e.g. "
            '"register_url": "https://example.org/cameras/"'
        )
    clock = organisation.clock
    language = language or organisation.language
    _ = translations(language).gettext
    today = clock.today()
    selection = select_cameras(store, group)
    pages = area_file_names(sorted({config.group for config in selection.configs.values()}))
    base = organisation.register_url.strip().rstrip("/") + "/"
    signs, without = [], []
    for camera_id in selection.camera_ids:
        config = selection.configs[camera_id]
        stored = store.permit(camera_id)
        decision = stored.permit.decision if stored is not None else None
        if decision is None or not decision.is_valid_on(today):
            without.append(camera_id)
            continue
        address = f"{base}areas/{pages[config.group]}#camera-{camera_id}"
        notice = organisation.notice(camera_id, decision.reference_number)
        signs.append(
            Sign(
                camera_id,
                config.name or config.place or camera_id,
                config.place or config.name or camera_id,
                decision.purpose,
                hours_in_words(decision.permitted_hours, clock.label_in(language), language),
                notice.retention,
                address,
                data_uri("image/svg+xml", qr_svg(address)),
            )
        )
    common = {
        "version": __version__,
        "generated_at": clock.now_text(),
        "zone_label": clock.label,
        "organisation": organisation,
        "pictogram": data_uri("image/svg+xml", PICTOGRAM_SVG),
    }
    (folder / "signs").mkdir()
    for sign in signs:
        for size in SIZES:
            title = _("Camera surveillance: %(camera)s") % {"camera": sign.title}
            page = render("sign.html", language, title=title, sign=sign, size=size, **common)
            (folder / "signs" / f"{sign.camera_id}-{size}.html").write_text(page, encoding="utf-8")
    index = render(
        "signs_index.html",
        language,
        title=_("Signs for the cameras of %(organisation)s") % {"organisation": organisation.name},
        signs=signs,
        sizes=SIZES,
        without=without,
        group=group,
        **common,
    )
    (folder / "index.html").write_text(index, encoding="utf-8")
    return SignsBuild(signs, without, selection.unreadable)
