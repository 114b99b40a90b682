"""Shared fixtures: small worlds built through the real loader, and the demo database."""
from __future__ import annotations

import datetime as dt
import os
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator
from urllib.parse import urlsplit

import pytest
from argon2 import PasswordHasher, profiles
from sqlalchemy import URL, Engine, make_url

from impact.domain.access import STAFF, Actor
from impact.formats.loader import load_folder
from impact.formats.report import find_chromium
from impact.store import auth
from impact.store.db import make_engine
from impact.store.queries import ProgrammeInfo, programme_info
from impact.store.schema import ensure_schema
from tests.databases import BACKENDS, postgres_server, sqlite_copy, sqlite_url

if TYPE_CHECKING:
    from playwright.sync_api import Page

# Wrong passwords and keys are answered after at most 10 ms here (4 s by default): the lockout after five of them
# does not depend on the wait, and the tests that lock someone out would otherwise wait 7.75 s each. The servers the
# browser tests start inherit it; tests/test_accounts.py checks the default and the setting.
os.environ["SIGN_IN_MAX_DELAY"] = "0.01"
# Passwords are hashed with argon2's cheapest parameters here (0.2 ms against 0.16 s with the defaults): a hash
# names its parameters, so the servers the tests start check these as cheaply. test_accounts.py checks that the
# dashboard itself uses the defaults, and the sign-in race is run with them.
DEFAULT_HASHER = auth.HASHER
auth.HASHER = PasswordHasher.from_parameters(profiles.CHEAPEST)


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure(config):
    """A test process of pytest-xdist ends here, once it has sent its results and torn down every fixture, without
    tidying its memory away object by object (after a full run that took 10 s, during which the run waited), and
    before pytest's last full garbage collection (2 s), which looks for exceptions raised in finalizers: the
    controller, which has the process's results already, would not hear of them."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo"
D = dt.date.fromisoformat
# Who loads the tests' worlds: staff, as the command line is, named "test" in the audit log and on loaded rows.
LOADER = Actor(STAFF, "test")


# The programme of the small hand-built worlds in the tests: 100 participants declared, ideas counted from records.
TINY_PROGRAMME = """
    [[programme]]
    slug = "tiny"
    name = "Tiny hackathon"
    starts_on = 2020-01-01
    [[programme.figure]]
    key = "participants"
    label = "Participants"
    value = 100
    source = "the organisers"
    [[programme.challenge]]
    slug = "c1"
    name = "Challenge one"
    [[programme.challenge]]
    slug = "c2"
    name = "Challenge two"
    [[programme.metric]]
    slug = "people"
    label = "People reached"
    unit = "people"
    [[programme.metric]]
    slug = "pupils"
    label = "Pupils"
    unit = "pupils"
"""


@pytest.fixture(scope="session")
def postgres():
    server = postgres_server()
    yield server
    server.drop_all()


@pytest.fixture(params=BACKENDS)
def empty_url(request, tmp_path: Path) -> str:
    """The URL of a new database without any table, on each engine in turn."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    server = request.getfixturevalue("postgres")
    url = server.create(with_schema=False)
    yield url
    server.drop(url)


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory) -> Path:
    """A SQLite database file at the newest schema, made once (by the migrations) for the tests to copy."""
    folder = tmp_path_factory.mktemp("schema")
    engine = make_engine(sqlite_url(folder))
    ensure_schema(engine)
    engine.dispose()
    return folder / "test.sqlite3"


