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
    session_idle_minutes : float
        A session also ends when it has not been used for this long (a screen left signed in).
    signin_max_failures : int
        Failed sign-ins for one account name within ``signin_window_minutes`` that lock it.
    signin_address_max_failures : int
        Failed sign-ins from one client address (to any names) within the window that lock the
        address, so that one address cannot try a few passwords on many accounts.
    signin_window_minutes : float
        How long failures are counted together.
    signin_lockout_minutes : float
        The first lock's length; each further lock in a row is twice as long as the one before.
    signin_lockout_max_minutes : float
        The longest lock. The back-off starts again from ``signin_lockout_minutes`` when no sign-in
        has failed for this long after a lock ended.
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
    password_threads : int
        Threads for password checks (argon2, slow on purpose), at the lowest CPU priority, apart from
        the quick requests, so that a flood of sign-ins cannot hold up signed-in users.
    password_queue : int
        Password checks that may wait for those threads; a sign-in beyond them is answered 503 with
        ``Retry-After`` at once (no password tried, no failure counted).
    """

    session_hours: float = 8.0
    session_idle_minutes: float = 30.0
    signin_max_failures: int = 5
    signin_address_max_failures: int = 20
    signin_window_minutes: float = 15.0
    signin_lockout_minutes: float = 1.0
    signin_lockout_max_minutes: float = 60.0
    secure_cookies: bool = True
    max_body_bytes: int = 1_000_000
    history_limit: int = 50
    worker_threads: int = 4
    heavy_threads: int = 2
    password_threads: int = 2
    password_queue: int = 8

    def __post_init__(self) -> None:
        if not 0.0 < self.session_hours <= 24.0 * 30:
            raise InvalidSettingsError(
                f"web session_hours must be hours between 0 and 720, got {self.session_hours!r}"
            )
        _check_range("session_idle_minutes", self.session_idle_minutes, 1.0, 24.0 * 60, "minutes")
        _check_range("signin_max_failures", self.signin_max_failures, 1, 100, "a whole number")
        _check_range(
            "signin_address_max_failures", self.signin_address_max_failures, 1, 10_000, "a whole number"
        )
        _check_range("signin_window_minutes", self.signin_window_minutes, 1.0, 24.0 * 60, "minutes")
        _check_range("signin_lockout_minutes", self.signin_lockout_minutes, 0.1, 24.0 * 60, "minutes")
        _check_range(
            "signin_lockout_max_minutes", self.signin_lockout_max_minutes, 0.1, 7.0 * 24 * 60, "minutes"
        )
        if self.signin_lockout_max_minutes < self.signin_lockout_minutes:
            raise InvalidSettingsError(
                f"web signin_lockout_max_minutes must be at least signin_lockout_minutes "
                f"({self.signin_lockout_minutes!r}), got {self.signin_lockout_max_minutes!r}"
            )
        if not 1_000 <= self.max_body_bytes <= 100_000_000:
            raise InvalidSettingsError(
                f"web max_body_bytes must be between 1000 and 100000000, got {self.max_body_bytes!r}"
            )
        _check_range("worker_threads", self.worker_threads, 1, 256, "a whole number")
        _check_range("heavy_threads", self.heavy_threads, 1, 256, "a whole number")
        _check_range("password_threads", self.password_threads, 1, 64, "a whole number")
        _check_range("password_queue", self.password_queue, 0, 10_000, "a whole number")
        _check_range("history_limit", self.history_limit, 2, 1000, "a whole number of results")


def _check_range(name: str, value: object, low: float, high: float, unit: str) -> None:
    """Raise naming the setting unless ``value`` is a number (whole for whole bounds) in [low, high]."""
    wanted = int if isinstance(low, int) and isinstance(high, int) else (int, float)
    if isinstance(value, bool) or not isinstance(value, wanted) or not low <= value <= high:
        raise InvalidSettingsError(f"web {name} must be {unit} between {low:g} and {high:g}, got {value!r}")
