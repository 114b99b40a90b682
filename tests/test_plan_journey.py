"""Plan against actual from end to end, in a real browser against `python -m impact serve`, then in the funder
report's PDF: staff set a target and a milestone on the project page and a programme target on the Programmes page,
the team reports its figure and marks the milestone done by its key link, staff approve both from the review queue,
and the project page, the portfolio, the Reach page and the report's pages (as images and as text) show it.

The world (SQLite; dates relative to T, the day the test runs, as the forms take today's date):
  programme "tiny" (metrics people and pupils); projects a (funded; its team has a key) and b (funded).
  a: people 1,000 on 2021-01-01. b: people 500 on 2021-01-01, and a target from targets.csv: 2,000 people by
  T+100, from 0 on T-100, agreed on 2021-01-01.
What the journey adds: staff set a's target, 10,000 people by T+100 from 0 on T-100 (agreed today), its milestone
"App in the stores" planned for T+30, and the programme's target, 10,000 people by T+100 from 0 on T-100; the team
reports 6,000 people on T and the milestone done on T.
By hand, at T (halfway from T-100 to T+100, so the straight line stands at half the target):
  a: 6,000 of 10,000 = 60.0%, on track (line at 5,000). b: 500 of 2,000 = 25.0%, behind (line at 1,000).
  the programme: 6,000 + 500 = 6,500 of 10,000 = 65.0%, on track (line at 5,000).
"""
from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from typing import NamedTuple

import pytest
from playwright.sync_api import Page, expect

from impact.domain.access import command_line
from impact.formats import report
from impact.store import admin
from impact.store.db import make_engine
from tests.conftest import CHROMIUM, PASSWORD, ROOT, STAFF_EMAIL, TINY_PROGRAMME, info, load
from tests.databases import sqlite_copy
from tests.servers import pick, settled, sign_in, streamlit_server, type_date

ARTIFACTS = ROOT / "artifacts"


class Days(NamedTuple):
    """The journey's dates: T (the day the journey starts, which the forms take as today) and those around it."""

    t: dt.date
    start: dt.date  # T-100
    due: dt.date  # T+100
    planned: dt.date  # T+30


@pytest.fixture(scope="module")
def days() -> Days:
    """Taken when the journey starts, not when the tests are collected: a run may pass midnight before it."""
    t = dt.date.today()
    return Days(t, t - dt.timedelta(days=100), t + dt.timedelta(days=100), t + dt.timedelta(days=30))


@pytest.fixture(scope="module")
def world(sqlite_schema, tmp_path_factory, days):
    engine = make_engine(sqlite_copy(sqlite_schema, tmp_path_factory.mktemp("journey")))
    load(engine, tmp_path_factory.mktemp("files"), programmes__toml=TINY_PROGRAMME,
         projects__csv="programme,slug,name\ntiny,a,Project A\ntiny,b,Project B\n",
         status_events__csv="project,status,effective_date\na,idea,2020-01-10\na,funded,2020-02-01\n"
                            "b,idea,2020-01-10\nb,funded,2020-02-15\n",
         reach_readings__csv="project,metric,as_of,value\na,people,2021-01-01,1000\nb,people,2021-01-01,500\n",
         targets__csv=f"project,metric,due_on,value,baseline_on,baseline_value,set_on\n"
                      f"b,people,{days.due},2000,{days.start},0,2021-01-01\n")
    admin.add_account(engine, command_line("tests"), STAFF_EMAIL, "staff", PASSWORD)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def server(world):
    with streamlit_server(world.url.render_as_string(hide_password=False)) as base:
        yield base


