"""Fixtures of the scanner's and the audit's tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")


@pytest.fixture
def chromium() -> str:
    """The Chromium to drive; skips (fails under ``COOKIECONSENT_REQUIRE_BROWSER=1``) where
    there is none, or no Playwright."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "the scan extra is not installed: pip install 'cookieconsent[scan]'"
    else:
        reason = "" if CHROMIUM else "Chromium is not installed"
    if reason:
        if os.environ.get("COOKIECONSENT_REQUIRE_BROWSER") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return str(CHROMIUM)
