"""Plan against actual: which target stands at a date, % of target and on track, on hand-computed cases; targets
and milestones written and read on both engines."""
import datetime as dt

import pandas as pd
import pytest

from impact.domain.access import command_line
from impact.domain.targets import Target, expected_at, next_target, progress, standing
from impact.store import admin, auth, commands
from impact.store.commands import CommandError
from impact.store.targets import project_milestones, project_progress
from tests.conftest import TINY_PROGRAMME, D, load

STAFF = command_line("tests")
# 1,000 people on 2021-01-01, 10,000 by 2021-12-31: 364 days for 9,000 more.
PLAN = Target(due_on=D("2021-12-31"), value=10_000, baseline_on=D("2021-01-01"), baseline_value=1_000,
              set_on=D("2021-01-01"))


def test_the_straight_line_from_the_baseline_to_the_target():
    assert expected_at(PLAN, D("2020-12-01")) == 1_000  # before the baseline: the baseline
    assert expected_at(PLAN, D("2021-07-01")) == pytest.approx(1_000 + 9_000 * 181 / 364)  # 5,475.27
    assert expected_at(PLAN, D("2022-03-01")) == 10_000  # once due: the target


def test_on_track_is_at_least_the_line_and_the_share_is_of_the_next_target():
    behind = progress([PLAN], 5_000, D("2021-07-01"))
    assert behind is not None and (behind.share, behind.on_track) == (0.5, False)  # 5,000 < 5,475.27
    ahead = progress([PLAN], 6_000, D("2021-07-01"))
    assert ahead is not None and (ahead.share, ahead.on_track) == (0.6, True)
    assert progress([], 6_000, D("2021-07-01")) is None  # no target: no percentage, never 0 %
    nothing = progress([PLAN], None, D("2021-07-01"))
    assert nothing is not None and (nothing.actual, nothing.share, nothing.on_track) == (0, 0.0, False)


def test_a_changed_target_stands_from_the_day_it_was_set_and_the_earlier_one_before():
    lowered = Target(due_on=D("2021-12-31"), value=8_000, baseline_on=D("2021-01-01"), baseline_value=1_000,
                     set_on=D("2021-06-01"))
    assert standing([PLAN, lowered], D("2021-05-31")) == [PLAN]
    assert standing([PLAN, lowered], D("2021-06-01")) == [lowered]
    later = progress([PLAN, lowered], 5_000, D("2021-07-01"))
    # Against 8,000: the line is at 1,000 + 7,000 * 181 / 364 = 4,480.77, so 5,000 is on track (62.5 %).
    assert later is not None and (later.share, later.on_track) == (0.625, True)
    assert standing([PLAN, lowered], D("2020-12-31")) == []  # nothing was set yet


def test_the_next_due_date_counts_and_after_the_last_the_last():
    second = Target(due_on=D("2022-12-31"), value=20_000, baseline_on=D("2021-12-31"), baseline_value=10_000,
                    set_on=D("2021-01-01"))
    assert next_target([PLAN, second], D("2021-12-31")) == PLAN  # due that day: still the first
    assert next_target([PLAN, second], D("2022-03-01")) == second
    assert next_target([PLAN, second], D("2023-06-01")) == second  # both past: the last one


READINGS = """
    project,metric,as_of,value
    a,people,2021-01-01,1000
    a,people,2021-06-30,5000
    a,pupils,2021-06-30,70
"""


@pytest.fixture
def world(engine, tmp_path):
    load(engine, tmp_path / "tiny", programmes__toml=TINY_PROGRAMME,
         projects__csv="programme,slug,name\ntiny,a,Project A\n", reach_readings__csv=READINGS)
    return engine


def project_id(engine) -> int:
    from sqlalchemy import select

    from impact.store.models import Project
    with engine.connect() as conn:
        return conn.scalar(select(Project.id).where(Project.slug == "a"))


