"""Settings files in JSON: read whole, with one line naming the file when they cannot be.

A :class:`JsonDocument` keeps the text it was parsed from, so that an error about one of its fields
can say on which line of the file that field is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from fov_monitor.errors import FovMonitorError, InvalidSettingsError

JsonPath = tuple[str | int, ...]
"""Where a value is in a JSON document: object keys and array indices from the top (``()``)."""

_SPACE = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r'"(?:[^"\\]|\\.)*"|[^,\]}\s]+')


@dataclass(frozen=True)
class JsonDocument:
    """A JSON file as read: its path, its text and the value parsed from it.

    Attributes
    ----------
    path : Path
    text : str
        The file's contents, decoded as UTF-8.
    data : object
        The parsed value (dicts, lists, str, int, float, bool, None).
    """

    path: Path
    text: str = field(repr=False)
    data: object = field(repr=False)

    def line(self, at: Sequence[str | int]) -> int:
        """Return the line (1 = the first) of the value at ``at``, or of its deepest part that exists.

        A member of an object is found at its key, an item of an array at its first character, so
        that the line shown is the one a reader looks for.
        """
        at = tuple(at)
        while at and at not in self._offsets:
            at = at[:-1]
        return self.text.count("\n", 0, self._offsets.get(at, 0)) + 1

    @cached_property
    def _offsets(self) -> dict[JsonPath, int]:
        """Return where each value starts in :attr:`text` (the key, for a member of an object)."""
        offsets: dict[JsonPath, int] = {}
        _scan(self.text, 0, (), offsets)
        return offsets


LONGEST_EXACT_INTEGER = 20
"""Digits of the longest integer read as an integer; a longer one is read as a float (``inf`` past
1e308), so that a damaged file's 5,000-digit number is one clear range error, not a traceback."""


def parse_json(text: str) -> object:
    """Return the value of the JSON ``text``, as ``json.loads`` does, within bounds.

    An integer of more than :data:`LONGEST_EXACT_INTEGER` digits is read as a float, and nesting
    deeper than Python's recursion allows is a ``ValueError`` like any other malformed text.

    Raises
    ------
    ValueError
        With the reason in one line (``json.JSONDecodeError`` for malformed text).
    """
    try:
        return json.loads(text, parse_int=_parse_int)
    except RecursionError:
        raise ValueError("arrays or objects nested too deep") from None


def _parse_int(digits: str) -> int | float:
    return int(digits) if len(digits.lstrip("-")) <= LONGEST_EXACT_INTEGER else float(digits)


def read_json_document(
    path: Path, *, error: type[FovMonitorError] = InvalidSettingsError, fix: str = "fix or remove it"
) -> JsonDocument:
    """Return the JSON file at ``path``, parsed.

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
        text = path.read_text(encoding="utf-8")
        return JsonDocument(path, text, parse_json(text))
    except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise error(f"{path} is not readable JSON ({exc}); {fix}") from None


def _scan(text: str, index: int, at: JsonPath, offsets: dict[JsonPath, int]) -> int:
    """Record where the value at ``index`` and everything inside it start; return the index after it.

    ``text`` is valid JSON (``json.loads`` took it), so the scan checks nothing. A key given twice
    is found where it is given last, the value ``json.loads`` keeps.
    """
    index = _end(_SPACE, text, index)
    offsets.setdefault(at, index)
    opening = text[index]
    if opening not in "{[":
        return _end(_SCALAR, text, index)
    closing = "}" if opening == "{" else "]"
    index = _end(_SPACE, text, index + 1)
    number = 0
    while text[index] != closing:
        if opening == "{":
            after_key = _end(_SCALAR, text, index)
            key = json.loads(text[index:after_key])
            offsets[(*at, key)] = index
            colon = _end(_SPACE, text, after_key)
            index = _scan(text, colon + 1, (*at, key), offsets)
        else:
            index = _scan(text, index, (*at, number), offsets)
            number += 1
        index = _end(_SPACE, text, index)
        if text[index] == ",":
            index = _end(_SPACE, text, index + 1)
    return index + 1


def _end(pattern: re.Pattern[str], text: str, index: int) -> int:
    """Return where ``pattern`` (which matches here: ``text`` is valid JSON) stops matching from ``index``."""
    match = pattern.match(text, index)
    assert match is not None
    return match.end()
