"""The report's charts: the per-camera timeline and the organisation's charts, embedded as data URIs.

The timeline (:class:`Timeline`) is one figure of two axes on one time axis: the strip of daily
statuses (a row of coloured pixels shown without smoothing) above the share of the view outside the
permit. It is drawn by matplotlib (Agg) on one figure kept for the whole report, blitting each
camera's strip and lines onto the axes drawn once. The organisation's charts are drawn once each, as
SVG.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Mapping, Sequence
from datetime import date

import cv2
import matplotlib

matplotlib.use("Agg")  # no display: must precede any use of pyplot anywhere in the process

import numpy as np
from babel.dates import get_month_names
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from numpy.typing import NDArray

from fov_monitor.core.result import Outcome
from fov_monitor.errors import ReportError
from fov_monitor.i18n import Language, decimal, outcome_word, translations
from fov_monitor.i18n.words import N_
from fov_monitor.report.embed import data_uri
from fov_monitor.report.figures import OUTCOMES, DayStatus
from fov_monitor.report.wording import percent

STATUS_COLOURS: Mapping[DayStatus, str] = {
    DayStatus.NOT_MONITORED: "#f2f2f2",
    DayStatus.UNVERIFIABLE: "#f7eb6c",
    DayStatus.OFFLINE: "#dde6ea",
    DayStatus.ERROR: "#fcd5e6",
    DayStatus.COMPLIANT: "#1e8c5a",
    DayStatus.REDIRECTED: "#552200",
    DayStatus.ZONE_EXPOSED: "#5c0a0a",
    DayStatus.TAMPERED: "#000000",
    DayStatus.OUTSIDE_DECISION: "#24094f",
}
"""Colours of the daily statuses, in three bands of lightness that reach 3:1 contrast against each
other: light for a day without a verdict on the view (not monitored, unverifiable, offline, error),
a middle green for compliant, dark for not compliant (redirected, zone exposed, tampered, outside
the decision). Within a band the colours differ in hue, and the legend and the tables name them:
more than three colours cannot all reach 3:1 against each other."""

STATUS_BANDS: tuple[frozenset[DayStatus], ...] = (
    frozenset({DayStatus.NOT_MONITORED, DayStatus.UNVERIFIABLE, DayStatus.OFFLINE, DayStatus.ERROR}),
    frozenset({DayStatus.COMPLIANT}),
    frozenset({DayStatus.REDIRECTED, DayStatus.ZONE_EXPOSED, DayStatus.TAMPERED, DayStatus.OUTSIDE_DECISION}),
)
"""The bands of :data:`STATUS_COLOURS`: no verdict, compliant, not compliant."""

NOT_MONITORED = N_("not monitored")
"""The words for a day without a check; a day with one is named by its worst outcome."""


def status_label(status: DayStatus, language: Language) -> str:
    """Return how a daily status is named in the legend and the timeline's text: the outcome's words.

    The words are those of every page, report and mail (:func:`~fov_monitor.i18n.outcome_word`).
    """
    if status is DayStatus.NOT_MONITORED:
        return translations(language).gettext(NOT_MONITORED)
    return outcome_word(Outcome[status.name].value, language)


def month_names(language: Language) -> list[str]:
    """Return the months' short names, January first: ``"Jan"``, ``"jan."``."""
    names = get_month_names("abbreviated", context="stand-alone", locale=str(language))
    return [names[month] for month in range(1, 13)]


