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
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, TypeGuard
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from fov_monitor.errors import InvalidSettingsError
from fov_monitor.files.secret_files import read_secret_file
from fov_monitor.files.settings_files import (
    Expect,
    SettingsSchema,
    problem,
    read_settings_file,
    refuse_null,
    unfit,
)
from fov_monitor.i18n import Language

ALERTS_FILE = "alerts.json"


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
    language: Language | None = None
    """The language the mails are written in; None until :meth:`AlertSettings.for_store` gives the
    organisation's to a channel that names none (English, if still None)."""


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
    def for_store(
        cls, store_root: Path, organisation_language: Callable[[], Language] = lambda: Language.EN
    ) -> AlertSettings:
        """Read ``<store>/alerts.json``; the defaults (no channels) when it is absent.

        ``organisation_language`` gives the language of a mail channel that names none; it is
        asked only then, so that the organisation's file is not read for nothing.

        Raises
        ------
        InvalidSettingsError
            One line naming the file and the field at fault.
        """
        path = Path(store_root) / ALERTS_FILE
        if not path.exists():
            return cls()
        settings = read_settings_file(path, AlertsFile).to_settings(path)
        if not any(_unspoken(channel) for channel in settings.channels):
            return settings
        language = organisation_language()
        channels = tuple(
            replace(channel, language=language) if _unspoken(channel) else channel
            for channel in settings.channels
        )
        return replace(settings, channels=channels)

    def routes(self, group: str) -> list[str]:
        """Return the names of the channels that take alerts of cameras in ``group``."""
        return [channel.name for channel in self.channels if channel.takes(group)]

    def channel(self, name: str) -> ChannelSettings | None:
        """Return the channel called ``name``, or None when there is none (any more)."""
        return next((channel for channel in self.channels if channel.name == name), None)


def _unspoken(channel: ChannelSettings) -> TypeGuard[SmtpChannelSettings]:
    """Whether ``channel`` writes mails but names no language for them."""
    return isinstance(channel, SmtpChannelSettings) and channel.language is None


def _non_blank(value: str) -> str:
    if not value.strip():
        raise unfit()
    return value


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise unfit()
    return value


def _mail_addresses(addresses: list[str]) -> list[str]:
    if not addresses:
        raise problem("must name at least one recipient; add one")
    for address in addresses:
        _mail_address(address)
    return addresses


def _mail_address(address: str) -> str:
    if "@" not in address or any(c.isspace() for c in address):
        raise problem(f"holds {address!r}, which is not a mail address; correct it")
    return address


Text = Annotated[str, AfterValidator(_non_blank), Expect("a non-empty string")]
PathText = Annotated[str, AfterValidator(_non_blank), Expect("a file path")]
HttpUrl = Annotated[str, AfterValidator(_http_url), Expect("an http:// or https:// URL with a host")]
Timeout = Annotated[float, Field(ge=0.05, le=600), Expect("a number 0.05..600")]
Scans = Annotated[int, Field(ge=1, le=1000), Expect("a whole number 1..1000")]


class ThresholdsSection(SettingsSchema):
    """``thresholds``: scans in a row before an alert opens."""

    offline_after_scans: Scans = Field(3, description="Scans in a row a camera may give no frame.")
    unverifiable_after_scans: Scans = Field(
        3, description="Scans in a row a camera's view may be unverifiable."
    )
    error_after_scans: Scans = Field(3, description="Scans in a row a camera's check may fail.")


class RetrySection(SettingsSchema):
    """``retry``: how a delivery that failed for a passing reason is tried again."""

    max_attempts: Scans = Field(10, description="Tries before a delivery is given up.")
    first_backoff_s: Annotated[float, Field(ge=0.001, le=86400), Expect("a number 0.001..86400")] = Field(
        30.0, description="Seconds to wait after the first failed try; doubled after each further one."
    )
    max_backoff_s: Annotated[float, Field(ge=0.001, le=7 * 86400), Expect("a number 0.001..604800")] = Field(
        3600.0, description="The longest wait in seconds between two tries."
    )

    @model_validator(mode="after")
    def _longest_after_first(self) -> RetrySection:
        if self.max_backoff_s < self.first_backoff_s:
            raise problem(
                f"must be at least first_backoff_s ({self.first_backoff_s:g}), got {self.max_backoff_s:g}; "
                "raise it or lower first_backoff_s",
                "max_backoff_s",
            )
        return self


