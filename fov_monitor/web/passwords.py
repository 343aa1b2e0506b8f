"""Password checks in a pool of their own, so that guessing passwords cannot starve signed-in users.

An argon2 check is slow on purpose (about a tenth of a second of every core). Run on the threads that
answer the quick requests, a handful of wrong sign-ins at once would hold them all and leave a
signed-in user's pages waiting behind the guesses. Here every check runs on a few threads of its
own, at the lowest CPU priority the system gives (argon2's own threads inherit it), and at most
``password_queue`` checks wait for them. A sign-in beyond that is refused before anything else is
done (no database read, no password tried, no failure counted): answered 503 with ``Retry-After``
after a short pause, so that a client ignoring ``Retry-After`` cannot turn the refusals into a
flood of their own.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import TypeVar

from fov_monitor.errors import N_, PeopleMessage
from fov_monitor.web.settings import WebSettings

log = logging.getLogger(__name__)

T = TypeVar("T")

LOWEST_PRIORITY = 19
"""The nice value of the password threads (Linux gives each thread its own)."""
RETRY_AFTER_S = 2
"""What a sign-in refused for a full queue is told to wait, in seconds."""
BUSY_PAUSE_S = 0.5
"""How long a sign-in refused for a full queue is held before its answer (the connection costs little)."""


class PasswordChecksBusy(Exception):  # noqa: N818 (a condition, answered 503)
    """Too many password checks are waiting already; answered 503 with ``Retry-After``."""

    def __init__(self) -> None:
        super().__init__("the server is busy checking other sign-ins; try again in a few seconds")
        self.retry_after_s = RETRY_AFTER_S
        self.people = PeopleMessage(
            N_("The server is busy checking other sign-ins; try again in a few seconds.")
        )


def _lower_priority() -> None:
    """Lower the calling thread's CPU priority (a pool thread's initializer); nothing where unsupported."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST_PRIORITY)
    except (AttributeError, OSError) as exc:
        log.debug("password threads keep their priority (%s)", exc)


class PasswordChecks:
    """A bounded pool of threads for argon2 work, with a bounded queue in front of it.

    Parameters
    ----------
    threads : int
        Checks that run at once.
    queue : int
        Checks that may wait for a thread; one more is refused with :class:`PasswordChecksBusy`.
    """

    def __init__(self, threads: int, queue: int) -> None:
        self.threads = threads
        self.queue = queue
        self._in_hand = 0  # counted on the event loop's thread only
        self._executor = ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix="fov-password", initializer=_lower_priority
        )

    @classmethod
    def of(cls, settings: WebSettings) -> PasswordChecks:
        """Return the pool that ``settings`` describe."""
        return cls(settings.password_threads, settings.password_queue)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold a place among the checks in hand for the block (a sign-in's whole course).

        Raises
        ------
        PasswordChecksBusy
            After :data:`BUSY_PAUSE_S`, when ``threads + queue`` places are held already.
        """
        if self._in_hand >= self.threads + self.queue:
            await asyncio.sleep(BUSY_PAUSE_S)
            raise PasswordChecksBusy()
        self._in_hand += 1
        try:
            yield
        finally:
            self._in_hand -= 1

    async def run(self, work: Callable[[], T]) -> T:
        """Run ``work`` (an argon2 hash or check) on a password thread; return what it returns.

        Call it within :meth:`slot`, which decides whether the work may wait for a thread.
        """
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    def close(self) -> None:
        """End the threads once the checks in hand are done (when the app stops)."""
        self._executor.shutdown(wait=True, cancel_futures=True)


__all__ = ["RETRY_AFTER_S", "PasswordChecks", "PasswordChecksBusy"]
