"""The owner's yearly weighing of a camera's value against its intrusion, as written by the owner.

Kept beside the store, one file per camera and year: ``<store>/weighing/<year>/<camera>.md`` (free
text) or ``<camera>.json``::

    {"value": "...", "intrusion": "...", "conclusion": "keep / change / remove ...",
     "assessed_by": "...", "assessed_at": "2027-01-15"}

Absent, the report shows a placeholder marked "to be completed".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fov_monitor.errors import ReportError
from fov_monitor.files.json_files import read_json_file

WEIGHING_FOLDER = "weighing"


@dataclass(frozen=True, slots=True)
class Assessment:
    """The owner's assessment of one camera for one year.

    Attributes
    ----------
    value, intrusion, conclusion : str
        What the camera is worth, what it costs in privacy, and what the owner decides.
    assessed_by, assessed_at : str
        Who wrote it and when.
    text : str
        The free text of a ``.md`` file (the other fields are then empty).
    source : str
        The file it was read from.
    """

    value: str = ""
    intrusion: str = ""
    conclusion: str = ""
    assessed_by: str = ""
    assessed_at: str = ""
    text: str = ""
    source: str = ""

    @property
    def paragraphs(self) -> list[str]:
        """The free text split at blank lines."""
        return [part.strip() for part in self.text.split("\n\n") if part.strip()]


_JSON_FIELDS = ("value", "intrusion", "conclusion", "assessed_by", "assessed_at")


def read_assessment(store_root: Path, year: int, camera_id: str) -> Assessment | None:
    """Return the owner's assessment of ``camera_id`` for ``year``, None when none is written.

    Raises
    ------
    ReportError
        When the file is not readable or a JSON file has unknown or non-text fields.
    """
    folder = Path(store_root) / WEIGHING_FOLDER / str(year)
    markdown, document = folder / f"{camera_id}.md", folder / f"{camera_id}.json"
    if document.exists():
        data = read_json_file(document, error=ReportError, fix="fix it")
        if not isinstance(data, Mapping):
            raise ReportError(f"{document}: expected a JSON object with {', '.join(_JSON_FIELDS)}")
        unknown = sorted(set(data) - set(_JSON_FIELDS))
        if unknown:
            raise ReportError(f"{document}: unknown field {unknown[0]!r}; expected {', '.join(_JSON_FIELDS)}")
        for name, value in data.items():
            if not isinstance(value, str):
                raise ReportError(f"{document}: field {name!r} must be text, got {value!r}")
        return Assessment(**data, source=str(document))
    if markdown.exists():
        try:
            text = markdown.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ReportError(f"{markdown} is not readable UTF-8 text ({exc}); fix it") from None
        return Assessment(text=text, source=str(markdown))
    return None