def contrast_ratio(first: str, second: str) -> float:
    """Return the WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _lut_bgr() -> NDArray[np.uint8]:
    lut = np.zeros((len(DayStatus), 3), np.uint8)
    for status, colour in STATUS_COLOURS.items():
        red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        lut[status] = (blue, green, red)
    return lut


_LUT_BGR = _lut_bgr()


def month_starts(year: int) -> list[int]:
    """Return the day of the year (from 0) on which each month of ``year`` starts."""
    first = date(year, 1, 1).toordinal()
    return [date(year, month, 1).toordinal() - first for month in range(1, 13)]


class Timeline:
    """A camera's year on one time axis: each day's worst outcome above, the share outside the permit below.

    Both parts are axes of one figure that share their x axis (day of the year, month ticks at each
    month's first day), so a day's stripe stands right above its point of the chart. Days after the
    period (a report of the current year, to date) are left blank. Drawn by blitting: the axes,
    ticks and grid of each y scale (5%, 10%, 25%, 50% or 100%) are drawn once and kept as pixels; a
    camera's chart restores them and draws only its two lines, and its strip is painted straight
    into the pixels. PNG at 150 dpi, sharp enough to print.

    Parameters
    ----------
    year : int
        The calendar year of the axis (365 or 366 days).
    language : Language
        The language of its axes' words and numbers.
    """

    SCALES = (0.05, 0.10, 0.25, 0.50, 1.00)
    """Top of the y axis: the smallest that holds the camera's largest share and its tolerance."""

    def __init__(self, year: int, language: Language = Language.EN) -> None:
        _ = translations(language).gettext
        self.days = (date(year + 1, 1, 1) - date(year, 1, 1)).days
        self._backgrounds: dict[float, object] = {}
        with _style():
            # Fixed margins, not a layout engine, so every camera's axes sit at the same pixels.
            self.figure = Figure(figsize=(7.2, 1.9), dpi=150)
            self.canvas = FigureCanvasAgg(self.figure)
            self.figure.subplots_adjust(left=0.1, right=0.99, top=0.97, bottom=0.14, hspace=0.12)
            self.strip_axes, self.axes = self.figure.subplots(
                2, 1, sharex=True, gridspec_kw={"height_ratios": (1, 4)}
            )
            self.strip_axes.set_ylim(0, 1)
            self.strip_axes.set_yticks([])
            self.strip_axes.set_ylabel(_("day"), rotation=0, ha="right", va="center")
            x = np.arange(self.days)
            (self.line,) = self.axes.plot(
                x, np.zeros(self.days), color="#0072b2", linewidth=1.0, animated=True
            )
            self.limit = self.axes.axhline(
                0.02, color="#d55e00", linewidth=0.8, linestyle="--", animated=True
            )
            self.axes.set_xlim(-0.5, self.days - 0.5)
            self.axes.set_xticks(month_starts(year), month_names(language))
            self.axes.set_ylabel(_("outside permit"))
            self.axes.yaxis.set_major_formatter(_percent_ticks(language))
            self.axes.grid(axis="y", color="#dddddd", linewidth=0.5)
            for side in ("top", "right"):
                self.axes.spines[side].set_visible(False)
        self._strip_box, self._strip_days = self._strip_pixels()

    def _strip_pixels(self) -> tuple[tuple[slice, slice], NDArray[np.intp]]:
        """Return the strip's pixel rows and columns in the figure, and the day of each of its columns.

        The strip is painted straight into the figure's pixels (an image artist would cost more
        than the rest of the chart): each pixel column inside the strip's axes shows its day.
        """
        _, height = self.canvas.get_width_height()
        (x0, y0), (x1, y1) = self.strip_axes.transAxes.transform([(0, 0), (1, 1)])
        rows = slice(round(height - y1) + 1, round(height - y0) - 1)
        columns = slice(round(x0) + 1, round(x1) - 1)
        centres = np.arange(columns.start, columns.stop) + 0.5
        days = np.clip(np.floor((centres - x0) / (x1 - x0) * self.days), 0, self.days - 1).astype(np.intp)
        return (rows, columns), days

    def render(
        self, day_status: NDArray[np.uint8], day_outside: NDArray[np.float64], tolerance: float | None
    ) -> str:
        """Return the timeline of one camera as a PNG data URI.

        Parameters
        ----------
        day_status : (period days,) uint8 array
            :class:`~fov_monitor.report.figures.DayStatus` codes from 1 January; days after the
            period's last are blank.
        day_outside : (period days,) float64 array
            The day's largest share outside the permit, NaN where none was measured.
        tolerance : float or None
            The camera's tolerance, drawn as a dashed line; None (not known) draws none.
        """
        status = np.asarray(day_status, np.intp)
        values = np.asarray(day_outside, np.float64)
        if values.shape != status.shape or not 0 < status.size <= self.days:
            raise ReportError(
                f"a timeline needs one status and one share per day (at most {self.days}), "
                f"got shapes {status.shape} and {values.shape}"
            )
        finite = values[np.isfinite(values)]
        top = max(float(finite.max()) if finite.size else 0.0, tolerance or 0.0) * 1.1
        scale = next((s for s in self.SCALES if s >= top), self.SCALES[-1])
        self.axes.set_ylim(0, scale)
        background = self._backgrounds.get(scale)
        if background is None:
            with _style():
                self.canvas.draw()  # everything but the animated strip and lines
            background = self._backgrounds[scale] = self.canvas.copy_from_bbox(self.figure.bbox)
        else:
            self.canvas.restore_region(background)
        padded = np.full(self.days, np.nan)
        padded[: values.size] = values
        self.line.set_ydata(padded)
        if tolerance is not None:
            self.limit.set_ydata([tolerance, tolerance])
            self.axes.draw_artist(self.limit)
        self.axes.draw_artist(self.line)
        bgr = cv2.cvtColor(np.asarray(self.canvas.buffer_rgba()), cv2.COLOR_RGBA2BGR)
        row = np.full((self._strip_days.size, 3), 255, np.uint8)  # days after the period stay blank
        shown = self._strip_days < status.size
        row[shown] = _LUT_BGR[status[self._strip_days[shown]]]
        bgr[self._strip_box] = row
        ok, encoded = cv2.imencode(".png", bgr)
        if not ok:
            raise ReportError("could not encode the timeline as PNG")
        return data_uri("image/png", encoded.tobytes())


def _percent_ticks(language: Language) -> matplotlib.ticker.Formatter:
    return matplotlib.ticker.FuncFormatter(lambda share, _: percent(share, 0, language))


def monthly_chart(monthly_counts: NDArray[np.int64], language: Language = Language.EN) -> str:
    """Return the fleet's outcomes per month as stacked bars, an SVG data URI.

    Parameters
    ----------
    monthly_counts : (12, len(OUTCOMES)) int array
        Outcomes per month in the order of :data:`~fov_monitor.report.figures.OUTCOMES`.
    language : Language
        The language of the months, the outcomes and the axis.
    """
    with _style():
        figure = Figure(figsize=(7.2, 2.4), dpi=100, layout="constrained")
        _monthly_bars(figure, monthly_counts, language)
    return _svg(figure)


def _monthly_bars(figure: Figure, monthly_counts: NDArray[np.int64], language: Language) -> None:
    axes = figure.add_subplot()
    bottom = np.zeros(12)
    months = month_names(language)
    for column, outcome in enumerate(OUTCOMES):
        status = DayStatus.of(outcome)
        values = monthly_counts[:, column].astype(float)
        label = status_label(status, language)
        axes.bar(months, values, bottom=bottom, color=STATUS_COLOURS[status], label=label)
        bottom += values
    axes.set_ylabel(translations(language).gettext("checks"))
    axes.legend(ncols=4, fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.12))
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def compliance_histogram(shares: Sequence[float], language: Language = Language.EN) -> str:
    """Return how many cameras reached each share compliant, an SVG data URI (words in ``language``)."""
    with _style():
        figure = Figure(figsize=(7.2, 2.0), dpi=100, layout="constrained")
        _histogram_bars(figure, shares, language)
    return _svg(figure)


HISTOGRAM_BINS = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 1.0001)
"""The shares compliant the histogram counts cameras between (the last bin: 99% and all)."""


def histogram_labels(language: Language) -> list[str]:
    """Return the histogram's bins in words: ``"< 50%"``, ``"50-80%"`` .. ``">= 99%"``."""
    _ = translations(language).gettext
    low, *middle, high = HISTOGRAM_BINS[1:-1]
    spans = zip((low, *middle), (*middle, high), strict=True)
    return [
        _("< %(share)s") % {"share": percent(low, 0, language)},
        *(
            _("%(low)s-%(high)s%%")
            % {"low": decimal(a * 100, language, 0), "high": decimal(b * 100, language, 0)}
            for a, b in spans
        ),
        _(">= %(share)s") % {"share": percent(high, 0, language)},
    ]


def _histogram_bars(figure: Figure, shares: Sequence[float], language: Language) -> None:
    _ = translations(language).gettext
    axes = figure.add_subplot()
    counts, _edges = np.histogram(np.asarray(shares, float), bins=np.array(HISTOGRAM_BINS))
    axes.bar(histogram_labels(language), counts, color="#0072b2")
    axes.set_xlabel(_("share of checks compliant"))
    axes.set_ylabel(_("cameras"))
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
