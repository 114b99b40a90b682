"""Real `streamlit run` processes for the browser tests, each on a free port, stopped when the test is done."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from typing import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.conftest import PASSWORD, ROOT, STAFF_EMAIL

START_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(database_url: str, *options: str, port: int = 0, **settings: str) -> Iterator[str]:
    """Serve the dashboard as `make run` does (`python -m impact serve`) on DATABASE_URL, with these extra
    `streamlit run` options and settings (environment variables); yield its base URL once it answers its health
    check."""
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "impact", "serve", "--port", str(port), "--address", "127.0.0.1",
         "--server.headless", "true", *options],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url, **settings}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
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
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def sign_in(page: Page, email: str = STAFF_EMAIL) -> None:
    """Sign in with the sidebar form (the browser then holds the session's cookie)."""
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("textbox", name="Email").fill(email)
    sidebar.get_by_role("textbox", name="Password").fill(PASSWORD)
    with page.expect_request(lambda request: "/session/start" in request.url) as started:
        sidebar.get_by_role("button", name="Sign in", exact=True).click()
    started.value.response()  # the browser holds the session's cookie once this answer is in
    expect(page.get_by_test_id("stSidebar").get_by_text(f"Signed in as {email}")).to_be_visible()


def type_date(page: Page, scope: Locator, label: str, day: str) -> None:
    """Type a date into a date field (its year, month and day are segments that move on as they fill), then close
    the calendar that opened with it."""
    scope.get_by_role("spinbutton", name=f"year, {label}").click()
    page.keyboard.type(day.replace("-", ""))
    page.keyboard.press("Escape")


def settled(page: Page) -> None:
    """Wait until the page's script run is over and nothing moves (a box opening, say), as a person would before the
    next click: a list that a click opens during either stays closed."""
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")