def test_staff_set_a_target_and_change_it_with_a_note(world):
    a = project_id(world)
    commands.set_target(world, STAFF, a, "people", D("2021-12-31"), 10_000, D("2021-01-01"), 1_000,
                        set_on=D("2021-01-01"))
    first = project_progress(world, a, D("2021-07-01")).set_index("metric")
    # 5,000 on 30 June against 10,000: 50 %; the line reads 5,475.27 on 1 July: behind. Pupils have no target.
    assert list(first.index) == ["people"]
    assert (first.loc["people", "actual"], first.loc["people", "share"], first.loc["people", "on_track"]) == (
        5_000, 0.5, False)
    with pytest.raises(CommandError, match="say in the note why it changes"):
        commands.set_target(world, STAFF, a, "people", D("2021-12-31"), 8_000, D("2021-01-01"), 1_000,
                            set_on=D("2021-06-01"))
    commands.set_target(world, STAFF, a, "people", D("2021-12-31"), 8_000, D("2021-01-01"), 1_000,
                        note="Schools closed for the summer", set_on=D("2021-06-01"))
    assert project_progress(world, a, D("2021-07-01")).set_index("metric").loc["people", "on_track"]
    assert project_progress(world, a, D("2021-05-01")).set_index("metric").loc["people", "target"] == 10_000


def test_a_teams_proposed_target_counts_once_approved(world):
    a = project_id(world)
    team = auth.sign_in_with_key(world, admin.issue_key(world, STAFF, "a").key)
    proposed = commands.set_target(world, team, a, "pupils", D("2021-12-31"), 100, D("2021-01-01"),
                                   set_on=D("2021-01-01"))
    assert proposed.review_state == "pending" and project_progress(world, a, D("2021-07-01")).empty
    commands.review(world, STAFF, "target", proposed.id, approve=True)
    row = project_progress(world, a, D("2021-07-01")).set_index("metric").loc["pupils"]
    # 70 of 100; the line from 0 on 1 January to 100 on 31 December reads 100 * 181 / 364 = 49.7: on track.
    assert (row["share"], row["on_track"]) == (0.7, True)


def test_a_target_that_cannot_be_is_refused_with_a_sentence(world):
    a = project_id(world)
    with pytest.raises(CommandError, match="must come before"):
        commands.set_target(world, STAFF, a, "people", D("2021-01-01"), 10, D("2021-06-01"))
    with pytest.raises(CommandError, match="no metric 'trees'"):
        commands.set_target(world, STAFF, a, "trees", D("2021-12-31"), 10, D("2021-06-01"))
    with pytest.raises(CommandError, match="whole numbers"):
        commands.set_target(world, STAFF, a, "people", D("2021-12-31"), -5, D("2021-06-01"))
    assert project_progress(world, a, D("2021-07-01")).empty


def test_milestones_planned_done_and_overdue(world):
    a = project_id(world)
    today = D("2021-09-01")
    launch = commands.record_milestone(world, STAFF, a, "App in the stores", D("2021-06-01"), today=today)
    commands.record_milestone(world, STAFF, a, "1,000 schools", D("2021-12-01"), today=today)
    commands.record_milestone(world, STAFF, a, "Pilot with ten schools", D("2021-03-01"), done_on=D("2021-02-20"),
                              evidence_url="https://example.org/pilot", today=today)
    shown = project_milestones(world, a, dt.date.today())
    assert list(zip(shown["title"], shown["state"])) == [
        ("Pilot with ten schools", "done"), ("App in the stores", "overdue"), ("1,000 schools", "overdue")]
    # The launch happens: a change to the milestone, which replaces it.
    commands.record_milestone(world, STAFF, a, "App in the stores", D("2021-06-01"), done_on=D("2021-08-15"),
                              supersedes_id=launch.id, today=today)
    at = project_milestones(world, a, D("2021-09-01"))
    assert list(zip(at["title"], at["state"])) == [
        ("Pilot with ten schools", "done"), ("App in the stores", "done"), ("1,000 schools", "planned")]
    with pytest.raises(CommandError, match="in the future"):
        commands.record_milestone(world, STAFF, a, "Next", D("2021-06-01"), done_on=D("2021-10-01"), today=today)


