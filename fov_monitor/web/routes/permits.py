"""The permit editor: the page, and reading and saving a camera's permit as JSON."""

from __future__ import annotations

import json
import unicodedata
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from fov_monitor.core.permit import DEFAULT_ZONE_TOLERANCE, Permit
from fov_monitor.db.audit import AuditAction
from fov_monitor.db.database import Database
from fov_monitor.errors import N_
from fov_monitor.i18n import Language, translations
from fov_monitor.store.store import now_utc
from fov_monitor.web.auth import require
from fov_monitor.web.context import get_database, web_context
from fov_monitor.web.limits import require_json
from fov_monitor.web.messages import Refusal
from fov_monitor.web.pages import language_of_page, render
from fov_monitor.web.roles import Permission
from fov_monitor.web.routes.cameras import camera_document
from fov_monitor.web.routes.common import known_camera
from fov_monitor.web.sessions import Session

router = APIRouter()

MAX_POINTS = 500
"""Points of one polygon: the permitted area or a privacy zone (a drawing, not a traced outline)."""
MAX_ZONE_NAME = 64
"""Characters of a privacy zone's name."""
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
"""Unicode categories of characters that do not show as themselves: controls, formats, separators."""

PointList = Annotated[list[tuple[float, float]], Field(max_length=MAX_POINTS)]


class PermitDrawing(BaseModel):
    """The permit's geometry as drawn in the editor, in reference pixels (``x`` right, ``y`` down).

    The decision and tolerances are kept as they are; validation is the permit's own (at least 3
    distinct points, no self-intersection, not far outside the reference), with at most
    :data:`MAX_POINTS` points per polygon.
    """

    model_config = ConfigDict(extra="forbid")
    permitted_xy: PointList = Field(description=f"the permitted polygon, [[x, y], ...], at most {MAX_POINTS}")
    privacy_zones: dict[str, PointList] = Field(
        default_factory=dict,
        max_length=50,
        description=f"privacy zones by name, each [[x, y], ...] of at most {MAX_POINTS} points",
    )


def check_zone_name(name: str) -> str:
    """Return ``name`` if it is a privacy zone's name that reads the same everywhere, else raise 400.

    1 to :data:`MAX_ZONE_NAME` characters, not only spaces, and none that is invisible or changes how
    the text around it reads: control characters (NUL, newlines), formatting ones (the bidirectional
    overrides U+202A-U+202E and U+2066-U+2069, zero-width characters) and line separators. The name
    is shown in the camera page, evidence captions, alerts and reports, where such characters could
    hide or reverse what is written.
    """
    if not name.strip() or len(name) > MAX_ZONE_NAME:
        raise Refusal(
            400,
            N_("A privacy zone's name has 1 to %(most)s characters."),
            detail=f"privacy zone name {name[:70]!r} must be 1-{MAX_ZONE_NAME} characters",
            most=MAX_ZONE_NAME,
        )
    hidden = next((c for c in name if unicodedata.category(c) in _HIDDEN_CATEGORIES), None)
    if hidden is not None:
        raise Refusal(
            400,
            N_(
                "The name of a privacy zone has an invisible or control character (U+%(code)s); use "
                "letters, digits, spaces and punctuation."
            ),
            detail=f"privacy zone name {ascii(name)[:90]} has an invisible or control character "
            f"(U+{ord(hidden):04X}); use letters, digits, spaces and punctuation",
            code=f"{ord(hidden):04X}",
        )
    return name


def editor_words(language: Language) -> dict[str, object]:
    """Return what the editor's script says, in ``language``: ``%(name)s`` for the script to fill in.

    A count's words are given for one and for more (``applied``): both languages count so.
    """
    words = translations(language)
    _ = words.gettext
    return {
        "permitted_area": _("Permitted area"),
        "zone": _("Privacy zone: %(zone)s"),
        "point": _("Point %(number)s at %(x)s, %(y)s"),
        "select_first": _("Select a point first."),
        "cleared": _("Shape cleared: click on the image to draw it."),
        "keep_permitted": _("The permitted area cannot be deleted; clear and redraw it."),
        "name_zone": _("Give the new zone a name."),
        "zone_exists": _("A zone called %(zone)s exists already."),
        "zone_added": _("Zone %(zone)s added: click on the image to draw it."),
        "not_a_point": _("Not a point: %(text)s (write x,y x,y …)"),
        "applied": [
            words.ngettext("%(num)d point applied.", "%(num)d points applied.", count) for count in (1, 2)
        ],
        "version": _("%(when)s by %(who)s (%(points)s points, %(zones)s zones)"),
        "current": _("current: %(version)s"),
        "saving": _("Saving…"),
        "saved": _("Saved."),
        "not_saved": _("Not saved: %(why)s"),
        "date_style": "iso" if language is Language.EN else "words",
        "time_separator": ":" if language is Language.EN else ".",
        "lang": str(language),
    }


