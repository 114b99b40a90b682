"""The portfolio, project, comparison and survival pages with AppTest on the demo data."""
import json

import pytest

from impact.domain.access import FUNDER, Actor
from impact.ui.tables import LAPTOP_ROOM
from tests.apptest import chart_texts, metrics, run, shown


@pytest.fixture
def demo_db(demo_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_url)


def table(at, index=0):
    return at.dataframe[index].value


def test_portfolio_lists_every_project_and_filters(demo_db):
    at = run("pages/portfolio.py", programme="wirvsvirus-2020")
    assert not at.exception
    assert len(table(at)) == 130  # the funded projects first; the ideas are one switch away
    days = table(at)["days_silent"]
    assert days.is_monotonic_decreasing  # the longest without an update first
    assert shown(at)["days_silent"].iloc[0] == f"{int(days.iloc[0]):,}"
    at.toggle(key="portfolio_funded_only").set_value(False).run()
    assert len(table(at)) == 1500
    cells = shown(at)
    assert "—" in set(cells["reach"]) and not cells.isin(["None", "nan", "<NA>", "NaT"]).any().any()
    at.multiselect(key="portfolio_status").set_value(["launched"]).run()
    assert not at.exception
    live = table(at)
    assert set(live["status"]) == {"Live"} and 0 < len(live) <= 30
    at.multiselect(key="portfolio_status").set_value([]).run()
    at.multiselect(key="portfolio_challenge").set_value(["019 e-Learning"]).run()
    assert set(table(at)["challenge"]) == {"019 e-Learning"}
    assert "Corona School" in set(table(at)["project"])
    at.multiselect(key="portfolio_challenge").set_value([]).run()
    at.toggle(key="portfolio_silent_only").set_value(True).run()
    assert (table(at)["days_silent"] > 90).all()
    at.number_input(key="portfolio_silent_days").set_value(36_500).run()
    assert len(table(at)) == 0
    assert [b.label for b in at.get("download_button")] == ["Download as CSV", "Download as Excel"]


def width_shown(at, index=0) -> int:
    """The widths the page gives the columns its table shows, added up (pixels)."""
    widths = {column: config.get("width") for column, config in json.loads(at.dataframe[index].proto.columns).items()}
    return sum(widths[column] for column in table(at, index).columns)


def test_the_portfolio_fits_a_laptops_screen(demo_db):
    # Staff, one programme, no contradiction stored: the plan and the silence, then the challenge while it fits
    # (45 + 145 + 115 + 130 + 80 + 110 + 80 + 155 + 75 = 935 of 936 pixels); the two dates no longer fit.
    at = run("pages/portfolio.py", programme="wirvsvirus-2020")
    assert not at.exception
    assert list(table(at).columns) == ["link", "project", "challenge", "status", "reach", "reach_metric",
                                       "target_share", "target_state", "days_silent"]
    assert width_shown(at) == 935 <= LAPTOP_ROOM
    # Two programmes: the programme's name takes the challenge's place.
    at.multiselect(key="portfolio_programmes").set_value(["wirvsvirus-2020", "hackathon-covid-2021"]).run()
    assert list(table(at).columns) == ["link", "project", "programme", "status", "reach", "reach_metric",
                                       "target_share", "target_state", "days_silent"]
    assert width_shown(at) == 935


def test_portfolio_of_two_programmes(demo_db):
    at = run("pages/portfolio.py", programme="wirvsvirus-2020")
    at.multiselect(key="portfolio_programmes").set_value(["wirvsvirus-2020", "hackathon-covid-2021"]).run()
    assert not at.exception
    assert len(table(at)) == 130 + 3  # funded ones
    assert "programme" in table(at).columns  # shown once there are two
    at.toggle(key="portfolio_funded_only").set_value(False).run()
    assert len(table(at)) == 1515


