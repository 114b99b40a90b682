"""Which entry is the latest, and which entries count (impact.domain.entries): every reader and writer agrees.

The rule: at a date D a project's status is its counting event (approved, not superseded by an approved
correction) with the latest effective date on or before D, ties going to the latest recorded (recorded_at), then
the highest id; a reading likewise by as_of, recorded_at, id. The cases below are those where a page once
ordered by insertion id, or forgot a correction.

The world: programme "tiny" with project a: idea 2020-01-10, funded 2020-02-01 (loaded from a file).
"""
import datetime as dt

import pytest

from impact.domain.access import command_line
from impact.store import admin, auth, commands
from impact.store.history import review_queue
from impact.store.portfolio import portfolio
from impact.store.project import project_info, project_reach
from impact.store.queries import funded_status_at
from tests.apptest import run
from tests.conftest import TINY_PROGRAMME, D, info, load

PROJECTS = "programme,slug,name\ntiny,a,Project A\n"
EVENTS = """
    project,status,effective_date,recorded_at
    a,idea,2020-01-10,2020-01-10T12:00:00Z
    a,funded,2020-02-01,2020-02-01T12:00:00Z
"""
STAFF = command_line("staff-member")
TODAY = dt.date.today()


@pytest.fixture
def world(engine, tmp_path, monkeypatch):
    load(engine, tmp_path / "tiny", programmes__toml=TINY_PROGRAMME, projects__csv=PROJECTS,
         status_events__csv=EVENTS)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))  # for the pages
    return engine


def project_a(engine) -> int:
    found = project_info(engine, "a")
    assert found is not None
    return found.id


def team_a(engine):
    return auth.sign_in_with_key(engine, admin.issue_key(engine, STAFF, "a").key)


def row_of(table, slug: str) -> dict:
    return table.set_index("slug").loc[slug].to_dict()


def test_a_file_event_recorded_earlier_on_the_same_day_does_not_win_over_a_later_staff_entry(world, tmp_path):
    """Staff record in_development on 2020-03-01 now; then a file brings discontinued on 2020-03-01, recorded on
    2020-03-02 (earlier than now, though inserted later). By the rule the latest recorded stands: in development,
    from which the project may go on to launched or discontinued. Every reader and writer must say so."""
    a = project_a(world)
    commands.record_status_change(world, STAFF, a, "in_development", D("2020-03-01"), note="Work started.")
    load(world, tmp_path / "later", status_events__csv="""
        project,status,effective_date,recorded_at,note
        a,discontinued,2020-03-01,2020-03-02T09:00:00Z,The team paused.
    """)
    programme = info(world, "tiny")

    status = row_of(portfolio(world, [programme.id], TODAY), "a")
    assert (status["status"], status["status_since"]) == ("in_development", D("2020-03-01"))
    choice = commands.status_choice(world, a)
    assert (choice.current, choice.since) == ("in_development", D("2020-03-01"))
    assert choice.options == ("launched", "discontinued")
    counted = funded_status_at(world, programme.id, TODAY).set_index("status")["projects"]
    assert (counted["in_development"], counted["discontinued"]) == (1, 0)

    page = run("pages/update.py", project="a")
    assert not page.exception
    assert page.metric[0].value == "In development"
    assert page.selectbox(key="new_status").options == ["Live", "Discontinued"]

    # What the form offers is what the write accepts.
    commands.record_status_change(world, STAFF, a, "launched", D("2020-04-01"))
    assert row_of(portfolio(world, [programme.id], TODAY), "a")["status"] == "launched"


def test_the_review_queue_compares_with_the_corrected_status_not_the_replaced_one(world, tmp_path):
    """in_development on 2020-03-01 is corrected to launched on 2020-02-15: a pending discontinuation on 2020-04-01
    follows launched (the corrected entry), not in_development (the replaced one, though dated later)."""
    a = project_a(world)
    developing = commands.record_status_change(world, STAFF, a, "in_development", D("2020-03-01"))
    commands.record_status_change(world, STAFF, a, "launched", D("2020-02-15"), note="It was live already.",
                                  supersedes_id=developing.id)
    commands.record_status_change(world, team_a(world), a, "discontinued", D("2020-04-01"), note="No users.")
    programme = info(world, "tiny")
    assert row_of(portfolio(world, [programme.id], D("2020-04-01")), "a")["status"] == "launched"
    assert list(review_queue(world)[["what", "previous"]].itertuples(index=False, name=None)) == [
        ("discontinued", "launched")]


def test_a_corrected_reading_is_not_the_one_a_new_reading_follows(world, tmp_path):
    """100 as of 2020-03-31 is corrected to 80 as of 2020-03-15. A team's 90 as of 2020-04-30 follows the 80: it needs
    no note, and the queue does not flag it as lower."""
    a = project_a(world)
    first = commands.record_reach_reading(world, STAFF, a, "people", D("2020-03-31"), 100)
    commands.record_reach_reading(world, STAFF, a, "people", D("2020-03-15"), 80, note="Counted twice.",
                                  supersedes_id=first.id)
    commands.record_reach_reading(world, team_a(world), a, "people", D("2020-04-30"), 90)
    reach = project_reach(world, a, D("2020-04-30"))
    assert list(reach[reach["reading"]]["value"]) == [80]
    assert list(review_queue(world)[["value", "previous", "lower"]].itertuples(index=False, name=None)) == [
        (90, 80, False)]


def test_a_new_reading_follows_the_latest_recorded_not_the_latest_inserted(world, tmp_path):
    """Staff record 100 people as of 2020-03-31 now; then a file brings 120 as of 2020-03-31 recorded on 2020-04-01
    (earlier than now, inserted later). The reach on 2020-03-31 is 100, so a team's 110 as of 2020-04-30 needs no
    note, while 95 does and is compared with the 100."""
    a = project_a(world)
    commands.record_reach_reading(world, STAFF, a, "people", D("2020-03-31"), 100)
    load(world, tmp_path / "later", reach_readings__csv="""
        project,metric,as_of,value,recorded_at
        a,people,2020-03-31,120,2020-04-01T00:00:00Z
    """)
    status = row_of(portfolio(world, [info(world, "tiny").id], D("2020-03-31")), "a")
    assert (status["reach"], status["reach_as_of"]) == (100, D("2020-03-31"))
    team = team_a(world)
    with pytest.raises(commands.CommandError, match="lower than the reading of 100 on 2020-03-31"):
        commands.record_reach_reading(world, team, a, "people", D("2020-04-30"), 95)
    commands.record_reach_reading(world, team, a, "people", D("2020-04-30"), 110)
    assert list(review_queue(world)[["value", "previous", "lower"]].itertuples(index=False, name=None)) == [
        (110, 100, False)]
