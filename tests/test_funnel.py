"""The funnel and the status of funded projects at several dates, on a small history computed by hand.

The world (programme "tiny", 100 participants declared, ideas counted from the records):
  A (challenge c1): idea 01-10, funded 02-01, launched 03-01, discontinued 06-01  (launched, later discontinued)
  B (challenge c1): idea 01-10, funded 02-15, in_development 02-20,
                    launched effective 03-10 but recorded only on 05-01         (a backdated event)
  C (challenge c2): idea 01-10, funded 03-01, then on 04-01 in_development (09:00) and discontinued (10:00)
                                                                                 (two events on the same day)
  D (challenge c2): idea 01-20
  E (no challenge): idea 02-10, discontinued 02-20                               (never funded)
"""
import datetime as dt

import pytest
from sqlalchemy.orm import Session

from impact.store.models import Project, StatusEvent
from impact.store.queries import (
    challenge_funnel_at,
    cost_per_reach_at,
    discontinued_between,
    funded_outcomes_at,
    funded_status_at,
    funding_at,
    funnel_at,
    launched_between,
)
from tests.conftest import TINY_PROGRAMME, D, info, load

PROJECTS = """
    programme,slug,name,challenge
    tiny,a,Project A,c1
    tiny,b,Project B,c1
    tiny,c,Project C,c2
    tiny,d,Project D,c2
    tiny,e,Project E,
"""
EVENTS = """
    project,status,effective_date,recorded_at,note
    a,idea,2020-01-10,2020-01-10T12:00:00Z,
    a,funded,2020-02-01,2020-02-01T12:00:00Z,
    a,launched,2020-03-01,2020-03-01T12:00:00Z,
    a,discontinued,2020-06-01,2020-06-01T12:00:00Z,switched off
    b,idea,2020-01-10,2020-01-10T12:00:00Z,
    b,funded,2020-02-15,2020-02-15T12:00:00Z,
    b,in_development,2020-02-20,2020-02-20T12:00:00Z,
    b,launched,2020-03-10,2020-05-01T12:00:00Z,recorded late
    c,idea,2020-01-10,2020-01-10T12:00:00Z,
    c,funded,2020-03-01,2020-03-01T12:00:00Z,
    c,in_development,2020-04-01,2020-04-01T09:00:00Z,
    c,discontinued,2020-04-01,2020-04-01T10:00:00Z,gave up the same day
    d,idea,2020-01-20,2020-01-20T12:00:00Z,
    e,idea,2020-02-10,2020-02-10T12:00:00Z,
    e,discontinued,2020-02-20,2020-02-20T12:00:00Z,no team
"""


@pytest.fixture
def tiny(engine, tmp_path):
    load(engine, tmp_path / "tiny", programmes__toml=TINY_PROGRAMME, projects__csv=PROJECTS, status_events__csv=EVENTS)
    return engine


def counts(engine, day):
    frame = funnel_at(engine, info(engine, "tiny"), D(day))
    return dict(zip(frame["stage"], frame["projects"]))


def statuses(engine, day):
    frame = funded_status_at(engine, info(engine, "tiny").id, D(day))
    return dict(zip(frame["status"], frame["projects"]))


@pytest.mark.parametrize("day,expected", [
    ("2019-12-31", dict(participants=0, ideas_submitted=0, funded=0, launched=0)),  # before the programme
    ("2020-01-15", dict(participants=100, ideas_submitted=3, funded=0, launched=0)),
    ("2020-02-16", dict(participants=100, ideas_submitted=5, funded=2, launched=0)),
    ("2020-03-09", dict(participants=100, ideas_submitted=5, funded=3, launched=1)),
    ("2020-03-10", dict(participants=100, ideas_submitted=5, funded=3, launched=2)),  # B's backdated launch
    ("2020-06-30", dict(participants=100, ideas_submitted=5, funded=3, launched=2)),  # A still counts
])
def test_funnel_at_dates(tiny, day, expected):
    assert counts(tiny, day) == expected


def test_funnel_shares_of_the_previous_stage(tiny):
    frame = funnel_at(tiny, info(tiny, "tiny"), D("2020-06-30"))
    assert frame["share_of_previous"].isna().tolist() == [True, False, False, False]
    assert frame["share_of_previous"].iloc[1:].tolist() == pytest.approx([5 / 100, 3 / 5, 2 / 3])
    assert frame["source"].tolist() == ["the organisers", "project records", "status history", "status history"]


