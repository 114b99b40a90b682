"""Reach as of a date: cumulative readings, the latest carried forward, summed over projects, metric by metric.

The world (programme "tiny"; metrics people and pupils):
  A (challenge c1), people: 01-31 100, 03-31 300, 06-30 350 (a gap in April and May)
  A, pupils:                02-15 10, 05-15 25
  B (challenge c2), people: 02-29 50; 04-30 70 (recorded 05-01) and 80 (recorded 05-02: same day, later wins);
                            03-15 60, recorded only on 05-10 (a late-recorded earlier reading)
Programme people at each date, by hand:
  01-31 100 | 02-29 150 | 03-15 160 | 03-31 360 | 04-30 380 | 06-30 430
"""
import pytest

from impact.store.queries import reach_by, reach_latest, reach_totals
from tests.conftest import TINY_PROGRAMME, D, info, load

PROJECTS = """
    programme,slug,name,challenge
    tiny,a,Project A,c1
    tiny,b,Project B,c2
    tiny,c,Project C,c2
"""
READINGS = """
    project,metric,as_of,value,recorded_at
    a,people,2020-01-31,100,2020-02-01T12:00:00Z
    a,people,2020-03-31,300,2020-04-01T12:00:00Z
    a,people,2020-06-30,350,2020-07-01T12:00:00Z
    a,pupils,2020-02-15,10,2020-02-16T12:00:00Z
    a,pupils,2020-05-15,25,2020-05-16T12:00:00Z
    b,people,2020-02-29,50,2020-03-01T12:00:00Z
    b,people,2020-04-30,70,2020-05-01T12:00:00Z
    b,people,2020-04-30,80,2020-05-02T12:00:00Z
    b,people,2020-03-15,60,2020-05-10T12:00:00Z
"""


@pytest.fixture
def tiny(engine, tmp_path):
    load(engine, tmp_path / "tiny", programmes__toml=TINY_PROGRAMME, projects__csv=PROJECTS,
         reach_readings__csv=READINGS)
    return engine


def series(frame, **where):
    for column, value in where.items():
        frame = frame[frame[column] == value]
    return [(d.date().isoformat(), v, r) for d, v, r in zip(frame["as_of"], frame["value"], frame["reading"])]


def test_programme_total_over_time(tiny):
    totals = reach_totals(tiny, info(tiny, "tiny").id, D("2020-06-30"))
    assert series(totals, metric="people") == [
        ("2020-01-31", 100, True), ("2020-02-29", 150, True), ("2020-03-15", 160, True),
        ("2020-03-31", 360, True), ("2020-04-30", 380, True), ("2020-06-30", 430, True)]


def test_the_last_total_is_carried_forward_to_the_date_asked(tiny):
    totals = reach_totals(tiny, info(tiny, "tiny").id, D("2020-04-15"))
    assert series(totals, metric="people") == [
        ("2020-01-31", 100, True), ("2020-02-29", 150, True), ("2020-03-15", 160, True),
        ("2020-03-31", 360, True), ("2020-04-15", 360, False)]
    assert series(totals, metric="pupils") == [("2020-02-15", 10, True), ("2020-04-15", 10, False)]


def test_metrics_are_never_added_together(tiny):
    latest = reach_latest(tiny, info(tiny, "tiny").id, D("2020-06-30"))
    assert {r.metric: (r.value, r.projects) for r in latest.itertuples()} == {
        "people": (430, 2), "pupils": (25, 1)}


@pytest.mark.parametrize("day,people", [("2020-01-30", None), ("2020-03-14", 150), ("2020-05-01", 380),
                                        ("2021-01-01", 430)])
def test_reach_at_a_date_is_the_sum_of_each_projects_latest_reading(tiny, day, people):
    latest = reach_latest(tiny, info(tiny, "tiny").id, D(day))
    values = dict(zip(latest["metric"], latest["value"]))
    assert values.get("people") == people


def test_per_project_largest_first(tiny):
    frame = reach_by(tiny, info(tiny, "tiny").id, D("2020-06-30"), "people", "project")
    assert series(frame, group="Project A") == [("2020-01-31", 100, True), ("2020-03-31", 300, True),
                                                ("2020-06-30", 350, True)]
    assert series(frame, group="Project B") == [("2020-02-29", 50, True), ("2020-03-15", 60, True),
                                                ("2020-04-30", 80, True), ("2020-06-30", 80, False)]
    assert frame["group"].unique().tolist() == ["Project A", "Project B"]


def test_per_project_keeps_only_the_top_ones(tiny):
    frame = reach_by(tiny, info(tiny, "tiny").id, D("2020-06-30"), "people", "project", limit=1)
    assert frame["group"].unique().tolist() == ["Project A"]


def test_per_challenge(tiny):
    frame = reach_by(tiny, info(tiny, "tiny").id, D("2020-03-31"), "people", "challenge")
    assert series(frame, group="Challenge one") == [("2020-01-31", 100, True), ("2020-03-31", 300, True)]
    assert series(frame, group="Challenge two") == [("2020-02-29", 50, True), ("2020-03-15", 60, True),
                                                    ("2020-03-31", 60, False)]


def test_a_programme_without_readings_has_no_reach(engine, tmp_path):
    load(engine, tmp_path / "e", programmes__toml=TINY_PROGRAMME, projects__csv=PROJECTS)
    programme = info(engine, "tiny")
    assert reach_latest(engine, programme.id, D("2021-01-01")).empty
    assert reach_totals(engine, programme.id, D("2021-01-01")).empty
    assert reach_by(engine, programme.id, D("2021-01-01"), "people", "project").empty


def test_recorded_times_in_other_zones_are_compared_as_instants(tiny, tmp_path):
    # 80 was recorded at 11:00+05:00, which is 06:00 UTC: before the 70 recorded at 10:00 UTC.
    load(tiny, tmp_path / "zones", reach_readings__csv="""
        project,metric,as_of,value,recorded_at
        c,people,2020-07-31,70,2020-08-01T10:00:00Z
        c,people,2020-07-31,80,2020-08-01T11:00:00+05:00
    """)
    latest = reach_latest(tiny, info(tiny, "tiny").id, D("2020-08-01"))
    assert dict(zip(latest["metric"], latest["value"]))["people"] == 350 + 80 + 70


def test_projects_that_share_a_name_stay_apart(engine, tmp_path):
    load(engine, tmp_path / "names", programmes__toml=TINY_PROGRAMME, projects__csv="""
        programme,slug,name
        tiny,app-berlin,Corona App
        tiny,app-hamburg,Corona App
    """, reach_readings__csv="""
        project,metric,as_of,value
        app-berlin,people,2020-01-31,100
        app-hamburg,people,2020-02-29,5
        app-berlin,people,2020-03-31,300
    """)
    frame = reach_by(engine, info(engine, "tiny").id, D("2020-03-31"), "people", "project")
    assert series(frame, group="Corona App (app-berlin)") == [("2020-01-31", 100, True), ("2020-03-31", 300, True)]
    assert series(frame, group="Corona App (app-hamburg)") == [("2020-02-29", 5, True), ("2020-03-31", 5, False)]
