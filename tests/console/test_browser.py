"""The console in a real browser (Debian's chromium driven by selenium), while the
simulator runs a campaign in another process: log in, watch it advance, pause and
resume it, open a call and its recording, download an export; a viewer is refused a
control action. Every wait is on a page (or file) condition, never a fixed sleep.

With ``MBS_SCREENSHOTS=DIR`` the main pages are saved there as PNG (docs/img/).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import wave
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mbs.api.auth import hash_password
from mbs.campaign.store import Store

selenium = pytest.importorskip("selenium")
from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MBS = str(Path(sys.executable).with_name("mbs"))
CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
PASSWORD = "correct horse battery"
WAIT_S = 120  # an upper bound for a loaded machine; waits end as soon as the page is ready

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="needs Debian's chromium and chromium-driver (make setup installs them)",
)

CAMPAIGN = """name = "navigateur"
scenario = "{scenario}"
contacts = "contacts.csv"
max_concurrent = 2
record = true

[telephony]
backend = "sim"

[builtins]
tts = "none"

[sim]
seed = 5
time_scale = 60.0
start = "next-window"

[sim.personas]
human = 1
"""


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path / 'chrome-profile'}",
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(tmp_path / "downloads"),
            "download.prompt_for_download": False,
        },
    )
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """(console URL, database URL, work folder): users, a campaign file, `mbs api` running."""
    work = tmp_path / "work"
    work.mkdir()
    rows = "\n".join(f"C{i};01400{i:05d}" for i in range(1, 25))
    (work / "contacts.csv").write_text("Prénom;Téléphone\n" + rows + "\n", encoding="utf-8")
    (work / "campaign.toml").write_text(
        CAMPAIGN.format(scenario=ROOT / "scenarios" / "or_rdv.mbs"), encoding="utf-8"
    )
    database = f"sqlite:///{work / 'mbs.sqlite'}"
    store = Store.open(database)
    now = datetime.now(UTC)
    store.add_user("ada", hash_password(PASSWORD), "admin", now=now)
    store.add_user("vic", hash_password(PASSWORD), "viewer", now=now)
    store.close()
    api = subprocess.Popen(
        [MBS, "api", "--port", "0", "--database", database, "--base-dir", str(work)],
        cwd=work,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
    )
    try:
        assert api.stderr is not None
        first = api.stderr.readline()
        assert first.startswith("mbs api on http://"), first
        yield first.split()[3], database, work
    finally:
        api.terminate()
        api.wait(timeout=30)


def wait(driver: WebDriver, condition: object, message: str) -> object:
    return WebDriverWait(driver, WAIT_S, poll_frequency=0.1).until(condition, message)  # type: ignore[arg-type]


def text_of(driver: WebDriver, element_id: str, css: str | None = None) -> str:
    """The element's text, or "" while it is absent (or the page is reloading)."""
    try:
        found = driver.find_elements(By.CSS_SELECTOR, css or f"#{element_id}")
        return found[0].text if found else ""
    except StaleElementReferenceException:
        return ""


def shoot(driver: WebDriver, name: str) -> None:
    folder = os.environ.get("MBS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / f"{name}.png"))


def log_in(driver: WebDriver, url: str, user: str) -> None:
    driver.get(url + "/console")
    wait(driver, lambda d: d.find_elements(By.ID, "username"), "no log-in form")
    driver.find_element(By.ID, "username").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login-submit").click()
    wait(driver, lambda d: user in text_of(d, "whoami"), "not logged in")


def write_wav(path: Path) -> None:
    """A second of a 440 Hz tone: what the switch would have recorded."""
    import math
    import struct

    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(
            b"".join(
                struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 8000)))
                for i in range(8000)
            )
        )