def test_a_declared_ideas_figure_replaces_the_count_of_records(engine, tmp_path):
    declared = TINY_PROGRAMME + """
    [[programme.figure]]
    key = "ideas_submitted"
    label = "Ideas submitted"
    value = 50
    source = "press release"
    """
    load(engine, tmp_path / "t", programmes__toml=declared, projects__csv=PROJECTS, status_events__csv=EVENTS)
    frame = funnel_at(engine, info(engine, "tiny"), D("2020-06-30"))
    assert frame["projects"].tolist() == [100, 50, 3, 2]
    assert frame["share_of_previous"].iloc[1:].tolist() == pytest.approx([0.5, 3 / 50, 2 / 3])


@pytest.mark.parametrize("day,expected", [
    ("2020-02-16", dict(funded=2, in_development=0, launched=0, discontinued=0)),
    ("2020-02-20", dict(funded=1, in_development=1, launched=0, discontinued=0)),
    ("2020-03-10", dict(funded=1, in_development=0, launched=2, discontinued=0)),
    ("2020-04-01", dict(funded=0, in_development=0, launched=2, discontinued=1)),  # same day: later recorded wins
    ("2020-06-30", dict(funded=0, in_development=0, launched=1, discontinued=2)),  # E was never funded
])
def test_status_of_funded_projects_at_dates(tiny, day, expected):
    assert statuses(tiny, day) == expected


def test_funnel_per_challenge(tiny):
    frame = challenge_funnel_at(tiny, info(tiny, "tiny"), D("2020-06-30"))
    rows = {r.challenge: (r.ideas, r.funded, r.launched) for r in frame.itertuples()}
    assert rows == {"Challenge one": (2, 2, 2), "Challenge two": (2, 1, 0), "(no challenge)": (1, 0, 0)}
    assert frame["challenge"].tolist() == ["Challenge one", "Challenge two", "(no challenge)"]  # most funded first


def _add_event(engine, project, status, day, review_state="approved", supersedes=None):
    with Session(engine) as session, session.begin():
        project_id = session.query(Project.id).filter_by(slug=project).scalar()
        event = StatusEvent(project_id=project_id, status=status, effective_date=D(day), recorded_by="test",
                            review_state=review_state, supersedes_id=supersedes)
        session.add(event)
        session.flush()
        return event.id


def test_pending_and_returned_events_do_not_count(tiny):
    _add_event(tiny, "d", "funded", "2020-02-01", review_state="pending")
    _add_event(tiny, "d", "funded", "2020-02-01", review_state="returned")
    assert counts(tiny, "2020-06-30")["funded"] == 3
    assert statuses(tiny, "2020-06-30")["funded"] == 0


def test_a_correction_supersedes_the_wrong_event(tiny):
    with Session(tiny) as session:
        wrong = session.query(StatusEvent.id).join(Project).filter(
            Project.slug == "b", StatusEvent.status == "funded").scalar()
    assert counts(tiny, "2020-02-16")["funded"] == 2
    pending = _add_event(tiny, "b", "funded", "2020-02-25", review_state="pending", supersedes=wrong)
    assert counts(tiny, "2020-02-16")["funded"] == 2  # a pending correction changes nothing yet
    _add_event(tiny, "b", "funded", "2020-02-25", supersedes=wrong)
    assert counts(tiny, "2020-02-16")["funded"] == 1
    assert counts(tiny, "2020-02-25")["funded"] == 2
    assert pending != wrong


def test_an_empty_programme_has_an_empty_funnel(engine, tmp_path):
    load(engine, tmp_path / "e", programmes__toml=TINY_PROGRAMME)
    programme = info(engine, "tiny")
    assert counts(engine, "2020-06-30") == dict(participants=100, ideas_submitted=0, funded=0, launched=0)
    assert funded_status_at(engine, programme.id, dt.date.today())["projects"].sum() == 0
    assert challenge_funnel_at(engine, programme, dt.date.today())["ideas"].sum() == 0


def test_records_without_history_count_as_ideas_from_the_programmes_start(engine, tmp_path):
    load(engine, tmp_path / "t", programmes__toml=TINY_PROGRAMME, projects__csv=PROJECTS,
         status_events__csv="project,status,effective_date\na,idea,2020-03-10\n")
    assert counts(engine, "2019-06-01")["ideas_submitted"] == 0  # before the start: nothing yet
    assert counts(engine, "2020-01-01")["ideas_submitted"] == 4  # b, c, d, e have no history
    assert counts(engine, "2020-03-10")["ideas_submitted"] == 5


def outcomes(engine, day):
    frame = funded_outcomes_at(engine, info(engine, "tiny").id, D(day))
    return {(launched, status): n for launched, status, n in frame.itertuples(index=False) if n}


