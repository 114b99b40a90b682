"""A top-up file (readings added to stored series) recounts each series only from its earliest new reading on
(impact.store.increments.recount_since) and reads only the projects and series it names; the increments it leaves
are those of a full recount and of the rule computed by hand.

The world (programme "tiny", metric people), before the top-up:
  a: 01-31 100, 03-31 300 (corrected by staff to 250), 05-31 500     increments 100, -, 150, 250
  b: 02-29 50, 04-30 90, 06-30 120 (pending)                           increments 50, 40, -
  c: 01-31 10                                                          increment 10
  e: 01-31 5 (a project the file does not name)                        increment 5
The top-up:
  a people 02-15 150   before two stored readings: a becomes 100, 150, 250, 500 -> 100, 50, 100, 250
  a people 05-31 500   a duplicate: skipped
  b people 04-30 95    a correction of the 90 (same date, recorded later): b becomes 50, 90, 95 -> 50, 40, 5
  b pupils 03-31 7     a new series of a stored project: 7
  c people 07-31 25    after the stored one: 15
  d people 03-31 40    a new project's (projects.csv adds d; a's row there is unchanged): 40
"""
import datetime as dt

import pytest
from sqlalchemy import select, text

from impact.store import commands, increments
from impact.store.db import write_session
from impact.store.models import Metric, Project, ReachReading
from tests.conftest import TINY_PROGRAMME, D, load
from tests.test_increments import people, reference, stored
from tests.test_updates import STAFF, TODAY, project_id, team

PROJECTS = """
    programme,slug,name,challenge
    tiny,a,Project A,c1
    tiny,b,Project B,c2
    tiny,c,Project C,c1
    tiny,e,Project E,c2
"""


def increments_of(engine) -> dict[tuple[str, str, str, int], int | None]:
    """Each reading's stored increment by project, metric, date and value (in this world each is one reading)."""
    with engine.connect() as conn:
        return {(p, m, str(as_of), value): increment for p, m, as_of, value, increment in conn.execute(
            select(Project.slug, Metric.slug, ReachReading.as_of, ReachReading.value, ReachReading.counted_increment)
            .join(Project, Project.id == ReachReading.project_id).join(Metric, Metric.id == ReachReading.metric_id))}


def test_a_top_up_leaves_the_increments_of_a_full_recount(engine, tmp_path):
    load(engine, tmp_path / "first", programmes__toml=TINY_PROGRAMME, projects__csv=PROJECTS,
         reach_readings__csv="""
             project,metric,as_of,value,recorded_at
             a,people,2020-01-31,100,2020-02-01T12:00:00Z
             a,people,2020-03-31,300,2020-04-01T12:00:00Z
             a,people,2020-05-31,500,2020-06-01T12:00:00Z
             b,people,2020-02-29,50,2020-03-01T12:00:00Z
             b,people,2020-04-30,90,2020-05-01T12:00:00Z
             c,people,2020-01-31,10,2020-02-01T12:00:00Z
             e,people,2020-01-31,5,2020-02-01T12:00:00Z
         """)
    a, b = project_id(engine, "a"), project_id(engine, "b")
    with engine.connect() as conn:
        wrong = conn.scalar(select(ReachReading.id).where(ReachReading.project_id == a, ReachReading.value == 300))
    commands.record_reach_reading(engine, STAFF, a, "people", D("2020-03-31"), 250, note="Counted a school twice.",
                                  supersedes_id=wrong, today=TODAY)
    commands.record_reach_reading(engine, team(engine, "b"), b, "people", D("2020-06-30"), 120, today=TODAY)
    assert stored(engine) == reference(engine)

    summary = load(engine, tmp_path / "top-up", projects__csv="""
             programme,slug,name,challenge
             tiny,a,Project A,c1
             tiny,d,Project D,c2
         """, reach_readings__csv="""
             project,metric,as_of,value,recorded_at
             a,people,2020-02-15,150,2020-02-16T12:00:00Z
             a,people,2020-05-31,500,2020-06-01T12:00:00Z
             b,people,2020-04-30,95,2020-05-05T12:00:00Z
             b,pupils,2020-03-31,7,2020-04-01T12:00:00Z
             c,people,2020-07-31,25,2020-08-01T12:00:00Z
             d,people,2020-03-31,40,2020-04-01T12:00:00Z
         """)
    assert (summary.projects, summary.reach_readings, summary.unchanged) == (1, 5, 2)
    assert increments_of(engine) == {
        ("a", "people", "2020-01-31", 100): 100, ("a", "people", "2020-02-15", 150): 50,
        ("a", "people", "2020-03-31", 300): None, ("a", "people", "2020-03-31", 250): 100,
        ("a", "people", "2020-05-31", 500): 250,
        ("b", "people", "2020-02-29", 50): 50, ("b", "people", "2020-04-30", 90): 40,
        ("b", "people", "2020-04-30", 95): 5, ("b", "people", "2020-06-30", 120): None,
        ("b", "pupils", "2020-03-31", 7): 7,
        ("c", "people", "2020-01-31", 10): 10, ("c", "people", "2020-07-31", 25): 15,
        ("d", "people", "2020-03-31", 40): 40,
        ("e", "people", "2020-01-31", 5): 5,
    }
    assert stored(engine) == reference(engine)
    topped_up = stored(engine)
    with write_session(engine) as session, session.begin():
        increments.recount(session, session.scalars(select(Project.id)).all())  # every series, from its start
    assert stored(engine) == topped_up
    assert (people(engine, "2020-02-20"), people(engine, "2020-04-30"), people(engine, "2020-07-31")) == (
        150 + 10 + 5, 250 + 95 + 10 + 40 + 5, 500 + 95 + 25 + 40 + 5)

    again = load(engine, tmp_path / "again", reach_readings__csv="""
             project,metric,as_of,value,recorded_at
             a,people,2020-02-15,150,2020-02-16T12:00:00Z
             c,people,2020-07-31,25,2020-08-01T12:00:00Z
         """)
    assert (again.reach_readings, again.unchanged) == (0, 2)
    assert stored(engine) == topped_up


