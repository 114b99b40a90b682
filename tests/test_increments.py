"""The stored increments of reach readings (impact.store.increments) stay those of the counting history through every
kind of write, and the reach read from them is the hand-computed one.

The world (programme "tiny", metric people), as loaded:
  a: 01-31 100, 03-31 300          b: 02-29 50
"""
from sqlalchemy import select

from impact.store import commands
from impact.store.models import ReachReading
from impact.store.queries import reach_latest, reach_reporting, reach_totals
from tests.conftest import TINY_PROGRAMME, D, info, load
from tests.test_updates import STAFF, TODAY, project_id, team

PROJECTS = """
    programme,slug,name,challenge
    tiny,a,Project A,c1
    tiny,b,Project B,c2
"""


def reference(engine) -> dict[int, int | None]:
    """Each reading's increment computed here from the rule, independently of the database's window functions."""
    with engine.connect() as conn:
        rows = conn.execute(select(ReachReading)).all()
    replaced = {r.supersedes_id for r in rows if r.review_state == "approved" and r.supersedes_id}
    counting = sorted((r for r in rows if r.review_state == "approved" and r.id not in replaced),
                      key=lambda r: (r.project_id, r.metric_id, r.as_of, r.recorded_at, r.id))
    increments: dict[int, int | None] = {r.id: None for r in rows}
    previous: dict[tuple[int, int], int] = {}
    for r in counting:
        increments[r.id] = r.value - previous.get((r.project_id, r.metric_id), 0)
        previous[(r.project_id, r.metric_id)] = r.value
    return increments


def stored(engine) -> dict[int, int | None]:
    with engine.connect() as conn:
        return dict(conn.execute(select(ReachReading.id, ReachReading.counted_increment)).all())


def people(engine, day: str, pending: bool = False) -> int:
    totals = reach_totals(engine, info(engine, "tiny").id, D(day), pending)
    return int(totals[totals["metric"] == "people"]["value"].iloc[-1])


def test_every_kind_of_write_keeps_the_increments_of_the_counting_history(engine, tmp_path):
    load(engine, tmp_path / "first", programmes__toml=TINY_PROGRAMME, projects__csv=PROJECTS,
         reach_readings__csv="""
             project,metric,as_of,value,recorded_at
             a,people,2020-03-31,300,2020-04-01T12:00:00Z
             a,people,2020-01-31,100,2020-02-01T12:00:00Z
             b,people,2020-02-29,50,2020-03-01T12:00:00Z
         """)
    assert sorted(v for v in stored(engine).values()) == [50, 100, 200]
    assert stored(engine) == reference(engine)
    assert people(engine, "2020-06-30") == 350

    # A later file adds an earlier reading to a stored project: its series is recounted.
    load(engine, tmp_path / "backdated", reach_readings__csv="""
             project,metric,as_of,value,recorded_at
             a,people,2020-02-15,150,2020-02-16T12:00:00Z
         """)
    assert stored(engine) == reference(engine)
    assert (people(engine, "2020-02-20"), people(engine, "2020-06-30")) == (150, 350)

    a, b = project_id(engine, "a"), project_id(engine, "b")
    waiting = commands.record_reach_reading(engine, team(engine, "b"), b, "people", D("2020-04-30"), 80, today=TODAY)
    assert stored(engine)[waiting.id] is None  # pending: not counted yet
    assert stored(engine) == reference(engine)
    assert (people(engine, "2020-06-30"), people(engine, "2020-06-30", pending=True)) == (350, 380)

    commands.review(engine, STAFF, "reading", waiting.id, approve=True)
    assert stored(engine)[waiting.id] == 30
    assert stored(engine) == reference(engine)
    assert people(engine, "2020-06-30") == 380

    with engine.connect() as conn:
        wrong = conn.scalar(select(ReachReading.id).where(ReachReading.project_id == a, ReachReading.value == 300))
    correction = commands.record_reach_reading(engine, STAFF, a, "people", D("2020-03-31"), 250,
                                               note="Counted a school twice.", supersedes_id=wrong, today=TODAY)
    assert stored(engine)[wrong] is None and stored(engine)[correction.id] == 100
    assert stored(engine) == reference(engine)
    assert (people(engine, "2020-03-31"), people(engine, "2020-06-30")) == (300, 330)

    returned = commands.record_reach_reading(engine, team(engine, "a"), a, "people", D("2020-05-31"), 400,
                                             today=TODAY)
    commands.review(engine, STAFF, "reading", returned.id, approve=False, note="Which source?")
    assert stored(engine)[returned.id] is None
    assert stored(engine) == reference(engine)
    assert people(engine, "2020-06-30") == 330
    latest = reach_latest(engine, info(engine, "tiny").id, D("2020-06-30"))
    assert latest[latest["metric"] == "people"][["value", "projects"]].values.tolist() == [[330, 2]]


def test_same_day_readings_recorded_at_the_same_instant_go_to_the_later_row(engine, tmp_path):
    load(engine, tmp_path / "tie", programmes__toml=TINY_PROGRAMME, projects__csv=PROJECTS,
         reach_readings__csv="""
             project,metric,as_of,value,recorded_at
             b,people,2020-04-30,70,2020-05-01T12:00:00Z
             b,people,2020-04-30,80,2020-05-01T12:00:00Z
             b,pupils,2020-04-30,5,2020-05-01T12:00:00Z
         """)
    assert stored(engine) == reference(engine)
    assert people(engine, "2020-04-30") == 80
    reporting = reach_reporting(engine, info(engine, "tiny").id, D("2020-04-30"))
    assert dict(reporting.values.tolist()) == {"people": 1, "pupils": 1}
