"""Which results database a command uses (``--db``, ``$FOV_MONITOR_DB``, settings.json), passwords hidden."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from fov_monitor.db.location import DATABASE_ENV, DatabaseLocation, Dialect, resolve_location
from fov_monitor.errors import InvalidSettingsError
from fov_monitor.faces.privacy import PrivacySettings
from fov_monitor.settings import StoreSettings
from tests.support.cli import run_main
from tests.support.database import row_counts
from tests.support.messages import assert_one_line
from tests.support.postgres_server import PASSWORD

Cli = Callable[..., tuple[int, str, str]]


@pytest.mark.parametrize(
    ("given", "dialect", "shown"),
    [
        ("results.sqlite", Dialect.SQLITE, "results.sqlite"),
        ("/srv/fov/results.sqlite", Dialect.SQLITE, "/srv/fov/results.sqlite"),
        ("postgresql://fov@db.example/fov", Dialect.POSTGRESQL, "postgresql://fov@db.example/fov"),
        ("postgresql://fov:hunter2@db.example:5433/fov", Dialect.POSTGRESQL, "postgresql://fov:***@db.example:5433/fov"),
        ("postgres://fov:p%40ss@db/fov?sslmode=require", Dialect.POSTGRESQL, "postgres://fov:***@db/fov?sslmode=require"),
        ("postgresql://db/fov?user=fov&password=hunter2", Dialect.POSTGRESQL, "postgresql://db/fov?user=fov&password=***"),
        ("postgresql://fov:a:b@db1:5432,db2:5432/fov", Dialect.POSTGRESQL, "postgresql://fov:***@db1:5432,db2:5432/fov"),
    ],
)  # fmt: skip
def test_location_is_a_path_or_a_url_shown_without_its_password(
    given: str, dialect: Dialect, shown: str
) -> None:
    location = DatabaseLocation.parse(given)
    assert location.dialect is dialect
    assert location.shown == str(location) == shown
    assert "hunter2" not in repr(location)


def test_driver_messages_are_scrubbed_of_the_password_and_made_one_line() -> None:
    location = DatabaseLocation.parse("postgresql://fov:p%40ss@db/fov")
    message = location.scrub('connection to "postgresql://fov:p%40ss@db/fov" failed: bad p@ss\n\tIs it up?')
    assert message == 'connection to "postgresql://fov:***@db/fov" failed: bad *** Is it up?'


@pytest.mark.parametrize(
    ("given", "fragments"),
    [
        ("mysql://fov@db/fov", ["--db", "'mysql' is not supported", "postgresql://"]),
        ("   ", ["--db", "empty"]),
    ],
)
def test_unusable_location_is_a_one_line_error(given: str, fragments: list[str]) -> None:
    with pytest.raises(InvalidSettingsError) as caught:
        DatabaseLocation.parse(given)
    assert_one_line(caught.value, *fragments)


def test_db_option_then_environment_then_settings_then_the_store_file(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    assert resolve_location(store, None, {}, StoreSettings(store)) == DatabaseLocation(
        Dialect.SQLITE, str(store / "fov-monitor.sqlite")
    )
    (store / "settings.json").write_text(json.dumps({"schema_version": 1, "database": "db/results.sqlite"}))
    settings = StoreSettings(store)
    assert (
        resolve_location(store, None, {}, settings).path == store / "db" / "results.sqlite"
    )  # below the store
    environ = {DATABASE_ENV: "postgresql://fov@env/fov"}
    assert resolve_location(store, None, environ, settings).target == "postgresql://fov@env/fov"
    assert (
        resolve_location(store, "postgresql://fov@option/fov", environ, settings).target
        == "postgresql://fov@option/fov"
    )
    # The privacy settings of the same file are the defaults: it has no privacy section.
    assert settings.privacy == PrivacySettings()


def test_settings_database_of_the_wrong_type_names_the_file_and_field(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text(json.dumps({"schema_version": 1, "database": 5432}))
    with pytest.raises(InvalidSettingsError) as caught:
        resolve_location(tmp_path, None, {}, StoreSettings(tmp_path))
    assert_one_line(caught.value, str(tmp_path / "settings.json"), "field 'database'", "5432")


# The command line.


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("FOV_MONITOR_ACTOR", "tess")
    monkeypatch.delenv(DATABASE_ENV, raising=False)
    return lambda *args: run_main(capsys, *args)


def test_commands_write_to_the_postgres_database_given_by_option_or_environment(
    cli: Cli, tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    code, out, err = cli("init", "--store", store, "--db", postgres_url)
    assert code == 0, err
    assert PASSWORD not in out + err
    assert not (store / "fov-monitor.sqlite").exists()
    monkeypatch.setenv(DATABASE_ENV, postgres_url)
    code, out, _ = cli("audit", "--store", store)
    assert code == 0
    assert "store initialised" in out
    assert row_counts(postgres_url)["audit"] == 1


def test_unreachable_database_is_one_line_naming_it_without_the_password(
    cli: Cli, tmp_path: Path, closed_port: int
) -> None:
    url = f"postgresql://fov:{PASSWORD}@127.0.0.1:{closed_port}/fov"
    (tmp_path / "store").mkdir()
    code, out, err = cli("audit", "--store", tmp_path / "store", "--db", url)
    assert code == 1
    assert err.count("\n") == 1
    assert f"postgresql://fov:***@127.0.0.1:{closed_port}/fov" in err
    assert "--db" in err
    assert PASSWORD not in out + err