@pytest.mark.parametrize("day,expected", [
    ("2020-01-31", {}),
    ("2020-03-01", {(True, "launched"): 1, (False, "in_development"): 1, (False, "funded"): 1}),
    # A launched and later stopped: it is among the launched that were discontinued; C stopped before launching.
    ("2020-06-30", {(True, "discontinued"): 1, (True, "launched"): 1, (False, "discontinued"): 1}),
])
def test_what_became_of_the_funded_projects_launched_or_not(tiny, day, expected):
    assert outcomes(tiny, day) == expected


def test_the_flow_of_ideas_to_what_became_of_them(tiny):
    from impact.formats.charts import outcome_flows

    day, programme = D("2020-06-30"), info(tiny, "tiny")
    flows = outcome_flows(funnel_at(tiny, programme, day), funded_outcomes_at(tiny, programme.id, day))
    assert list(flows.itertuples(index=False, name=None)) == [
        ("Ideas submitted", "Not funded", 2), ("Ideas submitted", "Funded", 3),
        ("Funded", "Launched", 2), ("Launched", "Live", 1), ("Launched", "Discontinued", 1),
        ("Funded", "Not launched", 1), ("Not launched", "Discontinued", 1),
    ]


def test_the_flow_in_words(tiny):
    from impact.formats.charts import flow_summary

    day, programme = D("2020-06-30"), info(tiny, "tiny")
    words = flow_summary(funnel_at(tiny, programme, day), funded_outcomes_at(tiny, programme.id, day))
    # 3 of 5 ideas funded: 1 in 1.7; 2 of the 3 launched: 1 in 1.5; A stopped, B is live.
    assert words == ("3 of the 5 ideas were funded (1 in 1.7). Of those, 2 launched (1 in 1.5): 1 is live, "
                     "1 has stopped since.")
    early = D("2020-02-16")
    assert flow_summary(funnel_at(tiny, programme, early), funded_outcomes_at(tiny, programme.id, early)) == (
        "2 of the 5 ideas were funded (1 in 2.5). None of them has launched yet.")


MONEY_PROJECTS = """
    programme,slug,name,challenge,funding_amount,funding_currency
    tiny,a,Project A,c1,30000,EUR
    tiny,b,Project B,c1,50000,EUR
    tiny,c,Project C,c2,,
    tiny,d,Project D,c2,99999,EUR
    tiny,e,Project E,,
"""
MONEY_READINGS = """
    project,metric,as_of,value
    a,people,2020-04-01,100
    a,people,2020-05-01,250
    b,people,2020-05-01,1000
    c,people,2020-05-01,400
"""


def test_funding_and_cost_per_person_reached(engine, tmp_path):
    load(engine, tmp_path / "money", programmes__toml=TINY_PROGRAMME, projects__csv=MONEY_PROJECTS,
         status_events__csv=EVENTS, reach_readings__csv=MONEY_READINGS)
    programme = info(engine, "tiny").id
    # Funded by 2020-06-30: A, B (amounts) and C (none); D has an amount but was never funded.
    funding = funding_at(engine, programme, D("2020-06-30"))
    assert list(funding.itertuples(index=False, name=None)) == [("EUR", 2, 80000.0)]
    # A reached 250 (its latest reading), B 1,000; C reaches 400 but states no amount, so it is in neither sum.
    cost = cost_per_reach_at(engine, programme, D("2020-06-30"))
    assert list(cost.itertuples(index=False, name=None)) == [("people", "EUR", 2, 80000.0, 1250, 64.0)]
    # On 2020-04-15 only A's first reading exists (100 people) and only A and B were funded.
    early = cost_per_reach_at(engine, programme, D("2020-04-15"))
    assert list(early.itertuples(index=False, name=None)) == [("people", "EUR", 1, 30000.0, 100, 300.0)]


def test_what_changed_between_two_dates(tiny):
    programme = info(tiny, "tiny").id
    launched = launched_between(tiny, programme, D("2020-03-05"), D("2020-06-30"))
    assert list(launched["project"]) == ["Project B"]  # A launched on 03-01, before the window
    stopped = discontinued_between(tiny, programme, D("2020-03-31"), D("2020-06-30"))
    assert list(stopped[["project", "launched"]].itertuples(index=False, name=None)) == [
        ("Project A", True), ("Project C", False)]  # E stopped on 02-20, before the window


@pytest.mark.parametrize("day", ["2020-02-16", "2020-03-10", "2020-04-01", "2020-06-30"])
def test_the_status_breakdown_is_the_flow_summed(tiny, day):
    """funded_status_at has a query of its own (it is asked for every programme compared); it must say what the
    overview's flow says."""
    programme = info(tiny, "tiny").id
    summed = funded_outcomes_at(tiny, programme, D(day)).groupby("status", sort=False)["projects"].sum()
    assert dict(summed) == statuses(tiny, day)
