"""Settings files in JSON: read whole, with one line naming the file when they cannot be."""

from __future__ import annotations

import json
from pathlib import Path

from fov_monitor.errors import FovMonitorError, InvalidSettingsError


def read_json_file(
    path: Path, *, error: type[FovMonitorError] = InvalidSettingsError, fix: str = "fix or remove it"
) -> object:
    """Return the parsed contents of the JSON file at ``path``.

    Parameters
    ----------
    path : Path
        A UTF-8 JSON file that exists (callers that allow it to be absent check first).
    error : type of FovMonitorError
        Raised, naming ``path``, the reason and ``fix``, when the file cannot be read or parsed.
    fix : str
        What the user should do about it, ending the message.
    """
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"{path} is not readable JSON ({exc}); {fix}") from None
