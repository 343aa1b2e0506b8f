"""Camera sources against real servers on loopback: a misbehaving HTTP camera, GStreamer's RTSP server."""

from __future__ import annotations

import base64
import hashlib
import os
import ssl
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote
from urllib.request import parse_http_list, parse_keqv_list

import cv2
import numpy as np
import pytest

from fov_monitor.errors import (
    ImageFileError,
    InvalidSettingsError,
    SourceAuthError,
    SourceError,
    SourceNotAnImage,
    SourceTimeout,
    SourceUnreachable,
)
from fov_monitor.sources import Grab, SourceAuth, grab, redact
from tests.support.messages import assert_one_line
from tests.support.paths import RTSP_SERVER

USER = "viewer"
PASSWORD = "s3cr3t:pw@!"  # ':' and '@' on purpose: they must survive headers and URLs
PASSWORD_ENV = "FOV_TEST_CAMERA_PASSWORD"
REALM = "cam-07"
NONCE = base64.b64encode(os.urandom(12)).decode()
TIMEOUT_S = 1.0
MARGIN_S = 0.5
SYSTEM_PYTHON = Path("/usr/bin/python3")


# --- a camera on loopback, good and bad --------------------------------------------------------------


class Camera(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, images: dict[str, bytes], tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), CameraHandler)
        self.images = images
        self.stop = threading.Event()
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)

    def url(self, path: str, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.server_address[1]}{path}"


class CameraHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Camera

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.close_connection = True
        route = ROUTES.get(self.path.partition("?")[0])
        try:
            if route is None:
                self.answer(404, b"not found", "text/plain")
            else:
                route(self)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # the client hung up, as a grab that has what it needs does

    def answer(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for key, value in ({"Content-Length": str(len(body))} | (headers or {})).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def jpeg(self) -> None:
        self.answer(200, self.server.images["jpeg"], "image/jpeg")

    def png(self) -> None:
        self.answer(200, self.server.images["png"], "image/png")

    def trickle_body(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.end_headers()
        self.wfile.write(self.server.images["jpeg"][:2])
        while not self.server.stop.wait(0.1):
            self.wfile.write(b"\0")
            self.wfile.flush()

    def trickle_headers(self) -> None:
        self.wfile.write(b"HTTP/1.1 200 OK\r\n")
        while not self.server.stop.wait(0.1):
            self.wfile.write(b"X")
            self.wfile.flush()

    def endless(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.end_headers()
        block = self.server.images["jpeg"][:65536]
        while not self.server.stop.is_set():
            self.wfile.write(block)

    def mjpeg(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.end_headers()
        jpeg = self.server.images["jpeg"]
        while not self.server.stop.is_set():
            part_headers = f"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
            self.wfile.write(part_headers.encode() + jpeg + b"\r\n")
            self.server.stop.wait(0.05)

    def basic(self) -> None:
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if self.headers.get("Authorization") == f"Basic {token}":
            self.jpeg()
        else:
            self.answer(401, b"", "text/plain", {"WWW-Authenticate": f'Basic realm="{REALM}"'})

    def digest(self) -> None:
        scheme, _, rest = (self.headers.get("Authorization") or "").partition(" ")
        if scheme == "Digest" and _digest_is_right(parse_keqv_list(parse_http_list(rest)), self.path):
            self.jpeg()
            return
        challenge = f'Digest realm="{REALM}", nonce="{NONCE}", qop="auth", algorithm=MD5, opaque="0a1b"'
        self.answer(401, b"", "text/plain", {"WWW-Authenticate": challenge})


def _digest_is_right(fields: dict[str, str], path: str) -> bool:
    """Check a digest answer as RFC 7616 says (MD5, qop auth)."""

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    if (fields.get("username"), fields.get("realm"), fields.get("nonce")) != (USER, REALM, NONCE):
        return False
    if fields.get("uri") != path or fields.get("qop") != "auth" or fields.get("opaque") != "0a1b":
        return False
    ha1, ha2 = md5(f"{USER}:{REALM}:{PASSWORD}"), md5(f"GET:{path}")
    expected = md5(f"{ha1}:{NONCE}:{fields.get('nc')}:{fields.get('cnonce')}:auth:{ha2}")
    return fields.get("response") == expected


ROUTES: dict[str, Callable[[CameraHandler], None]] = {
    "/snapshot.jpg": CameraHandler.jpeg,
    "/snapshot.png": CameraHandler.png,
    "/trickle.jpg": CameraHandler.trickle_body,
    "/trickle-headers.jpg": CameraHandler.trickle_headers,
    "/endless.jpg": CameraHandler.endless,
    "/mjpeg": CameraHandler.mjpeg,
    "/basic.jpg": CameraHandler.basic,
    "/digest.jpg": CameraHandler.digest,
    "/login.html": lambda h: h.answer(200, b"<html><body>Please log in</body></html>", "text/html"),
    "/html-as-jpeg": lambda h: h.answer(200, b"<!DOCTYPE html><html></html>", "image/jpeg"),
    "/truncated.jpg": lambda h: h.answer(200, h.server.images["jpeg"][:20000], "image/jpeg"),
    "/error": lambda h: h.answer(500, b"oops", "text/plain"),
    "/forbidden.jpg": lambda h: h.answer(403, b"", "text/plain"),
    "/moved.jpg": lambda h: h.answer(302, b"", "text/plain", {"Location": "/snapshot.jpg?token=abc"}),
    "/huge.jpg": lambda h: h.answer(200, b"\xff\xd8\xff", "image/jpeg", {"Content-Length": str(2**40)}),
}


def _serve(camera: Camera) -> Iterator[Camera]:
    thread = threading.Thread(target=camera.serve_forever, daemon=True)
    thread.start()
    yield camera
    camera.stop.set()
    camera.shutdown()
    camera.server_close()


@pytest.fixture(scope="module")
def images(astronaut: np.ndarray) -> dict[str, bytes]:
    frame = cv2.resize(astronaut, (1280, 720))
    return {"jpeg": cv2.imencode(".jpg", frame)[1].tobytes(), "png": cv2.imencode(".png", frame)[1].tobytes()}


@pytest.fixture(scope="module")
def camera(images: dict[str, bytes]) -> Iterator[Camera]:
    yield from _serve(Camera(images))


@pytest.fixture(scope="module")
def tls_camera(images: dict[str, bytes], certificate: tuple[Path, Path]) -> Iterator[Camera]:
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(*certificate)
    yield from _serve(Camera(images, tls))


@pytest.fixture
def password_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    return PASSWORD_ENV


def _secret_file(folder: Path, mode: int, text: str = PASSWORD + "\n") -> Path:
    path = folder / "secret"
    path.write_text(text)
    path.chmod(mode)
    return path


def _same_image(grabbed: Grab, encoded: bytes) -> None:
    assert grabbed.encoded == encoded
    expected = cv2.imdecode(np.frombuffer(encoded, np.uint8), cv2.IMREAD_COLOR)
    np.testing.assert_array_equal(grabbed.image, expected)


def _no_password_in(*texts: str) -> None:
    for text in texts:
        assert PASSWORD not in text
        assert quote(PASSWORD, safe="") not in text


# --- HTTP ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "kind"), [("/snapshot.jpg", "jpeg"), ("/snapshot.png", "png")])
def test_http_snapshot_is_decoded_once_and_kept_as_received(
    camera: Camera, images: dict[str, bytes], path: str, kind: str
) -> None:
    grabbed = grab(camera.url(path), timeout_s=5.0)
    _same_image(grabbed, images[kind])
    assert grabbed.image.shape == (720, 1280, 3)
    assert set(grabbed.timings) == {"connect", "transfer", "decode", "total"}
    assert grabbed.grabbed_at.tzinfo is not None


def test_mjpeg_stream_gives_its_first_frame(camera: Camera, images: dict[str, bytes]) -> None:
    _same_image(grab(camera.url("/mjpeg"), timeout_s=5.0), images["jpeg"])


@pytest.mark.parametrize(
    ("path", "error", "fragment"),
    [
        ("/login.html", SourceNotAnImage, "text/html, not an image"),
        ("/html-as-jpeg", SourceNotAnImage, "not a JPEG"),
        ("/truncated.jpg", ImageFileError, "truncated"),
        ("/error", SourceError, "HTTP 500"),
        ("/nowhere.jpg", SourceError, "HTTP 404"),
        ("/forbidden.jpg", SourceAuthError, "HTTP 403"),
        ("/moved.jpg", SourceError, "give the final URL"),
        ("/huge.jpg", SourceError, "over max_bytes"),
        ("/basic.jpg", SourceAuthError, "set auth"),
        ("/digest.jpg", SourceAuthError, "set auth"),
    ],
)
def test_http_failures_are_one_line_errors_naming_the_source(
    camera: Camera, path: str, error: type[Exception], fragment: str
) -> None:
    url = camera.url(path)
    with pytest.raises(error) as caught:
        grab(url, timeout_s=5.0)
    message = str(caught.value)
    assert fragment in message
    assert url in message
    assert "\n" not in message
    assert "token=abc" not in message


def test_endless_stream_is_cut_at_max_bytes(camera: Camera) -> None:
    started = time.monotonic()
    with pytest.raises(SourceError, match="more than max_bytes"):
        grab(camera.url("/endless.jpg"), timeout_s=5.0, max_bytes=2**20)
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(
    ("kind", "path", "where"),
    [
        ("basic", "/basic.jpg", "env"),
        ("basic", "/basic.jpg", "file"),
        ("digest", "/digest.jpg", "env"),
        ("digest", "/digest.jpg", "file"),
    ],
)
def test_sign_in_with_password_from_env_or_0600_file(
    camera: Camera,
    images: dict[str, bytes],
    tmp_path: Path,
    password_env: str,
    kind: str,
    path: str,
    where: str,
) -> None:
    if where == "env":
        auth = SourceAuth(kind=kind, username=USER, password_env=password_env)  # type: ignore[arg-type]
    else:
        auth = SourceAuth(kind=kind, username=USER, password_file=_secret_file(tmp_path, 0o600))  # type: ignore[arg-type]
    grabbed = grab(camera.url(path), auth=auth, timeout_s=5.0)
    _same_image(grabbed, images["jpeg"])
    _no_password_in(repr(grabbed), repr(auth), grabbed.source)


def test_user_and_password_in_the_url_answer_digest_and_are_redacted(camera: Camera) -> None:
    url = camera.url("/digest.jpg").replace("://", f"://{USER}:{quote(PASSWORD, safe='')}@")
    grabbed = grab(url, timeout_s=5.0)
    assert grabbed.source == camera.url("/digest.jpg")
    _no_password_in(repr(grabbed))


@pytest.mark.parametrize(
    ("kind", "path", "fragment"),
    [("basic", "/basic.jpg", "rejected the password"), ("digest", "/digest.jpg", "rejected the password"),
     ("basic", "/digest.jpg", "asks for digest")],
)  # fmt: skip
def test_wrong_credentials_are_refused_without_echoing_them(
    camera: Camera, monkeypatch: pytest.MonkeyPatch, kind: str, path: str, fragment: str
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD + "-wrong")
    auth = SourceAuth(kind=kind, username=USER, password_env=PASSWORD_ENV)  # type: ignore[arg-type]
    with pytest.raises(SourceAuthError, match=fragment) as caught:
        grab(camera.url(path), auth=auth, timeout_s=5.0)
    _no_password_in(str(caught.value))


@pytest.mark.parametrize(
    ("make_auth", "fragment"),
    [
        (lambda folder: SourceAuth("digest", USER, password_file=_secret_file(folder, 0o644)), "chmod 600"),
        (lambda folder: SourceAuth("digest", USER, password_file=_secret_file(folder, 0o640)), "chmod 600"),
        (lambda folder: SourceAuth("digest", USER, password_file=folder / "absent"), "does not exist"),
        (lambda folder: SourceAuth("digest", USER, password_file=_secret_file(folder, 0o600, "\n")), "empty"),
        (lambda folder: SourceAuth("digest", USER, password_env="FOV_TEST_UNSET_VARIABLE"), "is not set"),
    ],
    ids=["0644", "0640", "missing-file", "empty-file", "unset-env"],
)
def test_secrets_that_are_missing_or_too_open_are_refused(
    camera: Camera, tmp_path: Path, make_auth: Callable[[Path], SourceAuth], fragment: str
) -> None:
    with pytest.raises(SourceAuthError, match=fragment) as caught:
        grab(camera.url("/digest.jpg"), auth=make_auth(tmp_path), timeout_s=5.0)
    _no_password_in(str(caught.value))


def test_test_camera_digest_check_agrees_with_urllib(camera: Camera, images: dict[str, bytes]) -> None:
    """The server's digest check is right: urllib's own digest client gets in too."""
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, camera.url("/"), USER, PASSWORD)
    opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(passwords))
    with opener.open(camera.url("/digest.jpg"), timeout=5.0) as answer:
        assert answer.read() == images["jpeg"]


def test_https_verifies_the_certificate_and_takes_a_ca_bundle(
    tls_camera: Camera, certificate: tuple[Path, Path], images: dict[str, bytes]
) -> None:
    url = tls_camera.url("/snapshot.jpg", scheme="https")
    with pytest.raises(SourceError, match="certificate not trusted"):
        grab(url, timeout_s=5.0)
    _same_image(grab(url, timeout_s=5.0, ca_file=certificate[0]), images["jpeg"])


# --- hard deadlines -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make_url", "error"),
    [
        (lambda camera, closed, silent: camera.url("/trickle.jpg"), SourceTimeout),
        (lambda camera, closed, silent: camera.url("/trickle-headers.jpg"), SourceTimeout),
        (lambda camera, closed, silent: f"http://127.0.0.1:{silent}/snapshot.jpg", SourceTimeout),
        (lambda camera, closed, silent: f"https://127.0.0.1:{silent}/snapshot.jpg", SourceTimeout),
        (lambda camera, closed, silent: f"rtsp://127.0.0.1:{silent}/cam", SourceTimeout),
        (lambda camera, closed, silent: f"http://127.0.0.1:{closed}/snapshot.jpg", SourceUnreachable),
        (lambda camera, closed, silent: f"rtsp://127.0.0.1:{closed}/cam", SourceUnreachable),
        (lambda camera, closed, silent: "http://camera.invalid/snapshot.jpg", SourceUnreachable),
    ],
    ids=["trickled-body", "trickled-headers", "http-silent", "https-silent", "rtsp-silent", "http-refused",
         "rtsp-refused", "unknown-host"],
)  # fmt: skip
def test_no_source_holds_the_caller_past_the_timeout(
    camera: Camera, closed_port: int, silent_port: int, make_url: Callable[..., str], error: type[Exception]
) -> None:
    url = make_url(camera, closed_port, silent_port)
    started = time.monotonic()
    with pytest.raises(error) as caught:
        grab(url, timeout_s=TIMEOUT_S)
    assert time.monotonic() - started < TIMEOUT_S + MARGIN_S
    assert url in str(caught.value)
    if url.startswith("http"):
        _wait_until_no_worker_for(url)


def _wait_until_no_worker_for(url: str) -> None:
    """An abandoned HTTP grab's socket is cut, so its worker thread ends too, not just the wait."""
    give_up = time.monotonic() + 2.0
    while any(t.name == f"grab {url}" for t in threading.enumerate()):
        assert time.monotonic() < give_up, f"the worker thread of {url} lives on"
        time.sleep(0.02)


# --- files and folders --------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["{path}", "file:{path}", "file://{path}"])
def test_file_source(tmp_path: Path, images: dict[str, bytes], form: str) -> None:
    path = tmp_path / "frame.jpg"
    path.write_bytes(images["jpeg"])
    grabbed = grab(form.format(path=path))
    _same_image(grabbed, images["jpeg"])
    assert grabbed.captured_at is not None


def test_missing_file_is_unreachable(tmp_path: Path) -> None:
    with pytest.raises(SourceUnreachable, match="does not exist"):
        grab(str(tmp_path / "absent.jpg"))


def test_corrupt_file_gives_the_image_file_error(tmp_path: Path, images: dict[str, bytes]) -> None:
    path = tmp_path / "frame.jpg"
    path.write_bytes(images["jpeg"][:5000])
    with pytest.raises(ImageFileError, match="truncated"):
        grab(str(path))


@pytest.mark.parametrize("form", ["folder:{folder}", "{folder}"])
def test_folder_gives_the_newest_snapshot_passing_over_partial_and_hidden_files(
    tmp_path: Path, images: dict[str, bytes], form: str
) -> None:
    newest = images["png"]
    files = {"old.jpg": images["jpeg"], "new.png": newest, "newer.jpg.tmp": b"partial", ".hidden.jpg": b"x",
             "notes.txt": b"x", "~lock.jpg": b"x"}  # fmt: skip
    for age, (name, data) in enumerate(files.items()):
        (tmp_path / name).write_bytes(data)
        os.utime(tmp_path / name, (1_700_000_000 + age, 1_700_000_000 + age))
    _same_image(grab(form.format(folder=tmp_path)), newest)


@pytest.mark.parametrize(
    ("make", "error", "fragment"),
    [
        (lambda folder: f"folder:{folder}", SourceError, "no snapshot"),
        (lambda folder: f"folder:{folder / 'absent'}", SourceUnreachable, "does not exist"),
    ],
    ids=["empty", "missing"],
)
def test_folder_without_snapshots(
    tmp_path: Path, make: Callable[[Path], str], error: type[Exception], fragment: str
) -> None:
    (tmp_path / "upload.jpg.part").write_bytes(b"partial")
    with pytest.raises(error, match=fragment):
        grab(make(tmp_path))


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_what_is_not_a_regular_file_is_refused_at_once_leaving_no_thread(tmp_path: Path, kind: str) -> None:
    # /dev/zero never ends (a thread reading it fills the memory); a FIFO without a writer never starts.
    path = Path("/dev/zero") if kind == "device" else tmp_path / "pipe.jpg"
    if kind == "fifo":
        os.mkfifo(path)
    started = time.monotonic()
    with pytest.raises(SourceError, match="is not a regular file") as caught:
        grab(str(path), timeout_s=2.0)
    assert time.monotonic() - started < 1.0, caught.value
    assert str(path) in str(caught.value)
    _wait_until_no_worker_for(str(path))


def test_folder_passes_over_newer_empty_and_truncated_snapshots(
    tmp_path: Path, images: dict[str, bytes]
) -> None:
    files = {"complete.jpg": images["jpeg"], "truncated.jpg": images["jpeg"][:5000], "uploading.png": b""}
    for age, (name, data) in enumerate(files.items()):
        (tmp_path / name).write_bytes(data)
        os.utime(tmp_path / name, (1_700_000_000 + age, 1_700_000_000 + age))
    _same_image(grab(f"folder:{tmp_path}"), images["jpeg"])
    (tmp_path / "complete.jpg").unlink()
    with pytest.raises(ImageFileError, match=r"truncated\.jpg is truncated"):  # the newest one's error
        grab(f"folder:{tmp_path}")


@pytest.mark.parametrize("source", ["http://[::1", "rtsp://cam:port/live", "http:///snapshot.jpg"])
def test_a_url_that_cannot_be_parsed_is_refused_before_any_grab(source: str) -> None:
    with pytest.raises(SourceError) as caught:
        grab(source, timeout_s=1.0)
    assert_one_line(caught.value, "fix")


# --- redaction and settings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("rtsp://admin:hunter2@10.0.0.7:554/Streaming/101", "rtsp://10.0.0.7:554/Streaming/101"),
        ("http://cam/snap.cgi?user=admin&pwd=hunter2&chn=1", "http://cam/snap.cgi?user=admin&pwd=***&chn=1"),
        ("https://cam/s.jpg?Token=abc#key=1", "https://cam/s.jpg?Token=***"),
        ("http://[::1]:8080/s.jpg", "http://[::1]:8080/s.jpg"),
        ("/srv/cams/cam-07/latest.jpg", "/srv/cams/cam-07/latest.jpg"),
        ("http://a:b@cam:notaport/", "http://***"),
    ],
)
def test_redact(source: str, expected: str) -> None:
    assert redact(source) == expected


