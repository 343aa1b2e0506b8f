"""The messages of the package, as gettext extraction finds them in its Python code and templates."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir

PACKAGE = Path(__file__).resolve().parents[1]
"""The ``fov_monitor`` folder."""

METHODS = [
    ("i18n/words.py", "python"),
    ("i18n/**.py", "ignore"),
    ("**.py", "python"),
    ("**/templates/**.html", "jinja2.ext:babel_extract"),
]
"""Where messages are (``_("...")`` in code and templates); the catalogue code itself has none."""
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}


def extract_messages() -> Catalog:
    """Return a catalogue (template) of every message the package writes through gettext."""
    catalogue = Catalog(project="fov-monitor", domain="fov_monitor")
    for filename, lineno, message, comments, context in extract_from_dir(
        PACKAGE, METHODS, OPTIONS, strip_comment_tags=True
    ):
        catalogue.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalogue


def update_catalogues() -> list[Path]:
    """Bring each language's ``.po`` up to the package's messages (new ones empty, gone ones obsolete).

    Run ``python -m fov_monitor.i18n.extract`` after changing a message, then translate what is
    empty; ``tests/i18n`` fails while a Swedish translation is missing.
    """
    from babel.messages.pofile import read_po, write_po

    from fov_monitor.i18n.catalogue import catalogue_path
    from fov_monitor.i18n.choice import Language

    template = extract_messages()
    written = []
    for language in Language:
        path = catalogue_path(language)
        if path.is_file():
            with path.open("rb") as file:
                catalogue = read_po(file, locale=str(language), domain=template.domain)
            catalogue.update(template, no_fuzzy_matching=True)
        else:
            catalogue = Catalog(locale=str(language), domain=template.domain, project="fov-monitor")
            catalogue.update(template, no_fuzzy_matching=True)
        catalogue.obsolete.clear()
        catalogue.fuzzy = False
        catalogue.header_comment = (
            f"# The {language} messages of fov-monitor. Update with: python -m fov_monitor.i18n.extract"
        )
        catalogue.last_translator = "fov-monitor"
        catalogue.language_team = str(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as file:
            write_po(file, catalogue, width=100, omit_header=False, sort_output=False, include_lineno=False)
        catalogue_path(language, ".mo").unlink(missing_ok=True)  # would be read instead, out of date
        written.append(path)
    return written


if __name__ == "__main__":
    for path in update_catalogues():
        print(f"updated {path}")
