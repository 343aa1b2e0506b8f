"""The report's charts: the per-camera timeline and the organisation's charts, embedded as data URIs.

The timeline has two parts. The strip of daily statuses is a row of coloured pixels: it is drawn
with numpy straight into a PNG a few hundred bytes long (matplotlib would take 20-30 ms for it), and
the page scales it up without smoothing. The share of the view outside the permit is a real chart,
drawn by matplotlib (Agg) on one figure kept for the whole report, blitting each camera's lines onto
the axes drawn once (see :class:`OutsideChart`). The organisation's charts are drawn once each, as SVG.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Mapping, Sequence

import cv2
import matplotlib

matplotlib.use("Agg")  # no display: must precede any use of pyplot anywhere in the process

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from numpy.typing import NDArray

from fov_monitor.core.result import Outcome
from fov_monitor.errors import ReportError
from fov_monitor.report.embed import data_uri
from fov_monitor.report.figures import OUTCOMES, DayStatus

STATUS_COLOURS: Mapping[DayStatus, str] = {
    DayStatus.NO_CHECK: "#e4e4e4",
    DayStatus.COMPLIANT: "#009e73",
    DayStatus.UNVERIFIABLE: "#f0e442",
    DayStatus.OFFLINE: "#7a7a7a",
    DayStatus.ERROR: "#cc79a7",
    DayStatus.REDIRECTED: "#e69f00",
    DayStatus.ZONE_EXPOSED: "#d55e00",
    DayStatus.TAMPERED: "#000000",
    DayStatus.OUTSIDE_DECISION: "#56b4e9",
}
"""Colours of the daily statuses (the Okabe-Ito palette, told apart with colour-blindness too)."""

STATUS_LABELS: Mapping[DayStatus, str] = {
    DayStatus.NO_CHECK: "no check",
    **{DayStatus.of(outcome): str(outcome) for outcome in Outcome},
    DayStatus.ZONE_EXPOSED: "privacy zone in view",
}
"""How the daily statuses are named in the legend and the strip's text: an outcome by its value."""

_MONTH_STARTS = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _lut_bgr() -> NDArray[np.uint8]:
    lut = np.zeros((len(DayStatus), 3), np.uint8)
    for status, colour in STATUS_COLOURS.items():
        red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        lut[status] = (blue, green, red)
    return lut


_LUT_BGR = _lut_bgr()


