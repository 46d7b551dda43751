"""The admin page in a real browser: Debian's Chromium driven by Selenium through chromedriver,
against the Chalice app served by ``chalice local``'s own HTTP server (in a thread of this
process), whose episodes run on the local engine (the ``engine`` and ``services`` fixtures).

Waits are WebDriverWait on what the page shows, never sleeps. Each main view is saved as a
screenshot under out/screenshots/.
"""
from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service as ChromeService
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import API_KEY, ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = ROOT / "out" / "screenshots"
WAIT_SECONDS = 60


@pytest.fixture(scope="session")
def page_server():
    """The app over real HTTP, as ``chalice local`` serves it (its server class, threaded)."""
    from chalice.config import Config
    from chalice.local import create_local_server

    from app import app

    original_class = app.__class__
    # create_local_server makes app.current_request thread-local, as `chalice local` does: the
    # page sends requests in parallel.
    server = create_local_server(app, Config.create(chalice_stage="local", app_name="podcasto"), "127.0.0.1", 0)
    thread = threading.Thread(target=server.server.serve_forever, name="page-server", daemon=True)
    thread.start()
    host, port = server.server.server_address[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server.server_close()
        app.__class__ = original_class


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the session, with a fresh profile."""
    profile = tempfile.mkdtemp(prefix="podcasto-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=1280,1100", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(options=options, service=ChromeService(executable_path=CHROMEDRIVER))
    except WebDriverException as exc:
        shutil.rmtree(profile, ignore_errors=True)
        pytest.fail(f"Chromium did not start ({CHROMIUM}, {CHROMEDRIVER}; `make test` installs "
                    f"the chromium and chromium-driver packages): {exc.msg}", pytrace=False)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


class Page:
    """The admin page in the browser, with the waits and reads the tests share."""

    def __init__(self, driver, base: str):
        self.driver = driver
        self.base = base

    # -- navigation ----------------------------------------------------------------------------
    def open(self, fragment: str = "") -> None:
        self.driver.get(f"{self.base}/admin{fragment}")

    def sign_in(self, key: str = API_KEY) -> None:
        field = self.wait_visible("#api-key")
        field.clear()
        field.send_keys(key, Keys.ENTER)

    def go(self, fragment: str) -> None:
        self.driver.execute_script("window.location.hash = arguments[0]", fragment)

    # -- waiting and reading -------------------------------------------------------------------
    def wait(self, condition, timeout: float = WAIT_SECONDS, message: str = ""):
        return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(condition, message)

    def wait_visible(self, css: str, timeout: float = WAIT_SECONDS):
        return self.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, css)), timeout, f"{css} not shown")

    def wait_text(self, css: str, text: str, timeout: float = WAIT_SECONDS):
        self.wait(EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), text), timeout,
                  f"{text!r} not in {css}")
        return self.find(css)

    def find(self, css: str):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def view(self) -> str:
        return self.driver.execute_script("return document.body.dataset.view || ''")

    def wait_view(self, name: str) -> None:
        self.wait(lambda d: self.view() == name, message=f"view {name} not shown (at {self.view()})")

    def script(self, source: str, *args):
        return self.driver.execute_script(source, *args)

    def active_id(self) -> str:
        return self.script("return document.activeElement && document.activeElement.id || ''")

    def console(self) -> list[dict]:
        return self.driver.get_log("browser")

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path


@pytest.fixture
def page(chromium, page_server, services):
    """A fresh page (signed out: sessionStorage cleared) on this test's services."""
    driver = chromium
    driver.get(f"{page_server}/admin")
    driver.execute_script("window.sessionStorage.clear()")
    driver.get("about:blank")
    driver.get_log("browser")  # start each test with an empty console
    yield Page(driver, page_server)
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