def screenshot(page: Page, name: str) -> None:
    """The page once its run has ended (a rerun leaves the elements it has not redrawn yet greyed out)."""
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def staff_set_the_plan(page: Page, server: str, days: Days) -> None:
    page.goto(f"{server}/project?project=a")
    sign_in(page)
    expect(page.get_by_text("No target or milestone was set for this project by")).to_be_visible()
    page.get_by_text("Set a target or a milestone (staff)").click()
    target = page.get_by_test_id("stForm").filter(has_text="A target")
    pick(page, target, "Metric", "People reached")
    target.get_by_label("Target value").fill("10000")
    type_date(page, target, "By", days.due)
    type_date(page, target, "Baseline date", days.start)
    target.get_by_role("button", name="Set the target").click()
    expect(page.get_by_text("Target set.")).to_be_visible()
    # Agreed today, 1,000 people reached of 10,000: 10.0%, behind the line at 5,000.
    expect(page.get_by_test_id("stMetric").filter(has_text="People reached").get_by_test_id("stMetricValue")
           ).to_have_text("10.0% of target")
    milestone = page.get_by_test_id("stForm").filter(has_text="A milestone")  # in the box, which stays open
    milestone.get_by_label("Milestone", exact=True).fill("App in the stores")
    type_date(page, milestone, "Planned for", days.planned)
    milestone.get_by_role("button", name="Record the milestone").click()
    expect(page.get_by_text("Milestone recorded.")).to_be_visible()
    expect(page.get_by_text(f"App in the stores · planned for {days.planned}")).to_be_visible()

    page.goto(f"{server}/programmes")
    page.get_by_role("tab", name="Programme targets").click()
    programme = page.get_by_test_id("stForm").filter(has_text="Target for")
    pick(page, programme, "Target for", "People reached")
    programme.get_by_label("Target value").fill("10000")
    type_date(page, programme, "By", days.due)
    type_date(page, programme, "Baseline date", days.start)
    programme.get_by_role("button", name="Set the programme target").click()
    expect(page.get_by_text("Programme target set.")).to_be_visible()


def team_reports(team: Page, server: str, key: str, days: Days) -> None:
    team.goto(f"{server}/update?key={key}")
    expect(team.get_by_role("heading", name="Update Project A")).to_be_visible()
    team.get_by_role("tab", name="Reach figure").click()
    reading = team.get_by_test_id("stForm").filter(has_text="Total so far")
    expect(reading.get_by_role("combobox", name="Metric")).to_have_value("People reached (people)")
    reading.get_by_role("spinbutton", name="Total so far").fill("6000")
    reading.get_by_role("button", name="Record figure").click()
    expect(team.get_by_text(f"People reached: 6,000 as of {days.t}: waiting for staff review.")).to_be_visible()
    team.get_by_role("tab", name="Targets and milestones").click()
    milestone = team.get_by_test_id("stForm").filter(has_text="A milestone")
    milestone.get_by_label("Milestone", exact=True).fill("App in the stores")
    type_date(team, milestone, "Planned for", days.planned)
    type_date(team, milestone, "Done on (empty: not yet)", days.t)
    milestone.get_by_label("Evidence link (http or https)").fill("https://example.org/app")
    pick(team, milestone, "Replaces", f"App in the stores (planned for {days.planned})")
    milestone.get_by_role("button", name="Record the milestone").click()
    expect(team.get_by_text("waiting for staff review.")).to_be_visible()
    expect(team.get_by_text(f"Waiting for review: Milestone “App in the stores”, done on {days.t}, "
                            f"planned for {days.planned}.")).to_be_visible()
    settled(team)  # the rerun over: the form drawn before it is gone
    expect(team.get_by_role("textbox", name="Milestone", exact=True)).to_have_count(1)
    expect(milestone.get_by_label("Milestone", exact=True)).to_have_value("")  # the form emptied itself
    screenshot(team, "plan-journey-update")


def staff_approve(page: Page, server: str) -> None:
    page.goto(f"{server}/review")
    menu = page.get_by_test_id("stSidebarNav")
    expect(menu.get_by_role("link", name="Review queue (2 waiting)")).to_be_visible()
    expect(page.get_by_test_id("stMetric").filter(has_text="People reached").get_by_test_id("stMetricValue")
           ).to_have_text("6,000")
    screenshot(page, "plan-journey-review")
    page.get_by_role("button", name="Approve").first.click()
    expect(menu.get_by_role("link", name="Review queue (1 waiting)")).to_be_visible()
    expect(page.get_by_role("button", name="Approve")).to_have_count(1)
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Nothing is waiting for review.")).to_be_visible()