@pytest.fixture(params=BACKENDS)
def engine(request, tmp_path: Path) -> Engine:
    """A new database at the newest schema, on each engine in turn: nothing a test wrote is in the next one's."""
    if request.param == "sqlite":
        url = sqlite_copy(request.getfixturevalue("sqlite_schema"), tmp_path)
    else:
        url = request.getfixturevalue("postgres").create()
    engine = make_engine(url)
    ensure_schema(engine)  # checks the revision, as in every process the app starts
    yield engine
    engine.dispose()
    if request.param == "postgresql":
        request.getfixturevalue("postgres").recycle(url)


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def write_folder(folder: Path, **files: str) -> Path:
    """Write files given as `name=text` (dots in names as double underscores: projects__csv)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name.replace("__", ".")).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return folder


def load(engine: Engine, folder: Path, **files: str):
    return load_folder(engine, write_folder(folder, **files), actor=LOADER)


def info(engine: Engine, slug: str) -> ProgrammeInfo:
    programme = programme_info(engine, slug)
    assert programme is not None
    return programme


def demo_database(request, tmp_path_factory) -> str:
    """A new database on the engine of `request.param` holding the demo data set (loading it takes under a second)."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path_factory.mktemp("demo"))
    else:
        url = request.getfixturevalue("postgres").create()
    engine = make_engine(url)
    ensure_schema(engine)
    load_folder(engine, DEMO, actor=Actor(STAFF, "demo"))
    engine.dispose()
    return url


@pytest.fixture(scope="session", params=BACKENDS)
def demo_url(request, tmp_path_factory) -> str:
    """A database holding the demo data set, loaded once per engine for the session, for the tests that read it
    (and write nothing the others would see: a test that records entries uses `writable_demo`)."""
    return demo_database(request, tmp_path_factory)


# --- a real browser -----------------------------------------------------------------------------------------
# The browser that prints the PDF report drives the browser tests too: Debian's headless shell of Chromium (Blink and
# V8 without the desktop browser around them, as Playwright's own headless runs are) where it is installed, which
# takes about 40% less processor time per page than the full browser run headless; else the full browser.
CHROMIUM = find_chromium()
BROWSER_WAIT_MS = 30_000  # an upper bound for a page to settle; tests wait on what they expect, not on time


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright; skipped with the reason where it is missing, except in CI."""
    if not CHROMIUM:
        message = "chromium is not installed (apt-get install -y chromium-headless-shell)"
        if os.environ.get("CI"):
            pytest.fail(message + "; .ci/run installs it")
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=BROWSER_WAIT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"])
        yield browser
        browser.close()


class Tab:
    """A browser tab that a test process's tests take in turn, each as a new visitor: between two tests it leaves the
    page for about:blank and forgets what the visit left (the cookies, and the storage of every origin it saw).

    Why one tab: Chromium compiles Streamlit's front end and plotly.js once per tab and origin. A page with a chart
    cost 4.3 core-seconds on its first load in a tab and 2.1 on the next, in a new tab or context 4.3 each time; most
    browser tests open pages of the shared demo server. What the tab keeps from one test to the next is that compiled
    code and the HTTP cache, as a returning visitor's browser would."""

    def __init__(self, browser, **options):
        self.browser, self.options = browser, options
        self.page: Page | None = None
        self.origins: set[str] = set()

    @classmethod
    def kept(cls, browser, **options) -> Iterator[Tab]:
        """A tab for a fixture to yield from, its context closed at the fixture's end."""
        tab = cls(browser, **options)
        yield tab
        if tab.page is not None and not tab.page.is_closed():
            tab.page.context.close()

    def visit(self) -> Iterator[Page]:
        """The tab for one test, for its fixture to yield from: taken, then forgotten."""
        yield self.take()
        self.forget()

    def take(self) -> Page:
        if self.page is None or self.page.is_closed():
            self.page = self.browser.new_context(**self.options).new_page()
            self.page.set_default_timeout(BROWSER_WAIT_MS)
            self.page.on("framenavigated", lambda frame: self.origins.add(origin(frame.url)))
        return self.page

    def forget(self) -> None:
        from playwright.sync_api import Error as PlaywrightError

        page, self.page = self.page, None
        if page is None or page.is_closed():
            return
        try:
            page.goto("about:blank")
            storage = page.context.new_cdp_session(page)
            for seen in self.origins - {""}:
                storage.send("Storage.clearDataForOrigin", {"origin": seen, "storageTypes": "all"})
            storage.detach()
            page.context.clear_cookies()
            page.set_viewport_size(self.options.get("viewport", VIEWPORT))
            self.page = page
        except PlaywrightError:  # a page that cannot be left or cleared is closed; the next test gets a new one
            page.context.close()
        self.origins.clear()


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else ""


