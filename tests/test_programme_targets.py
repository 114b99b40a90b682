"""Programme targets: a programme's plan for its total reach and its funnel, against the figures the Reach page and
the overview show, on hand-computed cases on both engines; the pages that show them, with AppTest."""
import pytest
from sqlalchemy import func, select

from impact.domain.access import FUNDER, Actor, NotAllowed, command_line
from impact.store import commands
from impact.store.commands import CommandError
from impact.store.models import AuditEntry, ProgrammeTarget
from impact.store.targets import programme_progress, programme_target_entries, programme_target_progress
from tests.conftest import TINY_PROGRAMME, D, info, load

STAFF = command_line("tests")

# Three projects of the tiny programme. On 1 July 2021 the latest people readings are a 300, b 200, c 50: 550 in
# all (c's 150 of 1 August comes later). Funded by then: a, b, c (3); launched: a only (c launches in September).
PROJECTS = "programme,slug,name\ntiny,a,Project A\ntiny,b,Project B\ntiny,c,Project C\n"
EVENTS = """
    project,status,effective_date
    a,funded,2020-06-01
    a,launched,2021-02-01
    b,funded,2020-06-01
    c,funded,2020-07-01
    c,launched,2021-09-01
"""
READINGS = """
    project,metric,as_of,value
    a,people,2021-01-01,100
    a,people,2021-06-01,300
    b,people,2021-03-01,200
    c,people,2021-05-01,50
    c,people,2021-08-01,150
"""
JULY = D("2021-07-01")


@pytest.fixture
def world(engine, tmp_path):
    load(engine, tmp_path / "tiny", programmes__toml=TINY_PROGRAMME, projects__csv=PROJECTS,
         status_events__csv=EVENTS, reach_readings__csv=READINGS)
    return engine


def thousand_people(engine) -> None:
    """1,000 people by the end of 2021, from none at its start, agreed on 1 January."""
    commands.set_programme_target(engine, STAFF, "tiny", "people", D("2021-12-31"), 1_000, D("2021-01-01"),
                                  set_on=D("2021-01-01"))


def test_a_reach_target_against_the_programmes_total(world):
    thousand_people(world)
    row = programme_target_progress(world, info(world, "tiny"), JULY).set_index("measure").loc["people"]
    # 550 of 1,000 (55 %); the line from 0 on 1 January to 1,000 on 31 December reads 1,000 * 181 / 364 = 497.25
    # on 1 July: on track.
    assert (row["label"], row["actual"], row["target"], row["share"], row["state"]) == (
        "People reached", 550, 1_000, 0.55, "on_track")
    assert row["expected"] == pytest.approx(1_000 * 181 / 364)
    # Before it was set (and before the year), no target stands: no row, never 0 %.
    assert programme_target_progress(world, info(world, "tiny"), D("2020-12-31")).empty


def test_a_changed_programme_target_needs_a_note_and_stands_from_its_day(world):
    thousand_people(world)
    with pytest.raises(CommandError, match="say in the note why it changes"):
        commands.set_programme_target(world, STAFF, "tiny", "people", D("2021-12-31"), 1_500, D("2021-01-01"),
                                      set_on=D("2021-06-01"))
    commands.set_programme_target(world, STAFF, "tiny", "people", D("2021-12-31"), 1_500, D("2021-01-01"),
                                  note="A second funder joined", set_on=D("2021-06-01"))
    july = programme_target_progress(world, info(world, "tiny"), JULY).set_index("measure").loc["people"]
    # 550 of 1,500 (36.7 %); the line reads 1,500 * 181 / 364 = 745.9: behind.
    assert (july["target"], july["share"], july["state"]) == (1_500, 550 / 1_500, "behind")
    # On 31 May the first target stood: 350 (a 100, b 200, c 50) against the line's 1,000 * 150 / 364 = 412.1.
    may = programme_target_progress(world, info(world, "tiny"), D("2021-05-31")).set_index("measure").loc["people"]
    assert (may["actual"], may["target"], may["state"]) == (350, 1_000, "behind")
    history = programme_target_entries(world, info(world, "tiny").id)
    assert list(zip(history["value"], history["set_on"].astype(str), history["note"])) == [
        (1_000, "2021-01-01", ""), (1_500, "2021-06-01", "A second funder joined")]


