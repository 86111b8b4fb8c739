"""The admin page in a real browser: headless Chromium (Debian's ``chromium`` and
``chromium-driver``), driven by Selenium, against the example shop as ``manage.py demo``
serves it.

The shop owner logs in, the platform's crawl runs over HTTP, and the page must
show that crawl's numbers and a point in its chart for each hour with traffic;
in the admin's light theme and its dark one.

Without Chromium this module skips, saying how to install it; ``.ci/run``
installs it and sets ``CONVERTEDIN_FEED_BROWSER=required``, under which a
missing browser fails instead.

``CONVERTEDIN_FEED_SCREENSHOTS=docs .venv/bin/pytest tests/test_browser.py``
refreshes the README's screenshots (``docs/admin-page.png``, ``docs/admin-page-dark.png``).
"""

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_example_project import MANAGE, ROOT, manage_in, serve, shop_env

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
INSTALL = "apt-get install chromium chromium-driver"

if not (CHROMIUM and CHROMEDRIVER):
    message = f"Chromium and its driver are not installed ({INSTALL}; .ci/run installs them)"
    if os.environ.get("CONVERTEDIN_FEED_BROWSER") == "required":
        pytest.fail(message, pytrace=False)
    pytest.skip(message, allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

PAGE = "/admin/convertedin_feed/feedhour/"
SCREENSHOTS = os.environ.get("CONVERTEDIN_FEED_SCREENSHOTS")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """``manage.py demo`` serving a small shop; its token, the owner's password, the database."""
    tmp = tmp_path_factory.mktemp("browser_shop")
    env = shop_env(tmp / "demo.sqlite3")
    del env["CONVERTEDIN_FEED_TOKEN"]
    small = ["--customers", "20", "--orders", "60", "--products", "15", "--categories", "6"]
    log_path = tmp / "demo.log"
    server, base = serve(
        env,
        log_path,
        lambda address: ["demo", "--addrport", address, *small],
        lambda printed: (re.findall(r"^Token: (\S+)$", printed, re.M) or [None])[0],
        timeout=120,
    )
    try:
        printed = log_path.read_text()
        token = re.search(r"^Token: (\S+)$", printed, re.M).group(1)
        user, password = re.search(r"^  user (\S+), password (\S+)$", printed, re.M).groups()
        assert f"  {base}{PAGE}" in printed
        yield {
            "base": base,
            "token": token,
            "user": user,
            "password": password,
            "database": tmp / "demo.sqlite3",
            "manage": manage_in(env),
        }
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1500",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def log_in(browser, base, user, password):
    browser.delete_all_cookies()
    browser.get(f"{base}/admin/login/?next={PAGE}")
    browser.find_element(By.NAME, "username").send_keys(user)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()


def test_an_anonymous_visitor_is_sent_to_the_login_page(browser, demo):
    browser.delete_all_cookies()
    browser.get(demo["base"] + PAGE)
    assert browser.current_url == f"{demo['base']}/admin/login/?next={PAGE}"


def test_staff_without_the_permission_are_refused(browser, demo):
    demo["manage"](
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        "User.objects.create_user('clerk', password='clerk-pass-1', is_staff=True)",
    )
    log_in(browser, demo["base"], "clerk", "clerk-pass-1")
    browser.get(demo["base"] + PAGE)
    assert "403 Forbidden" in browser.page_source


def test_after_a_crawl_the_page_shows_its_numbers_and_a_point_for_each_busy_hour(browser, demo):
    crawled = subprocess.run(  # the platform's crawl, over HTTP
        [
            sys.executable,
            MANAGE,
            "convertedin_feed",
            "crawl",
            "--url",
            demo["base"] + "/",
            "--token",
            demo["token"],
            "--per-page",
            "7",
            "--json",
            "--quiet",
        ],
        cwd=ROOT,
        env=shop_env(demo["database"]),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert crawled.stdout.strip(), f"the crawl printed nothing:\n{crawled.stderr}"
    report = json.loads(crawled.stdout)
    paged = {"categories", "products", "customers", "orders"}
    assert paged <= set(report["feeds"]), crawled.stderr

    log_in(browser, demo["base"], demo["user"], demo["password"])
    browser.get(demo["base"] + PAGE)
    assert browser.title.startswith("Converted.in feeds")
    for feed in paged:
        row = browser.find_element(By.CSS_SELECTOR, f'tr[data-feed="{feed}"]')
        crawl = row.find_element(By.CSS_SELECTOR, "[data-crawl-pages]")
        expected = report["feeds"][feed]
        assert crawl.get_attribute("data-crawl-pages") == str(expected["pages"]), feed
        assert crawl.get_attribute("data-crawl-records") == str(expected["records"]), feed
        assert row.find_element(By.CSS_SELECTOR, "[data-records]").text == str(expected["records"])
        for status in ("401", "422", "429", "5xx"):
            error = row.find_element(By.CSS_SELECTOR, f'[data-status="{status}"]')
            assert error.get_attribute("data-count") == "0"

    with sqlite3.connect(demo["database"]) as database:
        busy = database.execute(
            "SELECT feed, COUNT(*), SUM(pages) FROM convertedin_feed_feedhour"
            " WHERE pages > 0 GROUP BY feed"
        ).fetchall()
    assert {feed for feed, _, _ in busy} >= paged
    for feed, hours, pages in busy:
        points = browser.find_elements(By.CSS_SELECTOR, f'svg circle[data-feed="{feed}"]')
        assert len(points) == hours, feed
        assert sum(int(point.get_attribute("data-pages")) for point in points) == pages
        assert point_is_drawn(points[0])
    assert demo["token"] not in browser.page_source

    light = page_colours(browser)
    if SCREENSHOTS:
        browser.save_screenshot(str(Path(SCREENSHOTS) / "admin-page.png"))
    browser.execute_script("localStorage.setItem('theme', 'dark')")
    browser.refresh()
    dark = page_colours(browser)
    assert dark["background"] != light["background"]
    assert dark["text"] != light["text"]
    assert dark["axis"] != light["axis"]  # the chart follows the admin's theme
    if SCREENSHOTS:
        browser.save_screenshot(str(Path(SCREENSHOTS) / "admin-page-dark.png"))
    browser.execute_script("localStorage.removeItem('theme')")


def point_is_drawn(point):
    box = point.rect
    return box["width"] > 0 and box["height"] > 0


def page_colours(browser):
    return browser.execute_script(
        "const style = (s, p) => getComputedStyle(document.querySelector(s))[p];"
        "return {background: style('body', 'backgroundColor'), text: style('body', 'color'),"
        " axis: style('svg.convertedin-chart .axis', 'fill')};"
    )