def test_operator_session(browser: WebDriver, world: tuple[str, str, Path], tmp_path: Path) -> None:
    url, database, work = world
    log_in(browser, url, "ada")
    run = subprocess.Popen(
        [MBS, "run", "--campaign", "campaign.toml", "--database", database, "--quiet"],
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        page = url + "/console/campaigns/navigateur"

        def campaign_page_open(d: WebDriver) -> bool:
            d.get(page)
            return bool(d.find_elements(By.ID, "calls-count"))

        wait(browser, campaign_page_open, "the campaign never appeared")
        start = int(text_of(browser, "calls-count") or 0)
        # live: the counter grows on the open page (server-sent events; the page reloads
        # itself only when the campaign's state changes)
        wait(browser, lambda d: int(text_of(d, "calls-count") or 0) > start, "no live update")
        shoot(browser, "campaign-live")

        browser.find_element(By.ID, "action-pause").click()
        wait(browser, lambda d: text_of(d, "campaign-state") == "paused", "not paused")
        # the worker lets its calls end and claims nothing more
        wait(
            browser,
            lambda d: text_of(d, "", '#counters [data-field="in_flight"]') == "0",
            "calls in flight never ended",
        )
        held = int(text_of(browser, "calls-count"))
        browser.find_element(By.ID, "action-resume").click()
        wait(browser, lambda d: text_of(d, "campaign-state") == "running", "not resumed")
        wait(browser, lambda d: int(text_of(d, "calls-count") or 0) > held, "no call after resume")
        wait(browser, lambda d: text_of(d, "campaign-state") == "done", "the campaign never ended")
        assert run.wait(timeout=WAIT_S) == 0, run.stderr.read() if run.stderr else ""
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()

    browser.get(url + "/console")
    wait(browser, lambda d: d.find_elements(By.ID, "campaigns"), "no campaigns page")
    shoot(browser, "campaigns")

    # download the export
    browser.get(url + "/console/campaigns/navigateur")
    browser.find_element(By.ID, "export-csv").click()
    target = tmp_path / "downloads" / "navigateur.csv"
    wait(browser, lambda d: target.is_file() and target.stat().st_size > 0, "no download")
    header = target.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("call_id,campaign,phone") and "objective_result" in header

    # a call, its transcript and its recording (played through range requests)
    browser.get(url + "/console/campaigns/navigateur?status=COMPLETED")
    first = browser.find_elements(By.CSS_SELECTOR, "a.call-link")[0]
    call_url = first.get_attribute("href")
    assert call_url is not None
    call_id = call_url.rsplit("/", 1)[1]
    store = Store.open(database)
    try:
        from mbs.api.reads import get_call

        row = get_call(store, call_id)
        assert row is not None and row.recording_path
        write_wav(work / row.recording_path)
    finally:
        store.close()
    browser.get(call_url)
    wait(browser, lambda d: d.find_elements(By.ID, "transcript"), "no transcript")
    assert "robot:" in text_of(browser, "transcript")
    wait(
        browser,
        lambda d: d.execute_script(
            "const a = document.getElementById('recording'); return a && a.duration > 0.9;"
        ),
        "the recording does not load",
    )
    shoot(browser, "call")
    browser.get(url + "/console/live")
    wait(browser, lambda d: d.find_elements(By.ID, "live"), "no live page")
    shoot(browser, "live")
    browser.get(url + "/console/contacts")
    wait(browser, lambda d: d.find_elements(By.ID, "contacts"), "no contacts page")
    shoot(browser, "contacts")

    # log out; a viewer sees the campaign but may not control it
    browser.find_element(By.CSS_SELECTOR, "form.who button").click()
    wait(browser, lambda d: d.find_elements(By.ID, "username"), "not logged out")
    log_in(browser, url, "vic")
    browser.get(url + "/console/campaigns/navigateur")
    wait(browser, lambda d: d.find_elements(By.ID, "calls-count"), "viewer cannot read")
    assert not browser.find_elements(By.ID, "action-pause")
    status = browser.execute_async_script(
        """const done = arguments[arguments.length - 1];
        const csrf = document.querySelector('input[name=csrf]').value;
        fetch('/console/campaigns/navigateur/start', {method: 'POST',
              body: new URLSearchParams({csrf})}).then(r => done(r.status));"""
    )
    assert status == 403
    browser.get(url + "/console/new")
    wait(browser, lambda d: d.find_elements(By.ID, "error-message"), "no refusal page")
    assert "may not control" in text_of(browser, "error-message")
