"""The portfolio table, one project's page data, programme comparison, time to launch and survival, on a small
history computed by hand.

The world (programme "tiny", 100 participants declared, silent after 90 days):
  A (c1, Team A): idea 01-10, funded 02-01 (recorded 02-02), launched 03-01 (rec. 03-05),
                  discontinued 06-01 (rec. 06-02); people reached 100 as of 03-31 (rec. 04-01), 250 as of 05-31
                  (rec. 06-01)
  B (c1):         idea 01-10, funded 02-15, launched 04-01 (rec. 04-02); pupils 40 as of 04-30, recorded only 07-01
  C (c2):         idea 01-10, funded 03-01, discontinued 03-31 (rec. 04-01)
  D (none):       idea 01-20
"""
import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest
from sqlalchemy.orm import Session

from impact.formats.cells import csv_bytes, excel_bytes, neutralise
from impact.store.compare import comparison
from impact.store.models import Project, StatusEvent
from impact.store.portfolio import portfolio, select_projects
from impact.store.project import project_info, project_reach, timeline
from impact.store.survival import funded_lifetimes, survival_curve
from tests.conftest import TINY_PROGRAMME, D, info, load

PROJECTS = """
    programme,slug,name,challenge,team
    tiny,a,Project A,c1,Team A
    tiny,b,Project B,c1,
    tiny,c,Project C,c2,
    tiny,d,Project D,,
"""
EVENTS = """
    project,status,effective_date,recorded_at,note
    a,idea,2020-01-10,2020-01-10T12:00:00Z,
    a,funded,2020-02-01,2020-02-02T12:00:00Z,
    a,launched,2020-03-01,2020-03-05T12:00:00Z,
    a,discontinued,2020-06-01,2020-06-02T12:00:00Z,switched off
    b,idea,2020-01-10,2020-01-10T12:00:00Z,
    b,funded,2020-02-15,2020-02-15T12:00:00Z,
    b,launched,2020-04-01,2020-04-02T12:00:00Z,
    c,idea,2020-01-10,2020-01-10T12:00:00Z,
    c,funded,2020-03-01,2020-03-01T12:00:00Z,
    c,discontinued,2020-03-31,2020-04-01T12:00:00Z,team left
    d,idea,2020-01-20,2020-01-20T12:00:00Z,
"""
READINGS = """
    project,metric,as_of,value,recorded_at
    a,people,2020-03-31,100,2020-04-01T12:00:00Z
    a,people,2020-05-31,250,2020-06-01T12:00:00Z
    b,pupils,2020-04-30,40,2020-07-01T12:00:00Z
"""


@pytest.fixture
def tiny(engine, tmp_path):
    load(engine, tmp_path / "tiny", programmes__toml=TINY_PROGRAMME, projects__csv=PROJECTS,
         status_events__csv=EVENTS, reach_readings__csv=READINGS)
    return engine


def rows(frame, *columns):
    return {r.slug: tuple(None if pd.isna(getattr(r, c)) else getattr(r, c) for c in columns)
            for r in frame.itertuples()}


def test_portfolio_as_of_a_date(tiny):
    frame = portfolio(tiny, [info(tiny, "tiny").id], D("2020-06-30"))
    assert list(frame["slug"]) == ["a", "b", "c", "d"]
    assert rows(frame, "challenge", "team", "status", "status_since") == {
        "a": ("Challenge one", "Team A", "discontinued", D("2020-06-01")),
        "b": ("Challenge one", "", "launched", D("2020-04-01")),
        "c": ("Challenge two", "", "discontinued", D("2020-03-31")),
        "d": ("(no challenge)", "", "idea", D("2020-01-20")),
    }
    # B's pupils reading of 04-30 counts for 06-30, though it was sent only on 07-01 (what we know now about
    # 06-30, as everywhere); it is not an update B had sent by 06-30.
    assert rows(frame, "reach", "reach_metric", "reach_as_of") == {
        "a": (250, "People reached", D("2020-05-31")), "b": (40, "Pupils", D("2020-04-30")),
        "c": (None, None, None), "d": (None, None, None)}
    assert rows(frame, "last_update", "days_silent") == {
        "a": (D("2020-06-02"), 28), "b": (D("2020-04-02"), 89), "c": (D("2020-04-01"), 90),
        "d": (D("2020-01-20"), 162)}


def test_portfolio_a_month_later_counts_the_late_reading_as_an_update(tiny):
    frame = portfolio(tiny, [info(tiny, "tiny").id], D("2020-07-31"))
    assert rows(frame, "reach", "reach_metric", "last_update", "days_silent")["b"] == (
        40, "Pupils", D("2020-07-01"), 30)


def test_a_correction_changes_the_status_but_not_when_the_team_last_sent_an_update(tiny):
    with Session(tiny) as session, session.begin():
        wrong = session.query(StatusEvent).join(Project).filter(Project.slug == "a",
                                                               StatusEvent.status == "funded").one()
        session.add(StatusEvent(project_id=wrong.project_id, status="funded", effective_date=D("2020-02-10"),
                                recorded_at=dt.datetime(2020, 6, 20, tzinfo=dt.timezone.utc),
                                recorded_by="staff", supersedes_id=wrong.id))
    frame = portfolio(tiny, [info(tiny, "tiny").id], D("2020-02-05"))
    # Corrected: A was funded from 02-10, so on 02-05 it was still an idea; its last update stays 02-02.
    assert rows(frame, "status", "status_since", "last_update")["a"] == ("idea", D("2020-01-10"), D("2020-02-02"))


