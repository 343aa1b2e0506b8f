"""Where alerts go and how hard fov-monitor tries: ``<store>/alerts.json``, read once and validated.

The file is optional; without it alerts are kept in the database and delivered nowhere::

    {"schema_version": 1,
     "thresholds": {"offline_after_scans": 3, "unverifiable_after_scans": 3, "error_after_scans": 3},
     "retry": {"max_attempts": 10, "first_backoff_s": 30, "max_backoff_s": 3600},
     "channels": [
       {"name": "ops-mail", "kind": "smtp", "host": "smtp.example", "port": 587, "starttls": true,
        "username": "fov", "password_env": "FOV_SMTP_PASSWORD", "from": "fov-monitor@example",
        "to": ["a@example"], "groups": ["north"], "evidence": "attach", "timeout_s": 30},
       {"name": "tickets", "kind": "webhook", "url": "https://tickets.example/hook",
        "secret_env": "FOV_WEBHOOK_SECRET", "timeout_s": 10},
       {"name": "log", "kind": "jsonl", "path": "alerts.jsonl"}]}

Secrets (the SMTP password, the webhook's signing key) are never in the file: only the name of an
environment variable (``*_env``) or of a file readable by its owner alone (``*_file``, ``chmod 600``),
read at each send so that a rotated secret is picked up and settings can be shown and logged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fov_monitor.errors import InvalidSettingsError
from fov_monitor.files.json_files import read_json_file
from fov_monitor.files.secret_files import read_secret_file

ALERTS_FILE = "alerts.json"
ALERTS_SCHEMA_VERSION = 1


class ChannelKind(StrEnum):
    """How a channel delivers."""

    SMTP = "smtp"
    WEBHOOK = "webhook"
    JSONL = "jsonl"


class EvidenceMode(StrEnum):
    """What a mail carries of the (already face-blurred) evidence image."""

    ATTACH = "attach"
    LINK = "link"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """How many scans in a row a camera may be offline, unverifiable or in error before an alert opens."""

    offline_after_scans: int = 3
    unverifiable_after_scans: int = 3
    error_after_scans: int = 3


@dataclass(frozen=True, slots=True)
class RetrySettings:
    """How a delivery that failed for a passing reason is tried again.

    Attributes
    ----------
    max_attempts : int
        Tries before the delivery is given up (state ``failed``).
    first_backoff_s : float
        Wait after the first failed try; it doubles after each further one.
    max_backoff_s : float
        The longest wait between two tries.
    """

    max_attempts: int = 10
    first_backoff_s: float = 30.0
    max_backoff_s: float = 3600.0

    def backoff_s(self, attempts: int) -> float:
        """Return the wait after the ``attempts``-th failed try (1 = the first)."""
        return min(self.max_backoff_s, self.first_backoff_s * 2.0 ** max(0, attempts - 1))


@dataclass(frozen=True, slots=True)
class Secret:
    """Where a secret is kept: an environment variable or an owner-only file; never the secret itself.

    Attributes
    ----------
    field : str
        The settings field that names it (``password_env``, ``secret_file``...), for messages.
    env : str or None
        The environment variable holding it.
    file : Path or None
        The file holding it (one line), mode 600.
    """

    field: str
    env: str | None = None
    file: Path | None = None

    def read(self) -> str:
        """Return the secret.

        Raises
        ------
        InvalidSettingsError
            When the variable is unset or empty, or the file is missing, empty, not text, or readable
            by group or others; the message names the variable or file, never the secret.
        """
        if self.env is not None:
            value = os.environ.get(self.env)
            if not value:
                raise InvalidSettingsError(f"environment variable {self.env} ({self.field}) is not set")
            return value
        assert self.file is not None
        return read_secret_file(self.file, f"secret file {self.file} ({self.field})", InvalidSettingsError)

    def __repr__(self) -> str:
        where = f"env {self.env}" if self.env is not None else f"file {self.file}"
        return f"Secret({where})"


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelSettings:
    """One delivery channel: its unique name, its kind and the camera groups it takes (empty = all)."""

    name: str
    kind: ChannelKind
    groups: tuple[str, ...] = ()

    def takes(self, group: str) -> bool:
        """Return True when alerts of cameras in ``group`` go to this channel."""
        return not self.groups or group in self.groups


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpChannelSettings(ChannelSettings):
    """E-mail over SMTP: TLS from the first byte when ``tls`` (SMTPS, port 465), else STARTTLS when
    ``starttls``; a login when ``username``, never in the clear."""

    host: str
    port: int = 587
    starttls: bool = True
    tls: bool = False
    username: str | None = None
    password: Secret | None = None
    from_address: str
    to: tuple[str, ...]
    evidence: EvidenceMode = EvidenceMode.ATTACH
    timeout_s: float = 30.0
    ca_file: Path | None = None
    """Trust this CA bundle for TLS instead of the system's (an in-house relay)."""
    review_url: str | None = None
    """The web app's address (``https://fov.example.org``): each mail links to the alert's page there."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookChannelSettings(ChannelSettings):
    """A JSON POST signed with HMAC-SHA256 of the raw body."""

    url: str
    secret: Secret
    timeout_s: float = 10.0
    ca_file: Path | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class JsonlChannelSettings(ChannelSettings):
    """One JSON line per delivery appended to a file (relative paths are below the store)."""

    path: Path


@dataclass(frozen=True, slots=True)
class AlertSettings:
    """The alert settings of a store.

    Attributes
    ----------
    thresholds : Thresholds
    retry : RetrySettings
    channels : tuple of ChannelSettings
        In the file's order; names are unique.
    source : Path or None
        The file read (None: defaults).
    """

    thresholds: Thresholds = field(default_factory=Thresholds)
    retry: RetrySettings = field(default_factory=RetrySettings)
    channels: tuple[ChannelSettings, ...] = ()
    source: Path | None = None

    @classmethod
    def for_store(cls, store_root: Path) -> AlertSettings:
        """Read ``<store>/alerts.json``; the defaults (no channels) when it is absent.

        Raises
        ------
        InvalidSettingsError
            One line naming the file and the field at fault.
        """
        path = Path(store_root) / ALERTS_FILE
        if not path.exists():
            return cls()
        document = read_json_file(path)
        return _Reader(path, Path(store_root)).settings(document)

    def routes(self, group: str) -> list[str]:
        """Return the names of the channels that take alerts of cameras in ``group``."""
        return [channel.name for channel in self.channels if channel.takes(group)]

    def channel(self, name: str) -> ChannelSettings | None:
        """Return the channel called ``name``, or None when there is none (any more)."""
        return next((channel for channel in self.channels if channel.name == name), None)


_DEFAULT_RETRY = RetrySettings()
_TOP = {"schema_version", "thresholds", "retry", "channels"}
_COMMON = {"name", "kind", "groups"}
_SMTP = _COMMON | {
    "host",
    "port",
    "starttls",
    "tls",
    "username",
    "password_env",
    "password_file",
    "from",
    "to",
    "evidence",
    "timeout_s",
    "ca_file",
    "review_url",
}
_WEBHOOK = _COMMON | {"url", "secret_env", "secret_file", "timeout_s", "ca_file"}
_JSONL = _COMMON | {"path"}
_INLINE_SECRETS = {"password": "password", "secret": "secret"}


class _Reader:
    """Builds the settings from the parsed document, naming ``path`` and the field in every error."""

    def __init__(self, path: Path, store_root: Path) -> None:
        self.path = path
        self.root = store_root

    def fail(self, where: str, problem: str) -> InvalidSettingsError:
        return InvalidSettingsError(f"{self.path}: field '{where}' {problem}")

    def settings(self, document: Any) -> AlertSettings:
        if not isinstance(document, dict):
            raise InvalidSettingsError(f"{self.path}: expected a JSON object at the top")
        self.known(document, _TOP, "")
        if document.get("schema_version") != ALERTS_SCHEMA_VERSION:
            raise self.fail("schema_version", f"must be {ALERTS_SCHEMA_VERSION}")
        thresholds = self.section(document, "thresholds")
        retry = self.section(document, "retry")
        self.known(thresholds, set(Thresholds.__dataclass_fields__), "thresholds.")
        self.known(retry, set(RetrySettings.__dataclass_fields__), "retry.")
        channels_doc = document.get("channels", [])
        if not isinstance(channels_doc, list):
            raise self.fail("channels", f"must be a list, got {type(channels_doc).__name__}")
        channels = tuple(self.channel(item, f"channels[{i}]") for i, item in enumerate(channels_doc))
        seen: set[str] = set()
        for i, channel in enumerate(channels):
            if channel.name in seen:
                raise self.fail(f"channels[{i}].name", f"'{channel.name}' is used by an earlier channel")
            seen.add(channel.name)
        first = self.number(retry, "first_backoff_s", "retry.", _DEFAULT_RETRY.first_backoff_s, 0.001, 86400)
        longest = self.number(
            retry, "max_backoff_s", "retry.", _DEFAULT_RETRY.max_backoff_s, 0.001, 7 * 86400
        )
        if longest < first:
            raise self.fail(
                "retry.max_backoff_s", f"must be at least first_backoff_s ({first}), got {longest}"
            )
        return AlertSettings(
            thresholds=Thresholds(
                **{
                    name: self.integer(thresholds, name, "thresholds.", 3, 1, 1000)
                    for name in Thresholds.__dataclass_fields__
                }
            ),
            retry=RetrySettings(
                max_attempts=self.integer(
                    retry, "max_attempts", "retry.", _DEFAULT_RETRY.max_attempts, 1, 1000
                ),
                first_backoff_s=first,
                max_backoff_s=longest,
            ),
            channels=channels,
            source=self.path,
        )

    def section(self, document: Mapping[str, Any], name: str) -> Mapping[str, Any]:
        value = document.get(name, {})
        if not isinstance(value, dict):
            raise self.fail(name, f"must be an object, got {type(value).__name__}")
        return value

    def known(self, document: Mapping[str, Any], allowed: set[str], prefix: str) -> None:
        for name in document:
            if name in _INLINE_SECRETS and prefix.startswith("channels"):
                raise self.fail(
                    f"{prefix}{name}",
                    f"holds a secret in the file; put it in an environment variable ({name}_env) or an "
                    f"owner-only file ({name}_file, chmod 600) and name that instead",
                )
            if name not in allowed:
                raise self.fail(
                    f"{prefix}{name}", f"is unknown; expected one of {', '.join(sorted(allowed))}"
                )

    def channel(self, item: Any, where: str) -> ChannelSettings:
        if not isinstance(item, dict):
            raise self.fail(where, f"must be an object, got {type(item).__name__}")
        prefix = f"{where}."
        kind_text = item.get("kind")
        try:
            kind = ChannelKind(str(kind_text))
        except ValueError:
            expected = ", ".join(kind.value for kind in ChannelKind)
            raise self.fail(f"{prefix}kind", f"must be one of {expected}, got {kind_text!r}") from None
        allowed = {ChannelKind.SMTP: _SMTP, ChannelKind.WEBHOOK: _WEBHOOK, ChannelKind.JSONL: _JSONL}[kind]
        self.known(item, allowed, prefix)
        name = self.text(item, "name", prefix)
        groups = tuple(self.texts(item, "groups", prefix, required=False))
        common: dict[str, Any] = {"name": name, "kind": kind, "groups": groups}
        if kind is ChannelKind.SMTP:
            return self.smtp(item, prefix, common)
        if kind is ChannelKind.WEBHOOK:
            url = self.http_url(item, "url", prefix)
            secret = self.secret(item, "secret", prefix, required=True)
            assert secret is not None
            return WebhookChannelSettings(
                **common,
                url=url,
                secret=secret,
                timeout_s=self.number(item, "timeout_s", prefix, 10.0, 0.05, 600),
                ca_file=self.optional_path(item, "ca_file", prefix),
            )
        return JsonlChannelSettings(**common, path=self.resolve(Path(self.text(item, "path", prefix))))

    def smtp(self, item: Mapping[str, Any], prefix: str, common: dict[str, Any]) -> SmtpChannelSettings:
        to = self.texts(item, "to", prefix, required=True)
        if not to:
            raise self.fail(f"{prefix}to", "must name at least one recipient")
        for address in [*to, self.text(item, "from", prefix)]:
            if "@" not in address or any(c.isspace() for c in address):
                raise self.fail(
                    f"{prefix}to" if address in to else f"{prefix}from", f"{address!r} is not a mail address"
                )
        username = item.get("username")
        if username is not None and (not isinstance(username, str) or not username):
            raise self.fail(f"{prefix}username", "must be a non-empty string")
        password = self.secret(item, "password", prefix, required=False)
        if password is not None and username is None:
            raise self.fail(f"{prefix}username", "is needed with a password")
        evidence_text = item.get("evidence", EvidenceMode.ATTACH.value)
        try:
            evidence = EvidenceMode(evidence_text)
        except ValueError:
            expected = ", ".join(mode.value for mode in EvidenceMode)
            raise self.fail(
                f"{prefix}evidence", f"must be one of {expected}, got {evidence_text!r}"
            ) from None
        tls = item.get("tls", False)
        if not isinstance(tls, bool):
            raise self.fail(f"{prefix}tls", "must be true or false")
        starttls = item.get("starttls", not tls)
        if not isinstance(starttls, bool):
            raise self.fail(f"{prefix}starttls", "must be true or false")
        if tls and starttls:
            raise self.fail(
                f"{prefix}starttls", "cannot be true with 'tls' (TLS from the first byte); keep one"
            )
        if password is not None and not (tls or starttls):
            raise self.fail(
                f"{prefix}password",
                "would be sent in the clear; set 'starttls' (port 587) or 'tls' (port 465)",
            )
        return SmtpChannelSettings(
            **common,
            host=self.text(item, "host", prefix),
            port=self.integer(item, "port", prefix, 465 if tls else 587, 1, 65535),
            starttls=starttls,
            tls=tls,
            username=username,
            password=password,
            from_address=self.text(item, "from", prefix),
            to=tuple(to),
            evidence=evidence,
            timeout_s=self.number(item, "timeout_s", prefix, 30.0, 0.05, 600),
            ca_file=self.optional_path(item, "ca_file", prefix),
            review_url=self.http_url(item, "review_url", prefix) if "review_url" in item else None,
        )

    def http_url(self, item: Mapping[str, Any], key: str, prefix: str) -> str:
        url = self.text(item, key, prefix)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise self.fail(f"{prefix}{key}", f"must be an http:// or https:// URL with a host, got {url!r}")
        return url

    def secret(self, item: Mapping[str, Any], stem: str, prefix: str, *, required: bool) -> Secret | None:
        env, file = item.get(f"{stem}_env"), item.get(f"{stem}_file")
        if env is not None and file is not None:
            raise self.fail(f"{prefix}{stem}_env", f"and '{stem}_file' are both given; keep one")
        if env is None and file is None:
            if required:
                raise self.fail(f"{prefix}{stem}_env", f"is missing; name the variable (or '{stem}_file')")
            return None
        if env is not None:
            return Secret(f"{prefix}{stem}_env", env=self.text(item, f"{stem}_env", prefix))
        return Secret(
            f"{prefix}{stem}_file", file=self.resolve(Path(self.text(item, f"{stem}_file", prefix)))
        )

    def optional_path(self, item: Mapping[str, Any], name: str, prefix: str) -> Path | None:
        return None if item.get(name) is None else self.resolve(Path(self.text(item, name, prefix)))

    def resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else self.root / path

    def text(self, item: Mapping[str, Any], name: str, prefix: str) -> str:
        value = item.get(name)
        if value is None:
            raise self.fail(f"{prefix}{name}", "is missing")
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{prefix}{name}", f"must be a non-empty string, got {value!r}")
        return value

    def texts(self, item: Mapping[str, Any], name: str, prefix: str, *, required: bool) -> list[str]:
        value = item.get(name)
        if value is None:
            if required:
                raise self.fail(f"{prefix}{name}", "is missing")
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(f"{prefix}{name}", f"must be a list of non-empty strings, got {value!r}")
        return list(value)

    def integer(
        self, item: Mapping[str, Any], name: str, prefix: str, default: int, low: int, high: int
    ) -> int:
        value = item.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(f"{prefix}{name}", f"must be a whole number {low}..{high}, got {value!r}")
        return value

    def number(
        self, item: Mapping[str, Any], name: str, prefix: str, default: float, low: float, high: float
    ) -> float:
        value = item.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise self.fail(f"{prefix}{name}", f"must be a number {low:g}..{high:g}, got {value!r}")
        return float(value)
