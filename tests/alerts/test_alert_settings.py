"""``<store>/alerts.json``: defaults, the contract's example, routes, strict errors, secrets."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from fov_monitor.alerts.settings import (
    AlertSettings,
    ChannelKind,
    EvidenceMode,
    JsonlChannelSettings,
    RetrySettings,
    Secret,
    SmtpChannelSettings,
    WebhookChannelSettings,
)
from fov_monitor.errors import InvalidSettingsError
from fov_monitor.i18n import Language
from fov_monitor.settings import StoreSettings
from tests.support.messages import assert_one_line

EXAMPLE: dict[str, Any] = {
    "schema_version": 1,
    "thresholds": {"offline_after_scans": 4, "unverifiable_after_scans": 2, "error_after_scans": 5},
    "retry": {"max_attempts": 7, "first_backoff_s": 15, "max_backoff_s": 900},
    "channels": [
        {
            "name": "ops-mail",
            "kind": "smtp",
            "host": "smtp.example",
            "port": 587,
            "starttls": True,
            "username": "fov",
            "password_env": "FOV_SMTP_PASSWORD",
            "from": "fov-monitor@example",
            "to": ["a@example"],
            "groups": ["north"],
            "evidence": "link",
            "timeout_s": 30,
        },
        {
            "name": "tickets",
            "kind": "webhook",
            "url": "https://tickets.example/hook",
            "secret_env": "FOV_WEBHOOK_SECRET",
            "timeout_s": 10,
            "groups": [],
        },
        {"name": "log", "kind": "jsonl", "path": "alerts.jsonl", "groups": ["south"]},
    ],
}


def write(root: Path, document: Any) -> Path:
    path = root / "alerts.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_absent_file_gives_the_defaults_and_no_channels(tmp_path: Path) -> None:
    settings = AlertSettings.for_store(tmp_path)
    assert settings.channels == ()
    assert settings.routes("north") == []
    assert (settings.thresholds.offline_after_scans, settings.retry.max_attempts) == (3, 10)
    assert (settings.retry.first_backoff_s, settings.retry.max_backoff_s) == (30.0, 3600.0)


def test_the_contract_example_is_read_field_for_field(tmp_path: Path) -> None:
    write(tmp_path, EXAMPLE)
    settings = AlertSettings.for_store(tmp_path)
    assert settings.thresholds.offline_after_scans == 4
    assert settings.thresholds.unverifiable_after_scans == 2
    assert settings.thresholds.error_after_scans == 5
    assert settings.retry == RetrySettings(7, 15.0, 900.0)
    mail, hook, log = settings.channels
    assert isinstance(mail, SmtpChannelSettings)
    assert (mail.kind, mail.host, mail.port, mail.starttls, mail.username) == (
        ChannelKind.SMTP,
        "smtp.example",
        587,
        True,
        "fov",
    )
    assert mail.password == Secret("channels[0].password_env", env="FOV_SMTP_PASSWORD")
    assert (mail.from_address, mail.to, mail.groups, mail.evidence) == (
        "fov-monitor@example",
        ("a@example",),
        ("north",),
        EvidenceMode.LINK,
    )
    assert isinstance(hook, WebhookChannelSettings)
    assert (hook.url, hook.timeout_s, hook.groups) == ("https://tickets.example/hook", 10.0, ())
    assert isinstance(log, JsonlChannelSettings)
    assert log.path == tmp_path / "alerts.jsonl"  # relative paths are below the store


@pytest.mark.parametrize(
    ("group", "channels"),
    [("north", ["ops-mail", "tickets"]), ("south", ["tickets", "log"]), ("east", ["tickets"])],
)
def test_routes_send_a_group_to_its_channels_and_to_those_for_every_group(
    tmp_path: Path, group: str, channels: list[str]
) -> None:
    write(tmp_path, EXAMPLE)
    assert AlertSettings.for_store(tmp_path).routes(group) == channels


def test_backoff_doubles_up_to_its_longest() -> None:
    retry = RetrySettings(max_attempts=10, first_backoff_s=30, max_backoff_s=100)
    assert [retry.backoff_s(n) for n in (1, 2, 3, 4)] == [30, 60, 100, 100]


def _edit(path: str, value: Any, base: dict[str, Any] = EXAMPLE) -> dict[str, Any]:
    """Return ``base`` (the example) with the dotted ``path`` set to ``value``, or removed when ``...``."""
    document = copy.deepcopy(base)
    *parents, last = path.split(".")
    target: Any = document
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is ...:
        del target[int(last) if last.isdigit() else last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return document


BAD = [
    ("unknown top field", _edit("colour", "red"), "'colour'"),
    ("unknown channel field", _edit("channels.1.verify", False), "'channels[1].verify'"),
    ("unknown retry field", _edit("retry.jitter", 1), "'retry.jitter'"),
    ("wrong schema", _edit("schema_version", 2), "'schema_version'"),
    ("wrong type", _edit("channels.0.port", "587"), "'channels[0].port'"),
    ("wrong type bool", _edit("channels.0.starttls", "yes"), "'channels[0].starttls'"),
    ("threshold zero", _edit("thresholds.offline_after_scans", 0), "'thresholds.offline_after_scans'"),
    ("attempts as text", _edit("retry.max_attempts", "10"), "'retry.max_attempts'"),
    ("backoff longer than max", _edit("retry.first_backoff_s", 1000), "'retry.max_backoff_s'"),
    ("unknown kind", _edit("channels.2.kind", "sms"), "'channels[2].kind'"),
    ("missing to", _edit("channels.0.to", ...), "'channels[0].to'"),
    ("empty to", _edit("channels.0.to", []), "'channels[0].to'"),
    ("bad address", _edit("channels.0.to", ["nobody"]), "'channels[0].to'"),
    ("duplicate name", _edit("channels.2.name", "ops-mail"), "'channels[2].name'"),
    ("bad URL scheme", _edit("channels.1.url", "ftp://tickets.example/"), "'channels[1].url'"),
    ("URL without host", _edit("channels.1.url", "https:///hook"), "'channels[1].url'"),
    ("inline password", _edit("channels.0.password", "hunter2"), "'channels[0].password'"),
    ("inline secret", _edit("channels.1.secret", "hunter2"), "'channels[1].secret'"),
    ("webhook without secret", _edit("channels.1.secret_env", ...), "'channels[1].secret_env'"),
    ("two secret places", _edit("channels.1.secret_file", "k"), "'channels[1].secret_env'"),
    ("bad evidence mode", _edit("channels.0.evidence", "inline"), "'channels[0].evidence'"),
    ("groups not a list", _edit("channels.0.groups", "north"), "'channels[0].groups'"),
    ("channels not a list", _edit("channels", {}), "'channels'"),
    ("timeout zero", _edit("channels.1.timeout_s", 0), "'channels[1].timeout_s'"),
    ("password without user", _edit("channels.0.username", ...), "'channels[0].username'"),
    ("review URL not http", _edit("channels.0.review_url", "fov.example.org"), "'channels[0].review_url'"),
    ("tls not a bool", _edit("channels.0.tls", "yes"), "'channels[0].tls'"),
    ("tls and starttls", _edit("channels.0.tls", True), "'channels[0].starttls'"),
    ("password in the clear", _edit("channels.0.starttls", False), "'channels[0].password'"),
]


def test_smtps_is_tls_from_the_first_byte_on_port_465_by_default(tmp_path: Path) -> None:
    document = _edit("channels.0.tls", True, _edit("channels.0.port", ..., _edit("channels.0.starttls", ...)))
    write(tmp_path, document)
    mail = AlertSettings.for_store(tmp_path).channels[0]
    assert isinstance(mail, SmtpChannelSettings)
    assert (mail.tls, mail.starttls, mail.port) == (True, False, 465)


def _mail_language(root: Path) -> Language | None:
    mail = StoreSettings(root).alerts.channels[0]
    assert isinstance(mail, SmtpChannelSettings)
    return mail.language


def test_mails_are_in_the_organisations_language_unless_the_channel_names_its_own(tmp_path: Path) -> None:
    write(tmp_path, EXAMPLE)
    assert _mail_language(tmp_path) is Language.EN  # no organisation.json: English
    organisation = tmp_path / "organisation.json"
    organisation.write_text(json.dumps({"schema_version": 1, "name": "Kommunen", "language": "sv"}))
    assert _mail_language(tmp_path) is Language.SV
    write(tmp_path, _edit("channels.0.language", "en"))
    assert _mail_language(tmp_path) is Language.EN


def test_a_broken_organisation_file_leaves_the_mails_in_english_and_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The register refuses a broken organisation.json; the alerts go on, in English."""
    organisation = tmp_path / "organisation.json"
    organisation.write_text("{ broken", encoding="utf-8")
    write(tmp_path, _edit("channels.0.language", "sv"))
    assert _mail_language(tmp_path) is Language.SV  # a channel's own language: the file is not read
    assert not caplog.records
    write(tmp_path, EXAMPLE)
    assert _mail_language(tmp_path) is Language.EN
    (record,) = caplog.records
    assert str(organisation) in record.getMessage()
    organisation.write_text(json.dumps({"schema_version": 1, "language": "de"}))
    caplog.clear()
    assert _mail_language(tmp_path) is Language.EN
    (record,) = caplog.records
    assert "'language'" in record.getMessage()
    assert "'sv'" in record.getMessage()


