"""Fetch a snapshot over HTTP(S): basic or digest sign-in, a byte cap and a deadline on every read."""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import parse_http_list, parse_keqv_list

from fov_monitor.errors import SourceAuthError, SourceError, SourceNotAnImage
from fov_monitor.sources.auth import AuthKind, SourceAuth
from fov_monitor.sources.deadline import Deadline
from fov_monitor.sources.network import OpenSockets, open_tcp
from fov_monitor.sources.redaction import redact
from fov_monitor.sources.result import Grab, decode_received

_CHUNK_BYTES = 64 * 1024
_IMAGE_SIGNATURES = (
    b"\xff\xd8\xff",
    b"\x89PNG\r\n\x1a\n",
    b"BM",
    b"P5",
    b"P6",
    b"II*\x00",
    b"MM\x00*",
    b"RIFF",
)
_HEADERS = {
    "User-Agent": "fov-monitor",
    "Accept": "image/jpeg, image/png, image/*;q=0.8",
    "Connection": "close",
}


@dataclass(frozen=True)
class _Credentials:
    username: str
    password: str
    kind: AuthKind | None  # None: answer whichever scheme the camera asks for (user:password@ in the URL)


def grab_http(
    url: str,
    auth: SourceAuth | None,
    deadline: Deadline,
    sockets: OpenSockets,
    max_bytes: int,
    ca_file: Path | None,
) -> Grab:
    """Fetch and decode one snapshot; see :func:`fov_monitor.sources.grab`."""
    parts = urlsplit(url)
    secure = parts.scheme.lower() == "https"
    try:
        host, port = parts.hostname or "", parts.port or (443 if secure else 80)
    except ValueError:
        raise SourceError(f"{deadline.source} has an invalid port; fix the URL") from None
    if not host:
        raise SourceError(f"{deadline.source} has no host; fix the URL")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    credentials = _credentials(auth, parts.username, parts.password, deadline.source)
    tls = ssl.create_default_context(cafile=os.fspath(ca_file) if ca_file else None) if secure else None

    def get(authorization: str | None) -> tuple[http.client.HTTPResponse, socket.socket]:
        started = time.monotonic()
        sock = open_tcp(host, port, deadline, sockets)
        if tls is not None:
            sock = _start_tls(sock, tls, host, deadline, sockets)
        deadline.timings["connect"] = deadline.timings.get("connect", 0.0) + time.monotonic() - started
        connection = http.client.HTTPConnection(host, port)
        connection.sock = sock
        headers = dict(_HEADERS) | ({"Authorization": authorization} if authorization else {})
        deadline.stage = "waiting for the answer"
        try:
            connection.request("GET", path, headers=headers)
            return connection.getresponse(), sock
        except TimeoutError:
            raise deadline.timeout_error() from None
        except (OSError, http.client.HTTPException) as exc:
            deadline.check()
            raise SourceError(f"{deadline.source} broke off the answer ({exc!r}); check the camera") from None

    started = time.monotonic()
    first = None if credentials is None or credentials.kind is not AuthKind.BASIC else _basic(credentials)
    response, sock = get(first)
    if response.status == 401 and credentials is not None:
        challenge = _challenge(response)
        # A basic password sent up front is retried only to say which scheme the camera wants instead.
        if first is None or (challenge and AuthKind.BASIC not in challenge):
            response.close()
            response, sock = get(_answer(challenge, credentials, path, deadline.source))
    _check_status(response, credentials, deadline.source)
    data = _read_image(response, sock, deadline, max_bytes)
    deadline.timings["transfer"] = time.monotonic() - started - deadline.timings["connect"]
    return decode_received(data, f"snapshot from {deadline.source}", deadline)


def _credentials(
    auth: SourceAuth | None, url_user: str | None, url_password: str | None, source: str
) -> _Credentials | None:
    if auth is not None:
        return _Credentials(auth.username, auth.password(source), auth.kind)
    if url_user:
        return _Credentials(unquote(url_user), unquote(url_password or ""), None)
    return None


