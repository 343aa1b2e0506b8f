"""The yearly weighing: a structure the weighing of interests needs, the owner's text shown safely,
an unreadable file named while the report goes on."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from fov_monitor.report.weighing import WeighingState, read_weighing
from fov_monitor.store.store import Store
from tests.report.conftest import warm
from tests.support.images import sample_bgr
from tests.support.report_history import make_store

FULL = {
    "purpose": "to keep the *market entrance* safe at night",
    "value": "**two thefts solved**\n\n- one in March\n- one in May <script>alert('x')</script>",
    "intrusion": "an empty square at night <img src=x onerror=alert(1)>",
    "alternatives": "lighting alone, tried in 2024 ![a picture](https://example.org/x.png)",
    "measures": "the school is a privacy zone; recordings are kept 7 days",
    "conclusion": "continue",
    "assessed_by": "A. Berg",
    "assessed_at": "2027-01-15",
}
MARKDOWN = """---
conclusion: change
assessed_by: B. Holm
assessed_at: 2027-01-20
---
## Purpose
To see who damages the bus stop.
## Value
Fewer repairs.
## Intrusion
People waiting for the bus are filmed.
## Alternatives
A sturdier shelter.
## Measures
Filming at night only.
## Conclusion
Narrow the view to the shelter.
"""
FILES = {
    "w-empty": ("json", "{}"),
    "w-blank": ("md", "\n  \n"),
    "w-full": ("json", json.dumps(FULL)),
    "w-md": ("md", MARKDOWN),
    "w-bad": ("json", '{"purpose": "x",\n "conclusion": "keep"}'),
    "w-none": None,
}
LABELS = {
    "w-empty": "incomplete",
    "w-blank": "incomplete",
    "w-full": "continue",
    "w-md": "change",
    "w-bad": "file cannot be read",
    "w-none": "to be completed",
}


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory, view_cache: Path
) -> tuple[Store, Path, tuple[int, str, str]]:
    root = tmp_path_factory.mktemp("weighing")
    store = warm(
        make_store(root / "store", dict.fromkeys(FILES, "north"), sample_bgr("astronaut")), view_cache
    )
    folder = store.root / "weighing" / "2026"
    folder.mkdir(parents=True)
    for camera_id, written in FILES.items():
        if written is not None:
            (folder / f"{camera_id}.{written[0]}").write_text(written[1], encoding="utf-8")
    out = root / "yearly"
    with pytest.MonkeyPatch.context() as patch:
        capsys = _Capture()
        patch.setattr("sys.stdout", capsys.out)
        patch.setattr("sys.stderr", capsys.err)
        from fov_monitor.cli import main

        code = main(["--store", str(store.root), "report", "yearly", "--year", "2026", "--out", str(out)])
    return store, out, (code, capsys.out.getvalue(), capsys.err.getvalue())


class _Capture:
    def __init__(self) -> None:
        self.out, self.err = io.StringIO(), io.StringIO()


@pytest.mark.parametrize(
    ("camera_id", "state"),
    [
        ("w-empty", WeighingState.INCOMPLETE),
        ("w-blank", WeighingState.INCOMPLETE),
        ("w-full", WeighingState.WRITTEN),
        ("w-md", WeighingState.WRITTEN),
        ("w-bad", WeighingState.UNREADABLE),
        ("w-none", WeighingState.MISSING),
    ],
)
def test_a_weighing_is_written_only_when_every_part_is(
    built: tuple[Store, Path, tuple[int, str, str]], camera_id: str, state: WeighingState
) -> None:
    weighing = read_weighing(built[0].root, 2026, camera_id)
    assert weighing.state is state
    assert weighing.label == LABELS[camera_id]
    if state is WeighingState.INCOMPLETE:
        assert weighing.missing == [
            "purpose", "value", "intrusion", "alternatives", "measures", "conclusion",
            "assessed_by", "assessed_at",
        ]  # fmt: skip


def test_an_unreadable_weighing_is_named_and_the_report_goes_on(
    built: tuple[Store, Path, tuple[int, str, str]],
) -> None:
    _, out, (code, printed, errors) = built
    assert code == 4, errors
    assert "report of 6 cameras" in printed
    (warning,) = errors.strip().splitlines()
    assert "warning: the weighing" in warning
    assert "w-bad.json, line 2: field 'conclusion'" in warning
    assert sorted(p.stem for p in (out / "cameras").iterdir()) == sorted(FILES)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "1 weighing file cannot be read" in index
    assert "<dt>Yearly weighing written</dt><dd>2 of 6 cameras</dd>" in index
    page = (out / "cameras" / "w-bad.html").read_text(encoding="utf-8")
    assert "The weighing file cannot be read and is left out." in page


def test_the_conclusion_is_in_the_index_and_both_exports(
    built: tuple[Store, Path, tuple[int, str, str]],
) -> None:
    _, out, _ = built
    index = (out / "index.html").read_text(encoding="utf-8")
    for camera_id, label in LABELS.items():
        row = index[index.index(f'href="cameras/{camera_id}.html"') :]
        assert row[: row.index("</tr>")].endswith(f"<td>{label}</td>"), camera_id
    rows = {
        r["camera_id"]: r for r in csv.DictReader(io.StringIO((out / "figures.csv").read_text("utf-8-sig")))
    }
    assert {camera_id: rows[camera_id]["weighing"] for camera_id in FILES} == LABELS
    assert rows["w-full"]["assessment_written"] == "True"
    assert rows["w-empty"]["assessment_written"] == "False"
    assert rows["w-md"]["weighing_assessed_by"] == "B. Holm"
    document = json.loads((out / "figures.json").read_text(encoding="utf-8"))
    weighings = {c["camera_id"]: c["weighing"] for c in document["cameras"]}
    assert weighings["w-md"]["conclusion"] == "change"
    assert weighings["w-md"]["conclusion_note"] == "Narrow the view to the shelter."
    assert weighings["w-empty"]["state"] == "incomplete"


def test_the_owners_markdown_is_shown_safely(built: tuple[Store, Path, tuple[int, str, str]]) -> None:
    _, out, _ = built
    page = (out / "cameras" / "w-full.html").read_text(encoding="utf-8")
    assert "<strong>two thefts solved</strong>" in page
    assert "<li>one in March</li>" in page
    assert "<em>market entrance</em>" in page
    assert "&lt;script&gt;" in page
    assert "<script" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert page.count("<img") == 2  # the drawing and the timeline: no picture from the owner's text
    conclusion = (out / "cameras" / "w-md.html").read_text(encoding="utf-8")
    for text in ("To see who damages the bus stop.", "<strong>change</strong>",
                 "Narrow the view to the shelter.", "B. Holm, 20 January 2027",
                 "Less intrusive alternatives considered"):  # fmt: skip
        assert text in conclusion, text
