"""Small inline SVG charts, drawn on the server: no script, readable by screen readers."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from fov_monitor.db.database import ResultRow
from fov_monitor.i18n import Language, translations
from fov_monitor.web.formats import when


def _points(
    values: Sequence[float | None], width: float, height: float, pad: float
) -> list[tuple[float, float]]:
    """Return SVG coordinates for values in 0..1 (gaps skipped), left to right."""
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    return [
        (pad + i * step, pad + (1.0 - min(max(v, 0.0), 1.0)) * (height - 2 * pad))
        for i, v in enumerate(values)
        if v is not None
    ]


def _polyline(points: Sequence[tuple[float, float]]) -> str:
    """Return the ``points`` attribute of an SVG polyline."""
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def _dots(points: Sequence[tuple[float, float]], kind: str) -> str:
    """Return a small circle per point, so that a single check shows too."""
    return "".join(f'<circle class="{kind}" cx="{x:.1f}" cy="{y:.1f}" r="3"/>' for x, y in points)


def sparkline(rows: Sequence[ResultRow], language: Language) -> Markup:
    """Return a 100x24 sparkline of the share outside the permit, oldest result first."""
    points = _points([row.outside_fraction for row in rows], 100, 24, 3)
    label = translations(language).ngettext(
        "share outside the permit, last %(num)d check",
        "share outside the permit, last %(num)d checks",
        len(rows),
    ) % {"num": len(rows)}
    return Markup(
        f'<svg class="spark" viewBox="0 0 100 24" width="100" height="24" role="img" '
        f'aria-label="{escape(label)}"><polyline class="outside" points="{_polyline(points)}"/>'
        f"{_dots(points, 'outside')}</svg>"
    )


def history_chart(rows: Sequence[ResultRow], camera_id: str, language: Language) -> Markup:
    """Return a chart of the share outside the permit and the confidence, oldest result first."""
    width, height, pad = 600, 200, 24
    outside = _points([row.outside_fraction for row in rows], width, height, pad)
    confidence = _points([row.confidence for row in rows], width, height, pad)
    first = when(rows[0].checked_at, language) if rows else ""
    last = when(rows[-1].checked_at, language) if rows else ""
    words = translations(language)
    title = words.gettext("History of camera %(camera)s") % {"camera": camera_id}
    description = words.ngettext(
        "Share of the view outside the permit (solid) and confidence (dashed), from 0 to 1, for "
        "%(num)d check from %(first)s to %(last)s.",
        "Share of the view outside the permit (solid) and confidence (dashed), from 0 to 1, for "
        "%(num)d checks from %(first)s to %(last)s.",
        len(rows),
    ) % {"num": len(rows), "first": first, "last": last}
    return Markup(
        f'<svg class="history" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="history-title history-desc">'
        f'<title id="history-title">{escape(title)}</title>'
        f'<desc id="history-desc">{escape(description)}</desc>'
        f'<line class="axis" x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}"/>'
        f'<line class="axis" x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}"/>'
        f'<text x="2" y="{pad + 4}">1</text><text x="2" y="{height - pad + 4}">0</text>'
        f'<polyline class="outside" points="{_polyline(outside)}"/>'
        f'<polyline class="confidence" points="{_polyline(confidence)}"/>'
        f"{_dots(outside, 'outside')}{_dots(confidence, 'confidence')}"
        f'<text x="{pad}" y="{height - 6}">{escape(first)}</text>'
        f'<text x="{width - pad}" y="{height - 6}" text-anchor="end">{escape(last)}</text>'
        "</svg>"
    )
