"""Screenshot a page in headless Chromium (the docs' pictures of the reports):

    python -m tests.report.screenshot reports/hos-violation-....html docs/img/run-report-hos-violation.png
    python -m tests.report.screenshot http://127.0.0.1:PORT/ docs/img/soak-live.png --wait 5

The whole page is captured (the window is grown to the document's height)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from tests.report.browser import CHROMIUM_NAMES, DRIVER_NAMES, find

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", help="an HTML file or a URL")
    parser.add_argument("png", type=Path)
    parser.add_argument("--width", type=int, default=1100)
    parser.add_argument("--wait", type=float, default=0.5, help="seconds to let the page draw")
    args = parser.parse_args(argv)
    options = webdriver.ChromeOptions()
    options.binary_location = find(CHROMIUM_NAMES, "FLEETTAP_CHROMIUM")
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(find(DRIVER_NAMES, "FLEETTAP_CHROMEDRIVER")))
    try:
        page = args.page if "://" in args.page else Path(args.page).resolve().as_uri()
        driver.set_window_size(args.width, 800)
        driver.get(page)
        time.sleep(args.wait)
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(args.width, min(height + 40, 12000))
        time.sleep(0.3)
        args.png.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(args.png))
    finally:
        driver.quit()
    print(args.png)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
