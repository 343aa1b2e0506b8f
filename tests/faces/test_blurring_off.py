"""Face blurring switched off is never silent: marked, audited, said truthfully, and never mailed.

Real runs of the command line on a store whose camera films a face (scikit-image's astronaut), and a
real SMTP server on loopback receiving the alert mail of a real scan.
"""

from __future__ import annotations

import email
import email.policy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from aiosmtpd.controller import Controller

import fov_monitor as fm
from fov_monitor.core.synthetic import crop_move
from fov_monitor.settings import SETTINGS_FILE
from tests.support.cli import run_main
from tests.support.database import raw
from tests.support.images import sample_bgr
from tests.support.loopback import free_port

BLUR_OFF = {"schema_version": 1, "privacy": {"blur_faces": False}}


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FOV_MONITOR_UNBLURRED", raising=False)
    monkeypatch.delenv("FOV_MONITOR_FACE_MODEL", raising=False)


@pytest.fixture
def store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A store with one camera filming the astronaut (a face), from a file, and no settings yet."""
    source = tmp_path / "live.png"
    cv2.imwrite(str(source), sample_bgr("astronaut"))
    root = tmp_path / "store"
    assert run_main(capsys, "init", "--store", root)[0] == 0
    assert run_main(capsys, "camera", "add", "cam-1", "--source", source, "--store", root)[0] == 0
    return root


def _audit(root: Path) -> list[tuple[str, dict[str, Any]]]:
    rows = raw(str(root / "fov-monitor.sqlite"), "SELECT action, detail_json FROM audit ORDER BY id")
    return [(action, json.loads(detail)) for action, detail in rows if action.startswith("face blurring")]


def test_blurring_off_in_the_settings_is_marked_audited_and_said(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (store / SETTINGS_FILE).write_text(json.dumps(BLUR_OFF), encoding="utf-8")
    code, out, err = run_main(capsys, "reference", "capture", "cam-1", "--store", store)
    assert code == 0, err
    assert "faces blurred" not in out
    assert f"faces NOT blurred (privacy.blur_faces is false in {store / SETTINGS_FILE})" in out
    record = json.loads((store / "cam-1" / "references" / "day.json").read_text(encoding="utf-8"))
    assert record["faces_blurred"] is False
    assert _audit(store) == [
        ("face blurring turned off", {"why": f"privacy.blur_faces is false in {store / SETTINGS_FILE}"})
    ]
    listed = run_main(capsys, "reference", "list", "cam-1", "--store", store)[1]
    assert "NOT blurred" in listed

    assert (
        run_main(capsys, "permit", "set", "cam-1", "--polygon", "0,0 512,0 512,512 0,512", "--store", store)[
            0
        ]
        == 0
    )
    code, out, err = run_main(capsys, "check", "cam-1", "--evidence", "always", "--store", store)
    assert code == 0, err
    (evidence,) = (store / "_evidence" / "cam-1").iterdir()
    assert evidence.name.endswith("-compliant-unblurred.jpg"), "the name says so wherever it is shown"
    assert f"{evidence} (faces NOT blurred" in out
    assert len(_audit(store)) == 1, "one line for the change, not one per image"

    (store / SETTINGS_FILE).unlink()  # blurring on again
    code, out, err = run_main(capsys, "check", "cam-1", "--evidence", "always", "--store", store)
    assert code in (0, 3), err
    assert [action for action, _ in _audit(store)] == ["face blurring turned off", "face blurring turned on"]
    newest = max((store / "_evidence" / "cam-1").iterdir())
    assert "unblurred" not in newest.name


def test_the_environment_switch_is_named_as_what_turned_blurring_off(
    store: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOV_MONITOR_UNBLURRED", "1")
    code, out, _ = run_main(capsys, "reference", "capture", "cam-1", "--store", store)
    assert code == 0
    assert "faces NOT blurred ($FOV_MONITOR_UNBLURRED=1)" in out
    assert _audit(store) == [("face blurring turned off", {"why": "$FOV_MONITOR_UNBLURRED=1"})]


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def mail_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield mailbox, controller.port
    controller.stop()


def test_an_alert_mail_never_carries_a_face_the_store_left_unblurred(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mail_server: tuple[Mailbox, int]
) -> None:
    mailbox, port = mail_server
    move = crop_move(sample_bgr("astronaut"), (0.10, 0.0))
    source = tmp_path / "live.png"
    cv2.imwrite(str(source), move.reference)
    root = tmp_path / "store"
    for args in (("init",), ("camera", "add", "cam-1", "--source", source), ("reference", "capture", "cam-1"),
                 ("permit", "set", "cam-1", "--polygon", "0,0 410,0 410,410 0,410")):  # fmt: skip
        assert run_main(capsys, *args, "--store", root)[0] == 0
    (root / SETTINGS_FILE).write_text(json.dumps(BLUR_OFF), encoding="utf-8")
    channels = [
        {"name": "mail", "kind": "smtp", "host": "127.0.0.1", "port": port, "starttls": False,
         "from": "fov-monitor@example.org", "to": ["reviewers@example.org"], "evidence": "attach"},
        {"name": "log", "kind": "jsonl", "path": "alerts.jsonl"},
    ]  # fmt: skip
    (root / "alerts.json").write_text(
        json.dumps({"schema_version": 1, "channels": channels}), encoding="utf-8"
    )
    cv2.imwrite(str(source), move.live)  # the camera was turned 10% to the right
    code, out, err = run_main(capsys, "scan", "--store", root, "--workers", "1")
    assert code == 3, (out, err)

    (evidence,) = (root / "_evidence" / "cam-1").iterdir()
    assert evidence.name.endswith("-redirected-unblurred.jpg")
    assert fm.detect_faces(cv2.imread(str(evidence)))[:, 4].max() > 0.8, "the file keeps the face"
    (mail,) = mailbox.messages
    text = mail.get_body(("plain",))
    assert text is not None
    assert "The evidence image (faces blurred, privacy zones hidden) is attached." in text.get_content()
    (image,) = list(mail.iter_attachments())
    attached = cv2.imdecode(np.frombuffer(image.get_content(), np.uint8), cv2.IMREAD_COLOR)
    assert attached.shape == cv2.imread(str(evidence)).shape
    # What is mailed shows no face: the detector is no longer sure of any (a blurred head keeps its shape).
    assert (fm.detect_faces(attached)[:, 4] < 0.5).all()
    assert "unblurred" not in image.get_filename()
    # The webhook and the log carry the image's path, never the image; the name says what it is.
    (line,) = (root / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["alert"]["evidence_path"].endswith("-unblurred.jpg")
