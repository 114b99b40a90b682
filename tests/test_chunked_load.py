"""A data folder's status events and readings are read, checked and written a chunk at a time (`chunk` rows,
impact.formats.loader): a file of many chunks loads exactly as in one go, and a bad row in any chunk writes nothing
and is named.

The world (programme "tiny", metrics people and pupils): project s is stored first, idea on 2020-01-01 and 100 people
on 2020-01-31. The folder then adds projects a and b, their histories and readings, a change and a reading for s,
and rows stored already, in an order no chunk boundary may change (by hand, in the expected values below):
- a: idea 01-10, funded 02-01, in development 03-01 (in order);
- b: idea 01-12, discontinued 03-01 (with a note), then funded 02-15: out of order, the history is idea, funded,
  discontinued, which the lifecycle allows;
- s: idea 01-01 (stored already: unchanged), funded 02-01;
- readings of a/people 10 (02-01), 25 (03-01), then 20 (02-15, out of order), then 40 (04-01): increments 10, 10,
  5, 15 in date order; s/people 300 (03-31) after the stored 100: 200; the stored 100 again (unchanged); b/pupils 5
  (02-01), 5 (03-01), and the same row again (a file's repeated row is loaded twice, as in one go): 5, 0, 0.
"""
import pytest
from sqlalchemy import func, select

from impact.formats.loader import LoadError, load_folder
from impact.store.models import AuditEntry, Metric, Project, ReachReading, StatusEvent
from tests.conftest import LOADER, TINY_PROGRAMME, D, load, write_folder
from tests.test_reach_daily import kept

STORED = dict(programmes__toml=TINY_PROGRAMME, projects__csv="programme,slug,name\ntiny,s,S\n",
              status_events__csv="project,status,effective_date\ns,idea,2020-01-01\n",
              reach_readings__csv="project,metric,as_of,value\ns,people,2020-01-31,100\n")
PROJECTS = "programme,slug,name\ntiny,a,A\ntiny,b,B\n"
EVENTS = """\
project,status,effective_date,note
a,idea,2020-01-10,
b,idea,2020-01-12,
s,funded,2020-02-01,
a,funded,2020-02-01,
s,idea,2020-01-01,
b,discontinued,2020-03-01,No team left.
a,in_development,2020-03-01,
b,funded,2020-02-15,
"""
READINGS = """\
project,metric,as_of,value
a,people,2020-02-01,10
a,people,2020-03-01,25
s,people,2020-03-31,300
a,people,2020-02-15,20
b,pupils,2020-02-01,5
s,people,2020-01-31,100
a,people,2020-04-01,40
b,pupils,2020-03-01,5
b,pupils,2020-03-01,5
"""


