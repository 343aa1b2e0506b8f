"""The register on a phone, the printed report and the printed signs, in a real headless Chromium.

Every page of the register at 320 and 375 CSS pixels wide must reflow (WCAG 1.4.10: nothing runs off
the screen sideways); the yearly report printed to PDF has page numbers and a running header; each
sign prints to one page of its size, and its QR code, read back from the rendered page by OpenCV's
decoder, opens the camera's page of the register.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from fov_monitor.cli import main
from fov_monitor.db.database import Database
from tests.report.conftest import warm
from tests.support.images import sample_bgr
from tests.support.report_history import ORGANISATION, make_store, write_scans

pypdf = pytest.importorskip("pypdf")

ORGANISATION_TOLD = ORGANISATION | {
    "name": "Stadsbyggnadsförvaltningen i Exempelstads kommun",
    "contact": "integritetsskyddsombudet.stadsbyggnadsforvaltningen@exempelstad.example.se, 012-345 67 89",
    "data_protection_officer": "dataskyddsombud.kommunstyrelseforvaltningen@exempelstad.example.se",
    "retention": "recordings are deleted after 7 days",
    "register_url": "https://example.org/kameror/",
}
GROUPS = {"cam-1": "Södra hamnen och Kvarnholmsbryggans gästhamnsområde", "cam-2": "Norr"}
A4_PT, A5_PT = (595, 842), (420, 595)


@dataclass(frozen=True)
class Built:
    store: Path
    register: Path
    signs: Path
    yearly: Path
    register_sv: Path
    signs_sv: Path
    yearly_sv: Path

    def folder(self, kind: str, language: str) -> Path:
        return getattr(self, kind if language == "en" else f"{kind}_{language}")  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, view_cache: Path) -> Built:
    root = tmp_path_factory.mktemp("browser")
    store = warm(make_store(root / "store", GROUPS, sample_bgr("astronaut")), view_cache)
    (store.root / "organisation.json").write_text(json.dumps(ORGANISATION_TOLD), encoding="utf-8")
    with Database(store.database_path) as database:
        write_scans(database, {"cam-1": ["compliant"] * 60, "cam-2": ["compliant"] * 60}, date(2026, 3, 1))
    built = Built(
        store.root,
        root / "register",
        root / "signs",
        root / "yearly",
        root / "register-sv",
        root / "signs-sv",
        root / "yearly-sv",
    )
    swedish = ["--language", "sv"]
    builds = [
        ("register", built.register, []),
        ("signs", built.signs, []),
        ("yearly", built.yearly, ["--year", "2026"]),
        ("register", built.register_sv, swedish),
        ("signs", built.signs_sv, swedish),
        ("yearly", built.yearly_sv, ["--year", "2026", *swedish]),
    ]
    for kind, out, options in builds:
        assert main(["--store", str(store.root), "report", kind, *options, "--out", str(out)]) == 0
    return built


_OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const element of document.body.querySelectorAll('*')) {
    // a wide table scrolls sideways inside its own box (WCAG 1.4.10 lets data tables do so)
    if (element.parentElement.closest('.table-scroll')) continue;
    const box = element.getBoundingClientRect();
    if (box.width > 0 && (box.right > width + 0.5 || box.left < -0.5)) {
      wide.push(element.tagName + ' ' + (element.textContent || '').trim().slice(0, 40));
    }
  }
  return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5)};
}"""


@pytest.mark.parametrize("language", ["en", "sv"])
@pytest.mark.parametrize("width", [320, 375])
def test_every_register_page_reflows_on_a_phone(
    built: Built, browser: Any, width: int, language: str
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 640})
    try:
        page = context.new_page()
        pages = sorted(built.folder("register", language).rglob("*.html"))
        assert len(pages) >= 3
        for path in pages:
            uri = path.as_uri()
            if 'http-equiv="refresh"' in path.read_text(encoding="utf-8"):  # an earlier name: it sends on
                with page.expect_navigation(url=lambda url, uri=uri: url != uri):
                    page.goto(uri)
            else:
                page.goto(uri)
            found = page.evaluate(_OVERFLOW)
            assert found["scroll"] <= width, (path.name, found)
            assert found["wide"] == [], (path.name, found)
    finally:
        context.close()


PRINTED = {
    "en": ("Page {number} of {pages}", "Yearly follow-up report 2026: Stadsbyggnadsförvaltningen",
           "Date and signature"),
    "sv": ("Sida {number} av {pages}", "Uppföljning av kamerabevakningen 2026: Stadsbyggnadsförvaltningen",
           "Datum och underskrift"),
}  # fmt: skip


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_printed_report_has_page_numbers_and_a_running_header(
    built: Built, browser: Any, language: str
) -> None:
    page = browser.new_page()
    try:
        page.goto((built.folder("yearly", language) / "index.html").as_uri())
        reader = pypdf.PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))
    finally:
        page.close()
    numbered, header, sign_off = PRINTED[language]
    pages = len(reader.pages)
    assert pages >= 2
    for number, sheet in enumerate(reader.pages, start=1):
        text = " ".join(sheet.extract_text().split())
        assert numbered.format(number=number, pages=pages) in text, text[:200]
        assert header in text, text[:200]
    assert sign_off in " ".join(reader.pages[-1].extract_text().split())


