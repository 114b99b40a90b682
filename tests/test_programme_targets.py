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


# --- programmes.toml ------------------------------------------------------------------------------------------------
TARGETS_TOML = """
    [[programme.target]]
    measure = "people"
    value = 1000
    due_on = 2021-12-31
    baseline_on = 2021-01-01
    [[programme.target]]
    measure = "launched"
    value = 3
    due_on = 2021-12-31
    baseline_on = 2021-01-01
    baseline_value = 0
    set_on = 2020-12-15
    note = "Agreed with the funder"
"""


def test_programmes_toml_carries_targets_and_a_second_load_adds_nothing(engine, tmp_path):
    files = dict(programmes__toml=TINY_PROGRAMME + TARGETS_TOML, projects__csv=PROJECTS, status_events__csv=EVENTS,
                 reach_readings__csv=READINGS)
    first = load(engine, tmp_path / "one", **files)
    assert first.programme_targets == 2
    shown = programme_target_progress(engine, info(engine, "tiny"), JULY).set_index("measure")
    # As set by the command: 550 of 1,000 people (on track, the line at 497.25), 1 of 3 launched (behind, at 1.49).
    assert list(zip(shown.index, shown["actual"], shown["state"])) == [("people", 550, "on_track"),
                                                                      ("launched", 1, "behind")]
    assert list(programme_target_entries(engine, info(engine, "tiny").id)["set_on"].astype(str)) == [
        "2021-01-01", "2020-12-15"]  # set_on defaults to the baseline's date
    again = load(engine, tmp_path / "two", **files)
    assert (again.programme_targets, again.changes) == (0, 0)


def test_a_wrong_target_in_programmes_toml_is_named_and_nothing_loaded(engine, tmp_path):
    from impact.domain.problems import LoadError

    wrong = TARGETS_TOML.replace('measure = "people"', 'measure = "trees"').replace("value = 3", "value = -3")
    with pytest.raises(LoadError) as refused:
        load(engine, tmp_path / "wrong", programmes__toml=TINY_PROGRAMME + wrong, projects__csv=PROJECTS)
    said = str(refused.value)
    assert "programme 1, target 1" in said and "must name one of this programme's metrics" in said
    assert "programme 1, target 2" in said and "whole numbers of 0 or more" in said
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ProgrammeTarget)) == 0
    # A stored target changed by a file without a note is refused as the form refuses it.
    load(engine, tmp_path / "one", programmes__toml=TINY_PROGRAMME + TARGETS_TOML, projects__csv=PROJECTS)
    changed = TARGETS_TOML.replace("value = 1000", "value = 1500")
    with pytest.raises(LoadError, match="is stored already; say in the note why it changes"):
        load(engine, tmp_path / "changed", programmes__toml=TINY_PROGRAMME + changed, projects__csv=PROJECTS)


# --- the pages ------------------------------------------------------------------------------------------------------
OTHER_PROGRAMME = """
    [[programme]]
    slug = "other"
    name = "Other hackathon"
    starts_on = 2020-01-01
"""


@pytest.fixture
def pages(world, monkeypatch, tmp_path):
    """The world with a second programme (to compare with), its 1,000 people and 3 launched by the end of 2021, and
    Project A's own target of 600 people; the pages read it."""
    from tests.conftest import url_of

    load(world, tmp_path / "other", programmes__toml=OTHER_PROGRAMME)
    thousand_people(world)
    commands.set_programme_target(world, STAFF, "tiny", "launched", D("2021-12-31"), 3, D("2021-01-01"),
                                  set_on=D("2021-01-01"))
    with world.connect() as conn:
        from impact.store.models import Project
        a = conn.scalar(select(Project.id).where(Project.slug == "a"))
    commands.set_target(world, STAFF, a, "people", D("2021-12-31"), 600, D("2021-01-01"), 100,
                        set_on=D("2021-01-01"))
    monkeypatch.setenv("DATABASE_URL", url_of(world))
    return world


def test_the_reach_page_draws_the_programme_target_and_says_where_it_stands(pages):
    from tests.apptest import run

    at = run("pages/reach.py", programme="tiny", as_of="2021-07-01")
    assert not at.exception
    said = [m.value for m in at.markdown if "Programme target" in m.value]
    assert len(said) == 1 and "550 of 1,000 people by 2021-12-31 (55.0%), on track" in said[0].replace("\\", "")
    chart = [c for c in at.get("plotly_chart") if "Target: 1,000 by 2021-12-31" in c.proto.spec]
    assert chart and '"y":[0,1000]' in chart[0].proto.spec.replace(" ", "")  # baseline -> target, dashed
    assert '"dash":"dash"' in chart[0].proto.spec.replace(" ", "")
    # On the last day of 2020 no target stood yet: no line, no sentence.
    before = run("pages/reach.py", programme="tiny", as_of="2020-12-31")
    assert not before.exception and not [m for m in before.markdown if "Programme target" in m.value]


