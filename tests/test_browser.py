"""The main journeys in a real browser: Debian's chromium, driven by Playwright, against `streamlit run`.

Screenshots land in artifacts/ for a person to look at. Without chromium these tests are skipped locally with
the reason; in CI (CI=true) a missing browser is a failure.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
WAIT_MS = 30_000  # an upper bound for a page to settle; tests wait on what they expect, not on time
ARTIFACTS = ROOT / "artifacts"
START_TIMEOUT_S = 60

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("chromium is missing: .ci/run installs it with apt-get install -y chromium")
    pytest.skip("chromium is not installed (apt-get install -y chromium)", allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

expect.set_options(timeout=WAIT_MS)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo_url):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": demo_url}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"streamlit did not start: {process.stdout.read().decode(errors='replace')[-2000:]}")
        time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Page:
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    yield page
    context.close()


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_shared_link_on_a_fresh_server_opens_reach_as_of_a_date(server, page):
    # First in this module: the server has run no session yet, the case where Streamlit would run the file
    # under pages/ on its own (shared/DESIGN.md); the page must still come through dashboard.py's navigation.
    page.goto(f"{server}/reach?programme=wirvsvirus-2020&as_of=2021-04-30")
    values = page.get_by_test_id("stMetricValue")  # pupils, tutors, registrations: Corona School's figures
    expect(values).to_have_count(4)
    for index, text in enumerate(["20,000", "14,000", "1,000"]):
        expect(values.nth(index)).to_have_text(text)
    expect(page.get_by_test_id("stSidebarNav").get_by_role("link")).to_contain_text(["Overview", "Reach"])
    expect(page.locator(".js-plotly-plot").nth(1).get_by_text("Corona School")).to_be_visible()
    screenshot(page, "reach")


def test_the_overview_shows_the_funnel(server, page):
    page.goto(server)
    values = page.get_by_test_id("stMetricValue")
    expect(values).to_have_text(["28,000", "1,500", "130", "30"])
    funnel = page.locator(".js-plotly-plot").first
    expect(funnel.get_by_text("30  (23.1% of funded)")).to_be_visible()
    expect(funnel.get_by_text("1,500  (5.4% of participants)")).to_be_visible()
    expect(page.get_by_text("Demo data, partly illustrative.")).to_be_visible()
    expect(page.get_by_text("Deploy")).to_have_count(0)
    screenshot(page, "overview")


def test_picking_another_programme(server, page):
    page.goto(server)
    expect(page.get_by_test_id("stMetricValue").first).to_have_text("28,000")
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").click()
    page.get_by_role("option", name="Hackathon contre le Covid 2021").click()
    expect(page.get_by_test_id("stMetricValue")).to_have_text(["170", "15", "3", "1"])
    expect(page).to_have_url(re.compile(r"programme=hackathon-covid-2021"))