YEARLY_HEADINGS = {
    "en": (
        ("Organisation summary", "Groups", "Cameras", "How the figures are counted", "Sign-off"),
        ("Permit and purpose", "Compliance over the year", "Deviations", "Uptime",
         "Yearly weighing: value against intrusion"),
    ),
    "sv": (
        ("Sammanfattning", "Grupper", "Kameror", "Så räknas siffrorna", "Underskrift"),
        ("Beslut och syfte", "Efterlevnad under året", "Avvikelser", "Drifttid",
         "Årlig intresseavvägning: nytta mot intrång"),
    ),
}  # fmt: skip


def _images_loaded(page: Any) -> bool:
    return bool(page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"))


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_yearly_report_opens_in_its_language(built: Built, browser: Any, language: str) -> None:
    index_headings, camera_headings = YEARLY_HEADINGS[language]
    page = browser.new_page()
    try:
        page.goto((built.folder("yearly", language) / "index.html").as_uri())
        assert page.evaluate("document.documentElement.lang") == language
        for name in index_headings:
            assert page.get_by_role("heading", name=name, exact=True).is_visible(), name
        assert _images_loaded(page)
        page.get_by_role("link", name="Camera cam-1", exact=True).click()
        page.wait_for_load_state()
        assert page.url.endswith("cameras/cam-1.html")
        assert page.evaluate("document.documentElement.lang") == language
        for name in camera_headings:
            assert page.get_by_role("heading", name=name, exact=True).is_visible(), name
        assert _images_loaded(page)
    finally:
        page.close()


@pytest.mark.parametrize("width", [320])
def test_the_swedish_yearly_report_reflows_on_a_phone(built: Built, browser: Any, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 640})
    try:
        page = context.new_page()
        for name in ("index.html", "cameras/cam-1.html"):
            page.goto((built.yearly_sv / name).as_uri())
            found = page.evaluate(_OVERFLOW)
            assert found["scroll"] <= width, (name, found)
            assert found["wide"] == [], (name, found)
    finally:
        context.close()


_SIGN_CLIPPED = """() => {
  const sign = document.querySelector('.sign');
  const box = sign.getBoundingClientRect();
  const out = [];
  for (const element of sign.querySelectorAll('*')) {
    const inner = element.getBoundingClientRect();
    if (inner.width > 0 && (inner.right > box.right + 0.5 || inner.bottom > box.bottom + 0.5)) {
      out.push(element.tagName + ' ' + (element.textContent || '').trim().slice(0, 40));
    }
  }
  return {clipped: out.slice(0, 5), scroll: [sign.scrollWidth, sign.scrollHeight],
          client: [sign.clientWidth, sign.clientHeight]};
}"""


@pytest.mark.parametrize("size", ["a4", "a5"])
def test_a_swedish_sign_fits_a_phone_screen_whole(built: Built, browser: Any, size: str) -> None:
    """Opened on a phone (a QR code's link, a preview), the sign scales down: nothing runs off or is cut."""
    context = browser.new_context(viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        page.goto((built.signs_sv / "signs" / f"cam-1-{size}.html").as_uri())
        found = page.evaluate(_OVERFLOW)
        assert found["scroll"] <= 320, found
        assert found["wide"] == [], found
        inside = page.evaluate(_SIGN_CLIPPED)
        assert inside["clipped"] == [], inside
        assert inside["scroll"][0] <= inside["client"][0] + 1, inside
        assert inside["scroll"][1] <= inside["client"][1] + 1, inside
        assert "Kamerabevakning" in page.inner_text("h1")
    finally:
        context.close()


SIGN_WORDS = {
    "en": ("Camera surveillance", "Responsible", "Recordings are deleted after 7 days"),
    "sv": ("Kamerabevakning", "Ansvarig", "Inspelningar", "alla dagar kl. 22.00"),
}


@pytest.mark.parametrize("language", ["en", "sv"])
@pytest.mark.parametrize(("size", "points"), [("a4", A4_PT), ("a5", A5_PT)])
def test_a_sign_prints_on_one_page_of_its_size(
    built: Built, browser: Any, size: str, points: tuple[int, int], language: str
) -> None:
    page = browser.new_page()
    try:
        page.goto((built.folder("signs", language) / "signs" / f"cam-1-{size}.html").as_uri())
        reader = pypdf.PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))
    finally:
        page.close()
    (sheet,) = reader.pages
    assert (round(float(sheet.mediabox.width)), round(float(sheet.mediabox.height))) == pytest.approx(
        points, abs=2
    )
    text = " ".join(sheet.extract_text().split())
    told = ("Stadsbyggnadsförvaltningen", "to keep the market entrance safe", "integritetsskyddsombudet")
    for fragment in (*told, *SIGN_WORDS[language]):
        assert fragment.lower() in text.lower(), fragment


@pytest.mark.parametrize(
    ("camera_id", "address"),
    [
        ("cam-1", "https://example.org/kameror/areas/sodra-hamnen-och-kvarnholmsbryggans-gasthamnsomrade.html#camera-cam-1"),
        ("cam-2", "https://example.org/kameror/areas/norr.html#camera-cam-2"),
    ],
)  # fmt: skip
def test_the_signs_qr_code_opens_the_cameras_register_page(
    built: Built, browser: Any, camera_id: str, address: str
) -> None:
    assert (built.register / address.split("/kameror/", 1)[1].split("#")[0]).is_file()
    page = browser.new_page(viewport={"width": 800, "height": 1200})
    try:
        page.goto((built.signs / "signs" / f"{camera_id}-a5.html").as_uri())
        png = page.locator(".more img").screenshot()
    finally:
        page.close()
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    decoded, points, _ = cv2.QRCodeDetector().detectAndDecode(image)
    assert points is not None
    assert decoded == address
