"""The e-mail channel: one multipart mail per delivery over SMTP; TLS (SMTPS or STARTTLS) and login as set.

The mail's ``Message-ID`` is made from the idempotency key, and the key is in ``X-Fov-Idempotency-Key``,
so a mail sent again after a crash is the same message to the recipients' clients and filters.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

from fov_monitor.alerts.channels.base import DeliveryError
from fov_monitor.alerts.channels.exchange import Exchange, StopSignal, exchange_deadline_s
from fov_monitor.alerts.channels.mail import render_mail
from fov_monitor.alerts.delivery import Delivery
from fov_monitor.alerts.evidence import EvidenceReader, file_evidence
from fov_monitor.alerts.settings import EvidenceMode, SmtpChannelSettings
from fov_monitor.errors import FovMonitorError, InvalidSettingsError
from fov_monitor.i18n import Language
from fov_monitor.workflows.evidence import UNBLURRED_MARK

log = logging.getLogger(__name__)

IDEMPOTENCY_HEADER = "X-Fov-Idempotency-Key"


class SmtpChannel:
    """Send deliveries as mails through one SMTP server."""

    def __init__(self, settings: SmtpChannelSettings, evidence: EvidenceReader | None = None) -> None:
        self.name = settings.name
        self.settings = settings
        self.evidence = evidence or file_evidence()

    def message(self, delivery: Delivery) -> EmailMessage:
        """Return the mail of a delivery: text and HTML alternatives, the evidence image attached or named.

        What is attached is the evidence image as the web app shows it (faces blurred, privacy
        zones hidden), never the file as written; when it cannot be made, the mail says why.
        """
        settings = self.settings
        payload = delivery.payload
        alert = payload.get("alert") or {}
        attachment, missing = None, None
        if settings.evidence is EvidenceMode.ATTACH and alert.get("evidence_path"):
            try:
                attachment = self.evidence(alert)
            except FovMonitorError as exc:
                log.warning("delivery %s: evidence not attached: %s", delivery.idempotency_key, exc)
                missing = str(exc)
        mail = render_mail(
            payload,
            settings.evidence,
            settings.review_url,
            not_attached=missing,
            language=settings.language or Language.EN,
        )
        message = EmailMessage()
        message["Subject"] = mail.subject
        message["From"] = settings.from_address
        message["To"] = ", ".join(settings.to)
        message["Date"] = formatdate(usegmt=True)
        domain = settings.from_address.rpartition("@")[2] or "fov-monitor.invalid"
        message["Message-ID"] = f"<{delivery.idempotency_key}@{domain}>"
        message[IDEMPOTENCY_HEADER] = delivery.idempotency_key
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        if attachment is not None:
            name = Path(str(alert.get("evidence_path"))).stem.removesuffix(UNBLURRED_MARK) + ".jpg"
            message.add_attachment(attachment, maintype="image", subtype="jpeg", filename=name)
        return message

    def send(self, delivery: Delivery, stop: StopSignal | None = None) -> None:
        """Send the delivery's mail to every recipient.

        The whole SMTP exchange is cut at
        :func:`~fov_monitor.alerts.channels.exchange.exchange_deadline_s` of ``timeout_s``, or soon
        after ``stop`` is set.

        Raises
        ------
        DeliveryError
            Permanent for a 5xx answer (to the whole mail, or to any recipient: each refused one is
            named), or a server that cannot do STARTTLS when asked to; passing for a 4xx answer, a
            refused or lost connection, a failed TLS handshake, a timeout, or a secret that cannot be
            read. A mail some recipients took and others refused is a failure too, naming each
            refused recipient: sent again, it goes to all, with the same ``Message-ID``.
        """
        settings = self.settings
        message = self.message(delivery)
        where = f"SMTP {settings.host}:{settings.port}"
        try:
            password = settings.password.read() if settings.password is not None else None
        except InvalidSettingsError as exc:
            raise DeliveryError(f"{where}: {exc}", permanent=False) from None
        with Exchange(exchange_deadline_s(settings.timeout_s), stop) as exchange:
            try:
                refused = _converse(settings, exchange, message, password)
            except Exception as exc:  # every failure of the exchange, named; a cut one says so
                raise _failure(exchange, where, settings.timeout_s, exc) from None
        if refused:
            raise DeliveryError(
                f"{where} refused {len(refused)} of {len(settings.to)} recipients ({_codes(refused)}); "
                "the others took it",
                permanent=all(code >= 500 for code, _ in refused.values()),
            )


def _converse(
    settings: SmtpChannelSettings, exchange: Exchange, message: EmailMessage, password: str | None
) -> dict[str, tuple[int, bytes]]:
    """Connect, secure, log in and send; return the recipients refused one by one (none: all took it)."""
    context = exchange.tls_context(settings.ca_file)
    server = _connect(settings, exchange, context)
    try:
        server.ehlo()
        if settings.starttls and not settings.tls:
            server.starttls(context=context)
            server.ehlo()
        if settings.username is not None and password is not None:
            server.login(settings.username, password)
        refused = server.send_message(message)
        server.quit()
    finally:
        server.close()
    return refused


def _failure(exchange: Exchange, where: str, timeout_s: float, exc: Exception) -> DeliveryError:
    """Return the delivery error of a failed SMTP exchange."""
    cut = exchange.why(where, timeout_s)
    if cut is not None:
        return DeliveryError(cut, permanent=False, interrupted=exchange.cut == "stop")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return DeliveryError(f"{where}: {exc}; the mail is not sent in the clear", permanent=True)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return DeliveryError(
            f"{where} refused every recipient ({_codes(exc.recipients)})",
            permanent=all(c >= 500 for c in codes),
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        )
        return DeliveryError(f"{where} answered {exc.smtp_code} {text}", permanent=exc.smtp_code >= 500)
    return DeliveryError(f"{where}: {type(exc).__name__}: {exc}", permanent=False)


class _WatchedSmtp(smtplib.SMTP):
    """SMTP whose socket is watched by the exchange from the moment it exists, before the greeting.

    ``_get_socket`` is the hook ``smtplib``'s own SMTP_SSL and LMTP override. The TLS socket that
    STARTTLS makes of it is watched by the exchange's TLS context.
    """

    def __init__(self, settings: SmtpChannelSettings, exchange: Exchange) -> None:
        self.exchange = exchange
        super().__init__(settings.host, settings.port, timeout=settings.timeout_s)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return self.exchange.watch(super()._get_socket(host, port, timeout))  # type: ignore[misc]


def _connect(settings: SmtpChannelSettings, exchange: Exchange, context: ssl.SSLContext) -> smtplib.SMTP:
    """Connect and read the greeting; over TLS from the first byte (its socket watched by ``context``)."""
    if settings.tls:
        return smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout_s, context=context)
    return _WatchedSmtp(settings, exchange)


def _codes(recipients: dict[str, tuple[int, bytes]]) -> str:
    return ", ".join(f"{address}: {code}" for address, (code, _) in recipients.items())