@router.get("/cameras/{camera_id}/permit", include_in_schema=False)
def editor_page(
    request: Request,
    camera_id: str,
    session: Session = Depends(require(Permission.EDIT_PERMIT)),
) -> Response:
    store = web_context(request).store
    known_camera(store, camera_id)
    document = camera_document(store, camera_id)
    if not document["references"]:
        raise Refusal(
            409,
            N_(
                "Camera %(camera)s has no reference to draw the permit on: a technician captures a "
                "reference image first."
            ),
            detail=f"camera {camera_id!r} has no reference to draw the permit on; capture one first "
            f"(fov-monitor reference capture {camera_id})",
            camera=camera_id,
        )
    language = language_of_page(request, session).language
    return render(
        request,
        "permit_editor.html",
        session,
        camera_id=camera_id,
        document=document,
        editor_words=editor_words(language),
    )


@router.get("/api/cameras/{camera_id}/permit")
def api_permit(
    request: Request, camera_id: str, _: Session = Depends(require(Permission.VIEW_CAMERA))
) -> dict[str, Any]:
    """Return the camera's permit with the size of the reference it is drawn on, and who set it when."""
    store = web_context(request).store
    known_camera(store, camera_id)
    document = camera_document(store, camera_id)
    if document["permit"] is None:
        raise Refusal(
            404,
            N_("Camera %(camera)s has no permit yet."),
            detail=f"camera {camera_id!r} has no permit yet",
            camera=camera_id,
        )
    return dict(document["permit"])


@router.get("/api/cameras/{camera_id}/permit/versions")
def api_permit_versions(
    request: Request, camera_id: str, _: Session = Depends(require(Permission.VIEW_CAMERA))
) -> list[dict[str, Any]]:
    """Return every version of the permit, the current one first: who set it and when."""
    store = web_context(request).store
    known_camera(store, camera_id)
    folder = store.folder(camera_id)
    paths = [folder / "permit.json", *sorted((folder / "history").glob("permit-*.json"), reverse=True)]
    versions = []
    for path in paths:
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        versions.append(
            {
                "file": path.name,
                "set_at": data.get("set_at"),
                "set_by": data.get("set_by"),
                "current": path.name == "permit.json",
                "points": len(data.get("permitted_xy") or []),
                "zones": sorted(data.get("privacy_zones") or {}),
            }
        )
    return versions


@router.put("/api/cameras/{camera_id}/permit", dependencies=[Depends(require_json)])
def api_save_permit(
    request: Request,
    camera_id: str,
    drawing: PermitDrawing,
    session: Session = Depends(require(Permission.EDIT_PERMIT)),
    database: Database = Depends(get_database),
) -> dict[str, Any]:
    """Save the permit's polygon and privacy zones; the previous version is kept in the camera's history.

    400 names what is wrong with a polygon; nothing is stored then.
    """
    store = web_context(request).store
    known_camera(store, camera_id)
    for name in drawing.privacy_zones:
        check_zone_name(name)
    state = store.camera_state(camera_id)
    infos, current = state.infos, state.stored_permit
    if not infos:
        raise Refusal(
            409,
            N_(
                "Camera %(camera)s has no reference to draw the permit on: a technician captures a "
                "reference image first."
            ),
            detail=f"camera {camera_id!r} has no reference to draw on; capture one first",
            camera=camera_id,
        )
    permit = Permit(
        permitted_xy=drawing.permitted_xy,
        privacy_zones=drawing.privacy_zones,
        tolerance=state.config.tolerance,
        # What the drawing does not show is kept as it was: a hand-set zone tolerance, the decision.
        zone_tolerance=current.permit.zone_tolerance if current else DEFAULT_ZONE_TOLERANCE,
        decision=current.permit.decision if current else None,
    )
    permit.check_fits(infos[0].size_wh)
    kept = store.save_permit(camera_id, permit, infos[0].size_wh, session.user.name)
    database.audit(
        session.user.name,
        AuditAction.PERMIT_SET,
        camera_id,
        {"permit": permit.to_dict(), "previous_kept_at": str(kept) if kept else None, "via": "web"},
        at=now_utc(),
    )
    return dict(camera_document(store, camera_id)["permit"])
