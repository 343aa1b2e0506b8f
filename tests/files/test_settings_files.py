"""Every settings file is read one way: a wrong type, an unknown or a missing field is one line naming the
file, the line and the field, what was expected and what came."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from fov_monitor.alerts.settings import (
    AlertSettings,
    AlertsFile,
    JsonlSection,
    RetrySection,
    SmtpSection,
    ThresholdsSection,
    WebhookSection,
)
from fov_monitor.errors import FovMonitorError, InvalidSettingsError, ReportError
from fov_monitor.faces.privacy import PrivacySection
from fov_monitor.files.json_files import JsonDocument
from fov_monitor.files.settings_files import SettingsSchema
from fov_monitor.report.organisation import Organisation, OrganisationFile
from fov_monitor.report.weighing import WeighingFile, WeighingState, read_weighing
from fov_monitor.settings import SettingsFile, StoreSettings
from tests.support.messages import assert_one_line

Reader = Callable[[Path], object]


def _weighing(root: Path) -> object:
    """Read cam-01's weighing of 2026, raising as the other readers do when it cannot be read."""
    weighing = read_weighing(root, 2026, "cam-01")
    if weighing.state is WeighingState.UNREADABLE:
        raise ReportError(weighing.problem)
    return weighing


PRIVACY: tuple[str, Reader, type[FovMonitorError]] = (
    "settings.json",
    lambda root: StoreSettings(root).privacy,
    InvalidSettingsError,
)
DATABASE: tuple[str, Reader, type[FovMonitorError]] = (
    "settings.json",
    lambda root: StoreSettings(root).database,
    InvalidSettingsError,
)
ALERTS: tuple[str, Reader, type[FovMonitorError]] = (
    "alerts.json",
    AlertSettings.for_store,
    InvalidSettingsError,
)
ORGANISATION: tuple[str, Reader, type[FovMonitorError]] = (
    "organisation.json",
    Organisation.for_store,
    ReportError,
)
WEIGHING: tuple[str, Reader, type[FovMonitorError]] = (
    "weighing/2026/cam-01.json",
    _weighing,
    ReportError,
)

CHANNELS = """{
  "schema_version": 1,
  "channels": [
    {"name": "mail", "kind": "smtp", "host": "smtp.example",
     "port": %s, "from": "fov@example.org", "to": ["a@example.org"]},
    {"name": "hook", "kind": "webhook", "url": "https://hook.example/",
     "secret_env": "HOOK_KEY"%s}
  ]
}"""

ORGANISATION_TEXT = """{
  "schema_version": 1,
  "name": "City of Example",
  "contact": "privacy@example.org",
  %s
}"""

CASES = [
    # (id, file, text, field, line, what the message says besides)
    (
        "settings.json wrong type",
        PRIVACY,
        '{\n  "schema_version": 1,\n  "privacy": {\n    "blur_faces": true,\n'
        '    "unblurred_retention_days": "30"\n  }\n}',
        "privacy.unblurred_retention_days",
        5,
        ["must be whole days 1..3650", "got '30'", "write it without quotes"],
    ),
    (
        "settings.json unknown field",
        PRIVACY,
        '{\n  "schema_version": 1,\n  "privacy": {\n    "keep_unblured": true\n  }\n}',
        "privacy.keep_unblured",
        4,
        ["is unknown", "keep_unblurred", "remove it or correct its name"],
    ),
    (
        "settings.json missing field",
        PRIVACY,
        '{\n  "privacy": {"blur_faces": true}\n}',
        "schema_version",
        1,
        ["is missing", "add it"],
    ),
    (
        "settings.json database of the wrong type",
        DATABASE,
        '{\n  "schema_version": 1,\n  "database": 5432\n}',
        "database",
        3,
        ["must be a postgresql:// URL or a SQLite file path", "got 5432"],
    ),
    (
        "alerts.json wrong type",
        ALERTS,
        CHANNELS % ('"587"', ""),
        "channels[0].port",
        5,
        ["must be a port number 1..65535", "got '587'", "write it without quotes"],
    ),
    (
        "alerts.json unknown field",
        ALERTS,
        CHANNELS % ("587", ',\n     "verify": false'),
        "channels[1].verify",
        8,
        ["is unknown", "secret_env", "remove it"],
    ),
    (
        "alerts.json missing field",
        ALERTS,
        '{\n  "schema_version": 1,\n  "channels": [\n    {"name": "log",\n     "kind": "jsonl"}\n  ]\n}',
        "channels[0].path",
        4,
        ["is missing", "add it"],
    ),
    (
        "organisation.json wrong type",
        ORGANISATION,
        ORGANISATION_TEXT % '"address": "Market Square 1",\n  "timezone": 1',
        "timezone",
        6,
        ["must be an IANA time zone name like 'Europe/Stockholm'", "got 1"],
    ),
    (
        "organisation.json unknown field",
        ORGANISATION,
        ORGANISATION_TEXT % '"adress": "Market Square 1"',
        "adress",
        5,
        ["is unknown", "address"],
    ),
    (
        "organisation.json missing field",
        ORGANISATION,
        ORGANISATION_TEXT % '"website": "https://example.org"',
        "address",
        1,
        ["is missing", "where to write", '"schema_version": 1'],
    ),
    (
        "weighing wrong type",
        WEIGHING,
        '{\n  "value": "safer crossings",\n  "intrusion": ["keep"]\n}',
        "intrusion",
        3,
        ["must be text", "got ['keep']"],
    ),
    (
        "weighing unknown field",  # a weighing file has no required field
        WEIGHING,
        '{\n  "value": "safer crossings",\n\n  "remarks": "none"\n}',
        "remarks",
        4,
        ["is unknown", "assessed_by"],
    ),
]


