"""The days of reach (reach_daily, kept by impact.store.increments) stay those of the counting history through every
kind of write, and the programme's reach and projects reporting read from them are the hand-computed ones.

A day of a metric holds the sum of its counting readings' increments, their number, and the projects whose first
counting reading of the metric it is; it is there while one of its readings counts, with a sum of 0 too.
"""
from collections import defaultdict

from sqlalchemy import select

from impact.formats.loader import load_folder
from impact.formats.spreadsheets import Options, import_files
from impact.store import commands, increments
from impact.store.db import write_session
from impact.store.models import Metric, Project, ReachDaily, ReachReading
from impact.store.queries import reach_reporting, reach_totals
from impact.store.schema import downgrade, upgrade
from tests.conftest import DEMO, LOADER, TINY_PROGRAMME, D, info, load
from tests.test_increments import reference
from tests.test_updates import STAFF, TODAY, project_id, team

Day = tuple[str, str]  # metric slug, date


def stored_days(engine) -> dict[Day, tuple[int, int, int]]:
    """reach_daily as it stands: (metric, date) -> increment, readings, new projects."""
    with engine.connect() as conn:
        rows = conn.execute(select(Metric.slug, ReachDaily.as_of, ReachDaily.increment, ReachDaily.readings,
                                   ReachDaily.new_projects).join(Metric, Metric.id == ReachDaily.metric_id))
        return {(slug, str(as_of)): (increment, readings, new) for slug, as_of, increment, readings, new in rows}


def days_of_the_rule(engine) -> dict[Day, tuple[int, int, int]]:
    """The days computed here from the readings by the rule (tests.test_increments.reference, which counts the
    readings in Python), independently of the database: per metric and date, the counting readings' increments
    summed, their number, and the series (project and metric) whose first counting reading is on that date."""
    with engine.connect() as conn:
        rows = conn.execute(select(ReachReading.id, ReachReading.project_id, ReachReading.as_of, Metric.slug)
                            .join(Metric, Metric.id == ReachReading.metric_id)).all()
    counted = reference(engine)
    days: dict[Day, list[int]] = defaultdict(lambda: [0, 0, 0])
    first: dict[tuple[int, str], str] = {}
    for reading_id, project, as_of, metric in rows:
        if counted[reading_id] is not None:
            day = days[(metric, str(as_of))]
            day[0] += counted[reading_id]
            day[1] += 1
            first[(project, metric)] = min(str(as_of), first.get((project, metric), str(as_of)))
    for (_project, metric), as_of in first.items():
        days[(metric, as_of)][2] += 1
    return {day: tuple(sums) for day, sums in days.items()}


def kept(engine) -> dict[Day, tuple[int, int, int]]:
    """The stored days, checked against the rule."""
    days = stored_days(engine)
    assert days == days_of_the_rule(engine)
    return days


def reading_on(engine, project: int, day: str) -> int:
    """The id of the project's reading of that day."""
    with engine.connect() as conn:
        return conn.scalar(select(ReachReading.id).where(ReachReading.project_id == project,
                                                         ReachReading.as_of == D(day)))


def reach(engine, day: str) -> dict[str, int]:
    """The programme's approved reach per metric at `day` (the end of reach_totals' series)."""
    totals = reach_totals(engine, info(engine, "tiny").id, D(day))
    return {metric: int(value) for metric, value in totals.groupby("metric")["value"].last().items()}


def reporting(engine, day: str) -> dict[str, int]:
    return {metric: int(n) for metric, n in reach_reporting(engine, info(engine, "tiny").id, D(day)).values}


PROJECTS = """
    programme,slug,name,challenge
    tiny,a,Project A,c1
    tiny,b,Project B,c2
"""


