"""How the web app runs: sessions, cookies, limits."""

from __future__ import annotations

from dataclasses import dataclass

from fov_monitor.errors import InvalidSettingsError


@dataclass(frozen=True, slots=True)
class WebSettings:
    """The web app's settings.

    Attributes
    ----------
    session_hours : float
        A session ends this long after sign-in, whatever the activity (a shift, by default).
    secure_cookies : bool
        Mark cookies ``Secure`` (sent over HTTPS only). On by default; off only for a server bound to
        loopback and used over plain HTTP on the same machine (development, tests): ``fov-monitor
        serve`` refuses ``--insecure-cookies`` on any other address.
    max_body_bytes : int
        Largest request body accepted; a larger one gets 413 before it is read.
    history_limit : int
        Results shown in a camera's history chart and trend.
    worker_threads : int
        Threads for quick requests (database reads, pages). Few: Python threads share one interpreter
        lock, and many of them starve the server's event loop under load.
    heavy_threads : int
        Threads for slow work (a "check now", blurring the faces of an image): at most this many run
        at once, apart from the quick requests.
    """

    session_hours: float = 8.0
    secure_cookies: bool = True
    max_body_bytes: int = 1_000_000
    history_limit: int = 50
    worker_threads: int = 4
    heavy_threads: int = 2

    def __post_init__(self) -> None:
        if not 0.0 < self.session_hours <= 24.0 * 30:
            raise InvalidSettingsError(
                f"web session_hours must be hours between 0 and 720, got {self.session_hours!r}"
            )
        if not 1_000 <= self.max_body_bytes <= 100_000_000:
            raise InvalidSettingsError(
                f"web max_body_bytes must be between 1000 and 100000000, got {self.max_body_bytes!r}"
            )
        for name in ("worker_threads", "heavy_threads"):
            if not 1 <= getattr(self, name) <= 256:
                raise InvalidSettingsError(
                    f"web {name} must be between 1 and 256, got {getattr(self, name)!r}"
                )
        if not 2 <= self.history_limit <= 1000:
            raise InvalidSettingsError(
                f"web history_limit must be between 2 and 1000 results, got {self.history_limit!r}"
            )
