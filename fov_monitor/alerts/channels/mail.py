"""An alert event as a mail: a subject, a plain-text body and an accessible HTML body, from the payload.

The HTML is one heading, one paragraph and a two-column table with header cells, no colours that
carry meaning and no remote content, so it reads the same in a screen reader and a text-only client.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

from fov_monitor.alerts.settings import EvidenceMode
from fov_monitor.i18n import Language, decimal, outcome_word, translations
from fov_monitor.i18n.marks import lang_attribute
from fov_monitor.i18n.words import N_, event_word, state_word
from fov_monitor.workflows.evidence import faces_unblurred

_EVENT_WORDS = {
    "opened": N_("opened"),
    "closed": N_("closed (compliant again)"),
    "resolved": N_("resolved by a reviewer"),
}


@dataclass(frozen=True, slots=True)
class RenderedMail:
    """The three texts of an alert mail."""

    subject: str
    text: str
    html: str


CATCH_UP_LINE = N_("this channel was set up after the alert opened; it is told of the alert as it is now")


def render_mail(
    payload: Mapping[str, Any],
    evidence: EvidenceMode,
    review_url: str | None = None,
    not_attached: str | None = None,
    language: Language = Language.EN,
) -> RenderedMail:
    """Render an alert event's payload as a mail.

    Parameters
    ----------
    payload : mapping
        The delivery's payload (schema ``fov-monitor.alert-event/1``).
    evidence : EvidenceMode
        ``attach``: the body says the image is attached (as shown: faces blurred, zones hidden);
        ``link``: it gives the image's path, and says when that file's faces are not blurred;
        ``none``: it does not mention it.
    review_url : str, optional
        The web app's address; the mail then links to the alert's page (``<review_url>/alerts/<id>``).
    not_attached : str, optional
        Why the image could not be attached (``attach``): the body says so instead.
    language : Language
        The language of the mail's own words (the verdict's reasons are the check's, in English).
    """
    _ = translations(language).gettext
    alert: Mapping[str, Any] = payload.get("alert") or {}
    event = str(payload.get("event", ""))
    camera = str(alert.get("camera_id", "?"))
    alert_id = str(alert.get("id", "?"))
    problem = outcome_word(str(alert.get("problem", "?")), language)
    what = _(_EVENT_WORDS[event]) if event in _EVENT_WORDS else event
    heading = _("%(problem)s alert %(what)s") % {"problem": problem, "what": what}
    subject = f"[fov-monitor] {camera}: {heading}"
    if payload.get("catch_up"):
        subject += " " + _("(announced late)")
    rows = _rows(payload, alert, language)
    evidence_path = alert.get("evidence_path")
    evidence_line = ""
    if evidence_path and evidence is EvidenceMode.ATTACH and not_attached:
        evidence_line = _("The evidence image could not be attached: %(why)s.") % {"why": not_attached}
    elif evidence_path and evidence is EvidenceMode.ATTACH:
        evidence_line = _("The evidence image (faces blurred, privacy zones hidden) is attached.")
    elif evidence_path and evidence is EvidenceMode.LINK and faces_unblurred(str(evidence_path)):
        evidence_line = _(
            "The evidence image is at %(path)s; its faces are NOT blurred (written while face "
            "blurring was switched off): open it in the web app, which shows it blurred."
        ) % {"path": evidence_path}
    elif evidence_path and evidence is EvidenceMode.LINK:
        evidence_line = _("The evidence image (faces blurred) is at %(path)s") % {"path": evidence_path}
    alert_page = (
        f"{review_url.rstrip('/')}/alerts/{alert.get('id')}" if review_url and alert.get("id") else None
    )
    summary = str(alert.get("summary", ""))
    reasons = [str(reason) for reason in alert.get("reasons") or []]
    opening = _("Alert %(id)s for camera %(camera)s was %(what)s.") % {
        "id": alert_id,
        "camera": camera,
        "what": what,
    }
    text_lines = [opening, "", summary, ""]
    if alert_page:
        text_lines[1:1] = [_("Review it at %(address)s") % {"address": alert_page}]
    text_lines += [f"{label}: {value}" for label, value in rows]
    if reasons:
        text_lines += ["", _("Reasons:"), *(f"- {reason}" for reason in reasons)]
    if evidence_line:
        text_lines += ["", evidence_line]
    key = _("Idempotency key: %(key)s") % {"key": payload.get("idempotency_key", "")}
    text_lines += ["", key]
    title = _("Camera %(camera)s: %(heading)s") % {"camera": camera, "heading": heading}
    review = _("Review alert %(id)s") % {"id": alert_id}
    caption, reasons_heading = _("Alert details"), _("Reasons")
    html = "\n".join(
        [
            "<!DOCTYPE html>",
            f'<html lang="{language}"><head><meta charset="utf-8">',
            f"<title>{escape(subject)}</title></head><body>",
            f"<h1>{escape(title)}</h1>",
            # The verdict's own words are the check's, in English: marked so for a screen reader.
            f"<p{lang_attribute(Language.EN, language)}>{escape(summary)}</p>",
            *([f'<p><a href="{escape(alert_page)}">{escape(review)}</a></p>'] if alert_page else []),
            f"<table><caption>{escape(caption)}</caption><tbody>",
            *(
                f'<tr><th scope="row">{escape(label)}</th><td>{escape(value)}</td></tr>'
                for label, value in rows
            ),
            "</tbody></table>",
            *(
                [
                    f"<h2>{escape(reasons_heading)}</h2><ul>",
                    *(f"<li>{escape(r)}</li>" for r in reasons),
                    "</ul>",
                ]
                if reasons
                else []
            ),
            *([f"<p>{escape(evidence_line)}</p>"] if evidence_line else []),
            f"<p><small>{escape(key)}</small></p>",
            "</body></html>",
        ]
    )
    return RenderedMail(subject, "\n".join(text_lines).strip() + "\n", html + "\n")


def _rows(payload: Mapping[str, Any], alert: Mapping[str, Any], language: Language) -> list[tuple[str, str]]:
    _ = translations(language).gettext
    fraction = alert.get("outside_fraction")
    outside = (
        _("%(share)s%% of the view") % {"share": decimal(100 * float(fraction), language)}
        if fraction is not None
        else None
    )
    candidates = [
        (_("Camera"), alert.get("camera_id")),
        (_("Name"), alert.get("camera_name")),
        (_("Place"), alert.get("place")),
        (_("Group"), alert.get("group")),
        (
            _("Problem"),
            outcome_word(str(alert.get("problem", "")), language) if alert.get("problem") else None,
        ),
        (_("State"), state_word(str(alert["state"]), language) if alert.get("state") else None),
        (_("Event"), event_word(str(payload["event"]), language) if payload.get("event") else None),
        (_("At"), payload.get("at")),
        (_("Opened"), alert.get("opened_at")),
        (_("Closed"), alert.get("closed_at")),
        (_("Occurrences"), alert.get("occurrences")),
        (_("Outside the permit"), outside),
        (_("Permit decision"), alert.get("permit_decision")),
        (_("Reviewer's note"), payload.get("note") or None),
        (_("Announced late"), _(CATCH_UP_LINE) if payload.get("catch_up") else None),
    ]
    return [(label, str(value)) for label, value in candidates if value is not None and value != ""]
