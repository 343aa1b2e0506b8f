"""The conditions a frame was taken in (light level, colour or infrared) and whether a reference covers them.

A frame that does not align cannot be called another view ("redirected") when it was taken in
conditions no reference of the camera shows: a night frame against a day reference, an infrared one
against a colour one. Then the honest answer is that it cannot be verified, naming the reference
that is missing (:func:`missing_reference`).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence

from fov_monitor.core.result import FrameQuality

LIGHT_RATIO = 2.2
"""A frame this many times darker (or brighter) than a reference, in mean gray level, is in other light."""
NIGHT_LUMA = 50.0
"""A frame darker than this (mean gray level) in other light than every reference is a night frame."""
GRAY_CHROMA = 3.0
"""A picture less colourful than this (see :func:`~fov_monitor.core.imaging.chroma_of`) is infrared or
monochrome ..."""
COLOUR_CHROMA = 8.0
"""... and a reference more colourful than this is a colour one: the two are not comparable."""


class Condition(enum.StrEnum):
    """A kind of light a camera's references may be captured in (also the usual reference labels)."""

    DAY = "day"
    DUSK = "dusk"
    NIGHT = "night"
    INFRARED = "infrared"


def missing_reference(live: FrameQuality, references: Sequence[FrameQuality]) -> Condition | None:
    """Return the condition of a frame that no reference covers, or None when one does.

    Parameters
    ----------
    live : FrameQuality
        The live frame's quality (mean gray level, and chroma when it came in colour).
    references : sequence of FrameQuality
        The qualities of the camera's references.

    Returns
    -------
    Condition or None
        ``infrared`` for a gray frame where every reference is in colour; ``night``, ``dusk`` or
        ``day`` for a frame more than :data:`LIGHT_RATIO` times darker or brighter than every
        reference; None when some reference was taken in comparable conditions.
    """
    if all(not comparable(live, reference) for reference in references):
        return _condition(live)
    return None


def comparable(live: FrameQuality, reference: FrameQuality) -> bool:
    """Return True if a frame and a reference were taken in comparable light (level and colour)."""
    if (_is_gray(live) and _is_colour(reference)) or (_is_colour(live) and _is_gray(reference)):
        return False
    ratio = math.log((live.mean_luma + 4.0) / (reference.mean_luma + 4.0))
    return abs(ratio) <= math.log(LIGHT_RATIO)


def _is_gray(quality: FrameQuality) -> bool:
    return quality.chroma is not None and quality.chroma < GRAY_CHROMA


def _is_colour(quality: FrameQuality) -> bool:
    return quality.chroma is not None and quality.chroma >= COLOUR_CHROMA


def _condition(live: FrameQuality) -> Condition:
    if _is_gray(live):
        return Condition.INFRARED
    if live.mean_luma < NIGHT_LUMA:
        return Condition.NIGHT
    if live.mean_luma < 2 * NIGHT_LUMA:
        return Condition.DUSK
    return Condition.DAY