class _ChannelSection(SettingsSchema):
    """What every channel has: its name, its kind and the groups it takes."""

    name: Text = Field(
        description="The channel's name, unique in the file; deliveries and the audit log name it."
    )
    groups: list[Text] | None = Field(
        None, description="The camera groups whose alerts it takes; absent, null or empty: every group."
    )

    @model_validator(mode="before")
    @classmethod
    def _no_secret_in_the_file(cls, data: Any) -> Any:
        for name in ("password", "secret"):
            if isinstance(data, dict) and name in data:
                raise problem(
                    f"holds a secret in the file; put it in an environment variable ({name}_env) or an "
                    f"owner-only file ({name}_file, chmod 600) and name that instead",
                    name,
                )
        return data

    def common(self, kind: ChannelKind) -> dict[str, Any]:
        """Return the settings every kind of channel has."""
        return {"name": self.name, "kind": kind, "groups": tuple(self.groups or ())}


class SmtpSection(_ChannelSection):
    """A channel of ``kind`` ``smtp``: e-mail."""

    kind: Literal["smtp"] = Field(description="How the channel delivers: e-mail over SMTP.")
    host: Text = Field(description="The SMTP server.")
    port: Annotated[int, Field(ge=1, le=65535), Expect("a port number 1..65535")] = Field(
        587, description="The server's port; 465 by default with 'tls', else 587."
    )
    starttls: bool = Field(
        True, description="Upgrade the connection with STARTTLS (port 587); by default when 'tls' is not set."
    )
    tls: bool = Field(False, description="TLS from the first byte (SMTPS, port 465).")
    username: Text | None = Field(None, description="The login; none: no login.")
    password_env: Text | None = Field(
        None, description="The environment variable holding the login's password."
    )
    password_file: PathText | None = Field(
        None, description="The file (chmod 600) holding the login's password, relative to the store."
    )
    from_address: Annotated[Text, AfterValidator(_mail_address)] = Field(
        alias="from", description="The sender's mail address."
    )
    to: Annotated[list[Text], AfterValidator(_mail_addresses), Expect("a list of mail addresses")] = Field(
        description="The recipients' mail addresses."
    )
    evidence: EvidenceMode = Field(
        EvidenceMode.ATTACH, description="What a mail carries of the (face-blurred) evidence image."
    )
    timeout_s: Timeout = Field(30.0, description="Seconds to wait for the server.")
    ca_file: PathText | None = Field(
        None, description="A CA bundle to trust instead of the system's (an in-house relay)."
    )
    review_url: Annotated[HttpUrl | None, BeforeValidator(refuse_null)] = Field(
        None, description="The web app's address: each mail links to the alert's page there."
    )
    language: Language | None = Field(
        None,
        description="The language of the mails: 'sv' or 'en'; when absent, organisation.json's.",
    )

    @model_validator(mode="after")
    def _safe_login(self) -> SmtpSection:
        if self.password_env is not None and self.password_file is not None:
            raise problem("and 'password_file' are both given; keep one", "password_env")
        password = self.password_env is not None or self.password_file is not None
        if password and self.username is None:
            raise problem("is needed with a password; add it", "username")
        if self.tls and self.starttls and "starttls" in self.model_fields_set:
            raise problem("cannot be true with 'tls' (TLS from the first byte); keep one", "starttls")
        if password and not (self.tls or self.starttls):
            raise problem(
                "would be sent in the clear; set 'starttls' (port 587) or 'tls' (port 465)", "password"
            )
        return self

    def to_settings(self, index: int, store_root: Path) -> SmtpChannelSettings:
        """Return the channel, the ``index``-th of the file, its relative paths below ``store_root``."""
        starttls = self.starttls if "starttls" in self.model_fields_set else not self.tls
        return SmtpChannelSettings(
            **self.common(ChannelKind.SMTP),
            host=self.host,
            port=self.port if "port" in self.model_fields_set else (465 if self.tls else 587),
            starttls=starttls,
            tls=self.tls,
            username=self.username,
            password=_secret(index, "password", self.password_env, self.password_file, store_root),
            from_address=self.from_address,
            to=tuple(self.to),
            evidence=self.evidence,
            timeout_s=self.timeout_s,
            ca_file=_below(store_root, self.ca_file),
            review_url=self.review_url,
            language=self.language,
        )


