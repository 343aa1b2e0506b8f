"""The message catalogues: compiled ones when installed from a wheel, the ``.po`` files in a checkout."""

from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from fov_monitor.i18n.choice import Language

DOMAIN = "fov_monitor"
"""The catalogues' gettext domain."""
LOCALE_DIR = Path(__file__).parent / "locale"
"""``<language>/LC_MESSAGES/fov_monitor.po`` (and ``.mo`` once built) for each language."""


def catalogue_path(language: Language, suffix: str = ".po") -> Path:
    """Return the path of a language's catalogue, source (``.po``) or compiled (``.mo``)."""
    return LOCALE_DIR / str(language) / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


@functools.cache
def translations(language: Language) -> gettext.GNUTranslations:
    """Return the translations of ``language`` (loaded once per process).

    An installed wheel carries each catalogue compiled (``.mo``, written by ``setup.py``'s build
    step), which is read; a checkout has only the source (``*.mo`` are not in git, and
    ``python -m fov_monitor.i18n.extract`` removes one it finds), compiled in memory.
    """
    compiled = catalogue_path(language, ".mo")
    if compiled.is_file():
        with compiled.open("rb") as file:
            return gettext.GNUTranslations(file)
    return gettext.GNUTranslations(_compiled_in_memory(catalogue_path(language)))


def compile_catalogue(source: Path, target: Path) -> None:
    """Write the compiled form of a ``.po`` file (the build step of a wheel)."""
    with source.open("rb") as po, target.open("wb") as mo:
        write_mo(mo, read_po(po), use_fuzzy=False)


def _compiled_in_memory(source: Path) -> io.BytesIO:
    with source.open("rb") as po:
        catalogue = read_po(po)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue, use_fuzzy=False)
    buffer.seek(0)
    return buffer
