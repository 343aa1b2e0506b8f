"""How long a locked or briefly unreachable database is waited for before a write gives up."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fov_monitor.errors import InvalidSettingsError


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Tries of one database operation that failed for a passing reason.

    A passing reason is SQLite's ``database is locked`` (another process is writing) or a lost or
    refused PostgreSQL connection (a server restart, a network blip). Each try is a whole
    transaction: a failed one leaves nothing behind, so trying again is safe.

    Attributes
    ----------
    attempts : int
        Tries in all, the first included.
    first_delay_s : float
        Pause after the first failed try; doubled after each further one, up to ``max_delay_s``.
    max_delay_s : float
    busy_timeout_s : float
        How long one SQLite try waits for another process's lock before it fails.
    connect_timeout_s : int
        How long one PostgreSQL connection attempt may take (libpq counts whole seconds, at least 2).
    """

    attempts: int = 5
    first_delay_s: float = 0.25
    max_delay_s: float = 2.0
    busy_timeout_s: float = 2.0
    connect_timeout_s: int = 5

    def __post_init__(self) -> None:
        if not 1 <= self.attempts <= 100:
            raise InvalidSettingsError(f"retry attempts must be 1 to 100, got {self.attempts}")
        if not 0 <= self.first_delay_s <= self.max_delay_s:
            raise InvalidSettingsError(
                "retry delays must satisfy 0 <= first <= max, got "
                f"{self.first_delay_s} and {self.max_delay_s}"
            )
        if self.busy_timeout_s < 0 or self.connect_timeout_s < 1:
            raise InvalidSettingsError(
                "busy_timeout_s must be >= 0 and connect_timeout_s >= 1, got "
                f"{self.busy_timeout_s} and {self.connect_timeout_s}"
            )

    def longest_wait_s(self) -> float:
        """Return how long a write waits at most before it fails, on SQLite: every try waiting out its
        ``busy_timeout_s`` for another process's lock, and the pauses between tries (about 14 s by
        default: 5 x 2 s + 0.25 + 0.5 + 1 + 2 s)."""
        return self.attempts * self.busy_timeout_s + sum(self.delays_s())

    def delays_s(self) -> Iterator[float]:
        """Yield the pause before each try after the first (``attempts - 1`` values)."""
        delay = self.first_delay_s
        for _ in range(self.attempts - 1):
            yield delay
            delay = min(delay * 2, self.max_delay_s)
