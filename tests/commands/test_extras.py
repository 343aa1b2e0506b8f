"""The optional parts: a command that needs an extra that is not installed says so in one line.

The packages are made missing for real in a child process (``sys.modules[name] = None`` makes Python's
import fail with ModuleNotFoundError, exactly as when the package is absent).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fov_monitor.errors import MissingExtraError
from fov_monitor.extras import Extra, needs_extra

RUN_WITHOUT = """
import sys
for name in {missing!r}:
    sys.modules[name] = None
from fov_monitor.cli import main
sys.exit(main({argv!r}))
"""


def _run_without(missing: list[str], argv: list[str], store: Path) -> subprocess.CompletedProcess[str]:
    code = RUN_WITHOUT.format(missing=missing, argv=["--store", str(store), *argv])
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("missing", "argv", "extra", "what"),
    [
        (["uvicorn", "fastapi"], ["serve"], "web", "fov-monitor serve"),
        (["argon2"], ["user", "list"], "web", "fov-monitor user"),
        (
            ["matplotlib"],
            ["report", "yearly", "--year", "2026", "--out", "OUT"],
            "report",
            "fov-monitor report",
        ),
        (["psycopg"], ["--db", "postgresql://u@127.0.0.1:9/x", "alerts", "list"], "postgres", "a PostgreSQL"),
        (
            ["distributed"],
            ["scan", "--cluster", "tcp://127.0.0.1:9"],
            "cluster",
            "fov-monitor scan --cluster",
        ),
    ],
    ids=["serve", "user", "report", "postgres", "cluster"],
)
def test_a_missing_extra_is_one_line_naming_it(
    tmp_path: Path, missing: list[str], argv: list[str], extra: str, what: str
) -> None:
    store = tmp_path / "store"
    (store).mkdir()
    argv = [str(tmp_path / a) if a == "OUT" else a for a in argv]
    done = _run_without(missing, argv, store)
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"error: {what}"), done.stderr
    assert f"pip install 'fov-monitor[{extra}]'" in done.stderr
    assert "scan run" not in done.stdout  # nothing was started before the error
    assert not (tmp_path / "OUT").exists()


def test_the_core_commands_need_no_extra(tmp_path: Path) -> None:
    # The demo (enrol, nightly pass, alerts) with every optional package missing.
    missing = [
        "fastapi",
        "starlette",
        "uvicorn",
        "argon2",
        "distributed",
        "dask",
        "psycopg",
        "matplotlib",
        "jinja2",
    ]
    done = _run_without(missing, ["demo"], tmp_path / "store")
    assert done.returncode == 0, done.stderr
    assert "cam-02-cafe (knocked 10% to the right): redirected" in done.stdout


def test_an_unrelated_missing_module_is_not_blamed_on_the_extra() -> None:
    with pytest.raises(ModuleNotFoundError), needs_extra(Extra.WEB, "fov-monitor serve"):
        import fov_monitor_no_such_module  # type: ignore[import-not-found]  # noqa: F401
    with pytest.raises(MissingExtraError, match=r"fov-monitor\[web\]"), needs_extra(Extra.WEB, "x"):
        raise ModuleNotFoundError("No module named 'fastapi'", name="fastapi")