def test_a_project_by_its_link(demo_db):
    at = run("pages/project.py", project="corona-school", as_of="2021-04-30")
    assert not at.exception
    assert at.title[0].value == "Corona School"
    history = table(at)
    assert list(history["status"]) == ["Idea", "Funded, not started", "Live"]
    assert len(at.get("plotly_chart")) == 3  # pupils, registrations, tutors
    texts = [m.value for m in at.markdown]
    assert texts[0] == ":green-badge[Live since 2020-06-03]"
    # The updates feed, newest first: the two readings of 30 April 2021 (July's is after the date shown), then
    # the launch of 3 June 2020 ...; the oldest is the idea of 22 March 2020.
    feed = [text.split("  \n")[0] for text in texts if text.startswith("**20")]
    assert feed[:3] == ["**2021-04-30** · **Pupils\\: 20,000**", "**2021-04-30** · **Volunteer tutors\\: 14,000**",
                        "**2020-06-03** · **Status\\: Live**"]
    assert feed[-1] == "**2020-03-22** · **Status\\: Idea**" and len(feed) == 10


def test_an_unknown_project_is_explained_and_the_projects_are_listed(demo_db):
    at = run("pages/project.py", project="no-such-project")
    assert not at.exception
    assert "There is no project called “no\\-such\\-project”" in at.error[0].value
    assert len(table(at)) == 1500  # a list to pick from, not an empty search box
    at.text_input(key="project_search").set_value("corona SCHOOL").run()
    assert list(table(at)["project"]) == ["Corona School"]
    assert list(table(at)["link"]) == ["project?project=corona-school"]
    at.text_input(key="project_search").set_value("e-learning").run()  # a challenge's name finds its projects
    assert "Corona School" in set(table(at)["project"]) and set(table(at)["challenge"]) == {"019 e-Learning"}


def test_text_from_users_is_shown_as_text(tmp_path, monkeypatch, engine):
    from tests.conftest import TINY_PROGRAMME, load, url_of
    load(engine, tmp_path / "x", programmes__toml=TINY_PROGRAMME, projects__csv=(
        'programme,slug,name,summary,website\n'
        'tiny,x,X,"<img src=x onerror=alert(1)> ![tracker](http://evil.example/t.png) [click](javascript:alert(1))",'
        'https://example.org\n'))
    # Imports and forms refuse such a website now; one stored before that rule must still not become a link.
    from sqlalchemy import update

    from impact.store.models import Project
    with engine.begin() as conn:
        conn.execute(update(Project).where(Project.slug == "x").values(website="javascript:alert(1)"))
    monkeypatch.setenv("DATABASE_URL", url_of(engine))
    at = run("pages/project.py", project="x")
    assert not at.exception
    summary = at.markdown[1].value  # after the status badge
    assert "\\<img" in summary and "\\!\\[tracker\\]" in summary and "\\[click\\]\\(javascript\\:" in summary
    assert not at.get("link_button")  # a website that is not http(s) is not offered as a link


def test_compare_programmes(demo_db):
    at = run("pages/compare.py")
    assert not at.exception
    rows = table(at).set_index("programme")
    assert rows.loc["#WirVsVirus 2020", "funded"] == 130 and rows.loc["#WirVsVirus 2020", "launched"] == 30
    assert rows.loc["Hackathon contre le Covid 2021", "ideas"] == 15
    assert "23.1%" in chart_texts(at)  # launched per funded: 30 of 130
    assert width_shown(at) <= LAPTOP_ROOM  # every column on a laptop's screen, none behind a sideways scroll
    at.multiselect(key="compare_programmes").set_value(["wirvsvirus-2020"]).run()
    assert "Pick at least two programmes" in at.info[0].value


def test_compare_says_why_to_a_funder_who_reads_one_programme(demo_db):
    at = run("pages/compare.py", actor=Actor(FUNDER, "funder@example.org"))  # granted nothing: the public one only
    assert not at.exception
    assert "nothing to compare it with" in at.info[0].value
    assert not at.multiselect and not at.get("plotly_chart")


def test_time_to_launch_and_survival(demo_db):
    at = run("pages/survival.py", programme="wirvsvirus-2020")
    assert not at.exception
    assert metrics(at)["Funded"] == "130"
    assert len(at.get("plotly_chart")) == 2
    at = run("pages/survival.py", programme="wirvsvirus-2020", as_of="2020-04-01")
    assert "had been funded by 2020-04-01" in at.info[0].value
