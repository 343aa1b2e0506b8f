"""``fov-monitor`` run in the test process: its exit code and output, and its one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from fov_monitor.cli import main


def run_main(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """Run ``fov-monitor`` in this process; return its exit code, stdout and stderr."""
    capsys.readouterr()
    try:
        code = main([str(arg) for arg in args])
    except SystemExit as exc:  # argparse's usage errors and --help
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def assert_cli_error(result: tuple[int, str, str], *fragments: str | Path) -> str:
    """Assert that a command failed with exit 1 and one ``error:`` line naming every fragment."""
    code, _, err = result
    assert code == 1, result
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"stderr is not one line: {err!r}"
    assert lines[0].startswith("error: "), lines[0]
    for fragment in fragments:
        assert str(fragment) in lines[0], (fragment, lines[0])
    return lines[0]
