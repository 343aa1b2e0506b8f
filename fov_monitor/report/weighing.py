"""The owner's yearly weighing of a camera's value against its intrusion, as written by the owner.

Kept beside the store, one file per camera and year: ``<store>/weighing/<year>/<camera>.md`` (free
text) or ``<camera>.json``::

    {"value": "...", "intrusion": "...", "conclusion": "keep / change / remove ...",
     "assessed_by": "...", "assessed_at": "2027-01-15"}

Absent, the report shows a placeholder marked "to be completed".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from fov_monitor.errors import ReportError
from fov_monitor.files.settings_files import SettingsSchema, read_settings_file

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


class AssessmentFile(SettingsSchema):
    """``<store>/weighing/<year>/<camera>.json``, as the owner writes it; every field is text."""

    value: str = Field("", description="What the camera is worth.")
    intrusion: str = Field("", description="What it costs in privacy.")
    conclusion: str = Field("", description="What the owner decides: keep, change or remove it.")
    assessed_by: str = Field("", description="Who wrote the assessment.")
    assessed_at: str = Field("", description="When, as a date (2027-01-15).")


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
        written = read_settings_file(document, AssessmentFile, error=ReportError)
        return Assessment(**written.model_dump(), source=str(document))
    if markdown.exists():
        try:
            text = markdown.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ReportError(f"{markdown} is not readable UTF-8 text ({exc}); fix it") from None
        return Assessment(text=text, source=str(markdown))
    return None