def test_unknown_scheme_is_refused_redacted() -> None:
    with pytest.raises(SourceError, match="not a path") as caught:
        grab("ftp://admin:hunter2@cam/snap.jpg")
    assert "hunter2" not in str(caught.value)


def test_auth_settings_round_trip() -> None:
    data = {"kind": "digest", "username": USER, "password_file": "secrets/cam-07"}
    auth = SourceAuth.from_dict(data, where="cam-07/camera.json: auth")
    assert auth.password_file == Path("secrets/cam-07")
    assert auth.to_dict() == data


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"kind": "basic", "username": USER, "password_env": "X", "password": "oops"}, "unknown auth field"),
        ({"kind": "ntlm", "username": USER, "password_env": "X"}, "'kind'"),
        ({"kind": "basic", "password_env": "X"}, "'username'"),
        ({"kind": "basic", "username": USER}, "exactly one of"),
        ({"kind": "basic", "username": USER, "password_env": "X", "password_file": "f"}, "exactly one of"),
        ({"kind": "basic", "username": USER, "password_env": 3}, "'password_env'"),
    ],
)  # fmt: skip
def test_auth_settings_are_strict(data: dict[str, object], fragment: str) -> None:
    with pytest.raises(InvalidSettingsError, match=fragment) as caught:
        SourceAuth.from_dict(data, where="cam-07/camera.json: auth")
    assert str(caught.value).startswith("cam-07/camera.json: auth: ")
    assert "oops" not in str(caught.value)


