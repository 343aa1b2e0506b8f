"""The delivery channels against real receivers on loopback: aiosmtpd (STARTTLS, AUTH) and an HTTP server."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import json
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from fov_monitor.alerts.channels import DeliveryError, JsonlChannel, SmtpChannel, WebhookChannel
from fov_monitor.alerts.channels.mail import render_mail
from fov_monitor.alerts.delivery import Delivery, DeliveryState
from fov_monitor.alerts.settings import (
    ChannelKind,
    EvidenceMode,
    JsonlChannelSettings,
    Secret,
    SmtpChannelSettings,
    WebhookChannelSettings,
)
from fov_monitor.db.database import Database
from fov_monitor.i18n import Language
from fov_monitor.store.store import Store
from tests.support.cli import run_main
from tests.support.delivery import SECRET, SECRET_ENV, Drip, Receiver, payload, seed, write_settings
from tests.support.images import sample_bgr
from tests.support.loopback import free_port

SMTP_USER, SMTP_PASSWORD = "fov", "mail-pass"


def delivery(channel: str, alert_id: int = 12, event_id: int = 40, **alert: Any) -> Delivery:
    document = payload(alert_id, event_id, channel, **alert)
    text = json.dumps(document, indent=1)  # not compact: the webhook must send it byte for byte
    return Delivery(
        1,
        alert_id,
        event_id,
        channel,
        document["idempotency_key"],
        text,
        DeliveryState.PENDING,
        1,
        "",
        None,
        "",
        None,
    )


# SMTP


@dataclass
class Mailbox:
    """What the SMTP server received: each mail with its envelope and who logged in."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.messages.append(
            email.message_from_bytes(envelope.original_content, policy=email.policy.default)  # type: ignore[arg-type]
        )
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        if isinstance(data, LoginPassword) and (data.login, data.password) == (
            SMTP_USER.encode(),
            SMTP_PASSWORD.encode(),
        ):
            self.logins.append(data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


def _serve_smtp(mailbox: Mailbox, **options: Any) -> Iterator[tuple[Mailbox, int]]:
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    yield mailbox, controller.port
    controller.stop()


def _server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(*certificate)
    return tls


@pytest.fixture
def smtp_server(certificate: tuple[Path, Path]) -> Iterator[tuple[Mailbox, int]]:
    """An SMTP server on loopback that requires STARTTLS, then AUTH; yields its mailbox and port."""
    mailbox = Mailbox()
    yield from _serve_smtp(
        mailbox,
        tls_context=_server_tls(certificate),
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=mailbox.authenticate,
    )


SMTPS_WARNING = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


@pytest.fixture
def smtps_server(certificate: tuple[Path, Path]) -> Iterator[tuple[Mailbox, int]]:
    """An SMTP server on loopback speaking TLS from the first byte (SMTPS, as on port 465), with AUTH."""
    mailbox = Mailbox()
    yield from _serve_smtp(
        mailbox,
        ssl_context=_server_tls(certificate),
        auth_required=True,
        # aiosmtpd counts only STARTTLS as TLS (and warns, see SMTPS_WARNING); this connection is TLS already.
        auth_require_tls=False,
        authenticator=mailbox.authenticate,
    )


@pytest.fixture
def plain_smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """An SMTP server that cannot do STARTTLS."""
    yield from _serve_smtp(Mailbox())


def smtp_settings(
    port: int, certificate: Path | None, tmp_path: Path, secret: str = SMTP_PASSWORD, **overrides: Any
) -> SmtpChannelSettings:
    password_file = tmp_path / "smtp-password"
    password_file.write_text(secret + "\n", encoding="utf-8")
    password_file.chmod(0o600)
    values: dict[str, Any] = {
        "name": "ops-mail",
        "kind": ChannelKind.SMTP,
        "host": "127.0.0.1",
        "port": port,
        "starttls": True,
        "username": SMTP_USER,
        "password": Secret("password_file", file=password_file),
        "from_address": "fov-monitor@example.org",
        "to": ("reviewer@example.org", "second@example.org"),
        "timeout_s": 5.0,
        "ca_file": certificate,
    }
    return SmtpChannelSettings(**(values | overrides))


@pytest.fixture
def evidence_jpg(tmp_path: Path) -> Path:
    path = tmp_path / "evidence.jpg"
    assert cv2.imwrite(str(path), sample_bgr("coffee"))
    return path


def test_smtp_sends_text_and_html_with_the_evidence_over_starttls_and_login(
    smtp_server: tuple[Mailbox, int], certificate: tuple[Path, Path], tmp_path: Path, evidence_jpg: Path
) -> None:
    mailbox, port = smtp_server
    sent = delivery("ops-mail", evidence_path=str(evidence_jpg))
    SmtpChannel(smtp_settings(port, certificate[0], tmp_path)).send(sent)
    assert mailbox.logins == [SMTP_USER]
    assert mailbox.envelopes == [("fov-monitor@example.org", ["reviewer@example.org", "second@example.org"])]
    (mail,) = mailbox.messages
    assert mail["Message-ID"] == "<fov-alert-12-40-ops-mail@example.org>"
    assert mail["X-Fov-Idempotency-Key"] == "fov-alert-12-40-ops-mail"
    assert "cam-12" in mail["Subject"]
    assert "redirected" in mail["Subject"]
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None
    assert html is not None
    assert "11.9% of the view is outside the permit" in text.get_content()
    assert '<html lang="en">' in html.get_content()
    (image,) = list(mail.iter_attachments())
    assert image.get_content_type() == "image/jpeg"
    assert image.get_filename() == "evidence.jpg"
    # The picture as shown (faces blurred again, re-encoded), not the file's bytes: the same picture here.
    attached = cv2.imdecode(np.frombuffer(image.get_content(), np.uint8), cv2.IMREAD_COLOR)
    written = cv2.imread(str(evidence_jpg))
    assert attached.shape == written.shape
    assert np.abs(attached.astype(float) - written.astype(float)).mean() < 3


def test_smtp_resent_mail_is_the_same_message(
    smtp_server: tuple[Mailbox, int], certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    mailbox, port = smtp_server
    channel = SmtpChannel(smtp_settings(port, certificate[0], tmp_path))
    channel.send(delivery("ops-mail"))
    channel.send(delivery("ops-mail"))
    assert len({mail["Message-ID"] for mail in mailbox.messages}) == 1
    assert len(mailbox.messages) == 2


@pytest.mark.parametrize(
    ("mode", "attachments", "in_body"),
    [
        (EvidenceMode.ATTACH, 1, "attached"),
        (EvidenceMode.LINK, 0, "evidence.jpg"),
        (EvidenceMode.NONE, 0, None),
    ],
)
def test_smtp_evidence_is_attached_linked_or_left_out(
    smtp_server: tuple[Mailbox, int],
    certificate: tuple[Path, Path],
    tmp_path: Path,
    evidence_jpg: Path,
    mode: EvidenceMode,
    attachments: int,
    in_body: str | None,
) -> None:
    mailbox, port = smtp_server
    SmtpChannel(smtp_settings(port, certificate[0], tmp_path, evidence=mode)).send(
        delivery("ops-mail", evidence_path=str(evidence_jpg))
    )
    (mail,) = mailbox.messages
    assert len(list(mail.iter_attachments())) == attachments
    body = mail.get_body(("plain",))
    assert body is not None
    if in_body is None:
        assert "evidence" not in body.get_content().lower()
    else:
        assert in_body in body.get_content()


def test_smtp_missing_evidence_file_still_sends_the_mail(
    smtp_server: tuple[Mailbox, int], certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    mailbox, port = smtp_server
    SmtpChannel(smtp_settings(port, certificate[0], tmp_path)).send(
        delivery("ops-mail", evidence_path=str(tmp_path / "gone.jpg"))
    )
    (mail,) = mailbox.messages
    assert list(mail.iter_attachments()) == []


def test_smtp_wrong_password_is_a_permanent_failure_without_the_password(
    smtp_server: tuple[Mailbox, int], certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    mailbox, port = smtp_server
    with pytest.raises(DeliveryError) as caught:
        SmtpChannel(smtp_settings(port, certificate[0], tmp_path, secret="wrong-pass")).send(
            delivery("ops-mail")
        )
    assert caught.value.permanent
    assert "535" in str(caught.value)
    assert "wrong-pass" not in str(caught.value)
    assert mailbox.messages == []


def test_smtp_untrusted_certificate_is_not_sent_in_the_clear(
    smtp_server: tuple[Mailbox, int], tmp_path: Path
) -> None:
    mailbox, port = smtp_server
    with pytest.raises(DeliveryError) as caught:
        SmtpChannel(smtp_settings(port, None, tmp_path)).send(delivery("ops-mail"))
    assert "certificate" in str(caught.value).lower()
    assert mailbox.messages == []


def test_smtp_starttls_asked_of_a_server_without_it_is_a_permanent_failure(
    plain_smtp_server: tuple[Mailbox, int], tmp_path: Path
) -> None:
    mailbox, port = plain_smtp_server
    with pytest.raises(DeliveryError) as caught:
        SmtpChannel(smtp_settings(port, None, tmp_path, username=None, password=None)).send(
            delivery("ops-mail")
        )
    assert caught.value.permanent
    assert mailbox.messages == []


def test_smtp_without_starttls_or_login_where_configured_so(
    plain_smtp_server: tuple[Mailbox, int], tmp_path: Path
) -> None:
    mailbox, port = plain_smtp_server
    settings = smtp_settings(port, None, tmp_path, starttls=False, username=None, password=None)
    SmtpChannel(settings).send(delivery("ops-mail"))
    assert len(mailbox.messages) == 1


@SMTPS_WARNING
def test_smtps_sends_over_tls_from_the_first_byte_with_login(
    smtps_server: tuple[Mailbox, int], certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    mailbox, port = smtps_server
    SmtpChannel(smtp_settings(port, certificate[0], tmp_path, tls=True, starttls=False)).send(
        delivery("ops-mail")
    )
    assert mailbox.logins == [SMTP_USER]
    (mail,) = mailbox.messages
    assert mail["X-Fov-Idempotency-Key"] == "fov-alert-12-40-ops-mail"


@SMTPS_WARNING
def test_smtps_with_an_untrusted_certificate_sends_nothing_and_is_tried_again(
    smtps_server: tuple[Mailbox, int], tmp_path: Path
) -> None:
    mailbox, port = smtps_server
    with pytest.raises(DeliveryError) as caught:
        SmtpChannel(smtp_settings(port, None, tmp_path, tls=True, starttls=False)).send(delivery("ops-mail"))
    assert "certificate" in str(caught.value).lower()
    assert not caught.value.permanent
    assert mailbox.logins == []
    assert mailbox.messages == []


def test_smtps_against_a_plain_server_fails_without_sending(
    plain_smtp_server: tuple[Mailbox, int], certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    mailbox, port = plain_smtp_server
    with pytest.raises(DeliveryError):
        SmtpChannel(smtp_settings(port, certificate[0], tmp_path, tls=True, starttls=False)).send(
            delivery("ops-mail")
        )
    assert mailbox.messages == []


def test_smtp_refused_connection_is_tried_again(
    closed_port: int, certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    with pytest.raises(DeliveryError) as caught:
        SmtpChannel(smtp_settings(closed_port, certificate[0], tmp_path)).send(delivery("ops-mail"))
    assert not caught.value.permanent


@dataclass
class RefusingMailbox(Mailbox):
    """A mailbox whose server answers ``code`` to one recipient and takes the others."""

    refused: str = "second@example.org"
    code: str = "550 5.1.1 no such user"

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's name)
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address == self.refused:
            return self.code
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.mark.parametrize(
    ("code", "permanent"), [("550 5.1.1 no such user", True), ("450 4.2.1 mailbox busy", False)]
)
def test_a_recipient_refused_while_others_take_the_mail_fails_the_delivery_naming_it(
    tmp_path: Path, code: str, permanent: bool
) -> None:
    for mailbox, port in _serve_smtp(RefusingMailbox(code=code)):
        settings = smtp_settings(port, None, tmp_path, starttls=False, username=None, password=None)
        with pytest.raises(DeliveryError) as caught:
            SmtpChannel(settings).send(delivery("ops-mail"))
        # Before, the mail counted as sent and the refusal was a log line nobody reads.
        assert f"refused 1 of 2 recipients (second@example.org: {code[:3]})" in str(caught.value)
        assert caught.value.permanent is permanent, "a 4xx refusal is tried again, a 5xx given up"
        assert mailbox.envelopes == [("fov-monitor@example.org", ["reviewer@example.org"])]


def test_a_refused_recipient_shows_in_the_outbox_the_audit_and_the_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    Store(store).init()
    database_path = store / "results.sqlite"
    for _, port in _serve_smtp(RefusingMailbox()):
        mail = {
            "name": "ops-mail",
            "kind": "smtp",
            "host": "127.0.0.1",
            "port": port,
            "starttls": False,
            "from": "fov-monitor@example.org",
            "to": ["reviewer@example.org", "second@example.org"],
        }
        write_settings(store, [mail])
        with Database(database_path) as database:
            (key,) = seed(database, ["ops-mail"])
        code, _, _ = run_main(capsys, "alerts", "deliver", "--store", store, "--db", database_path)
    assert code == 3
    _, out, _ = run_main(capsys, "alerts", "outbox", "--store", store, "--db", database_path, "--json")
    ((row),) = json.loads(out)
    assert (row["idempotency_key"], row["state"]) == (key, "failed")
    assert "second@example.org: 550" in row["last_error"]
    with Database(database_path) as database:
        ((detail,),) = database.read("SELECT detail_json FROM audit WHERE action = 'delivery failed'")
    assert "second@example.org: 550" in json.loads(detail)["error"]


def test_an_smtp_tarpit_is_cut_at_the_exchange_deadline(tmp_path: Path) -> None:
    tarpit = Drip(b"", b"220-please wait\r\n" * 4, 0.1, http=False)  # each wait 0.1 s, 6.8 s in all
    try:
        settings = smtp_settings(
            tarpit.port, None, tmp_path, starttls=False, username=None, password=None, timeout_s=0.3
        )
        started = time.monotonic()
        with pytest.raises(DeliveryError) as caught:
            SmtpChannel(settings).send(delivery("ops-mail"))
        took = time.monotonic() - started
    finally:
        tarpit.close()
    assert "did not finish the exchange within 1.2 s" in str(caught.value)
    assert not caught.value.permanent
    assert took < 3.0, took


# Webhook


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.close()


def webhook(url: str, timeout_s: float = 5.0) -> WebhookChannel:
    settings = WebhookChannelSettings(
        name="tickets",
        kind=ChannelKind.WEBHOOK,
        url=url,
        secret=Secret("secret_env", env=SECRET_ENV),
        timeout_s=timeout_s,
    )
    return WebhookChannel(settings)


@pytest.fixture(autouse=True)
def _webhook_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)


def test_webhook_over_https_trusts_its_ca_file_only(certificate: tuple[Path, Path]) -> None:
    receiver = Receiver(tls=_server_tls(certificate))
    try:
        trusting = WebhookChannelSettings(
            name="tickets",
            kind=ChannelKind.WEBHOOK,
            url=receiver.url,
            secret=Secret("secret_env", env=SECRET_ENV),
            ca_file=certificate[0],
        )
        WebhookChannel(trusting).send(delivery("tickets"))
        assert receiver.processed == ["fov-alert-12-40-tickets"]
        with pytest.raises(DeliveryError) as caught:
            WebhookChannel(dataclasses.replace(trusting, ca_file=None)).send(delivery("tickets", event_id=41))
    finally:
        receiver.close()
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)
    assert receiver.processed == ["fov-alert-12-40-tickets"]


def test_webhook_posts_the_payload_verbatim_signed_with_its_key(receiver: Receiver) -> None:
    sent = delivery("tickets")
    webhook(receiver.url).send(sent)
    assert receiver.bad_signatures == 0
    assert receiver.processed == ["fov-alert-12-40-tickets"]
    (headers,) = receiver.headers
    assert headers["Content-Type"] == "application/json"
    assert headers["Idempotency-Key"] == "fov-alert-12-40-tickets"
    assert headers["X-Fov-Timestamp"].isdigit()


def test_webhook_signed_with_another_secret_is_refused_by_the_receiver(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, "not-the-receivers-secret")
    with pytest.raises(DeliveryError) as caught:
        webhook(receiver.url).send(delivery("tickets"))
    assert receiver.bad_signatures == 1
    assert caught.value.permanent  # 401: the receiver will not take it until the secret is fixed
    assert "not-the-receivers-secret" not in str(caught.value)


@pytest.mark.parametrize(
    ("status", "permanent"),
    [(400, True), (404, True), (422, True), (408, False), (429, False), (500, False), (503, False)],
)
def test_webhook_answer_decides_whether_to_try_again(
    receiver: Receiver, status: int, permanent: bool
) -> None:
    receiver.status = status
    with pytest.raises(DeliveryError) as caught:
        webhook(receiver.url).send(delivery("tickets"))
    assert caught.value.permanent is permanent
    assert str(status) in str(caught.value)


def test_webhook_refused_or_silent_receiver_is_tried_again(closed_port: int, silent_port: int) -> None:
    for port in (closed_port, silent_port):
        with pytest.raises(DeliveryError) as caught:
            webhook(f"http://127.0.0.1:{port}/hook", timeout_s=0.3).send(delivery("tickets"))
        assert not caught.value.permanent


def test_webhook_errors_name_the_host_never_the_path_or_query(closed_port: int) -> None:
    url = f"http://127.0.0.1:{closed_port}/services/T0/B0/path-secret?token=query-secret"
    with pytest.raises(DeliveryError) as caught:
        webhook(url, timeout_s=0.3).send(delivery("tickets"))
    assert f"127.0.0.1:{closed_port}" in str(caught.value)
    assert "secret" not in str(caught.value)


def test_webhook_unset_secret_names_the_variable(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SECRET_ENV)
    with pytest.raises(DeliveryError) as caught:
        webhook(receiver.url).send(delivery("tickets"))
    assert SECRET_ENV in str(caught.value)
    assert receiver.headers == []


# JSON lines and the mail's text


def test_jsonl_appends_one_line_per_delivery_with_its_key(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "alerts.jsonl"
    channel = JsonlChannel(JsonlChannelSettings(name="log", kind=ChannelKind.JSONL, path=path))
    channel.send(delivery("log", alert_id=1, event_id=2))
    channel.send(delivery("log", alert_id=3, event_id=4))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["idempotency_key"] for line in lines] == [
        "fov-alert-1-2-log",
        "fov-alert-3-4-log",
    ]


def test_jsonl_unwritable_file_is_tried_again(tmp_path: Path) -> None:
    (tmp_path / "blocked").write_text("a file where the folder should be", encoding="utf-8")
    channel = JsonlChannel(
        JsonlChannelSettings(name="log", kind=ChannelKind.JSONL, path=tmp_path / "blocked" / "alerts.jsonl")
    )
    with pytest.raises(DeliveryError) as caught:
        channel.send(delivery("log"))
    assert not caught.value.permanent


def test_smtp_mail_links_to_the_alert_in_the_web_app_when_told_where_it_is(
    smtp_server: tuple[Mailbox, int], certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    mailbox, port = smtp_server
    channel = SmtpChannel(smtp_settings(port, certificate[0], tmp_path, review_url="https://fov.example.org"))
    channel.send(delivery("ops-mail"))
    (mail,) = mailbox.messages
    text, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert text is not None
    assert html is not None
    assert "Review it at https://fov.example.org/alerts/12" in text.get_content()
    assert '<a href="https://fov.example.org/alerts/12">' in html.get_content()
    assert "Review it at" not in render_mail(payload(12, 40, "ops-mail"), EvidenceMode.NONE).text


def test_mail_html_escapes_the_payload_and_labels_its_table() -> None:
    document = payload(1, 2, "ops-mail")
    document["alert"]["summary"] = "<script>alert(1)</script> & more"
    mail = render_mail(document, EvidenceMode.NONE)
    assert "<script>" not in mail.html
    assert "&lt;script&gt;" in mail.html
    assert '<th scope="row">Camera</th>' in mail.html
    assert "<script>alert(1)</script> & more" in mail.text
    assert "Outside the permit: 11.9% of the view" in mail.text


@pytest.mark.parametrize(
    ("event", "word"), [("opened", "opened"), ("closed", "closed"), ("resolved", "resolved")]
)
def test_mail_subject_says_what_happened(event: str, word: str) -> None:
    assert word in render_mail(payload(1, 2, "m", event=event), EvidenceMode.NONE).subject


def test_a_swedish_channel_sends_its_mail_in_swedish(
    smtp_server: tuple[Mailbox, int], certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    mailbox, port = smtp_server
    settings = smtp_settings(
        port, certificate[0], tmp_path, review_url="https://fov.example.org", language=Language.SV
    )
    SmtpChannel(settings).send(delivery("ops-mail"))
    (mail,) = mailbox.messages
    text, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert text is not None
    assert html is not None
    assert "larm öppnat: omriktad" in str(mail["Subject"])
    body = text.get_content()
    assert "Granska det på https://fov.example.org/alerts/12" in body
    assert "Utanför beslutet: 11,9 % av bilden" in body
    assert "Läge: öppet" in body
    assert "Händelse: öppnat" in body
    page = html.get_content()
    assert '<html lang="sv">' in page
    assert "<caption>Om larmet</caption>" in page
    assert '<th scope="row">Kamera</th>' in page
    # The check's own reasons are English: marked so, for a screen reader to read them as English.
    assert '<p lang="en">' in page
