"""The one way fov-monitor reads a settings file: JSON, validated against a strict schema.

Every settings file (``<store>/settings.json``, ``alerts.json``, ``organisation.json``, the weighing
files) has a schema, a :class:`SettingsSchema`: every field typed and described, numbers bounded,
and a field the schema does not know refused, so that a misspelt name is an error rather than a
setting silently ignored. :func:`read_settings_file` reads a file and validates it. What is wrong is
one line naming the file, the line and the field, what was expected and what came, and what to do::

    /srv/fov/settings.json, line 4: field 'privacy.unblurred_retention_days' must be whole days
    1..3650, got 0; correct the value

(one line in fact). A file that cannot be read at all (missing permissions, not UTF-8, truncated
JSON) is one line too, from :func:`fov_monitor.files.json_files.read_json_document`.

The schemas are pydantic models in strict mode, validated from the file's JSON: a number in quotes
is not a number, ``1`` is not ``true``, and a whole number is not taken for text.
"""

from __future__ import annotations

import json
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError

from fov_monitor.errors import FovMonitorError, InvalidSettingsError
from fov_monitor.files.json_files import JsonDocument, JsonPath, read_json_document


class SettingsSchema(BaseModel):
    """Base of every settings file's schema: JSON types taken strictly, unknown fields refused.

    A subclass gives each field a ``description`` and, where a message about its value needs more
    than its type, an :class:`Expect`.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


@dataclass(frozen=True, slots=True)
class Expect:
    """What a field takes, in words, for the message when a value does not fit it.

    Put in the field's ``Annotated`` metadata: ``Annotated[int, Field(ge=1), Expect("whole days 1..3650")]``
    gives ``must be whole days 1..3650, got 0`` for a value out of range and for one of another type.
    """

    text: str


M = TypeVar("M", bound=SettingsSchema)

_PROBLEM = "settings_problem"
_UNFIT = "settings_unfit"
_NULL = "settings_null"

_EXPECTED_BY_TYPE = {
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "text",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}
"""What a value of the wrong JSON type should have been, for fields without an :class:`Expect`."""

_QUOTED = frozenset(
    {"bool_type", "bool_parsing", "int_type", "int_parsing", "float_type", "float_parsing", "int_from_float"}
)
"""Errors about a value that may be right but written as text (``"587"`` for ``587``)."""


def problem(message: str, *at: str | int) -> PydanticCustomError:
    """Return the error a validator raises for ``message``, which says what is wrong and what to do.

    Parameters
    ----------
    message : str
        Follows the field's name: ``"and 'secret_file' are both given; keep one"``.
    *at : str or int
        Where, below the value validated, the problem is (a model validator names its field:
        ``problem("is needed with a password", "username")``).
    """
    return PydanticCustomError(_PROBLEM, "{message}", {"message": message, "at": at})


def unfit() -> PydanticCustomError:
    """Return the error a validator raises for a value that is not what the field's :class:`Expect` says."""
    return PydanticCustomError(_UNFIT, "the value does not fit the field")


def refuse_null(value: object) -> object:
    """Refuse ``null`` for a field that may be left out but, when given, needs a value (before-validator)."""
    if value is None:
        raise PydanticCustomError(_NULL, "the value is null")
    return value


def read_settings_file(
    path: Path,
    schema: type[M],
    *,
    error: type[FovMonitorError] = InvalidSettingsError,
    example: str = "",
) -> M:
    """Return the settings file at ``path``, validated against ``schema``.

    Parameters
    ----------
    path : Path
        A UTF-8 JSON file that exists (callers that allow it to be absent check first).
    schema : type of SettingsSchema
        What the file holds.
    error : type of FovMonitorError
        Raised when the file cannot be read or does not fit ``schema``.
    example : str, optional
        A valid file, shown when something is missing.

    Raises
    ------
    FovMonitorError
        Of type ``error``: one line naming the file, the line and the field, what was expected and
        what came, and what to do. Of several problems the first in the file is named, a missing
        field after the others.
    """
    fix = f"fix it, e.g. {example}" if example else "fix or remove it"
    document = read_json_document(path, error=error, fix=fix)
    try:
        return schema.model_validate_json(document.text)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    for details in errors:
        if details["type"] == "json_invalid":  # what Python's parser takes and pydantic's does not
            raise error(f"{path} is not readable JSON ({details['msg']}); {fix}")
    # A missing field last: the unknown one beside it is often the same, misspelt.
    places = [(_walk(schema, _loc(details)), details) for details in errors]
    place, details = min(places, key=lambda pair: (pair[1]["type"] == "missing", document.line(pair[0].at)))
    raise error(_message(document, place, details, example))