def test_portfolio_before_anything_happened(tiny):
    frame = portfolio(tiny, [info(tiny, "tiny").id], D("2020-01-05"))
    assert frame["status"].isna().all() and frame["days_silent"].isna().all()


def test_a_project_and_its_history(tiny):
    project = project_info(tiny, "a")
    assert (project.name, project.programme, project.challenge, project.team) == (
        "Project A", "Tiny hackathon", "Challenge one", "Team A")
    assert project_info(tiny, "nope") is None
    history = timeline(tiny, project.id)
    assert list(history["status"]) == ["idea", "funded", "launched", "discontinued"]
    assert list(history["note"])[-1] == "switched off"
    assert not history["superseded"].any()
    reach = project_reach(tiny, project.id, D("2020-06-30"))
    assert list(zip(reach["metric"], reach["as_of"].dt.date, reach["value"], reach["reading"])) == [
        ("people", D("2020-03-31"), 100, True), ("people", D("2020-05-31"), 250, True),
        ("people", D("2020-06-30"), 250, False)]
    assert project_reach(tiny, project.id, D("2020-04-15"))["value"].tolist() == [100, 100]


def test_programmes_side_by_side(tiny, tmp_path):
    load(tiny, tmp_path / "other", programmes__toml='[[programme]]\nslug = "other"\nname = "Other"\n')
    frame = comparison(tiny, [info(tiny, "tiny"), info(tiny, "other")], D("2020-06-30")).set_index("programme")
    tiny_row = frame.loc["Tiny hackathon"]
    assert (tiny_row.participants, tiny_row.ideas, tiny_row.funded, tiny_row.launched, tiny_row.alive) == (
        100, 4, 3, 2, 1)
    assert (tiny_row.funded_per_idea, tiny_row.launched_per_funded, tiny_row.alive_share) == pytest.approx(
        (3 / 4, 2 / 3, 1 / 3))
    other = frame.loc["Other"]
    assert pd.isna(other.participants) and other.ideas == 0
    assert pd.isna(other.funded_per_idea) and pd.isna(other.alive_share)


def test_time_to_launch_and_lifetimes(tiny):
    frame = funded_lifetimes(tiny, info(tiny, "tiny").id, D("2020-06-30"))
    assert list(frame["project"]) == ["Project A", "Project B", "Project C"]
    assert [None if pd.isna(d) else d for d in frame["days_to_launch"]] == [29, 46, None]
    assert list(frame["ended"]) == [True, False, True]
    assert frame["months_observed"].tolist() == pytest.approx([121 / 30.4375, 136 / 30.4375, 30 / 30.4375])


def test_survival_of_the_tiny_world(tiny):
    curve = survival_curve(funded_lifetimes(tiny, info(tiny, "tiny").id, D("2020-06-30")))
    assert curve["alive_share"].tolist() == pytest.approx([1, 2 / 3, 1 / 3, 1 / 3])
    assert curve["at_risk"].tolist() == [3, 3, 2, 1]
    assert curve["censored"].tolist() == [0, 0, 0, 1]


def test_kaplan_meier_on_a_textbook_example():
    # Times 1, 2, 2+, 3, 4+ (+: still running): S = 4/5, then 4/5 * 3/4 = 3/5, then 3/5 * 1/2 = 3/10.
    lifetimes = pd.DataFrame({"months_observed": [1.0, 2.0, 2.0, 3.0, 4.0],
                              "ended": [True, True, False, True, False]})
    curve = survival_curve(lifetimes)
    assert curve["months"].tolist() == [0, 1, 2, 3, 4]
    assert curve["alive_share"].tolist() == pytest.approx([1, 0.8, 0.6, 0.3, 0.3])
    assert curve["at_risk"].tolist() == [5, 5, 4, 2, 1]


@pytest.mark.parametrize("text", ["=1+1", "+49 30 123", "-2", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_cells_are_neutralised(text):
    assert neutralise(text) == "'" + text


def test_downloads_are_safe_and_complete():
    frame = pd.DataFrame({"project": ["=HYPERLINK(\"http://x\")", "Corona School"], "reach": [5, 20000]})
    assert csv_bytes(frame).decode("utf-8-sig").splitlines() == [
        "project,reach", "\"'=HYPERLINK(\"\"http://x\"\")\",5", "Corona School,20000"]
    sheet = openpyxl.load_workbook(io.BytesIO(excel_bytes(frame))).active
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["project", "reach"], ["'=HYPERLINK(\"http://x\")", 5], ["Corona School", 20000]]
    assert sheet["A2"].data_type == "s"  # text, not a formula


def test_filters_of_the_portfolio(tiny):
    table = portfolio(tiny, [info(tiny, "tiny").id], D("2020-06-30"))
    slugs = lambda frame: list(frame["slug"])  # noqa: E731
    assert slugs(select_projects(table)) == ["a", "b", "c", "d"]
    assert slugs(select_projects(table, statuses=["discontinued"])) == ["a", "c"]
    assert slugs(select_projects(table, challenges=["Challenge one"])) == ["a", "b"]
    assert slugs(select_projects(table, statuses=["discontinued"], challenges=["Challenge one"])) == ["a"]
    assert slugs(select_projects(table, silent_for_more_than=89)) == ["c", "d"]  # 90 and 162 days
    assert slugs(select_projects(table, silent_for_more_than=90)) == ["d"]
    before = portfolio(tiny, [info(tiny, "tiny").id], D("2020-01-05"))
    assert slugs(select_projects(before, silent_for_more_than=90)) == ["a", "b", "c", "d"]  # nothing recorded yet