def test_a_recount_from_after_the_new_reading_misses_it(engine, tmp_path):
    """The comparisons above can fail: a series recounted from a date later than its new reading leaves that
    reading uncounted; from the reading's own date on, it is counted."""
    load(engine, tmp_path / "first", programmes__toml=TINY_PROGRAMME, projects__csv=PROJECTS,
         reach_readings__csv="""
             project,metric,as_of,value,recorded_at
             a,people,2020-01-31,100,2020-02-01T12:00:00Z
             a,people,2020-03-31,300,2020-04-01T12:00:00Z
         """)
    a = project_id(engine, "a")
    with engine.connect() as conn:
        people_id = conn.scalar(select(ReachReading.metric_id).where(ReachReading.project_id == a))
    with write_session(engine) as session, session.begin():
        session.add(ReachReading(project_id=a, metric_id=people_id, as_of=D("2020-02-15"), value=150,
                                 recorded_at=dt.datetime(2020, 2, 16, 12, tzinfo=dt.timezone.utc), recorded_by="test",
                                 note="", evidence_url="", review_state="approved"))
        session.flush()
        increments.recount_since(session, {(a, people_id): D("2020-03-31")})
    assert increments_of(engine) == {("a", "people", "2020-01-31", 100): 100, ("a", "people", "2020-02-15", 150): None,
                                     ("a", "people", "2020-03-31", 300): 150}
    assert stored(engine) != reference(engine)
    with write_session(engine) as session, session.begin():
        increments.recount_since(session, {(a, people_id): D("2020-02-15")})
    assert increments_of(engine) == {("a", "people", "2020-01-31", 100): 100, ("a", "people", "2020-02-15", 150): 50,
                                     ("a", "people", "2020-03-31", 300): 150}
    assert stored(engine) == reference(engine)


def vacuums(engine) -> int:
    """How often the readings table was vacuumed by hand (the loader's VACUUM, not autovacuum)."""
    with engine.connect() as conn:
        return conn.scalar(text("SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'reach_readings'"))


def test_postgresql_is_vacuumed_after_a_large_load_not_after_a_top_up(engine, tmp_path):
    """A load adding at least 1,000 rows and a tenth of what the tables held vacuums and analyses them; a top-up of
    1,000 readings into 10,000 (and 100 projects) does not, nor a load of fewer than 1,000 rows."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the loader vacuums PostgreSQL only; SQLite keeps no planner statistics to refresh")
    slugs = [f"p{n:03d}" for n in range(100)]
    projects = "programme,slug,name\n" + "".join(f"tiny,{slug},Project {slug}\n" for slug in slugs)
    days = [D("2020-01-01") + dt.timedelta(days=d) for d in range(100)]
    readings = "project,metric,as_of,value\n" + "".join(
        f"{slug},people,{day},{k}\n" for slug in slugs for k, day in enumerate(days, start=1))
    before = vacuums(engine)  # (a recycled test database keeps the counts of the tests before)
    load(engine, tmp_path / "large", programmes__toml=TINY_PROGRAMME, projects__csv=projects,
         reach_readings__csv=readings)
    assert vacuums(engine) == before + 1  # 10,100 rows into empty tables
    top_up = "project,metric,as_of,value\n" + "".join(
        f"{slug},{metric},2020-06-30,{value}\n" for slug in slugs for metric in ("people", "pupils")
        for value in range(1_000, 1_005))
    assert load(engine, tmp_path / "top-up", reach_readings__csv=top_up).reach_readings == 1_000
    assert vacuums(engine) == before + 1  # 1,000 rows into 10,100
    small = "project,metric,as_of,value\n" + "".join(f"{slug},people,2020-07-31,2000\n" for slug in slugs)
    assert load(engine, tmp_path / "small", reach_readings__csv=small).reach_readings == 100
    assert vacuums(engine) == before + 1