@dataclass(frozen=True, slots=True)
class _Place:
    """Where an error is in the document, and what the schema says of that place.

    Attributes
    ----------
    at : JsonPath
        The keys and indices from the top of the document.
    owner : type of SettingsSchema or None
        The object the last key of ``at`` is in (for an unknown key: what it takes instead).
    field : FieldInfo or None
        The field at ``at``, when the schema has one there.
    expect : str or None
        Its :class:`Expect`.
    tags : tuple of str
        When the value at ``at`` is one of several kinds of object told apart by a field: the values
        that field may take.
    """

    at: JsonPath
    owner: type[SettingsSchema] | None
    field: FieldInfo | None
    expect: str | None
    tags: tuple[str, ...]

    @property
    def name(self) -> str:
        """The field's name as the file writes it: ``channels[0].to``."""
        text = ""
        for part in self.at:
            text += f"[{part}]" if isinstance(part, int) else f".{part}"
        return text.lstrip(".")


def _loc(details: ErrorDetails) -> tuple[str | int, ...]:
    """Return where pydantic places an error, and below it where a :func:`problem` says it is."""
    context: Mapping[str, Any] = details.get("ctx") or {}
    return (*details["loc"], *context.get("at", ()))


def _walk(schema: type[SettingsSchema], loc: Sequence[str | int]) -> _Place:
    """Follow pydantic's ``loc`` through ``schema``: keys and indices, and the tags of the kinds of object."""
    at: list[str | int] = []
    current: Any = schema
    owner: type[SettingsSchema] | None = None
    field: FieldInfo | None = None
    metadata: tuple[object, ...] = ()
    for part in loc:
        current, _ = _unwrap(current)
        members = _members(current)
        if members and not any(part in _literals(m) for m in members):  # a key common to every kind
            current = next((m for m in members if _field(m, str(part))), current)
        if isinstance(part, int):
            at.append(part)
            current, field, metadata = _item_type(current), None, ()
        elif _is_schema(current):
            at.append(part)
            owner, field = current, _field(current, part)
            current, metadata = (field.annotation, tuple(field.metadata)) if field else (None, ())
        elif _members(current):  # pydantic names the kind of object, not a key of the file
            current = next((m for m in _members(current) if part in _literals(m)), None)
        else:
            at.append(part)
            current, field, metadata = None, None, ()
    final, inner = _unwrap(current)
    expect = next((m.text for m in (*metadata, *inner) if isinstance(m, Expect)), None)
    tags = tuple(dict.fromkeys(tag for member in _members(final) for tag in _literals(member)))
    return _Place(tuple(at), owner, field, expect, tags)


def _message(document: JsonDocument, place: _Place, details: ErrorDetails, example: str) -> str:
    """Return the one line that says what is wrong at ``place``."""
    kind = details["type"]
    context: Mapping[str, Any] = details.get("ctx") or {}
    if kind in ("union_tag_invalid", "union_tag_not_found"):  # the field that tells the kinds apart
        key = str(context.get("discriminator", "")).strip("'")
        place = _Place((*place.at, key), None, None, f"one of {_choices(place.tags)}", ())
        kind = "missing" if kind == "union_tag_not_found" else kind
    head = f"{document.path}, line {document.line(place.at)}: "
    subject = f"field '{place.name}'" if place.at else "the file"
    for_example = f", e.g. {example}" if example else ""
    if kind == _PROBLEM:
        return f"{head}{subject} {context['message']}"
    if kind == "missing":
        described = (
            f" ({_phrase(place.field.description)})" if place.field and place.field.description else ""
        )
        return f"{head}{subject} is missing{described}; add it{for_example}"
    if kind == "extra_forbidden":
        known = ", ".join(sorted(_names(place.owner))) if place.owner else ""
        return f"{head}{subject} is unknown; remove it or correct its name (expected one of {known})"
    value = details.get("input")
    if kind == "union_tag_invalid":
        value = context.get("tag")
    expected = place.expect or _expected(kind, context, details.get("msg", ""))
    if not place.at:
        return f"{head}{subject} must hold a JSON object, got {_shown(value)}; correct it{for_example}"
    fix = "write it without quotes" if kind in _QUOTED and _quoted_json(value) else "correct the value"
    return f"{head}{subject} must be {expected}, got {_shown(value)}; {fix}"