def test_the_days_of_two_projects_by_hand(engine, tmp_path):
    """a: 10 on 01-31, 30 on 03-31; b: 5 on 02-29. Increments 10, 20 and 5 on their days; a correction of the 30
    to 25 leaves 15 on its day."""
    load(engine, tmp_path / "first", programmes__toml=TINY_PROGRAMME, projects__csv=PROJECTS,
         reach_readings__csv="""
             project,metric,as_of,value,recorded_at
             a,people,2020-01-31,10,2020-02-01T12:00:00Z
             a,people,2020-03-31,30,2020-04-01T12:00:00Z
             b,people,2020-02-29,5,2020-03-01T12:00:00Z
         """)
    assert kept(engine) == {("people", "2020-01-31"): (10, 1, 1), ("people", "2020-02-29"): (5, 1, 1),
                            ("people", "2020-03-31"): (20, 1, 0)}
    assert [reach(engine, day) for day in ("2020-01-31", "2020-02-29", "2020-03-31")] == [
        {"people": 10}, {"people": 15}, {"people": 35}]
    assert (reporting(engine, "2020-01-31"), reporting(engine, "2020-03-31")) == ({"people": 1}, {"people": 2})

    a = project_id(engine, "a")
    with engine.connect() as conn:
        thirty = conn.scalar(select(ReachReading.id).where(ReachReading.value == 30))
    commands.record_reach_reading(engine, STAFF, a, "people", D("2020-03-31"), 25, note="Counted a class twice.",
                                  supersedes_id=thirty, today=TODAY)
    assert kept(engine)[("people", "2020-03-31")] == (15, 1, 0)
    assert reach(engine, "2020-03-31") == {"people": 30}
    totals = reach_totals(engine, info(engine, "tiny").id, D("2020-04-30"))
    assert totals[["as_of", "value", "reading"]].astype({"as_of": str}).values.tolist() == [
        ["2020-01-31", 10, True], ["2020-02-29", 15, True], ["2020-03-31", 30, True], ["2020-04-30", 30, False]]


# The first file of the tests below: a's same figure on a later date (an increment of 0, its day kept), b's two
# metrics, and two projects on one day.
FIRST_READINGS = """
    project,metric,as_of,value,recorded_at
    a,people,2020-01-31,100,2020-02-01T12:00:00Z
    a,people,2020-03-31,300,2020-04-01T12:00:00Z
    a,people,2020-04-30,300,2020-05-01T12:00:00Z
    b,people,2020-01-31,50,2020-02-01T12:00:00Z
    b,pupils,2020-02-29,7,2020-03-01T12:00:00Z
"""


