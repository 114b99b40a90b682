"""The main journeys in a real browser: Debian's chromium, driven by Playwright, against `streamlit run`.

Screenshots land in artifacts/ for a person to look at.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from impact.domain.access import command_line
from impact.store import admin, auth, commands
from impact.store.db import make_engine
from tests.conftest import FUNDER_EMAIL, PASSWORD, ROOT, STAFF_EMAIL, TINY_PROGRAMME, load, on_sqlite_only, url_of
from tests.servers import contrast, pick, settled, sign_in, streamlit_server, type_date

ARTIFACTS = ROOT / "artifacts"


@pytest.fixture
def server(demo_server):
    return demo_server


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_shared_link_on_a_fresh_server_opens_reach_as_of_a_date(fresh_demo_server, page):
    # The server has run no session yet, the case where Streamlit would run the file under pages/ on its own
    # (ARCHITECTURE.md); the page must still come through dashboard.py's navigation.
    server = fresh_demo_server
    page.goto(f"{server}/reach?programme=wirvsvirus-2020&as_of=2021-04-30")
    values = page.get_by_test_id("stMetricValue")  # pupils, tutors, registrations: Corona School's figures
    expect(values).to_have_count(4)
    for index, text in enumerate(["20,000", "14,000", "1,000"]):
        expect(values.nth(index)).to_have_text(text)
    expect(page.get_by_test_id("stSidebarNav").get_by_role("link")).to_contain_text(["Overview", "Reach"])
    # It opens on people reached, the metric most projects report; pupils are Corona School's alone.
    expect(page.get_by_role("radio", name="People reached")).to_be_checked()
    page.get_by_text("Pupils", exact=True).last.click()
    expect(page.locator(".js-plotly-plot").nth(1).get_by_text("Corona School")).to_be_visible()
    screenshot(page, "reach")
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Overview").click()  # the link's date goes on
    expect(page.get_by_role("heading", name="#WirVsVirus 2020")).to_be_visible()
    expect(page).to_have_url(re.compile(r"as_of=2021-04-30"))


def test_the_overview_shows_the_funnel(server, page):
    page.goto(server)
    values = page.get_by_test_id("stMetricValue")
    expect(values).to_have_text(["28,000", "1,500", "130", "30"])
    flow = page.locator(".js-plotly-plot").first
    expect(flow.get_by_text("Launched: 30")).to_be_visible()
    expect(flow.get_by_text("Not funded: 1,370")).to_be_visible()
    expect(page.get_by_text("1 in 11.5 ideas funded")).to_be_visible()
    expect(page.get_by_text("Demo data, partly illustrative.")).to_be_visible()
    expect(page.get_by_text("Deploy")).to_have_count(0)
    # A node's hover label, like the chart's own text, reads at 4.5:1 at least (WCAG AA) against its box.
    flow.locator(".sankey-node").first.hover()
    label = flow.locator(".hoverlayer .hovertext")
    expect(label).to_contain_text("Ideas submitted: 1,500")
    text, box = (label.locator(part).first.evaluate("e => getComputedStyle(e).fill") for part in ("text", "path"))
    assert contrast(text, box) >= 4.5, (text, box)
    screenshot(page, "overview")


def test_picking_another_programme(server, page):
    page.goto(server)
    expect(page.get_by_test_id("stMetricValue").first).to_have_text("28,000")
    sign_in(page, FUNDER_EMAIL)
    pick(page, page.get_by_test_id("stSidebar"), "Programme", "Hackathon contre le Covid 2021")
    expect(page.get_by_test_id("stMetricValue")).to_have_text(["170", "15", "3", "1"])
    expect(page).to_have_url(re.compile(r"programme=hackathon-covid-2021"))
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Reach").click()  # the pick goes on with the visitor
    expect(page.get_by_role("heading", name="Reach of Hackathon contre le Covid 2021")).to_be_visible()
    expect(page).to_have_url(re.compile(r"programme=hackathon-covid-2021"))


def test_a_shared_project_link(server, page):
    page.goto(f"{server}/project?project=corona-school")
    expect(page.get_by_text("This page is for programme staff and funders: sign in")).to_be_visible()
    expect(page.get_by_text("Status history")).to_have_count(0)
    sign_in(page)
    expect(page.get_by_role("heading", name="Corona School")).to_be_visible()
    expect(page.get_by_text("Status history")).to_be_visible()
    expect(page.locator(".js-plotly-plot")).to_have_count(3)
    screenshot(page, "project")


def test_the_project_page_lists_projects_to_search_and_pick(server, page):
    page.goto(f"{server}/project?programme=wirvsvirus-2020")
    sign_in(page)
    expect(page.get_by_text("1,500 of 1,500 projects. Pick one to open it.")).to_be_visible()
    search = page.get_by_role("textbox", name="Search")  # the table's toolbar has a "Search" button too
    search.fill("corona school")
    search.press("Enter")
    expect(page.get_by_text("1 of 1,500 projects. Pick one to open it.")).to_be_visible()
    grid = page.get_by_test_id("stDataFrame").bounding_box()
    assert grid is not None
    page.mouse.click(grid["x"] + 18, grid["y"] + 35 + 17)  # the first row's selection box (the grid is a canvas)
    expect(page.get_by_role("heading", name="Corona School")).to_be_visible()
    expect(page.get_by_text("Live since 2020-06-03")).to_be_visible()
    assert "project=corona-school" in page.url
    screenshot(page, "project-picked")


def test_the_portfolio_by_a_shared_link(server, page):
    page.goto(f"{server}/portfolio?programme=hackathon-covid-2021")
    sign_in(page)
    expect(page.get_by_text("3 of 15 projects.")).to_be_visible()  # the funded ones
    screenshot(page, "portfolio")


HOSTILE_NOTE = "<img src=x onerror=alert(1)> ![tracker](http://evil.example/x.png) [click](javascript:alert(1))"


def test_a_team_sends_an_update_by_its_link_and_staff_approve_it(writable_demo, second_page, page):
    server, accounts = writable_demo.base, writable_demo.key
    team, staff = second_page, page
    team.set_viewport_size(PHONE)
    team.goto(f"{server}/update?key={accounts}")
    expect(team.get_by_role("heading", name="Update Corona School")).to_be_visible()
    team.get_by_role("tab", name="Update").click()
    team.get_by_role("textbox", name="What happened").fill(HOSTILE_NOTE)
    team.get_by_role("button", name="Send update").click()
    expect(team.get_by_text("Your update is recorded: waiting for staff review.")).to_be_visible()
    screenshot(team, "update-phone")

    staff.goto(f"{server}/review")
    sign_in(staff)
    waiting = staff.get_by_test_id("stSidebarNav").get_by_role("link", name=re.compile(r"Review queue \(\d+ waiting\)"))
    expect(waiting).to_be_visible()  # the menu says that something waits
    main = staff.get_by_test_id("stMain")
    expect(main.get_by_text(HOSTILE_NOTE, exact=True)).to_be_visible()  # as text, character for character
    assert main.locator("img, a[href^='javascript'], a[href*='alert']").count() == 0
    screenshot(staff, "review")
    main.get_by_role("button", name="Approve").click()
    expect(staff.get_by_text("Approved.")).to_be_visible()


def test_staff_import_a_french_spreadsheet_after_a_preview(engine, page, tmp_path):
    load(engine, tmp_path / "world", programmes__toml=TINY_PROGRAMME)  # its own database: the import writes
    admin.add_account(engine, command_line("tests"), STAFF_EMAIL, "staff", PASSWORD)
    projects = tmp_path / "projets.csv"
    projects.write_bytes("programme;slug;name;funding_amount;funding_currency\n"
                         "tiny;projet-ete;Projet été;47 500,50;EUR\n".encode("cp1252"))
    broken = tmp_path / "status.csv"
    broken.write_bytes(b"project;status;effective_date\nprojet-ete;idea;31/02/2021\n")
    with streamlit_server(url_of(engine)) as server:
        import_after_preview(page, server, projects, broken)


def import_after_preview(page, server, projects, broken):
    page.goto(f"{server}/files")
    sign_in(page)
    uploader = page.get_by_test_id("stFileUploaderDropzoneInput")
    uploader.set_input_files([str(projects), str(broken)])
    expect(page.get_by_text("cannot be imported as they are")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
    screenshot(page, "import-refused")
    page.get_by_role("button", name="Remove status.csv").click()
    expect(page.get_by_text("The import would")).to_be_visible()
    screenshot(page, "import-preview")
    page.get_by_role("button", name="Import", exact=True).click()
    imported = "Imported: 1 project added, 0 updated, 0 status events and 0 reach readings added."
    expect(page.get_by_text(imported)).to_be_visible()


PHONE = {"width": 390, "height": 844}  # an iPhone 12 to 15, upright


def open_the_menu(page: Page) -> None:
    """On a phone the sidebar starts closed, behind the button at the top left. A person opens it once the page has
    loaded; the test waits for that too (the script that closes the menu after a pick is part of the page)."""
    expect(page.locator('script[src$="/ui/sidebar.js"]')).to_be_attached()
    for _ in range(300):  # and has run (polled from here: the Content-Security-Policy forbids wait_for_function's eval)
        if page.evaluate("window.impactSidebarClosesAfterAPick === true"):
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError("impact/ui/static/sidebar.js did not run within 30 s")
    sidebar = page.get_by_test_id("stSidebar")
    if sidebar.get_attribute("data-collapsed") == "true":
        page.get_by_test_id("stExpandSidebarButton").click()
    expect(sidebar).to_have_attribute("data-collapsed", "false")


def expect_the_menu_closed(page: Page) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_have_attribute("data-collapsed", "true")
    expect(sidebar).not_to_be_in_viewport()


def test_on_a_phone_the_sidebar_closes_after_a_pick_and_stays_open_on_a_desktop(server, demo_url, second_page, page):
    on_sqlite_only(demo_url, "the menu's layout does not depend on the database")
    # A phone browser asking for the desktop site, a narrow window: Streamlit itself closes the menu after a pick
    # only for a phone's user agent, and this browser's is a desktop one (impact/ui/static/sidebar.js).
    phone = second_page
    phone.set_viewport_size(PHONE)
    phone.goto(f"{server}/overview?programme=wirvsvirus-2020")
    expect(phone.get_by_test_id("stMetricValue").first).to_have_text("28,000")
    expect_the_menu_closed(phone)
    open_the_menu(phone)
    screenshot(phone, "phone-menu")
    phone.get_by_test_id("stSidebarNav").get_by_role("link", name="Reach").click()
    expect(phone.get_by_role("heading", name="Reach of #WirVsVirus 2020")).to_be_visible()
    expect_the_menu_closed(phone)
    expect(phone.get_by_role("radio", name="People reached")).to_be_checked()
    phone.get_by_test_id("stRadio").get_by_text("Pupils", exact=True).click()  # the page is usable, not under the menu
    expect(phone.get_by_role("radio", name="Pupils")).to_be_checked()
    screenshot(phone, "phone-reach")
    phone.reload()  # and it stays closed: Streamlit keeps the sidebar's state in the browser
    expect(phone.get_by_role("heading", name="Reach of #WirVsVirus 2020")).to_be_visible()
    expect_the_menu_closed(phone)

    page.goto(f"{server}/overview?programme=wirvsvirus-2020")  # 1400 px: the sidebar lies beside the page
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Reach").click()
    expect(page.get_by_role("heading", name="Reach of #WirVsVirus 2020")).to_be_visible()
    expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "false")
    expect(page.get_by_test_id("stSidebarNav")).to_be_in_viewport()


def test_on_a_phone_staff_review_an_entry(writable_demo, page):
    server, accounts = writable_demo.base, writable_demo.key
    engine = make_engine(writable_demo.url)
    team = auth.sign_in_with_key(engine, accounts)
    note = "Phone review: 40 schools in Hamburg this month."
    commands.record_update(engine, team, team.project_id, note)
    engine.dispose()

    staff = page
    staff.set_viewport_size(PHONE)
    staff.goto(f"{server}/overview")
    open_the_menu(staff)
    sign_in(staff)
    open_the_menu(staff)
    staff.get_by_test_id("stSidebarNav").get_by_role("link", name=re.compile(r"Review queue")).click()
    expect(staff.get_by_role("heading", name="Review queue")).to_be_visible()
    expect_the_menu_closed(staff)
    entry = staff.get_by_test_id("stMain").get_by_test_id("stVerticalBlock").filter(
        has=staff.get_by_text(note, exact=True)).filter(has=staff.get_by_role("button", name="Approve")).last
    field = entry.get_by_role("textbox", name="Note to the team (needed to return)")
    field.scroll_into_view_if_needed()
    send_back = entry.get_by_role("button", name="Return to the team")
    for part in (field, entry.get_by_role("button", name="Approve"), send_back):
        box = part.bounding_box()
        assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"]  # nothing cut off
    field.fill("Which schools? Please add a link.")
    screenshot(staff, "review-phone")
    send_back.click()  # a click the open menu would have caught
    expect(staff.get_by_text("Returned to the team.")).to_be_visible()
    expect(staff.get_by_text(note, exact=True)).to_have_count(0)


def still_open(page: Page, name: str) -> None:
    """After a recorded or refused entry the page runs again, with a notice above the tabs or none: the tab the
    visitor was on is still the open one, so that what its form said is in view."""
    settled(page)
    expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")


def test_the_update_forms_empty_themselves_in_the_browser_once_recorded_and_keep_a_refused_one(writable_demo, page):
    # It leaves Corona School's team a figure, an update and a status change waiting for review (in a demo database
    # the reading tests do not share).
    server, accounts = writable_demo.base, writable_demo.key
    team = page
    team.goto(f"{server}/update?key={accounts}")
    expect(team.get_by_role("heading", name="Update Corona School")).to_be_visible()
    settled(team)
    main = team.get_by_test_id("stMain")
    today, yesterday = dt.date.today(), dt.date.today() - dt.timedelta(days=1)

    team.get_by_role("tab", name="Update").click()
    update = main.get_by_test_id("stForm").filter(has=team.get_by_role("button", name="Send update"))
    update.get_by_role("textbox", name="What happened").fill("hello there")
    update.get_by_role("textbox", name="Evidence link (http or https)").fill("https://example.org/hello")
    update.get_by_role("button", name="Send update").click()
    expect(team.get_by_text("Your update is recorded: waiting for staff review.")).to_be_visible()
    still_open(team, "Update")
    expect(update.get_by_role("textbox", name="What happened")).to_have_value("")  # what the browser shows
    expect(update.get_by_role("textbox", name="Evidence link (http or https)")).to_have_value("")
    update.get_by_role("button", name="Send update").click()  # a second tap sends the empty form, not "hello there"
    still_open(team, "Update")  # the refusal is said in the tab
    expect(main.get_by_text("The update is empty; write what happened.")).to_be_visible()
    update.get_by_role("textbox", name="What happened").fill("hello there")
    update.get_by_role("textbox", name="Evidence link (http or https)").fill("https://example.org/hello")
    update.get_by_role("button", name="Send update").click()  # the same again: refused, and what was typed stays
    still_open(team, "Update")
    expect(main.get_by_text("This update is the project's latest already; nothing new was recorded.")).to_be_visible()
    expect(update.get_by_role("textbox", name="What happened")).to_have_value("hello there")

    team.get_by_role("tab", name="Reach figure").click()
    reach = main.get_by_test_id("stForm").filter(has=team.get_by_role("button", name="Record figure"))
    pick(team, reach, "Metric", "People reached (people)")
    type_date(team, reach, "As of", yesterday.isoformat())
    reach.get_by_role("spinbutton", name="Total so far").fill("30000")
    reach.get_by_role("textbox", name="Note").fill("Counted at the schools.")
    reach.get_by_role("button", name="Record figure").click()
    expect(team.get_by_text(f"People reached: 30,000 as of {yesterday.isoformat()}: waiting for staff review.")
           ).to_be_visible()
    still_open(team, "Reach figure")
    expect(reach.get_by_role("spinbutton", name="Total so far")).to_have_value("")
    expect(reach.get_by_role("textbox", name="Note")).to_have_value("")
    expect(reach.get_by_role("combobox", name="Metric")).to_have_value("Pupils (pupils)")  # the first metric again
    expect(reach.get_by_role("spinbutton", name="day, As of")).to_have_attribute("aria-valuenow", str(today.day))
    screenshot(team, "update-emptied")

    team.get_by_role("tab", name="Status").click()
    status = main.get_by_test_id("stForm").filter(has=team.get_by_role("button", name="Record status"))
    pick(team, status, "New status", "Discontinued")
    status.get_by_role("textbox", name="Note").fill("The schools are open again.")
    status.get_by_role("button", name="Record status").click()
    main.get_by_role("button", name="Yes, it has stopped").click()
    expect(team.get_by_text(f"Discontinued from {today.isoformat()}: waiting for staff review.")).to_be_visible()
    still_open(team, "Status")
    expect(status.get_by_role("combobox", name="New status")).to_have_value("")  # nothing picked
    expect(status.get_by_role("textbox", name="Note")).to_have_value("")


def test_the_correction_form_empties_itself_in_the_browser_once_recorded(engine, page, tmp_path):
    load(engine, tmp_path / "world", programmes__toml=TINY_PROGRAMME,  # its own database: a correction counts at once
         projects__csv="programme,slug,name\ntiny,a,Project A\n",
         status_events__csv="project,status,effective_date\na,idea,2020-01-10\na,funded,2020-02-01\n")
    admin.add_account(engine, command_line("tests"), STAFF_EMAIL, "staff", PASSWORD)
    with streamlit_server(url_of(engine)) as server:
        page.goto(f"{server}/update?project=a")
        sign_in(page)
        expect(page.get_by_role("heading", name="Update Project A")).to_be_visible()
        settled(page)
        correct = page.get_by_test_id("stExpander").filter(has_text="Correct an entry (staff)")
        correct.get_by_text("Correct an entry (staff)").click()
        settled(page)  # the box opening
        correct.get_by_role("combobox", name="Entry").click()
        page.get_by_role("option", name="Funded, not started · 2020-02-01").click()
        settled(page)  # the pick's run draws the form
        type_date(page, correct, "Date", "2020-02-15")
        correct.get_by_role("textbox", name="What was wrong (required)").fill("The decision was on the 15th.")
        correct.get_by_role("button", name="Record correction").click()
        expect(page.get_by_text("Funded, not started from 2020-02-15: approved.")).to_be_visible()
        # Not the corrected entry still showing as picked, with no form under it: nothing picked.
        expect(correct.get_by_role("combobox", name="Entry")).to_have_value("")
        expect(correct.get_by_role("textbox", name="What was wrong (required)")).to_have_count(0)
        screenshot(page, "update-corrected")
        settled(page)
        correct.get_by_role("combobox", name="Entry").click()  # the box stays open for the next one
        page.get_by_role("option", name="Idea · 2020-01-10").click()
        expect(correct.get_by_role("textbox", name="What was wrong (required)")).to_have_value("")