def _expected(kind: str, context: Mapping[str, Any], message: str) -> str:
    """Return what pydantic's error ``kind`` says was expected, in words."""
    if kind in _EXPECTED_BY_TYPE:
        return _EXPECTED_BY_TYPE[kind]
    if kind in ("literal_error", "enum"):
        choices = str(context.get("expected", ""))
        return f"one of {choices}" if " or " in choices else choices
    bounds = {"ge": "at least", "gt": "more than", "le": "at most", "lt": "less than"}
    for key, words in bounds.items():
        if key in context:
            return f"{words} {context[key]}"
    return message.removeprefix("Input should be ").removeprefix("Value error, ") or "something else"


def _choices(values: Sequence[str]) -> str:
    """Return ``values`` as a message lists them: ``'smtp', 'webhook' or 'jsonl'``."""
    quoted = [repr(value) for value in values]
    return " or ".join([", ".join(quoted[:-1]), quoted[-1]] if len(quoted) > 1 else quoted)


def _shown(value: object, width: int = 60) -> str:
    """Return ``value`` as the message shows it: its repr, cut to ``width`` characters."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _quoted_json(value: object) -> bool:
    """Return True when ``value`` is text that would be right without its quotes (``"587"``, ``"true"``)."""
    if not isinstance(value, str):
        return False
    try:
        return not isinstance(json.loads(value), str | dict | list)
    except ValueError:
        return False


def _phrase(description: str) -> str:
    """Return a field's description as a phrase inside a message: no capital first, no full stop."""
    text = description.strip().rstrip(".")
    return text[:1].lower() + text[1:]


def _unwrap(annotation: Any) -> tuple[Any, tuple[object, ...]]:
    """Return ``annotation`` without ``Annotated`` and ``| None``, and the metadata taken off."""
    metadata: tuple[object, ...] = ()
    while True:
        if get_origin(annotation) is Annotated:
            annotation, *more = get_args(annotation)
            metadata += tuple(more)
        elif _is_union(annotation) and type(None) in get_args(annotation) and len(get_args(annotation)) == 2:
            annotation = next(arg for arg in get_args(annotation) if arg is not type(None))
        else:
            return annotation, metadata


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType)


def _is_schema(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _members(annotation: Any) -> tuple[type[SettingsSchema], ...]:
    """Return the kinds of object a union of schemas takes (none when ``annotation`` is no such union)."""
    if not _is_union(annotation):
        return ()
    return tuple(arg for arg in get_args(annotation) if _is_schema(arg))


def _literals(schema: type[SettingsSchema]) -> tuple[str, ...]:
    """Return the values of the schema's ``Literal`` fields (the tag of one kind of object)."""
    return tuple(
        value
        for field in schema.model_fields.values()
        if get_origin(field.annotation) is Literal
        for value in get_args(field.annotation)
        if isinstance(value, str)
    )


def _item_type(annotation: Any) -> Any:
    """Return the type of the items of a list (``Any`` when ``annotation`` is not one)."""
    args = get_args(annotation)
    return args[0] if args and get_origin(annotation) in (list, tuple) else Any


def _field(schema: type[SettingsSchema], key: str) -> FieldInfo | None:
    """Return the field the file writes as ``key`` (its alias, else its name); None when unknown."""
    return next((field for name, field in schema.model_fields.items() if (field.alias or name) == key), None)


def _names(schema: type[SettingsSchema]) -> list[str]:
    """Return the names a file may give to the fields of ``schema``."""
    return [field.alias or name for name, field in schema.model_fields.items()]