def test_every_kind_of_write_keeps_the_days_of_the_counting_history(engine, tmp_path):
    # A new file (FIRST_READINGS).
    load(engine, tmp_path / "first", programmes__toml=TINY_PROGRAMME, projects__csv=PROJECTS,
         reach_readings__csv=FIRST_READINGS)
    assert kept(engine) == {("people", "2020-01-31"): (150, 2, 2), ("people", "2020-03-31"): (200, 1, 0),
                            ("people", "2020-04-30"): (0, 1, 0), ("pupils", "2020-02-29"): (7, 1, 1)}
    assert reach(engine, "2020-04-30") == {"people": 350, "pupils": 7}

    # A top-up: a reading before a's first (its first day moves), one after b's, a new series of b, a new project.
    load(engine, tmp_path / "top-up", projects__csv="programme,slug,name\ntiny,c,Project C\n", reach_readings__csv="""
             project,metric,as_of,value,recorded_at
             a,people,2020-01-15,40,2020-01-16T12:00:00Z
             b,people,2020-04-30,80,2020-05-01T12:00:00Z
             a,pupils,2020-04-30,3,2020-05-01T12:00:00Z
             c,people,2020-01-15,20,2020-01-16T12:00:00Z
             c,people,2020-03-31,25,2020-04-01T12:00:00Z
         """)
    assert kept(engine) == {("people", "2020-01-15"): (60, 2, 2), ("people", "2020-01-31"): (110, 2, 1),
                            ("people", "2020-03-31"): (205, 2, 0), ("people", "2020-04-30"): (30, 2, 0),
                            ("pupils", "2020-02-29"): (7, 1, 1), ("pupils", "2020-04-30"): (3, 1, 1)}
    assert reach(engine, "2020-04-30") == {"people": 300 + 80 + 25, "pupils": 10}
    assert reporting(engine, "2020-01-20") == {"people": 2}

    # A spreadsheet (the Import page's and `impact import`'s road) adding a reading.
    import_files(engine, [("reach.csv", b"project,metric,as_of,value\nc,pupils,2020-05-31,4\n")], Options(),
                 actor=LOADER)
    kept(engine)

    # A team's reading waits for review (nothing changes), then staff approve it.
    a, b = project_id(engine, "a"), project_id(engine, "b")
    before = kept(engine)
    waiting = commands.record_reach_reading(engine, team(engine, "b"), b, "people", D("2020-05-31"), 90, today=TODAY)
    assert kept(engine) == before
    commands.review(engine, STAFF, "reading", waiting.id, approve=True)
    assert kept(engine)[("people", "2020-05-31")] == (10, 1, 0)

    # Staff correct a's 300 of 03-31 with a reading dated a day earlier: 03-31 keeps only c's reading.
    wrong = reading_on(engine, a, "2020-03-31")
    commands.record_reach_reading(engine, STAFF, a, "people", D("2020-03-30"), 250, note="Counted a school twice.",
                                  supersedes_id=wrong, today=TODAY)
    days = kept(engine)
    assert (days[("people", "2020-03-30")], days[("people", "2020-03-31")]) == ((150, 1, 0), (5, 1, 0))

    # Staff correct b's first reading (01-31) with a later date: b's first day of people moves to 02-01, and 01-31
    # keeps a's reading only.
    first = reading_on(engine, b, "2020-01-31")
    commands.record_reach_reading(engine, STAFF, b, "people", D("2020-02-01"), 60, note="Reported a day early.",
                                  supersedes_id=first, today=TODAY)
    days = kept(engine)
    assert (days[("people", "2020-01-31")], days[("people", "2020-02-01")]) == ((60, 1, 0), (60, 1, 1))

    # Staff correct c's only reading of 03-31 away: the day goes, as none of its readings counts.
    c = project_id(engine, "c")
    only = reading_on(engine, c, "2020-03-31")
    commands.record_reach_reading(engine, STAFF, c, "people", D("2020-04-01"), 25, note="Counted on the 1st.",
                                  supersedes_id=only, today=TODAY)
    assert ("people", "2020-03-31") not in kept(engine)

    # A returned reading changes nothing; a lower figure with its note counts below the one before.
    before = kept(engine)
    returned = commands.record_reach_reading(engine, team(engine, "a"), a, "people", D("2020-06-15"), 999,
                                             today=TODAY)
    commands.review(engine, STAFF, "reading", returned.id, approve=False, note="Which source?")
    assert kept(engine) == before
    commands.record_reach_reading(engine, STAFF, a, "people", D("2020-06-20"), 200, note="Two schools left.",
                                  today=TODAY)
    assert kept(engine)[("people", "2020-06-20")] == (-100, 1, 0)  # a: 300 on 04-30

    # Recounting everything from its start leaves every day as it is.
    before = kept(engine)
    with write_session(engine) as session, session.begin():
        increments.recount(session, session.scalars(select(Project.id)).all())
    assert kept(engine) == before
    assert reach(engine, "2020-06-30") == {"people": 200 + 90 + 25, "pupils": 3 + 7 + 4}
    assert reporting(engine, "2020-06-30") == {"people": 3, "pupils": 3}


def test_the_demo_data_set_keeps_its_days(engine):
    load_folder(engine, DEMO, actor=LOADER)
    assert kept(engine)


def test_the_migration_fills_in_the_days_the_writers_keep(engine, tmp_path):
    """0013 computes on upgrade, from the stored increments, the days that the writes kept as they went."""
    load(engine, tmp_path / "first", programmes__toml=TINY_PROGRAMME, projects__csv=PROJECTS,
         reach_readings__csv=FIRST_READINGS)
    load(engine, tmp_path / "top-up", reach_readings__csv="""
             project,metric,as_of,value,recorded_at
             a,people,2020-01-15,40,2020-01-16T12:00:00Z
         """)
    a, b = project_id(engine, "a"), project_id(engine, "b")
    first = reading_on(engine, b, "2020-01-31")
    commands.record_reach_reading(engine, STAFF, b, "people", D("2020-02-01"), 60, note="Reported a day early.",
                                  supersedes_id=first, today=TODAY)
    commands.record_reach_reading(engine, team(engine, "a"), a, "people", D("2020-05-31"), 400, today=TODAY)
    days = kept(engine)
    assert ("people", "2020-01-31") in days and days[("people", "2020-04-30")] == (0, 1, 0)
    downgrade(engine, "0012")
    upgrade(engine)
    assert stored_days(engine) == days
