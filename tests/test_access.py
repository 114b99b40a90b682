"""Who sees what. Every page opened by its URL as anonymous, funder and team: no restricted data, no form (on
PostgreSQL, the pages that show the database keeping a signed-in session: KEPT_SESSION_PAGES); and a restricted page
as the first visit of a fresh server (where Streamlit would run a file under pages/ on its own, ARCHITECTURE.md). The
same rules page by page with AppTest are in the pages' own tests, on both engines."""
import pytest
from playwright.sync_api import Page, expect

from impact.domain.access import PAGES
from tests.conftest import FUNDER_EMAIL, on_sqlite_only
from tests.servers import sign_in

OPEN_TO_ANYONE = {"overview", "reach", "update"}  # the public programme's charts, and the key form
FUNDER_PAGES = {"overview", "reach", "portfolio", "project", "compare", "survival"}
# Which page refuses whom does not depend on the database (AppTest checks each page's rule on both engines), so the
# sweeps below open every page on SQLite. What the database keeps is the session of a visitor signed in: on
# PostgreSQL they open these pages by their URL, one open to anyone, one a funder reads, one for staff only and the
# update page.
KEPT_SESSION_PAGES = ("overview", "portfolio", "review", "update")


def swept(demo_url: str) -> list[str]:
    return list(PAGES) if "sqlite" in demo_url else [name for name in PAGES if name in KEPT_SESSION_PAGES]


def main(page: Page):
    return page.get_by_test_id("stMain")


def refused(page: Page, text: str) -> None:
    """The page said it is not for this visitor, and drew no table, chart or form."""
    expect(main(page).get_by_text(text)).to_be_visible()
    for element in ("stDataFrame", "stPlotlyChart", "stForm", "stMetric"):
        expect(main(page).get_by_test_id(element)).to_have_count(0)


@pytest.fixture
def fresh_server(demo_server):
    return demo_server


def test_a_restricted_page_as_the_first_visit_of_a_fresh_server(fresh_demo_server, page):
    page.goto(f"{fresh_demo_server}/portfolio")
    refused(page, "sign in in the sidebar")
    page.goto(f"{fresh_demo_server}/people")
    refused(page, "sign in in the sidebar")


def test_anonymous_visitors_get_nothing_restricted_from_any_url(fresh_server, demo_url, page):
    # Signed-in visitors, whose sessions the database keeps, are checked on both engines (below).
    on_sqlite_only(demo_url, "an anonymous visitor's pages do not depend on the database")
    for name in PAGES:
        page.goto(f"{fresh_server}/{name}")
        if name in OPEN_TO_ANYONE:
            expect(main(page).get_by_role("heading").first).to_be_visible()
            continue
        refused(page, "sign in in the sidebar")
    page.goto(f"{fresh_server}/update")
    expect(main(page).get_by_role("heading", name="Update your project")).to_be_visible()
    expect(main(page).get_by_test_id("stForm")).to_have_count(1)  # the key form only
    expect(main(page).get_by_role("textbox", name="Update key")).to_be_visible()


def test_a_funder_reads_charts_but_opens_no_staff_page_and_no_form(fresh_server, demo_url, page):
    names = swept(demo_url)
    for first, name in zip([True] + [False] * len(names), names):
        page.goto(f"{fresh_server}/{name}")
        if first:
            sign_in(page, FUNDER_EMAIL)  # once: the session's cookie keeps it on every page opened by its URL
        expect(page.get_by_text(f"Signed in as {FUNDER_EMAIL}")).to_be_visible()
        if name in FUNDER_PAGES:
            expect(main(page).get_by_test_id("stForm")).to_have_count(0)
            continue
        refused(page, "This page is not open to your account")


def test_a_team_key_opens_its_own_update_page_and_nothing_else(fresh_server, demo_url, accounts, page):
    for name in sorted(swept(demo_url), key=lambda name: name == "update"):  # the update page, which signs in, last
        page.goto(f"{fresh_server}/{name}?key={accounts}")
        if name == "update":
            expect(main(page).get_by_role("heading", name="Update Corona School")).to_be_visible()
            assert "key=" not in page.url  # the key does not stay in the address bar (or the history)
            expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)  # its one page: no menu of others
            expect(page.get_by_text("Signed in as team corona-school")).to_be_visible()
        elif name not in OPEN_TO_ANYONE:
            refused(page, "sign in in the sidebar")
    page.goto(f"{fresh_server}/portfolio")  # the team's session goes with it, and opens nothing more
    refused(page, "This page is not open to your account")
