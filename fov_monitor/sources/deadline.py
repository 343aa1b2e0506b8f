"""The wall-clock budget of one grab, and running a grab's work so that it cannot outlast it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from fov_monitor.errors import SourceTimeout

T = TypeVar("T")


@dataclass
class Deadline:
    """The time left to one grab, and where the grab has got to (for the timeout message).

    Attributes
    ----------
    timeout_s : float
        The whole budget in seconds.
    source : str
        The redacted source, as errors name it.
    stage : str
        What the grab is doing now (``"connecting"``, ``"waiting for the answer"``, ...).
    timings : dict of str to float
        Seconds spent per stage, filled in by the grab.
    """

    timeout_s: float
    source: str
    stage: str = "starting"
    timings: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def remaining(self) -> float:
        """Return the seconds left (``<= 0`` once the budget is spent)."""
        return self.timeout_s - (time.monotonic() - self.started)

    def expired(self) -> bool:
        """Return True when the budget is spent."""
        return self.remaining() <= 0

    def timeout_error(self) -> SourceTimeout:
        """Return the error that says the source ran out of time, and where."""
        return SourceTimeout(
            f"{self.source} gave no frame within {self.timeout_s:g} s (stuck {self.stage}); "
            "check that the camera is up, or raise the timeout"
        )

    def check(self) -> None:
        """Raise :class:`SourceTimeout` when the budget is spent."""
        if self.expired():
            raise self.timeout_error()


class _Outcome(Generic[T]):
    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: T | None = None
        self.error: BaseException | None = None


def call_within(deadline: Deadline, work: Callable[[], T], abandon: Callable[[], None] | None = None) -> T:
    """Run ``work`` in a worker thread and return its result, or raise when the deadline passes first.

    Python cannot stop a thread blocked in C (a DNS lookup, FFmpeg, a stale network mount), so at the
    deadline the worker is abandoned, not killed: ``abandon`` is called to cut what can be cut (a
    socket), and the daemon thread ends on its own once its call returns. The caller is never held
    past the deadline; the cost is a thread that may live on a little.

    Raises
    ------
    SourceTimeout
        When ``work`` has not finished by the deadline.
    Exception
        Whatever ``work`` raised.
    """
    outcome: _Outcome[T] = _Outcome()

    def run() -> None:
        try:
            outcome.value = work()
        except BaseException as exc:  # handed to the caller's thread
            outcome.error = exc
        finally:
            outcome.done.set()

    threading.Thread(target=run, name=f"grab {deadline.source}", daemon=True).start()
    if not outcome.done.wait(max(deadline.remaining(), 0.0)):
        if abandon is not None:
            abandon()
        raise deadline.timeout_error()
    if outcome.error is not None:
        raise outcome.error
    return outcome.value  # type: ignore[return-value]