def test_staff_plan_a_team_reports_staff_approve_and_every_page_and_the_pdf_show_plan_against_actual(
        world, server, page, second_page, tmp_path, days):
    staff_set_the_plan(page, server, days)
    team_reports(second_page, server, admin.issue_key(world, command_line("tests"), "a").key, days)  # no staff cookie
    staff_approve(page, server)

    page.goto(f"{server}/project?project=a")
    plan = page.get_by_test_id("stMetric").filter(has_text="People reached")
    expect(plan.get_by_test_id("stMetricValue")).to_have_text("60.0% of target")  # 6,000 of 10,000
    badge = page.get_by_test_id("stMain").locator("p").filter(has_text=re.compile(r"^\W*(check)?\s*(On track|Behind)$"))
    expect(badge).to_have_text(re.compile(r"On track$"))  # the line stands at 5,000
    expect(page.get_by_text(f"App in the stores · done on {days.t}")).to_be_visible()
    screenshot(page, "plan-journey-project")

    page.goto(f"{server}/portfolio?programme=tiny")
    expect(page.get_by_text("2 of 2 projects.")).to_be_visible()
    # The grid draws on a canvas; its hidden table for screen readers holds each row's values (shares unformatted).
    rows = page.get_by_test_id("stDataFrame").locator("tbody tr")
    expect(rows).to_have_count(2)
    columns = page.get_by_test_id("stDataFrame").locator("thead th").all_inner_texts()
    share, plan_state = columns.index("% of target"), columns.index("Plan")
    for project, shown_share, state in (("Project A", "0.6", "on track"), ("Project B", "0.25", "behind")):
        cells = rows.filter(has_text=project).locator("td")
        expect(cells.nth(share)).to_have_text(shown_share)
        expect(cells.nth(plan_state)).to_have_text(state)
    screenshot(page, "plan-journey-portfolio")
    page.get_by_text("Only behind target").click()
    expect(page.get_by_text("1 of 2 projects.")).to_be_visible()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Project B")

    page.goto(f"{server}/reach?programme=tiny")
    expect(page.get_by_text(f"Programme target: 6,500 of 10,000 people by {days.due} (65.0%), on track.")
           ).to_be_visible()
    expect(page.locator(".js-plotly-plot").first.get_by_text(f"Target: 10,000 by {days.due}")).to_be_visible()
    screenshot(page, "plan-journey-reach")

    the_pdf_shows_the_plan(world, tmp_path, days)


def the_pdf_shows_the_plan(world, folder, days: Days) -> None:
    """The funder report of that world as PDF: its "Plan against actual" section in the text of its pages, its
    tables each on one page, and the pages as images (artifacts/plan-journey-report-N.png) for a person to see."""
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    document = report.report_html(world, command_line("tests"), info(world, "tiny"), days.t)
    (folder / "report.pdf").write_bytes(report.report_pdf(document, CHROMIUM))
    pages = subprocess.run(["pdftotext", "-layout", str(folder / "report.pdf"), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    plan = [text for text in pages if "Plan against actual" in text]
    assert len(plan) == 1, "the section starts on one page"
    words = re.sub(r"[ \t]+", " ", plan[0])
    section = words[words.index("Plan against actual"):]
    # The programme's table and the projects' table, each whole on this page, and the count between them.
    assert f"People reached 6,500 10,000 {days.due} 65.0% on track" in section
    assert "Projects: 0 targets met, 1 on track, 1 behind." in section
    assert f"Project A People reached 6,000 10,000 {days.due} 60.0% on track" in section
    assert f"Project B People reached 500 2,000 {days.due} 25.0% behind" in section
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(folder / "report.pdf"), str(folder / "page")], check=True)
    ARTIFACTS.mkdir(exist_ok=True)
    for number, image in enumerate(sorted(folder.glob("page-*.png")), start=1):
        shutil.copy(image, ARTIFACTS / f"plan-journey-report-{number}.png")
    assert len(list(folder.glob("page-*.png"))) == len([text for text in pages if text.strip()])
