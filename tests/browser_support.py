"""What both browser test modules need: Debian's Chromium (required under CI) and where screenshots go."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"
# headless as root on a closed network: without these Chromium reaches for Google's hosts at every start
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def require_chromium() -> None:
    """Skip the calling module without Chromium, except under CI, where its absence is an error."""
    if CHROMIUM is None:
        if os.environ.get("CI"):
            raise RuntimeError("CI needs Debian's chromium for the browser tests (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)


@contextmanager
def launched_chromium() -> Iterator:
    """Debian's Chromium, headless with the flags above, for one test module; the screenshot folder made."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
