"""The package plan holds: the pure core imports nothing of fov-monitor outside itself but ``errors``,
and no layer imports one above it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "fov_monitor"

LAYERS = [
    {"errors", "extras", "heap", "i18n"},
    {"core"},
    {"files", "faces", "sources"},
    {"store", "db"},
    {"workflows"},
    {"alerts"},
    {"settings"},
    {"scan"},
    {"report", "web"},
    {"commands"},
    {"cli", "__main__", "__init__"},
]
"""Rooms from the bottom up: a module may import its own room and the rooms below it."""


def _room(module: str) -> str:
    """Return the first part of a module's name under ``fov_monitor`` (``core``, ``web``, ``cli``)."""
    return module.split(".")[1] if "." in module else "__init__"


def _level(room: str) -> int:
    return next(index for index, rooms in enumerate(LAYERS) if room in rooms)


def _imports(path: Path) -> set[str]:
    """Return the fov_monitor modules a file imports, at any depth of the file (deferred ones too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name == "fov_monitor" or name.startswith("fov_monitor.")}


MODULES = sorted(PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_every_room_has_a_layer() -> None:
    rooms = {_room(_name(path)) for path in MODULES}
    assert rooms <= set().union(*LAYERS), rooms - set().union(*LAYERS)


def core_leaks(path: Path) -> set[str]:
    """Return what a core module imports of fov-monitor outside the core and ``errors``."""
    return {name for name in _imports(path) if _room(name) not in {"core", "errors"}}


def imports_from_above(path: Path, module: str) -> set[str]:
    """Return the fov-monitor modules ``module`` (at ``path``) imports from a layer above its own."""
    own = _level(_room(module))
    return {name for name in _imports(path) if name != "fov_monitor" and _level(_room(name)) > own}


@pytest.mark.parametrize("path", [p for p in MODULES if _room(_name(p)) == "core"], ids=_name)
def test_the_core_imports_only_itself_and_errors(path: Path) -> None:
    outside = core_leaks(path)
    assert not outside, f"{_name(path)} imports {sorted(outside)}: the core stays pure"


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_no_module_imports_a_layer_above_its_own(path: Path) -> None:
    above = imports_from_above(path, _name(path))
    assert not above, f"{_name(path)} imports {sorted(above)} from a layer above its own"


def test_the_rules_see_a_leak_even_when_deferred(tmp_path: Path) -> None:
    leaky = tmp_path / "leaky.py"
    leaky.write_text(
        "from fov_monitor.core.imaging import GrayImage\n"
        "from fov_monitor.errors import StoreError\n"
        "def load():\n"
        "    from fov_monitor.store.store import Store\n"
        "    import fov_monitor.web.app\n"
    )
    leaks = {"fov_monitor.store.store", "fov_monitor.web.app"}
    assert core_leaks(leaky) == leaks
    assert imports_from_above(leaky, "fov_monitor.core.leaky") == leaks
    assert imports_from_above(leaky, "fov_monitor.web.leaky") == set()