class WebhookSection(_ChannelSection):
    """A channel of ``kind`` ``webhook``: a signed JSON POST."""

    kind: Literal["webhook"] = Field(
        description="How the channel delivers: a JSON POST signed with HMAC-SHA256."
    )
    url: HttpUrl = Field(description="Where the POST goes.")
    secret_env: Text | None = Field(None, description="The environment variable holding the signing key.")
    secret_file: PathText | None = Field(
        None, description="The file (chmod 600) holding the signing key, relative to the store."
    )
    timeout_s: Timeout = Field(10.0, description="Seconds to wait for the answer.")
    ca_file: PathText | None = Field(None, description="A CA bundle to trust instead of the system's.")

    @model_validator(mode="after")
    def _one_secret(self) -> WebhookSection:
        if self.secret_env is not None and self.secret_file is not None:
            raise problem("and 'secret_file' are both given; keep one", "secret_env")
        if self.secret_env is None and self.secret_file is None:
            raise problem("is missing; name the variable (or 'secret_file')", "secret_env")
        return self

    def to_settings(self, index: int, store_root: Path) -> WebhookChannelSettings:
        """Return the channel, the ``index``-th of the file, its relative paths below ``store_root``."""
        secret = _secret(index, "secret", self.secret_env, self.secret_file, store_root)
        assert secret is not None
        return WebhookChannelSettings(
            **self.common(ChannelKind.WEBHOOK),
            url=self.url,
            secret=secret,
            timeout_s=self.timeout_s,
            ca_file=_below(store_root, self.ca_file),
        )


class JsonlSection(_ChannelSection):
    """A channel of ``kind`` ``jsonl``: one JSON line per delivery, appended to a file."""

    kind: Literal["jsonl"] = Field(description="How the channel delivers: lines appended to a file.")
    path: PathText = Field(description="The file, relative to the store.")

    def to_settings(self, index: int, store_root: Path) -> JsonlChannelSettings:
        """Return the channel, its path below ``store_root`` when relative."""
        path = _below(store_root, self.path)
        assert path is not None
        return JsonlChannelSettings(**self.common(ChannelKind.JSONL), path=path)


Channel = Annotated[SmtpSection | WebhookSection | JsonlSection, Field(discriminator="kind")]


class AlertsFile(SettingsSchema):
    """``<store>/alerts.json``, as the file writes it."""

    schema_version: Literal[1] = Field(description="The version of this file's format: 1.")
    thresholds: ThresholdsSection = Field(
        default=ThresholdsSection(), description="Scans in a row before an alert opens."
    )
    retry: RetrySection = Field(default=RetrySection(), description="How failed deliveries are retried.")
    channels: list[Channel] = Field([], description="Where alerts go, in this order; none: nowhere.")

    @field_validator("channels")
    @classmethod
    def _unique_names(cls, channels: list[Channel]) -> list[Channel]:
        seen: set[str] = set()
        for index, channel in enumerate(channels):
            if channel.name in seen:
                raise problem(
                    f"repeats {channel.name!r}, the name of an earlier channel; give each its own",
                    index,
                    "name",
                )
            seen.add(channel.name)
        return channels

    def to_settings(self, path: Path) -> AlertSettings:
        """Return the settings the file at ``path`` gives (relative paths are below its folder, the store)."""
        return AlertSettings(
            thresholds=Thresholds(**self.thresholds.model_dump()),
            retry=RetrySettings(**self.retry.model_dump()),
            channels=tuple(channel.to_settings(i, path.parent) for i, channel in enumerate(self.channels)),
            source=path,
        )


def _secret(index: int, stem: str, env: str | None, file: str | None, store_root: Path) -> Secret | None:
    """Return where a channel's secret is kept (``<stem>_env`` or ``<stem>_file``); None when neither."""
    if env is not None:
        return Secret(f"channels[{index}].{stem}_env", env=env)
    if file is not None:
        return Secret(f"channels[{index}].{stem}_file", file=_below(store_root, file))
    return None


def _below(store_root: Path, text: str | None) -> Path | None:
    """Return the path ``text`` names, below ``store_root`` when relative; None for none."""
    if text is None:
        return None
    path = Path(text)
    return path if path.is_absolute() else store_root / path