def test_the_overview_says_the_funnel_target(pages):
    from tests.apptest import run

    at = run("pages/overview.py", programme="tiny", as_of="2021-07-01")
    assert not at.exception
    # 1 of 3 launched (33.3 %); the line reads 1.49 on 1 July: behind.
    assert any("Target: 1 of 3 launched by 2021-12-31 (33.3%), behind" in m.value.replace("\\", "")
               for m in at.markdown)


def test_the_portfolio_shows_percent_of_target_and_keeps_only_those_behind(pages):
    from tests.apptest import run, shown

    at = run("pages/portfolio.py", programme="tiny", as_of="2021-07-01")
    assert not at.exception
    table = shown(at).set_index("project")
    # Project A: 300 of 600 people (50 %), below the line at 348.6: behind. B and C have no target: "—", not 0 %.
    assert (table.loc["Project A", "target_share"], table.loc["Project A", "target_state"]) == ("50.0%", "behind")
    assert table.loc["Project B", "target_share"] == "—" and table.loc["Project C", "target_share"] == "—"
    at.toggle(key="portfolio_behind_only").set_value(True).run()
    assert not at.exception and list(shown(at)["project"]) == ["Project A"]


def test_the_comparison_sets_each_programme_against_its_targets(pages):
    from tests.apptest import run, shown

    at = run("pages/compare.py", programme="tiny", as_of="2021-07-01")
    assert not at.exception
    table = shown(at, 1)
    assert list(zip(table["programme"], table["label"], table["share"], table["state"])) == [
        ("Tiny hackathon", "People reached", "55.0%", "on track"),
        ("Tiny hackathon", "Projects launched", "33.3%", "behind")]


def test_staff_set_a_programme_target_on_the_programmes_page(pages):
    from tests.apptest import run, shown

    at = run("pages/programmes.py")
    assert not at.exception
    [s for s in at.selectbox if s.key == "target_programme"][0].set_value("tiny").run()
    [s for s in at.selectbox if s.label == "Target for"][0].set_value("funded")
    [n for n in at.number_input if n.label == "Target value"][-1].set_value(5)
    dates = {d.label: d for d in at.date_input if d.label in ("By", "Baseline date", "Agreed on (empty: today)")}
    dates["By"].set_value(D("2021-12-31"))
    dates["Baseline date"].set_value(D("2021-01-01"))
    dates["Agreed on (empty: today)"].set_value(D("2021-01-01"))
    at.button(key="FormSubmitter:programme_target_tiny-Set the programme target").click().run()
    assert not at.exception and not at.error
    shown_entries = shown(at, len(at.dataframe) - 1)
    assert list(zip(shown_entries["measure"], shown_entries["value"])) == [
        ("People reached", "1,000"), ("Projects funded", "5"), ("Projects launched", "3")]
    # 3 of 5 funded on 1 July: 60 %, the line at 5 * 181 / 364 = 2.49: on track.
    row = programme_target_progress(pages, info(pages, "tiny"), JULY).set_index("measure").loc["funded"]
    assert (row["actual"], row["share"], row["state"]) == (3, 0.6, "on_track")


def test_the_report_lists_the_programme_targets(pages):
    from impact.formats import report

    document = " ".join(report.report_html(pages, STAFF, info(pages, "tiny"), JULY).split())
    plan = document.split("Plan against actual</h2>", 1)[1]
    assert "<td>People reached</td><td class=\"n\">550</td><td class=\"n\">1,000</td>" \
           "<td class=\"w\">2021-12-31</td><td class=\"n\">55.0%</td><td class=\"w\">on track</td>" \
           in plan.replace("> <", "><")
    assert "<td>Projects launched</td><td class=\"n\">1</td><td class=\"n\">3</td>" in plan.replace("> <", "><")
    assert "Projects: 0 targets met, 0 on track, 1 behind." in plan
    # The reach section's chart of people reached draws that target, as the Reach page does; pupils have none.
    reach = document.split("Plan against actual</h2>", 1)[0]
    assert reach.count("Target: 1,000 by 2021-12-31") == 1


def test_the_portfolio_takes_the_target_of_the_metric_it_shows_else_the_first():
    import pandas as pd

    from impact.store.portfolio import with_targets

    table = pd.DataFrame({"slug": ["a", "b", "c"], "reach_metric_slug": ["pupils", "pupils", None]})
    progress = pd.DataFrame({"slug": ["a", "a", "b"], "metric": ["people", "pupils", "people"],
                             "label": ["People reached", "Pupils", "People reached"],
                             "share": [0.5, 0.7, 0.2], "state": ["behind", "on_track", "behind"]})
    shown = with_targets(table, progress)
    # a shows pupils and has a target for them; b shows pupils but has a target for people only (named); c none.
    assert list(shown["target_share"].fillna(-1)) == [0.7, 0.2, -1]
    assert list(shown["target_state"]) == ["on_track", "behind", None]
    assert list(shown["target_metric"]) == [None, "People reached", None]
