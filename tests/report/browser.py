"""A real headless Chromium for the report tests (Debian packages chromium + chromium-driver,
installed by `make system-packages`; Selenium drives it). Missing pieces fail the test loudly:
a page test that cannot open a browser must never pass or skip."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
DRIVER_NAMES = ("chromedriver",)


def find(names: tuple[str, ...], variable: str) -> str:
    given = os.environ.get(variable)
    if given:
        return given
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    pytest.fail(
        f"none of {', '.join(names)} on PATH (or ${variable}): the report tests render pages in a real "
        "browser; install it with `make system-packages` (Debian: apt-get install chromium chromium-driver)",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def browser() -> Iterator:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as error:  # a missing dependency is a failure, not a skip
        pytest.fail(f"selenium is not installed ({error}): pip install -r requirements/dev.txt", pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = find(CHROMIUM_NAMES, "FLEETTAP_CHROMIUM")
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1200,900",
        "--hide-scrollbars",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(find(DRIVER_NAMES, "FLEETTAP_CHROMEDRIVER")))
    try:
        yield driver
    finally:
        driver.quit()


def console_errors(driver) -> list[str]:
    """The page's console messages at level SEVERE (errors, failed loads) since the last call."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