# --- RTSP: GStreamer's RTSP server streaming a real video as H.264 ------------------------------------


@pytest.fixture(scope="module")
def rtsp_camera(shared_data: Path) -> Iterator[str]:
    """Start tests/support/rtsp_server.py with Debian's python (which has gi) and return the stream's URL."""
    probe = "import gi; gi.require_version('GstRtspServer', '1.0')"
    has_gi = SYSTEM_PYTHON.exists() and subprocess.run([str(SYSTEM_PYTHON), "-c", probe]).returncode == 0
    if not has_gi:
        pytest.fail(
            "the RTSP tests need /usr/bin/python3 with gi and GStreamer's RTSP server; "
            "install the apt packages .ci/run installs"
        )
    server = subprocess.Popen(
        [str(SYSTEM_PYTHON), str(RTSP_SERVER), str(shared_data / "videos" / "vtest.avi")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(server.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(15.0)
    if not lines or not lines[0].startswith("READY "):
        server.kill()
        pytest.fail(f"the RTSP server did not start: {lines} {server.stderr.read() if server.stderr else ''}")
    yield lines[0].split()[1]
    server.stdin.close()  # type: ignore[union-attr]
    try:
        server.wait(5.0)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def test_rtsp_gives_the_first_frame_of_the_stream(rtsp_camera: str, shared_data: Path) -> None:
    grabbed = grab(rtsp_camera, timeout_s=10.0)
    assert grabbed.encoded is None
    assert grabbed.image.shape == (576, 768, 3)
    assert set(grabbed.timings) == {"connect", "transfer", "total"}
    capture = cv2.VideoCapture(str(shared_data / "videos" / "vtest.avi"))
    ok, first = capture.read()
    capture.release()
    assert ok
    gray_grabbed, gray_first = (
        cv2.cvtColor(i, cv2.COLOR_BGR2GRAY).astype(float).ravel() for i in (grabbed.image, first)
    )
    assert np.corrcoef(gray_grabbed, gray_first)[0, 1] > 0.95


def test_rtsp_password_is_never_printed(
    silent_port: int, password_env: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """Neither our error nor OpenCV's or FFmpeg's own output shows the password given to FFmpeg."""
    auth = SourceAuth(kind="digest", username=USER, password_env=password_env)
    with pytest.raises(SourceTimeout) as caught:
        grab(f"rtsp://127.0.0.1:{silent_port}/cam", auth=auth, timeout_s=TIMEOUT_S)
    captured = capfd.readouterr()
    _no_password_in(str(caught.value), captured.out, captured.err)
