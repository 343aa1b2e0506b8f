"""The optional parts: a command that needs an extra that is not installed says so in one line.

The packages are made missing for real in a child process (``sys.modules[name] = None`` makes Python's
import fail with ModuleNotFoundError, exactly as when the package is absent).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

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


def _extras_only_modules() -> list[str]:
    """Return the modules that only the extras install: their packages and what those need, not the core's."""
    package = metadata.distribution("fov-monitor")
    wanted = [Requirement(text) for text in package.requires or []]
    core = _with_needs(r.name for r in wanted if r.marker is None)
    extras = [
        r.name for r in wanted if r.marker is not None and any(r.marker.evaluate({"extra": e}) for e in Extra)
    ]
    only = _with_needs(extras) - core
    return sorted(
        module
        for module, names in metadata.packages_distributions().items()
        if not module.startswith("_") and any(_canonical(name) in only for name in names)
    )


def _with_needs(names: Iterable[str]) -> set[str]:
    """Return the distributions ``names`` and, through their requirements, all they install."""
    found: set[str] = set()
    waiting = [_canonical(name) for name in names]
    while waiting:
        name = waiting.pop()
        if name in found:
            continue
        found.add(name)
        try:
            needs = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for text in needs:
            need = Requirement(text)
            if need.marker is None or need.marker.evaluate({"extra": ""}):
                waiting.append(_canonical(need.name))
    return found


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def test_the_core_commands_need_no_extra(tmp_path: Path) -> None:
    # The demo (enrol, nightly pass, alerts) with every package that only an extra installs missing.
    missing = _extras_only_modules()
    assert {"fastapi", "jinja2", "matplotlib", "distributed", "psycopg", "segno"} <= set(missing)
    done = _run_without(missing, ["demo"], tmp_path / "store")
    assert done.returncode == 0, done.stderr
    assert "cam-02-cafe (knocked 10% to the right): redirected" in done.stdout


def test_an_unrelated_missing_module_is_not_blamed_on_the_extra() -> None:
    with pytest.raises(ModuleNotFoundError), needs_extra(Extra.WEB, "fov-monitor serve"):
        import fov_monitor_no_such_module  # type: ignore[import-not-found]  # noqa: F401
    with pytest.raises(MissingExtraError, match=r"fov-monitor\[web\]"), needs_extra(Extra.WEB, "x"):
        raise ModuleNotFoundError("No module named 'fastapi'", name="fastapi")
