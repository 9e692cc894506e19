"""Without Chromium the page tests fail, naming what to install; they never skip."""

from __future__ import annotations

import pytest

from tests.report import browser


def test_a_missing_browser_fails_the_test_with_the_install_command(monkeypatch):
    monkeypatch.delenv("FLEETTAP_CHROMIUM", raising=False)
    monkeypatch.setattr(browser.shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match="make system-packages"):
        browser.find(browser.CHROMIUM_NAMES, "FLEETTAP_CHROMIUM")
