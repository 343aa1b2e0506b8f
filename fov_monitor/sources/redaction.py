"""Make a source safe to log: no password, token or key from its URL."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

SECRET_QUERY_KEYS = frozenset(
    {
        "password",
        "passwd",
        "pass",
        "pwd",
        "pw",
        "token",
        "access_token",
        "auth",
        "key",
        "apikey",
        "api_key",
        "secret",
        "signature",
        "sig",
        "credentials",
    }
)
"""Query parameter names (compared in lower case) whose values are secrets."""

MASK = "***"


def redact(source: str) -> str:
    """Return ``source`` with the user and password of a URL and its secret query values masked.

    ``rtsp://admin:hunter2@10.0.0.7/stream?token=abc`` becomes ``rtsp://10.0.0.7/stream?token=***``;
    a path or a URL without secrets comes back unchanged. The user name goes too: on cameras it is
    often half the secret (``admin``).

    Parameters
    ----------
    source : str
        A file or folder path, or an ``http(s)://`` or ``rtsp(s)://`` URL.

    Returns
    -------
    str
    """
    if "://" not in source:
        return source
    try:
        parts = urlsplit(source)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        # Not a URL we can take apart: keep only the scheme rather than risk printing a secret.
        return source.split("://", 1)[0] + "://" + MASK
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, MASK if k.lower() in SECRET_QUERY_KEYS else v) for k, v in pairs], safe="*/:")
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def secrets_in(source: str) -> list[str]:
    """Return what secrets a source holds, by name, never by value (empty when none).

    ``rtsp://admin:hunter2@10.0.0.7/stream?token=abc`` (a source as :func:`redact` takes it) holds
    ``["the password in the URL", "the value of 'token'"]``; a user name alone is no secret, nor a
    value already masked as ``***``. A URL that cannot be taken apart is said to hold one: it cannot
    be shown to hold none.
    """
    if "://" not in source:
        return []
    try:
        parts = urlsplit(source)
        password = parts.password
    except ValueError:
        return ["a URL that cannot be read"]
    found = ["the password in the URL"] if password and password != MASK else []
    found += [
        f"the value of {key!r}"
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() in SECRET_QUERY_KEYS and value and value != MASK
    ]
    return found


def mask_secrets(source: str) -> str:
    """Return ``source`` with each secret of :func:`secrets_in` replaced by ``***``, the rest kept.

    ``rtsp://admin:hunter2@10.0.0.7/stream?token=abc`` becomes
    ``rtsp://admin:***@10.0.0.7/stream?token=***``: what an export writes for a source, so that the
    camera it names is recognised when the export is imported again (unlike :func:`redact`, which
    drops the user). A source without secrets comes back unchanged.
    """
    if not secrets_in(source):
        return source
    try:
        parts = urlsplit(source)
        password = parts.password
    except ValueError:
        return redact(source)
    netloc = parts.netloc
    if password:
        userinfo, _, host = netloc.rpartition("@")
        netloc = f"{userinfo.split(':', 1)[0]}:{MASK}@{host}"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = urlencode(
        [(k, MASK if k.lower() in SECRET_QUERY_KEYS and v else v) for k, v in pairs], safe="*/:"
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query if parts.query else "", parts.fragment))