def test_the_project_page_shows_plan_against_actual_and_staff_set_a_target(world, monkeypatch):
    from tests.apptest import run
    from tests.conftest import url_of

    monkeypatch.setenv("DATABASE_URL", url_of(world))
    a = project_id(world)
    commands.set_target(world, STAFF, a, "people", D("2021-12-31"), 10_000, D("2021-01-01"), 1_000,
                        set_on=D("2021-01-01"))
    commands.record_milestone(world, STAFF, a, "App in the stores", D("2021-06-01"), today=D("2021-09-01"))
    at = run("pages/project.py", project="a", as_of="2021-07-01")
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}
    assert shown["People reached"] == "50.0% of target"  # 5,000 of 10,000
    assert ":orange-badge[:material/schedule: Behind]" in [m.value for m in at.markdown]  # below 5,475
    assert any("App in the stores" in m.value and "overdue: planned for 2021-06-01" in m.value for m in at.markdown)
    figure = [c for c in at.get("plotly_chart") if "Target" in c.proto.spec][0]
    assert '"y":[1000,10000]' in figure.proto.spec.replace(" ", "")  # the line from the baseline to the target
    # Staff set a second target for pupils through the form: 70 of 140 on 1 July.
    form = [s for s in at.selectbox if s.label == "Metric"][0]
    form.set_value("pupils")
    [n for n in at.number_input if n.label == "Target value"][0].set_value(140)
    dates = {d.label: d for d in at.date_input}
    dates["By"].set_value(D("2021-12-31"))
    dates["Baseline date"].set_value(D("2021-01-01"))
    dates["Agreed on (empty: today)"].set_value(D("2021-01-01"))  # entered now, agreed then
    at.button(key="FormSubmitter:set_target-Set the target").click().run()
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric}["Pupils"] == "50.0% of target"


def test_the_report_counts_targets_met_on_track_and_behind(world):
    from impact.formats import report
    from tests.conftest import info

    a = project_id(world)
    commands.set_target(world, STAFF, a, "people", D("2021-12-31"), 10_000, D("2021-01-01"), 1_000,
                        set_on=D("2021-01-01"))
    commands.set_target(world, STAFF, a, "pupils", D("2021-06-30"), 50, D("2021-01-01"), set_on=D("2021-01-01"))
    document = report.report_html(world, STAFF, info(world, "tiny"), D("2021-07-01"))
    text = " ".join(document.split("Plan against actual</h2>", 1)[1].split())
    # People: 5,000 of 10,000 and behind the line (5,475); pupils: 70 of 50 (due 30 June, the last target), met.
    assert "<p>Projects: 1 target met, 0 on track, 1 behind.</p>" in text
    assert "<td>Project A</td><td>People reached</td><td class=\"n\">5,000</td><td class=\"n\">10,000</td>" \
           "<td class=\"w\">2021-12-31</td><td class=\"n\">50.0%</td><td class=\"w\">behind</td>" \
           in document.replace("\n", "")


def test_staff_see_the_overdue_milestones_on_the_silent_page(world, monkeypatch):
    from tests.apptest import run, shown
    from tests.conftest import url_of

    monkeypatch.setenv("DATABASE_URL", url_of(world))
    a = project_id(world)
    today = D("2021-09-01")
    commands.record_milestone(world, STAFF, a, "App in the stores", D("2021-06-01"), today=today)
    commands.record_milestone(world, STAFF, a, "Pilot", D("2021-03-01"), done_on=D("2021-02-20"), today=today)
    commands.record_milestone(world, STAFF, a, "1,000 schools", D("2021-12-01"), today=today)
    at = run("pages/silent.py", programme="tiny", as_of="2021-09-01")
    assert not at.exception
    table = shown(at, len(at.dataframe) - 1)
    # Only the app is overdue: planned for 1 June, not done by 1 September, 30 + 31 + 31 = 92 days.
    assert list(zip(table["title"], table["planned_on"], table["days_overdue"])) == [
        ("App in the stores", "2021-06-01", "92")]


def test_the_target_label_sits_where_the_figures_are_not():
    from impact.formats.charts import reach_figure

    def label_position(values):
        series = pd.DataFrame({"as_of": pd.to_datetime(["2021-01-01", "2021-06-30"]), "value": values,
                               "reading": [True, True]})
        figure = reach_figure(series, "Tutors", "tutors", plan=(D("2021-01-01"), 0, D("2021-12-31"), 12_000))
        (target,) = [trace for trace in figure.data if trace.name == "Target"]
        return target.textposition

    assert label_position([1_000, 6_000]) == "top left"  # below the target: the label above its point
    assert label_position([1_000, 14_000]) == "bottom left"  # past it (116.7 %): the label below, off the line
