"""Images inside the page: ``data:`` URIs, so that a report is one self-contained file per page."""

from __future__ import annotations

import base64


def data_uri(mime: str, data: bytes) -> str:
    """Return ``data`` as a ``data:<mime>;base64,...`` URI."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
