"""The message catalogues: every message of the package translated into Swedish, and they build."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from fov_monitor.i18n import Language, catalogue, translations
from fov_monitor.i18n.catalogue import catalogue_path, compile_catalogue
from fov_monitor.i18n.extract import extract_messages

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _catalogue(language: Language) -> dict[str, str]:
    with catalogue_path(language).open("rb") as file:
        return {str(message.id): str(message.string) for message in read_po(file) if message.id}


def test_every_message_of_the_package_has_a_swedish_translation() -> None:
    extracted = {str(message.id) for message in extract_messages() if message.id}
    swedish = _catalogue(Language.SV)
    assert extracted, "no message found: the extraction is broken"
    missing = sorted(extracted - {msgid for msgid, text in swedish.items() if text.strip()})
    assert not missing, (
        f"{len(missing)} messages without Swedish; run python -m fov_monitor.i18n.extract: {missing}"
    )


@pytest.mark.parametrize("language", list(Language))
def test_the_catalogues_hold_the_package_messages_and_no_others(language: Language) -> None:
    extracted = {str(message.id) for message in extract_messages() if message.id}
    assert set(_catalogue(language)) == extracted, "run python -m fov_monitor.i18n.extract"


@pytest.mark.parametrize("language", list(Language))
def test_no_translation_is_fuzzy_which_gettext_would_leave_out(language: Language) -> None:
    # Extraction marks a translation fuzzy when its message changes, e.g. from one form to singular
    # and plural; compiling leaves fuzzy ones out, so the page would fall back to English unseen.
    with catalogue_path(language).open("rb") as file:
        fuzzy = [str(message.id) for message in read_po(file) if message.id and message.fuzzy]
    assert not fuzzy, f"check these translations and remove their '#, fuzzy' line: {fuzzy}"


def test_a_translation_keeps_every_placeholder_of_its_message() -> None:
    for msgid, text in _catalogue(Language.SV).items():
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(msgid)), (msgid, text)


def test_a_compiled_catalogue_reads_back_with_its_swedish_letters(tmp_path: Path) -> None:
    compiled = tmp_path / "fov_monitor.mo"
    compile_catalogue(catalogue_path(Language.SV), compiled)
    with compiled.open("rb") as file:
        built = gettext.GNUTranslations(file)
    assert built.gettext("Cameras without a valid decision") == "Kameror utan giltigt beslut"
    assert (
        translations(Language.SV).gettext("Ask us how long they are kept.")
        == "Fråga oss hur länge de sparas."
    )
    assert translations(Language.EN).gettext("Camera surveillance") == "Camera surveillance"


def test_an_installed_compiled_catalogue_is_read_before_its_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wheel carries the .mo the build wrote; its time against the .po's is whatever pip left."""
    folder = tmp_path / "sv" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    source = folder / "fov_monitor.po"
    source.write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Camera surveillance"\nmsgstr "Kamerabevakning (källan)"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(catalogue, "LOCALE_DIR", tmp_path)
    assert translations.__wrapped__(Language.SV).gettext("Camera surveillance") == "Kamerabevakning (källan)"
    compile_catalogue(catalogue_path(Language.SV), folder / "fov_monitor.mo")
    source.write_text(source.read_text(encoding="utf-8").replace("(källan)", "(ändrad)"), encoding="utf-8")
    assert translations.__wrapped__(Language.SV).gettext("Camera surveillance") == "Kamerabevakning (källan)"


def test_no_message_is_marked_inside_an_f_string_where_extraction_cannot_see_it() -> None:
    package = Path(__file__).resolve().parents[2] / "fov_monitor"
    hidden = [
        f"{path.relative_to(package)}:{number}"
        for path in package.rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"""\bf(["'])[^"']*\{[^}]*\b_\(""", line)
    ]
    assert not hidden, f"give these messages a name of their own before the f-string: {hidden}"
