"""Real `streamlit run` processes for the browser tests, each on a free port, stopped when the test is done."""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Callable, Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.conftest import PASSWORD, ROOT, STAFF_EMAIL

START_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Ports whose server (started by this test process) has ended, for the next servers: a browser keeps the front
# end's compiled code per origin, so a new server on a port the tab has seen loads its first page at the price of
# a later one (2.1 core-seconds for the overview instead of 4.3; see `Tab` in tests/conftest.py).
ENDED: list[int] = []


def server_port() -> int:
    """A port for a new server: one an ended server of this process used, while it can be bound, else a free one."""
    while ENDED:
        port = ENDED.pop()
        with socket.socket() as sock, contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds it
            sock.bind(("127.0.0.1", port))
            return port
    return free_port()


class Forker:
    """The test process's `tests.forker`, started at its first server, which forks a server per request."""

    process: subprocess.Popen | None = None

    @classmethod
    def start(cls, argv: list[str], env: dict[str, str], log: Path) -> int:
        if cls.process is None or cls.process.poll() is not None:
            cls.process = subprocess.Popen([sys.executable, "-m", "tests.forker"], cwd=ROOT, stdin=subprocess.PIPE,
                                           stdout=subprocess.PIPE, text=True)
        assert cls.process.stdin and cls.process.stdout
        cls.process.stdin.write(json.dumps({"argv": argv, "env": env, "log": str(log), "cwd": str(ROOT)}) + "\n")
        cls.process.stdin.flush()
        return int(cls.process.stdout.readline())


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@contextlib.contextmanager
def streamlit_server(database_url: str, *options: str, port: int = 0, fresh: bool = False,
                     **settings: str) -> Iterator[str]:
    """Serve the dashboard as `make run` does (`python -m impact serve`) on DATABASE_URL, with these extra
    `streamlit run` options and settings (environment variables); yield its base URL once it answers its health
    check. The server is forked from `tests.forker`, which has imported the libraries already; `fresh` starts it as
    a new `python -m impact serve` process instead, importing everything itself, as a deployed server does."""
    chosen = not port
    port = port or server_port()
    argv = ["serve", "--port", str(port), "--address", "127.0.0.1", "--server.headless", "true", *options]
    env = {**os.environ, "DATABASE_URL": database_url, **settings}
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "server.log"
        if fresh:
            with log.open("wb") as out:
                process = subprocess.Popen([sys.executable, "-m", "impact", *argv], cwd=ROOT, env=env, stdout=out,
                                           stderr=subprocess.STDOUT)
            pid, alive = process.pid, lambda: process.poll() is None  # poll() also reaps it once it has ended
        else:
            pid = Forker.start(argv, env, log)
            alive = functools.partial(running, pid)  # the forker's children are reaped by the kernel
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
                if not alive() or time.monotonic() > deadline:
                    pytest.fail(f"streamlit did not start: {log.read_text(errors='replace')[-2000:]}")
                time.sleep(0.2)
            yield base
        finally:
            stop(pid, alive)
            if chosen:
                ENDED.append(port)


def stop(pid: int, alive: Callable[[], bool]) -> None:
    """End a server as Ctrl+C would, or kill it after 10 s; return once it has ended."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while alive():
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)


def sign_in(page: Page, email: str = STAFF_EMAIL) -> None:
    """Sign in with the sidebar form (the browser then holds the session's cookie)."""
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("textbox", name="Email").fill(email)
    sidebar.get_by_role("textbox", name="Password").fill(PASSWORD)
    with page.expect_request(lambda request: "/session/start" in request.url) as started:
        sidebar.get_by_role("button", name="Sign in", exact=True).click()
    started.value.response()  # the browser holds the session's cookie once this answer is in
    expect(page.get_by_test_id("stSidebar").get_by_text(f"Signed in as {email}")).to_be_visible()


def type_date(page: Page, scope: Locator, label: str, day: str | dt.date) -> None:
    """Type a date (a date or its ISO text) into a date field (its year, month and day are segments that move on as
    they fill), then close the calendar that opened with it."""
    scope.get_by_role("spinbutton", name=f"year, {label}").click()
    page.keyboard.type(str(day).replace("-", ""))
    page.keyboard.press("Escape")


def pick(page: Page, scope: Locator, label: str, option: str) -> None:
    """Pick `option` in the select box labelled `label` within `scope`, once the page has settled: a list opened
    while the page runs or a box opens is closed again by the run's end."""
    settled(page)
    scope.get_by_test_id("stSelectbox").filter(has_text=label).click()
    page.get_by_role("option", name=option).click()


def settled(page: Page) -> None:
    """Wait until the page's script run is over and nothing moves (a box opening, say), as a person would before the
    next click: a list that a click opens during either stays closed."""
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")


def contrast(one: str, other: str) -> float:
    """WCAG's contrast ratio of two CSS colours given as rgb(r, g, b), as a browser gives them."""
    def luminance(colour: str) -> float:
        channels = [int(c) / 255 for c in re.findall(r"\d+", colour)[:3]]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