def status_strip(day_status: NDArray[np.uint8]) -> str:
    """Return the strip of daily statuses as a PNG data URI, one pixel per day.

    Parameters
    ----------
    day_status : (days,) uint8 array
        :class:`~fov_monitor.report.figures.DayStatus` codes.
    """
    pixels = _LUT_BGR[np.asarray(day_status, np.intp)][np.newaxis, :, :]
    ok, encoded = cv2.imencode(".png", pixels, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    if not ok:
        raise ReportError("could not encode the status strip as PNG")
    return data_uri("image/png", encoded.tobytes())


class OutsideChart:
    """The daily share of the view outside the permit over a year, one figure reused per camera.

    Drawn by blitting: the axes, ticks and grid of each y scale (5%, 10%, 25%, 50% or 100%) are
    drawn once and kept as pixels; a camera's chart restores them and draws only its two lines
    (3 ms instead of 35 ms for a full draw). PNG at 150 dpi, sharp enough to print.

    Parameters
    ----------
    days : int
        Days in the year (365 or 366).
    """

    SCALES = (0.05, 0.10, 0.25, 0.50, 1.00)
    """Top of the y axis: the smallest that holds the camera's largest share and its tolerance."""

    def __init__(self, days: int) -> None:
        self.days = days
        self._backgrounds: dict[float, object] = {}
        with _style():
            # Fixed margins, not a layout engine, so every camera's axes sit at the same pixels.
            self.figure = Figure(figsize=(7.2, 1.5), dpi=150)
            self.canvas = FigureCanvasAgg(self.figure)
            self.figure.subplots_adjust(left=0.1, right=0.99, top=0.95, bottom=0.17)
            self.axes = self.figure.add_subplot()
            x = np.arange(days)
            (self.line,) = self.axes.plot(x, np.zeros(days), color="#0072b2", linewidth=1.0, animated=True)
            self.limit = self.axes.axhline(
                0.02, color="#d55e00", linewidth=0.8, linestyle="--", animated=True
            )
            self.axes.set_xlim(0, days - 1)
            self.axes.set_xticks(_MONTH_STARTS, _MONTHS)
            self.axes.set_ylabel("outside permit")
            self.axes.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
            self.axes.grid(axis="y", color="#dddddd", linewidth=0.5)
            for side in ("top", "right"):
                self.axes.spines[side].set_visible(False)

    def render(self, day_outside: NDArray[np.float64], tolerance: float | None) -> str:
        """Return the chart of one camera as a PNG data URI.

        Parameters
        ----------
        day_outside : (days,) float64 array
            The day's largest share outside the permit, NaN where none was measured.
        tolerance : float or None
            The camera's tolerance, drawn as a dashed line; None (not known) draws none.
        """
        values = np.asarray(day_outside, np.float64)
        if values.shape != (self.days,):
            raise ReportError(f"outside shares must be one per day ({self.days}), got shape {values.shape}")
        finite = values[np.isfinite(values)]
        top = max(float(finite.max()) if finite.size else 0.0, tolerance or 0.0) * 1.1
        scale = next((s for s in self.SCALES if s >= top), self.SCALES[-1])
        self.axes.set_ylim(0, scale)
        background = self._backgrounds.get(scale)
        if background is None:
            with _style():
                self.canvas.draw()  # everything but the animated lines
            background = self._backgrounds[scale] = self.canvas.copy_from_bbox(self.figure.bbox)
        else:
            self.canvas.restore_region(background)
        self.line.set_ydata(values)
        if tolerance is not None:
            self.limit.set_ydata([tolerance, tolerance])
            self.axes.draw_artist(self.limit)
        self.axes.draw_artist(self.line)
        rgba = np.asarray(self.canvas.buffer_rgba())
        ok, encoded = cv2.imencode(".png", cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGR))
        if not ok:
            raise ReportError("could not encode the outside-share chart as PNG")
        return data_uri("image/png", encoded.tobytes())


def monthly_chart(monthly_counts: NDArray[np.int64]) -> str:
    """Return the fleet's outcomes per month as stacked bars, an SVG data URI.

    Parameters
    ----------
    monthly_counts : (12, len(OUTCOMES)) int array
        Outcomes per month in the order of :data:`~fov_monitor.report.figures.OUTCOMES`.
    """
    with _style():
        figure = Figure(figsize=(7.2, 2.4), dpi=100, layout="constrained")
        _monthly_bars(figure, monthly_counts)
    return _svg(figure)


def _monthly_bars(figure: Figure, monthly_counts: NDArray[np.int64]) -> None:
    axes = figure.add_subplot()
    bottom = np.zeros(12)
    for column, outcome in enumerate(OUTCOMES):
        status = DayStatus.of(outcome)
        values = monthly_counts[:, column].astype(float)
        axes.bar(_MONTHS, values, bottom=bottom, color=STATUS_COLOURS[status], label=STATUS_LABELS[status])
        bottom += values
    axes.set_ylabel("checks")
    axes.legend(ncols=4, fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.12))
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def compliance_histogram(shares: Sequence[float]) -> str:
    """Return how many cameras reached each share compliant, an SVG data URI."""
    with _style():
        figure = Figure(figsize=(7.2, 2.0), dpi=100, layout="constrained")
        _histogram_bars(figure, shares)
    return _svg(figure)


def _histogram_bars(figure: Figure, shares: Sequence[float]) -> None:
    axes = figure.add_subplot()
    bins = np.array([0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 1.0001])
    counts, _ = np.histogram(np.asarray(shares, float), bins=bins)
    labels = ["< 50%", "50-80%", "80-90%", "90-95%", "95-99%", ">= 99%"]
    axes.bar(labels, counts, color="#0072b2")
    axes.set_xlabel("share of checks compliant")
    axes.set_ylabel("cameras")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def _style() -> contextlib.AbstractContextManager[None]:
    """Text kept as text in the SVG (smaller, selectable), ids stable from build to build."""
    return matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "fov-monitor", "font.size": 8})


def _svg(figure: Figure) -> str:
    buffer = io.BytesIO()
    with _style():
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return data_uri("image/svg+xml", buffer.getvalue())