def test_funnel_targets_count_as_the_funnel_does(world):
    commands.set_programme_target(world, STAFF, "tiny", "launched", D("2021-12-31"), 3, D("2021-01-01"),
                                  set_on=D("2021-01-01"))
    commands.set_programme_target(world, STAFF, "tiny", "funded", D("2020-12-31"), 3, D("2020-01-01"),
                                  set_on=D("2020-01-01"))
    shown = programme_target_progress(world, info(world, "tiny"), JULY).set_index("measure")
    assert list(shown.index) == ["funded", "launched"]
    # Funded: 3 of 3 by 31 December 2020, the last due date passed: met (100 %).
    assert (shown.loc["funded", "actual"], shown.loc["funded", "share"], shown.loc["funded", "state"]) == (
        3, 1.0, "met")
    # Launched: 1 of 3 (33.3 %); the line reads 3 * 181 / 364 = 1.49 on 1 July: behind.
    assert (shown.loc["launched", "label"], shown.loc["launched", "actual"], shown.loc["launched", "state"]) == (
        "Projects launched", 1, "behind")


def test_a_programme_target_that_cannot_be_is_refused_and_nothing_written(world):
    def entries() -> int:
        with world.connect() as conn:
            return (conn.scalar(select(func.count()).select_from(ProgrammeTarget)),
                    conn.scalar(select(func.count()).select_from(AuditEntry)))

    before = entries()
    with pytest.raises(CommandError, match="must come before"):
        commands.set_programme_target(world, STAFF, "tiny", "people", D("2021-01-01"), 10, D("2021-06-01"))
    with pytest.raises(CommandError, match="no metric 'trees'; name one of its metrics, or funded or launched"):
        commands.set_programme_target(world, STAFF, "tiny", "trees", D("2021-12-31"), 10, D("2021-06-01"))
    with pytest.raises(CommandError, match="no programme 'huge'"):
        commands.set_programme_target(world, STAFF, "huge", "people", D("2021-12-31"), 10, D("2021-06-01"))
    with pytest.raises(CommandError, match="whole numbers"):
        commands.set_programme_target(world, STAFF, "tiny", "people", D("2021-12-31"), -5, D("2021-06-01"))
    with pytest.raises(NotAllowed):
        commands.set_programme_target(world, Actor(FUNDER, "funder"), "tiny", "people", D("2021-12-31"), 10,
                                      D("2021-06-01"))
    assert entries() == before
    thousand_people(world)
    assert entries() == (before[0] + 1, before[1] + 1)  # the target and its audit entry, together


def test_programme_progress_reads_every_projects_targets_at_once(world):
    from impact.store.targets import project_progress
    ids = {}
    with world.connect() as conn:
        from impact.store.models import Project
        ids = dict(conn.execute(select(Project.slug, Project.id)).all())
    commands.set_target(world, STAFF, ids["a"], "people", D("2021-12-31"), 600, D("2021-01-01"), 100,
                        set_on=D("2021-01-01"))
    commands.set_target(world, STAFF, ids["c"], "people", D("2021-06-30"), 40, D("2021-01-01"),
                        set_on=D("2021-01-01"))
    frame = programme_progress(world, info(world, "tiny").id, JULY)
    # a: 300 of 600 (50 %), the line from 100 to 600 reads 100 + 500 * 181 / 364 = 348.6: behind.
    # c: 50 of 40, due 30 June (the last target): met. b has no target: no row.
    assert list(zip(frame["project"], frame["actual"], frame["target"], frame["share"], frame["state"])) == [
        ("Project A", 300, 600, 0.5, "behind"), ("Project C", 50, 40, 1.25, "met")]
    # The same figures as each project's own plan.
    alone = project_progress(world, ids["a"], JULY).iloc[0]
    assert (alone["actual"], alone["share"], alone["on_track"]) == (300, 0.5, False)
