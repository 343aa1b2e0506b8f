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
from fov_monitor.workflows.evidence import faces_unblurred

_EVENT_WORDS = {
    "opened": "opened",
    "closed": "closed (compliant again)",
    "resolved": "resolved by a reviewer",
}


@dataclass(frozen=True, slots=True)
class RenderedMail:
    """The three texts of an alert mail."""

    subject: str
    text: str
    html: str


CATCH_UP_LINE = "this channel was set up after the alert opened; it is told of the alert as it is now"


def render_mail(
    payload: Mapping[str, Any],
    evidence: EvidenceMode,
    review_url: str | None = None,
    not_attached: str | None = None,
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
    """
    alert: Mapping[str, Any] = payload.get("alert") or {}
    event = str(payload.get("event", ""))
    camera = str(alert.get("camera_id", "?"))
    problem = str(alert.get("problem", "?")).replace("_", " ")
    what = _EVENT_WORDS.get(event, event)
    subject = f"[fov-monitor] {camera}: {problem} alert {what}"
    if payload.get("catch_up"):
        subject += " (announced late)"
    rows = _rows(payload, alert)
    evidence_path = alert.get("evidence_path")
    evidence_line = ""
    if evidence_path and evidence is EvidenceMode.ATTACH and not_attached:
        evidence_line = f"The evidence image could not be attached: {not_attached}."
    elif evidence_path and evidence is EvidenceMode.ATTACH:
        evidence_line = "The evidence image (faces blurred, privacy zones hidden) is attached."
    elif evidence_path and evidence is EvidenceMode.LINK and faces_unblurred(str(evidence_path)):
        evidence_line = (
            f"The evidence image is at {evidence_path}; its faces are NOT blurred (written while face "
            "blurring was switched off): open it in the web app, which shows it blurred."
        )
    elif evidence_path and evidence is EvidenceMode.LINK:
        evidence_line = f"The evidence image (faces blurred) is at {evidence_path}"
    alert_page = (
        f"{review_url.rstrip('/')}/alerts/{alert.get('id')}" if review_url and alert.get("id") else None
    )
    summary = str(alert.get("summary", ""))
    reasons = [str(reason) for reason in alert.get("reasons") or []]
    text_lines = [f"Alert {alert.get('id', '?')} for camera {camera} was {what}.", "", summary, ""]
    if alert_page:
        text_lines[1:1] = [f"Review it at {alert_page}"]
    text_lines += [f"{label}: {value}" for label, value in rows]
    if reasons:
        text_lines += ["", "Reasons:", *(f"- {reason}" for reason in reasons)]
    if evidence_line:
        text_lines += ["", evidence_line]
    text_lines += ["", f"Idempotency key: {payload.get('idempotency_key', '')}"]
    html = "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{escape(subject)}</title></head><body>",
            f"<h1>Camera {escape(camera)}: {escape(problem)} alert {escape(what)}</h1>",
            f"<p>{escape(summary)}</p>",
            *(
                [f'<p><a href="{escape(alert_page)}">Review alert {escape(str(alert.get("id")))}</a></p>']
                if alert_page
                else []
            ),
            "<table><caption>Alert details</caption><tbody>",
            *(
                f'<tr><th scope="row">{escape(label)}</th><td>{escape(value)}</td></tr>'
                for label, value in rows
            ),
            "</tbody></table>",
            *(
                ["<h2>Reasons</h2><ul>", *(f"<li>{escape(r)}</li>" for r in reasons), "</ul>"]
                if reasons
                else []
            ),
            *([f"<p>{escape(evidence_line)}</p>"] if evidence_line else []),
            f"<p><small>Idempotency key: {escape(str(payload.get('idempotency_key', '')))}</small></p>",
            "</body></html>",
        ]
    )
    return RenderedMail(subject, "\n".join(text_lines).strip() + "\n", html + "\n")


def _rows(payload: Mapping[str, Any], alert: Mapping[str, Any]) -> list[tuple[str, str]]:
    fraction = alert.get("outside_fraction")
    candidates = [
        ("Camera", alert.get("camera_id")),
        ("Name", alert.get("camera_name")),
        ("Place", alert.get("place")),
        ("Group", alert.get("group")),
        ("Problem", str(alert.get("problem", "")).replace("_", " ")),
        ("State", alert.get("state")),
        ("Event", payload.get("event")),
        ("At", payload.get("at")),
        ("Opened", alert.get("opened_at")),
        ("Closed", alert.get("closed_at")),
        ("Occurrences", alert.get("occurrences")),
        ("Outside the permit", f"{100 * float(fraction):.1f}% of the view" if fraction is not None else None),
        ("Permit decision", alert.get("permit_decision")),
        ("Reviewer's note", payload.get("note") or None),
        ("Announced late", CATCH_UP_LINE if payload.get("catch_up") else None),
    ]
    return [(label, str(value)) for label, value in candidates if value is not None and value != ""]