VIEWPORT = {"width": 1400, "height": 1600}


@pytest.fixture(scope="session")
def tab(browser):
    yield from Tab.kept(browser, viewport=VIEWPORT)


@pytest.fixture
def page(tab):
    """The test process's browser tab (`Tab`), as a new visitor's."""
    yield from tab.visit()


@pytest.fixture(scope="session")
def second_tab(browser):
    yield from Tab.kept(browser, viewport=VIEWPORT)


@pytest.fixture
def second_page(second_tab):
    """Another visitor's tab beside `page`'s, in a browser of its own (they share no cookie)."""
    yield from second_tab.visit()


# --- people ---------------------------------------------------------------------------------------------------------
STAFF_EMAIL = "staff@example.org"
FUNDER_EMAIL = "funder@example.org"
PASSWORD = "a browser test password"


def add_accounts(url: str) -> str:
    """A staff account, a funder who reads the French programme (the German one is public) and a team key for
    Corona School (returned), in a demo database."""
    from impact.domain.access import command_line
    from impact.store import admin

    engine = make_engine(url)
    staff = command_line("tests")
    admin.add_account(engine, staff, STAFF_EMAIL, "staff", PASSWORD)
    admin.add_account(engine, staff, FUNDER_EMAIL, "funder", PASSWORD, ["hackathon-covid-2021"])
    key = admin.issue_key(engine, staff, "corona-school").key
    engine.dispose()
    return key


@pytest.fixture(scope="session")
def accounts(demo_url) -> str:
    """The accounts of `add_accounts` in the demo database; the team's key."""
    return add_accounts(demo_url)


@dataclass(frozen=True)
class WritableDemo:
    url: str
    base: str  # its server's base URL
    key: str  # Corona School's team key


@pytest.fixture(scope="session", params=BACKENDS)
def writable_demo(request, tmp_path_factory):
    """A demo database of its own, with the accounts of `add_accounts` and a server, for the browser tests that
    record entries: what they leave waiting for review would show in the readers' demo database otherwise."""
    from tests.servers import streamlit_server

    url = demo_database(request, tmp_path_factory)
    key = add_accounts(url)
    with streamlit_server(url) as base:
        yield WritableDemo(url, base, key)


@pytest.fixture(scope="session")
def demo_server(demo_url, accounts):
    """One dashboard server on the demo database per engine and test process, shared by the browser tests that only
    read it or write what no other test counts (each test in browser contexts of its own); the base URL. A test
    that needs a server no session has reached yet (`fresh_demo_server`) or other settings starts its own."""
    from tests.servers import streamlit_server

    with streamlit_server(demo_url) as base:
        yield base


def on_sqlite_only(url: str | URL, what: str) -> None:
    """Skip the PostgreSQL run of a check that no database changes (markup, layout, headers), saying so: `what`
    (does not depend on the database) is checked by the SQLite run."""
    __tracebackhide__ = True  # the skip is reported at the caller's line
    if make_url(url).get_backend_name() == "postgresql":
        pytest.skip(f"{what}; checked on SQLite")


@pytest.fixture
def fresh_demo_server(demo_url, accounts):
    """A new server on the demo database: the first visit is the first of its process, the case where Streamlit
    would run a file under pages/ on its own (ARCHITECTURE.md); the demo's markup does not depend on the engine,
    so this is checked on SQLite."""
    on_sqlite_only(demo_url, "a fresh server's first page does not depend on the database")
    from tests.servers import streamlit_server

    with streamlit_server(demo_url, fresh=True) as base:  # a new `python -m impact serve`, nothing imported before
        yield base
