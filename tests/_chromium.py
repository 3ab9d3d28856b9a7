"""Debian's headless Chromium driven by Selenium, set up once for the web feedback
tests (``tests/test_feedback_web.py``) and the browser latency benchmark
(``benchmarks/bench_live_web.py``, which puts ``tests/`` on ``sys.path``).

No browser is downloaded: the ``chromium`` and ``chromedriver`` executables come
from the system (Debian: ``apt-get install chromium chromium-driver``).
"""

from __future__ import annotations

import shutil
from typing import Any

CHROME_ARGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync",
               "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
               "--disable-backgrounding-occluded-windows")
"""Chromium flags: headless, no network chatter, no throttling of a background page
(timers and animation frames run at full rate, as the latency measures need)."""


def find_chromium() -> tuple[str, str] | None:
    """Paths of the ``chromium`` browser and ``chromedriver``, or None if one is missing."""
    chrome = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chrome is None or driver is None:
        return None
    return chrome, driver


def open_chromium(chrome: str, driver: str, width: int = 1920, height: int = 1080, *,
                  mobile: bool = False) -> Any:
    """Headless Chromium (paths from :func:`find_chromium`) at a viewport size.

    Returns the Selenium ``webdriver.Chrome``; selenium is imported here, so a caller
    that may lack it checks first (``pytest.importorskip("selenium.webdriver")``).
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chrome
    for a in (*CHROME_ARGS, f"--window-size={width},{height}"):
        opts.add_argument(a)
    d = webdriver.Chrome(service=Service(driver), options=opts)
    set_viewport(d, width, height, mobile=mobile)
    return d


def set_viewport(d: Any, width: int, height: int, *, mobile: bool = False) -> None:
    """Emulate a screen of ``width`` x ``height`` CSS pixels (a phone with ``mobile``)."""
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1,
                       "mobile": mobile})
