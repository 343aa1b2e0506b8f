"""Alert settings: ``<store>/alerts.json`` (thresholds, retries, channels).

A minimal reading of the contract's API (``/work/notes/alerts-contract.md``), kept small on purpose:
the outbox's author replaces this module with the full, strict one at the merge. Absent file: the
defaults and no channels.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fov_monitor.errors import InvalidSettingsError

ALERTS_FILE = "alerts.json"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """How many consecutive scans with one outcome open an alert for it (the others open at once)."""

    offline_after_scans: int = 3
    unverifiable_after_scans: int = 3
    error_after_scans: int = 3


@dataclass(frozen=True, slots=True)
class RetrySettings:
    """How the outbox tries a delivery again."""

    max_attempts: int = 10
    first_backoff_s: float = 30
    max_backoff_s: float = 3600


@dataclass(frozen=True, slots=True)
class ChannelSettings:
    """One channel: its name (used in deliveries), its kind and the camera groups it takes (empty: all)."""

    name: str
    kind: str
    groups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AlertSettings:
    """The alert settings of a store."""

    thresholds: Thresholds = Thresholds()
    retry: RetrySettings = RetrySettings()
    channels: tuple[ChannelSettings, ...] = ()

    @classmethod
    def for_store(cls, store_root: Path) -> AlertSettings:
        """Read ``<store>/alerts.json``; the defaults when it is absent.

        Raises
        ------
        InvalidSettingsError
            When the file is not JSON of the contract's shape, naming the file and the field.
        """
        path = Path(store_root) / ALERTS_FILE
        if not path.exists():
            return cls()
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidSettingsError(f"{path} is not readable JSON ({exc}); fix or remove it") from None
        if not isinstance(document, Mapping):
            raise InvalidSettingsError(f"{path}: expected a JSON object")
        try:
            channels = tuple(
                ChannelSettings(str(c["name"]), str(c["kind"]), tuple(c.get("groups") or ()))
                for c in document.get("channels", [])
            )
            return cls(
                Thresholds(**_section(document, "thresholds")),
                RetrySettings(**_section(document, "retry")),
                channels,
            )
        except (KeyError, TypeError) as exc:
            raise InvalidSettingsError(f"{path}: bad or missing field ({exc})") from None

    def routes(self, group: str) -> list[str]:
        """Return the names of the channels that take alerts of cameras in ``group``."""
        return [channel.name for channel in self.channels if not channel.groups or group in channel.groups]


def _section(document: Mapping[str, Any], name: str) -> dict[str, Any]:
    section = document.get(name, {})
    if not isinstance(section, Mapping):
        raise TypeError(f"'{name}' must be an object")
    return dict(section)
