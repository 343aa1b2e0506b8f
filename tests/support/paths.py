"""Where the repository and the scripts the tests run outside their own process are."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
"""The repository's root: on ``PYTHONPATH`` for the fov-monitor subprocesses the tests start."""
RTSP_SERVER = Path(__file__).with_name("rtsp_server.py")
"""The RTSP server, run with Debian's python (which has ``gi``), not imported."""
