"""Delivery channels: e-mail over SMTP, a signed JSON webhook, JSON lines appended to a file."""

from __future__ import annotations

from fov_monitor.alerts.channels.base import Channel, DeliveryError
from fov_monitor.alerts.channels.jsonl import JsonlChannel
from fov_monitor.alerts.channels.smtp import SmtpChannel
from fov_monitor.alerts.channels.webhook import WebhookChannel
from fov_monitor.alerts.evidence import EvidenceReader
from fov_monitor.alerts.settings import (
    ChannelSettings,
    JsonlChannelSettings,
    SmtpChannelSettings,
    WebhookChannelSettings,
)


def build_channel(settings: ChannelSettings, evidence: EvidenceReader | None = None) -> Channel:
    """Return the channel that ``settings`` describe; ``evidence`` makes a mail's attachment."""
    if isinstance(settings, SmtpChannelSettings):
        return SmtpChannel(settings, evidence)
    if isinstance(settings, WebhookChannelSettings):
        return WebhookChannel(settings)
    if isinstance(settings, JsonlChannelSettings):
        return JsonlChannel(settings)
    raise TypeError(f"no channel for {type(settings).__name__}")


__all__ = ["Channel", "DeliveryError", "JsonlChannel", "SmtpChannel", "WebhookChannel", "build_channel"]