def _start_tls(
    sock: socket.socket, tls: ssl.SSLContext, host: str, deadline: Deadline, sockets: OpenSockets
) -> socket.socket:
    deadline.stage = "in the TLS handshake"
    try:
        wrapped = tls.wrap_socket(sock, server_hostname=host)
    except ssl.SSLCertVerificationError as exc:
        raise SourceError(
            f"{deadline.source}: TLS certificate not trusted ({exc.verify_message}); "
            "pass the camera's CA bundle as ca_file"
        ) from None
    except TimeoutError:
        raise deadline.timeout_error() from None
    except (ssl.SSLError, OSError) as exc:
        deadline.check()
        raise SourceError(
            f"{deadline.source}: TLS handshake failed ({exc}); check that the port speaks HTTPS"
        ) from None
    sockets.add(wrapped)
    return wrapped


def _basic(credentials: _Credentials) -> str:
    token = base64.b64encode(f"{credentials.username}:{credentials.password}".encode()).decode("ascii")
    return f"Basic {token}"


def _challenge(response: http.client.HTTPResponse) -> dict[str, dict[str, str]]:
    """Return the schemes a 401 offers (lower case) with their parameters."""
    offered: dict[str, dict[str, str]] = {}
    for header in response.headers.get_all("WWW-Authenticate") or []:
        scheme, _, rest = header.strip().partition(" ")
        offered[scheme.lower()] = parse_keqv_list(parse_http_list(rest)) if rest else {}
    return offered


def _answer(challenge: dict[str, dict[str, str]], credentials: _Credentials, path: str, source: str) -> str:
    if credentials.kind in (None, AuthKind.DIGEST) and AuthKind.DIGEST in challenge:
        return _digest(challenge[AuthKind.DIGEST], credentials, "GET", path, source)
    if credentials.kind is None and AuthKind.BASIC in challenge:
        return _basic(credentials)
    asked = " or ".join(sorted(challenge)) or "nothing the camera names"
    raise SourceAuthError(
        f"{source} asks for {asked} authentication, not {credentials.kind}; set auth kind to match"
    )


_DIGEST_HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}


def _digest(params: dict[str, str], credentials: _Credentials, method: str, uri: str, source: str) -> str:
    """Answer a digest challenge (RFC 7616, qop ``auth`` or none, MD5 or SHA-256, ``-sess`` too)."""
    algorithm = params.get("algorithm", "MD5")
    hash_name = algorithm.upper().removesuffix("-SESS")
    if hash_name not in _DIGEST_HASHES or "nonce" not in params:
        raise SourceAuthError(f"{source} asks for digest with {algorithm}, which is not supported; use basic")

    def h(text: str) -> str:
        return _DIGEST_HASHES[hash_name](text.encode()).hexdigest()

    realm, nonce = params.get("realm", ""), params["nonce"]
    cnonce, count = os.urandom(8).hex(), "00000001"
    ha1 = h(f"{credentials.username}:{realm}:{credentials.password}")
    if algorithm.upper().endswith("-SESS"):
        ha1 = h(f"{ha1}:{nonce}:{cnonce}")
    ha2 = h(f"{method}:{uri}")
    offered_qop = [q.strip() for q in params.get("qop", "").split(",") if q.strip()]
    fields = {"username": credentials.username, "realm": realm, "nonce": nonce, "uri": uri}
    if "auth" in offered_qop:
        fields |= {"response": h(f"{ha1}:{nonce}:{count}:{cnonce}:auth:{ha2}"), "cnonce": cnonce}
        extra = f", qop=auth, nc={count}"
    elif offered_qop:
        raise SourceAuthError(
            f"{source} asks for digest qop {params['qop']}, which is not supported; use basic"
        )
    else:
        fields["response"] = h(f"{ha1}:{nonce}:{ha2}")
        extra = ""
    if "opaque" in params:
        fields["opaque"] = params["opaque"]
    quoted = ", ".join(f'{key}="{value}"' for key, value in fields.items())
    return f"Digest {quoted}, algorithm={algorithm}{extra}"