@pytest.mark.parametrize(("document", "field"), [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_a_bad_file_is_refused_in_one_line_naming_file_and_field(
    tmp_path: Path, document: dict[str, Any], field: str
) -> None:
    path = write(tmp_path, document)
    with pytest.raises(InvalidSettingsError) as caught:
        AlertSettings.for_store(tmp_path)
    assert_one_line(caught.value, str(path), field)
    assert "hunter2" not in str(caught.value)


def test_unreadable_json_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "alerts.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(InvalidSettingsError) as caught:
        AlertSettings.for_store(tmp_path)
    assert_one_line(caught.value, str(path))


def test_a_secret_is_read_from_its_variable_and_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOV_TEST_SECRET", "hunter2")
    secret = Secret("channels[0].secret_env", env="FOV_TEST_SECRET")
    assert secret.read() == "hunter2"
    assert "hunter2" not in repr(secret)
    monkeypatch.delenv("FOV_TEST_SECRET")
    with pytest.raises(InvalidSettingsError) as caught:
        secret.read()
    assert_one_line(caught.value, "FOV_TEST_SECRET", "not set")


@pytest.mark.parametrize(
    ("mode", "error"), [(0o600, None), (0o400, None), (0o640, "chmod 600"), (0o604, "chmod 600")]
)
def test_a_secret_file_must_be_readable_by_its_owner_only(
    tmp_path: Path, mode: int, error: str | None
) -> None:
    path = tmp_path / "secret"
    path.write_text("hunter2\n", encoding="utf-8")
    path.chmod(mode)
    secret = Secret("channels[1].secret_file", file=path)
    if error is None:
        assert secret.read() == "hunter2"
        return
    with pytest.raises(InvalidSettingsError) as caught:
        secret.read()
    assert_one_line(caught.value, str(path), error)
    assert "hunter2" not in str(caught.value)


def test_a_missing_secret_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidSettingsError) as caught:
        Secret("channels[1].secret_file", file=tmp_path / "absent").read()
    assert_one_line(caught.value, str(tmp_path / "absent"), "does not exist")


def test_settings_printed_hold_no_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOV_SMTP_PASSWORD", "hunter2")
    write(tmp_path, EXAMPLE)
    assert "hunter2" not in repr(AlertSettings.for_store(tmp_path))
