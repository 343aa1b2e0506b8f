"""What every channel does: send one delivery, or say why not and whether trying again may help."""

from __future__ import annotations

from typing import Protocol

from fov_monitor.alerts.channels.exchange import StopSignal
from fov_monitor.alerts.delivery import Delivery
from fov_monitor.errors import FovMonitorError


class DeliveryError(FovMonitorError):
    """A delivery did not go through.

    Parameters
    ----------
    message : str
        One line: what the receiver or the connection said (never a secret).
    permanent : bool
        True when trying again cannot help (the receiver refused the content, the channel is
        misconfigured): the delivery is given up at once. False: tried again after a back-off.
    interrupted : bool
        True when the sender was told to stop during the exchange: the delivery is due again at
        once, for the next sender, and the try is not counted.
    """

    def __init__(self, message: str, *, permanent: bool, interrupted: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.interrupted = interrupted


class Channel(Protocol):
    """A configured way to deliver alert events."""

    name: str

    def send(self, delivery: Delivery, stop: StopSignal | None = None) -> None:
        """Deliver once; return when the receiver has taken it.

        The whole exchange with the receiver has a hard time limit, shorter than the delivery's
        lease; when ``stop`` is set meanwhile, the exchange is cut after a short grace.

        Raises
        ------
        DeliveryError
            When it did not, saying whether trying again may help.
        """