def _check_status(response: http.client.HTTPResponse, credentials: _Credentials | None, source: str) -> None:
    status, reason = response.status, response.reason
    if status == 200:
        return
    response.close()
    if status == 401:
        if credentials is None:
            raise SourceAuthError(
                f"{source} asks for a user and password (HTTP 401); set auth in the camera settings"
            )
        raise SourceAuthError(
            f"{source} rejected the password of user {credentials.username!r} (HTTP 401); "
            "check the user and the secret"
        )
    if status == 403:
        raise SourceAuthError(
            f"{source} refused access (HTTP 403); give the user the right to view snapshots"
        )
    if 300 <= status < 400:
        target = redact(urljoin(source, response.getheader("Location") or ""))
        raise SourceError(f"{source} redirects (HTTP {status}) to {target}; give the final URL")
    raise SourceError(f"{source} answered HTTP {status} {reason}; check the snapshot URL and the camera")


def _read_image(
    response: http.client.HTTPResponse, sock: socket.socket, deadline: Deadline, max_bytes: int
) -> bytes:
    """Read the image in the body: the whole body, or the first part of an MJPEG multipart stream."""
    content_type = (response.getheader("Content-Type") or "").lower()
    if content_type.startswith(("text/", "application/json", "application/xml")):
        raise SourceNotAnImage(
            f"{deadline.source} answered with {content_type.split(';')[0]}, not an image; "
            "check the snapshot URL (a login or error page?)"
        )
    length = response.getheader("Content-Length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise SourceError(
            f"{deadline.source} sends {length} bytes, over max_bytes={max_bytes}; raise max_bytes"
        )
    deadline.stage = "reading the image"
    chunks = _chunks(response, sock, deadline, max_bytes)
    if content_type.startswith("multipart/"):
        data = _first_part(chunks, _boundary(content_type, deadline.source), deadline.source)
    else:
        data = b"".join(chunks)
    response.close()
    if not data.startswith(_IMAGE_SIGNATURES):
        raise SourceNotAnImage(
            f"{deadline.source} answered with {len(data)} bytes that are not a JPEG, PNG or other image; "
            "check the snapshot URL"
        )
    return data


def _chunks(
    response: http.client.HTTPResponse, sock: socket.socket, deadline: Deadline, max_bytes: int
) -> Iterator[bytes]:
    """Yield the body as it arrives, checking the deadline and the byte cap on every read."""
    total = 0
    while True:
        deadline.check()
        # read1 returns after one read from the socket, so a body that trickles in cannot outlast the
        # deadline; read(n) would wait for n bytes.
        sock.settimeout(max(deadline.remaining(), 0.001))
        try:
            chunk = response.read1(_CHUNK_BYTES)
        except TimeoutError:
            raise deadline.timeout_error() from None
        except (OSError, http.client.HTTPException) as exc:
            deadline.check()
            raise SourceError(f"{deadline.source} broke off the image ({exc!r}); check the camera") from None
        if not chunk:
            return
        total += len(chunk)
        if total > max_bytes:
            raise SourceError(
                f"{deadline.source} sent more than max_bytes={max_bytes} bytes (an endless stream?); "
                "give a snapshot URL or raise max_bytes"
            )
        yield chunk


def _boundary(content_type: str, source: str) -> bytes:
    for parameter in content_type.split(";")[1:]:
        key, _, value = parameter.strip().partition("=")
        if key == "boundary" and value.strip('"'):
            return value.strip('"').lstrip("-").encode()
    raise SourceNotAnImage(f"{source} sends a multipart stream without a boundary; give a snapshot URL")


def _first_part(chunks: Iterator[bytes], boundary: bytes, source: str) -> bytes:
    """Return the body of the first part of a multipart stream (an MJPEG camera's first frame)."""
    delimiter = b"--" + boundary
    buffer = bytearray()
    body_at = -1
    for chunk in chunks:
        resume = max(len(buffer) - len(delimiter) - 2, 0)
        buffer += chunk
        if body_at < 0:
            start = buffer.find(delimiter)
            headers_end = buffer.find(b"\r\n\r\n", start) if start >= 0 else -1
            if headers_end < 0:
                continue
            body_at = resume = headers_end + 4
        end = buffer.find(b"\r\n" + delimiter, max(resume, body_at))
        if end >= 0:
            return bytes(buffer[body_at:end])
    raise SourceNotAnImage(f"{source} ended its multipart stream before a whole frame; check the camera")