@pytest.mark.parametrize(
    ("reader", "text", "field", "line", "fragments"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_an_error_names_the_file_the_line_and_the_field(
    tmp_path: Path,
    reader: tuple[str, Reader, type[FovMonitorError]],
    text: str,
    field: str,
    line: int,
    fragments: list[str],
) -> None:
    relative, read, error = reader
    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(error) as caught:
        read(tmp_path)
    assert_one_line(caught.value, f"{path}, line {line}: field '{field}' ", *fragments)


def test_of_several_problems_the_first_in_the_file_is_named(tmp_path: Path) -> None:
    # The schema declares 'thresholds' before 'channels'; the file writes them the other way round.
    (tmp_path / "alerts.json").write_text(
        '{"schema_version": 1,\n "channels": 3,\n "thresholds": {"offline_after_scans": 0}}', encoding="utf-8"
    )
    with pytest.raises(InvalidSettingsError) as caught:
        AlertSettings.for_store(tmp_path)
    assert_one_line(caught.value, "alerts.json, line 2: field 'channels' must be a list, got 3")


@pytest.mark.parametrize(
    ("text", "at", "line"),
    [
        ('{"a": 1}', (), 1),
        ('{\n "a": {\n  "b": [\n   1,\n   {"c": 2}]}}', ("a", "b", 1, "c"), 5),
        ('{\n "a": {\n  "b": [\n   1,\n   {"c": 2}]}}', ("a", "b", 0), 4),
        ('{\n "a": {\n  "b": [\n   1,\n   {"c": 2}]}}', ("a", "missing"), 2),  # its object
        ('{"s": "x,]}\\" \\n",\n "t": 1}', ("t",), 2),  # what a string holds is not JSON
        ('{"k": 1,\n "k": 2}', ("k",), 2),  # a key given twice: the value json.loads keeps
        ('{"\\u00e9": [],\n "f": {}}', ("f",), 2),
    ],
)
def test_the_line_of_a_value_is_found_from_the_text(text: str, at: tuple[str | int, ...], line: int) -> None:
    assert JsonDocument(Path("x.json"), text, json.loads(text)).line(at) == line


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        ('{"schema_version": 1, "database": null}', False),  # absent is fine, null is not
        ('{"schema_version": 1, "privacy": {"face_model": null}}', True),
        ('{"schema_version": 1, "privacy": {"face_model": ""}}', True),  # the shipped model
        ('{"schema_version": 1, "privacy": {"unblurred_retention_days": 7.0}}', False),  # whole days
        ('{"schema_version": 1, "privacy": {"face_threshold": 1}}', False),
        ('{"schema_version": 1, "privacy": {"blur_faces": 1}}', False),
        ('{"schema_version": 1, "database": "mysql://db/fov"}', False),
        ('{"schema_version": 1, "database": "db/results.sqlite"}', True),
    ],
)
def test_settings_json_takes_what_it_took_before(tmp_path: Path, text: str, accepted: bool) -> None:
    (tmp_path / "settings.json").write_text(text, encoding="utf-8")
    settings = StoreSettings(tmp_path)
    if accepted:
        settings.read_all()
        return
    with pytest.raises(InvalidSettingsError) as caught:
        settings.read_all()
    assert_one_line(caught.value, f"{tmp_path / 'settings.json'}, line 1: field '")


def test_json_that_only_pythons_parser_takes_is_not_readable(tmp_path: Path) -> None:
    # A lone surrogate escape: json.loads takes it, the schema's parser does not.
    path = tmp_path / "settings.json"
    path.write_text('{"schema_version": 1,\n "privacy": {"face_model": "\\ud800"}}', encoding="utf-8")
    with pytest.raises(InvalidSettingsError) as caught:
        StoreSettings(tmp_path).read_all()
    assert_one_line(caught.value, f"{path} is not readable JSON (", "; fix or remove it")


def test_a_secret_written_into_alerts_json_is_never_repeated(tmp_path: Path) -> None:
    text = CHANNELS % ("587", ',\n     "secret": "hunter2"')
    (tmp_path / "alerts.json").write_text(text, encoding="utf-8")
    with pytest.raises(InvalidSettingsError) as caught:
        AlertSettings.for_store(tmp_path)
    assert_one_line(
        caught.value, "line 8: field 'channels[1].secret' holds a secret in the file", "secret_env"
    )
    assert "hunter2" not in str(caught.value)


SCHEMAS: list[type[SettingsSchema]] = [
    SettingsFile,
    PrivacySection,
    AlertsFile,
    ThresholdsSection,
    RetrySection,
    SmtpSection,
    WebhookSection,
    JsonlSection,
    OrganisationFile,
    WeighingFile,
]


@pytest.mark.parametrize("schema", SCHEMAS, ids=[schema.__name__ for schema in SCHEMAS])
def test_every_field_of_every_settings_file_is_described(schema: type[SettingsSchema]) -> None:
    undescribed = [
        name for name, field in schema.model_fields.items() if not (field.description or "").strip()
    ]
    assert not undescribed, f"{schema.__name__}: {undescribed}"
    assert schema.model_config.get("extra") == "forbid"
    assert schema.model_config.get("strict") is True