def histories(engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        events = conn.execute(select(Project.slug, StatusEvent.status, StatusEvent.effective_date)
                              .join(Project).order_by(Project.slug, StatusEvent.effective_date)).all()
        readings = conn.execute(select(Project.slug, Metric.slug, ReachReading.as_of, ReachReading.value,
                                       ReachReading.counted_increment)
                                .join(Project, Project.id == ReachReading.project_id)
                                .join(Metric, Metric.id == ReachReading.metric_id)
                                .order_by(Project.slug, Metric.slug, ReachReading.as_of, ReachReading.id)).all()
    return {"events": [tuple(e) for e in events], "readings": [tuple(r) for r in readings]}


def counts(engine) -> list[int]:
    with engine.connect() as conn:
        return [conn.scalar(select(func.count()).select_from(m))
                for m in (Project, StatusEvent, ReachReading, AuditEntry)]


@pytest.mark.parametrize("chunk", [1, 2, 3, 20_000])
def test_a_file_of_many_chunks_loads_as_in_one_go(engine, tmp_path, chunk):
    load(engine, tmp_path / "stored", **STORED)
    folder = write_folder(tmp_path / "more", projects__csv=PROJECTS, status_events__csv=EVENTS,
                          reach_readings__csv=READINGS)
    summary = load_folder(engine, folder, actor=LOADER, chunk=chunk)
    assert (summary.projects, summary.status_events, summary.reach_readings, summary.unchanged) == (2, 7, 8, 2)
    assert histories(engine) == {
        "events": [("a", "idea", D("2020-01-10")), ("a", "funded", D("2020-02-01")),
                   ("a", "in_development", D("2020-03-01")),
                   ("b", "idea", D("2020-01-12")), ("b", "funded", D("2020-02-15")),
                   ("b", "discontinued", D("2020-03-01")),
                   ("s", "idea", D("2020-01-01")), ("s", "funded", D("2020-02-01"))],
        "readings": [("a", "people", D("2020-02-01"), 10, 10), ("a", "people", D("2020-02-15"), 20, 10),
                     ("a", "people", D("2020-03-01"), 25, 5), ("a", "people", D("2020-04-01"), 40, 15),
                     ("b", "pupils", D("2020-02-01"), 5, 5), ("b", "pupils", D("2020-03-01"), 5, 0),
                     ("b", "pupils", D("2020-03-01"), 5, 0),
                     ("s", "people", D("2020-01-31"), 100, 100), ("s", "people", D("2020-03-31"), 300, 200)]}
    assert counts(engine) == [3, 8, 9, 2]  # one audit entry per load
    # Reach per metric and day (increment, readings, series starting), equal to the rule's: a's readings came out
    # of order in the file, across chunks, and were recounted at the end.
    days = {("people", "2020-01-31"): (100, 1, 1), ("people", "2020-02-01"): (10, 1, 1),
            ("people", "2020-02-15"): (10, 1, 0), ("people", "2020-03-01"): (5, 1, 0),
            ("people", "2020-03-31"): (200, 1, 0), ("people", "2020-04-01"): (15, 1, 0),
            ("pupils", "2020-02-01"): (5, 1, 1), ("pupils", "2020-03-01"): (0, 2, 0)}
    assert kept(engine) == days
    again = load_folder(engine, folder, actor=LOADER, chunk=chunk)  # loading it again adds nothing
    assert (again.changes, again.unchanged) == (0, 2 + 8 + 9)
    assert counts(engine) == [3, 8, 9, 2]
    assert kept(engine) == days


BAD_LATER = [
    # a metric the programme lacks, in the readings' last chunk
    (None, READINGS + "b,tutors,2020-04-01,7\n",
     ["reach_readings.csv, row 11, column 'metric': programme 'tiny' has no metric 'tutors'"]),
    # a cell that is no number, and an unknown project, in two later chunks
    (None, READINGS + "b,pupils,2020-04-01,many\nzz,people,2020-04-01,1\n",
     ["reach_readings.csv, row 11, column 'value': 'many' is not a whole number",
      "reach_readings.csv, row 12, column 'project': unknown project 'zz'"]),
    # a change the lifecycle refuses, in the events' last chunk (a is in development: it may not go back to idea)
    (EVENTS + "a,idea,2020-05-01,\n", None,
     ["status_events.csv, row 10, column 'status': A project that is in_development cannot become idea"]),
    # an event out of order that breaks a history checked right so far: a's idea on 02-15 comes after its funding
    # on 02-01 and before its development, and an idea may not follow funding
    (EVENTS + "a,idea,2020-02-15,\n", None,
     ["status_events.csv, row 10, column 'status': A project that is funded cannot become idea"]),
]


@pytest.mark.parametrize("events,readings,messages", BAD_LATER, ids=["metric", "two", "lifecycle", "unordered"])
def test_a_bad_row_in_a_later_chunk_writes_nothing_and_is_named(engine, tmp_path, events, readings, messages):
    load(engine, tmp_path / "stored", **STORED)
    before, stored = counts(engine), histories(engine)
    folder = write_folder(tmp_path / "bad", projects__csv=PROJECTS, status_events__csv=events or EVENTS,
                          reach_readings__csv=readings or READINGS)
    with pytest.raises(LoadError) as caught:
        load_folder(engine, folder, actor=LOADER, chunk=2)
    assert [str(problem)[:len(message)] for problem, message in zip(caught.value.problems, messages)] == messages
    assert len(caught.value.problems) == len(messages)
    assert counts(engine) == before and histories(engine) == stored  # the chunks before it were rolled back


def test_an_event_refused_in_its_chunk_is_allowed_when_a_later_one_goes_before_it(engine, tmp_path):
    """a's launch on 05-01 follows its idea in the file, which the lifecycle refuses; its funding on 02-01, a chunk
    later, goes between them: idea, funded, launched is right, so the file loads."""
    load(engine, tmp_path / "stored", **STORED)
    folder = write_folder(tmp_path / "later", projects__csv=PROJECTS, status_events__csv="""\
        project,status,effective_date
        a,idea,2020-01-10
        a,launched,2020-05-01
        a,funded,2020-02-01
        """)
    assert load_folder(engine, folder, actor=LOADER, chunk=1).status_events == 3
    assert [e[1:] for e in histories(engine)["events"] if e[0] == "a"] == [
        ("idea", D("2020-01-10")), ("funded", D("2020-02-01")), ("launched", D("2020-05-01"))]


def test_a_streamed_file_that_is_not_utf8_is_refused_whole(engine, tmp_path):
    load(engine, tmp_path / "stored", **STORED)
    before = counts(engine)
    folder = write_folder(tmp_path / "latin1", projects__csv=PROJECTS)
    (folder / "reach_readings.csv").write_bytes((READINGS + "a,people,2020-05-01,50\n" * 50).encode()
                                                + "b,pupils,2020-05-01,9,Schüler\n".encode("latin-1"))
    with pytest.raises(LoadError) as caught:
        load_folder(engine, folder, actor=LOADER, chunk=2)
    assert [str(p) for p in caught.value.problems] == [
        "reach_readings.csv: is not UTF-8 text; save it as CSV UTF-8."]
    assert counts(engine) == before
