"""One headless Chromium for a test module: Debian's, driven by Playwright, never downloaded.

Playwright drives ``/usr/bin/chromium`` (or ``$FOV_MONITOR_CHROMIUM``) through ``executable_path``;
its own browser builds are never installed. Without Chromium the tests that use the fixture are
skipped, unless ``FOV_MONITOR_REQUIRE_BROWSER=1`` (CI), where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("FOV_MONITOR_CHROMIUM", "/usr/bin/chromium"))
REQUIRE_ENV = "FOV_MONITOR_REQUIRE_BROWSER"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module."""
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM} (Debian: apt-get install chromium)"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{message}; ${REQUIRE_ENV}=1 requires it")
        pytest.skip(message)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield instance
        finally:
            instance.close()
