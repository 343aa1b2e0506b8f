"""Small inline SVG charts, drawn on the server: no script, readable by screen readers."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from fov_monitor.database import ResultRow


def _polyline(values: Sequence[float | None], width: float, height: float, pad: float) -> str:
    """Return SVG polyline points for values in 0..1 (gaps skipped), left to right."""
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    points = [
        f"{pad + i * step:.1f},{pad + (1.0 - min(max(v, 0.0), 1.0)) * (height - 2 * pad):.1f}"
        for i, v in enumerate(values)
        if v is not None
    ]
    return " ".join(points)


def sparkline(rows: Sequence[ResultRow], label: str) -> Markup:
    """Return a 100x24 sparkline of the share outside the permit, oldest result first."""
    values = [row.outside_fraction for row in rows]
    points = _polyline(values, 100, 24, 2)
    return Markup(
        f'<svg class="spark" viewBox="0 0 100 24" width="100" height="24" role="img" '
        f'aria-label="{escape(label)}"><polyline class="outside" points="{points}"/></svg>'
    )


def history_chart(rows: Sequence[ResultRow], camera_id: str) -> Markup:
    """Return a chart of the share outside the permit and the confidence, oldest result first."""
    width, height, pad = 600, 200, 24
    outside = _polyline([row.outside_fraction for row in rows], width, height, pad)
    confidence = _polyline([row.confidence for row in rows], width, height, pad)
    first = escape(rows[0].checked_at) if rows else ""
    last = escape(rows[-1].checked_at) if rows else ""
    return Markup(
        f'<svg class="history" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="history-title history-desc">'
        f'<title id="history-title">History of camera {escape(camera_id)}</title>'
        f'<desc id="history-desc">Share of the view outside the permit (solid) and confidence (dashed), '
        f"from 0 to 1, for {len(rows)} checks from {first} to {last}.</desc>"
        f'<line class="axis" x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}"/>'
        f'<line class="axis" x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}"/>'
        f'<text x="2" y="{pad + 4}">1</text><text x="2" y="{height - pad + 4}">0</text>'
        f'<polyline class="outside" points="{outside}"/>'
        f'<polyline class="confidence" points="{confidence}"/>'
        f'<text x="{pad}" y="{height - 6}">{first}</text>'
        f'<text x="{width - pad}" y="{height - 6}" text-anchor="end">{last}</text>'
        "</svg>"
    )
