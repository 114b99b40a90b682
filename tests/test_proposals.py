"""A team proposes its project's targets and milestones; staff approve or return them from the review queue. The
commands and reads on both engines, the Update, Review and project pages with AppTest.

The world: programme "tiny" (metrics people and pupils), projects a (funded; its team has a key) and b.
  a's readings: people 1,000 on 2021-01-01 and 5,000 on 2021-06-30; pupils 70 on 2021-06-30.
"""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from sqlalchemy import func, select

from impact.domain.access import NotAllowed, command_line
from impact.mail import compose, outbox
from impact.store import admin, auth, commands
from impact.store.commands import CommandError
from impact.store.history import project_history, review_queue, waiting_for_review
from impact.store.models import AuditEntry, MailMessage, Milestone, Project, Target
from impact.store.targets import project_milestones, project_progress
from tests.apptest import run, shown
from tests.conftest import TINY_PROGRAMME, D, load, url_of

STAFF = command_line("tests")
TODAY = D("2021-09-01")  # the day the milestones are entered (a done date may not be after it)


@pytest.fixture
def world(engine, tmp_path, monkeypatch):
    load(engine, tmp_path / "tiny", programmes__toml=TINY_PROGRAMME,
         projects__csv="programme,slug,name,contact_email\ntiny,a,Project A,team-a@example.org\ntiny,b,Project B,\n",
         status_events__csv="project,status,effective_date\na,idea,2020-01-10\na,funded,2020-02-01\n",
         reach_readings__csv="project,metric,as_of,value\na,people,2021-01-01,1000\na,people,2021-06-30,5000\n"
                             "a,pupils,2021-06-30,70\n")
    monkeypatch.setenv("DATABASE_URL", url_of(engine))
    return engine


def ids(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {slug: id_ for slug, id_ in conn.execute(select(Project.slug, Project.id))}


def team_of(engine, slug: str):
    return auth.sign_in_with_key(engine, admin.issue_key(engine, STAFF, slug).key)


def propose(engine, team, project_id: int):
    """The team's four proposals: a pupils target, a people target, a milestone done with its evidence, one planned."""
    pupils = commands.set_target(engine, team, project_id, "pupils", D("2021-12-31"), 100, D("2021-01-01"),
                                 set_on=D("2021-01-01"))
    people = commands.set_target(engine, team, project_id, "people", D("2021-12-31"), 10_000, D("2021-01-01"),
                                 1_000, set_on=D("2021-01-01"))
    app = commands.record_milestone(engine, team, project_id, "App in the stores", D("2021-06-01"),
                                    done_on=D("2021-05-20"), evidence_url="https://example.org/app", today=TODAY)
    schools = commands.record_milestone(engine, team, project_id, "1,000 schools", D("2021-12-01"), today=TODAY)
    return pupils, people, app, schools


# --- the commands and the reads, on both engines ----------------------------------------------------------------


def test_a_teams_targets_and_milestones_wait_for_review(world):
    a = ids(world)["a"]
    proposed = propose(world, team_of(world, "a"), a)
    assert [p.review_state for p in proposed] == ["pending"] * 4
    # Nothing counts yet: no target on the project page, no milestone.
    assert project_progress(world, a, D("2021-07-01")).empty and project_milestones(world, a, TODAY).empty
    assert waiting_for_review(world) == 4
    queue = review_queue(world).set_index("id", drop=False)
    targets, milestones = queue[queue["kind"] == "target"], queue[queue["kind"] == "milestone"]
    assert [(t.what, t.value, t.effective, t.baseline_value, t.baseline_on, t.previous)
            for t in targets.itertuples()] == [("Pupils", 100, D("2021-12-31"), 0, D("2021-01-01"), None),
                                               ("People reached", 10_000, D("2021-12-31"), 1_000, D("2021-01-01"),
                                                None)]
    assert [(m.what, m.planned_on, None if pd.isna(m.done_on) else m.done_on, m.evidence_url, m.project)
            for m in milestones.itertuples()] == [
        ("App in the stores", D("2021-06-01"), D("2021-05-20"), "https://example.org/app", "Project A"),
        ("1,000 schools", D("2021-12-01"), None, "", "Project A")]
    history = project_history(world, a)
    assert sorted(history[history["kind"].isin(["target", "milestone"])]["review_state"]) == ["pending"] * 4


def test_a_team_cannot_propose_for_another_project(world):
    b = ids(world)["b"]
    team = team_of(world, "a")

    def counts():
        with world.connect() as conn:
            return (conn.scalar(select(func.count()).select_from(Target)),
                    conn.scalar(select(func.count()).select_from(Milestone)),
                    conn.scalar(select(func.count()).select_from(AuditEntry)),
                    conn.scalar(select(Project.revision).where(Project.id == b)))

    before = counts()
    with pytest.raises(NotAllowed, match="^Your update key is for another project; it cannot change this one.$"):
        commands.set_target(world, team, b, "pupils", D("2021-12-31"), 100, D("2021-01-01"))
    with pytest.raises(NotAllowed, match="^Your update key is for another project; it cannot change this one.$"):
        commands.record_milestone(world, team, b, "Launch", D("2021-06-01"), today=TODAY)
    assert counts() == before


def test_approved_entries_count_on_the_project_and_returned_ones_do_not(world):
    a = ids(world)["a"]
    pupils, people, app, schools = propose(world, team_of(world, "a"), a)
    with pytest.raises(CommandError, match="Say why the entry goes back"):
        commands.review(world, STAFF, "target", people.id, approve=False)
    assert waiting_for_review(world) == 4  # the refused return changed nothing
    commands.review(world, STAFF, "target", pupils.id, approve=True)
    commands.review(world, STAFF, "target", people.id, approve=False, note="Too high for a first year")
    commands.review(world, STAFF, "milestone", app.id, approve=True)
    commands.review(world, STAFF, "milestone", schools.id, approve=False, note="Say which schools")
    assert waiting_for_review(world) == 0 and review_queue(world).empty
    # Pupils: 70 of 100 = 70 %; the line from 0 on 1 January to 100 on 31 December reads 100 * 181 / 364 = 49.7 on
    # 1 July: on track. People: its target was returned, so no percentage at all.
    progress = project_progress(world, a, D("2021-07-01"))
    assert list(progress["metric"]) == ["pupils"]
    assert tuple(progress.iloc[0][["actual", "target", "share", "on_track"]]) == (70, 100, 0.7, True)
    assert list(zip(*project_milestones(world, a, TODAY)[["title", "state"]].T.values)) == [
        ("App in the stores", "done")]
    history = project_history(world, a).set_index(["kind", "id"])
    assert history.loc[("target", people.id), ["review_state", "review_note"]].tolist() == [
        "returned", "Too high for a first year"]


def test_a_team_marks_a_milestone_done_and_the_queue_shows_what_it_changes(world):
    a = ids(world)["a"]
    team = team_of(world, "a")
    commands.set_target(world, STAFF, a, "people", D("2021-12-31"), 10_000, D("2021-01-01"), 1_000,
                        set_on=D("2021-01-01"))
    pilot = commands.record_milestone(world, STAFF, a, "Pilot", D("2021-03-01"), today=TODAY)
    lower = commands.set_target(world, team, a, "people", D("2021-12-31"), 8_000, D("2021-01-01"), 1_000,
                                note="Schools closed for the summer", set_on=D("2021-06-01"))
    done = commands.record_milestone(world, team, a, "Pilot", D("2021-03-01"), done_on=D("2021-02-20"),
                                     evidence_url="https://example.org/pilot", supersedes_id=pilot.id, today=TODAY)
    queue = review_queue(world).set_index("kind")
    assert queue.loc["target", "previous"] == 10_000  # the approved target it would replace
    assert queue.loc["milestone", "previous"] == "Pilot"
    assert project_milestones(world, a, TODAY)["state"].tolist() == ["overdue"]  # until staff approve
    commands.review(world, STAFF, "milestone", done.id, approve=True)
    commands.review(world, STAFF, "target", lower.id, approve=True)
    assert project_milestones(world, a, TODAY)["state"].tolist() == ["done"]
    # Against 8,000 from 1 June on: 5,000 on 1 July is 62.5 %, above the line's 1,000 + 7,000 * 181 / 364 = 4,480.8.
    row = project_progress(world, a, D("2021-07-01")).iloc[0]
    assert (row["target"], row["share"], row["on_track"]) == (8_000, 0.625, True)


def test_the_decision_email_names_the_target_and_the_milestone_and_the_digest_counts_them(world, monkeypatch):
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")  # mail on: decisions are recorded (nothing is sent here)
    monkeypatch.setenv("MAIL_FROM", "dashboard@impact.example")
    a = ids(world)["a"]
    pupils, _people, app, _schools = propose(world, team_of(world, "a"), a)
    admin.add_account(world, STAFF, "staff@impact.example", "staff", "a long enough password")
    outbox.plan_digest(world, STAFF, today=TODAY)
    commands.review(world, STAFF, "target", pupils.id, approve=True)
    commands.review(world, STAFF, "milestone", app.id, approve=False, note="The link does not open")
    with world.connect() as conn:
        details = [(kind, json.loads(detail)) for kind, detail in conn.execute(
            select(MailMessage.kind, MailMessage.detail).order_by(MailMessage.id))]
    assert details[0] == ("digest", {"waiting": [["Tiny hackathon", 4, dt.date.today().isoformat()]]})
    assert [(kind, d["entry_kind"], d["what"]) for kind, d in details[1:]] == [
        ("approved", "target", "Pupils"), ("returned", "milestone", "App in the stores")]
    approved = compose.decision("en", True, "Project A", "Tiny hackathon", "target", "Pupils", "", None, None, None)
    assert approved.paragraphs[1] == ("Programme staff approved the target for “Pupils” of Project A. It now counts "
                                      "on the dashboard.")
    returned = compose.decision("en", False, "Project A", "Tiny hackathon", "milestone", "App in the stores",
                                "The link does not open", None, None, None)
    assert returned.paragraphs[1].startswith("Programme staff returned the milestone “App in the stores” of Project A")


# --- the pages ------------------------------------------------------------------------------------------------------


def test_a_team_proposes_a_target_and_a_milestone_on_the_update_page(world):
    team = team_of(world, "a")
    at = run("pages/update.py", actor=team)
    assert not at.exception
    assert "Agreed on (empty: today)" not in [d.label for d in at.date_input]  # a team's stands from its day
    at.button(key="FormSubmitter:set_target-Set the target").click().run()
    assert at.error[0].value == "Pick a metric and give the target's value and date and the baseline's date."
    at.selectbox(key="target_metric").set_value("pupils")
    at.number_input(key="target_value").set_value(100)
    at.date_input(key="target_due").set_value(D("2021-12-31"))
    at.date_input(key="target_baseline_on").set_value(D("2021-01-01"))
    at.button(key="FormSubmitter:set_target-Set the target").click().run()
    assert not at.exception and not at.error
    assert at.success[0].value == "Target for Pupils: 100 by 2021-12-31: waiting for staff review."
    assert at.selectbox(key="target_metric").value is None  # emptied once recorded
    at.text_input(key="milestone_title").set_value("App in the stores")
    at.date_input(key="milestone_planned").set_value(D("2021-06-01"))
    at.date_input(key="milestone_done").set_value(D("2021-05-20"))
    at.text_input(key="milestone_evidence").set_value("not a link")
    at.button(key="FormSubmitter:add_milestone-Record the milestone").click().run()
    assert "The evidence link" in at.error[0].value
    assert at.text_input(key="milestone_title").value == "App in the stores"  # a refusal keeps what was typed
    at.text_input(key="milestone_evidence").set_value("https://example.org/app")
    at.button(key="FormSubmitter:add_milestone-Record the milestone").click().run()
    assert at.success[0].value == "Milestone “App in the stores” (2021-05-20): waiting for staff review."
    assert [i.value for i in at.info if i.value.startswith("Waiting for review")] == [
        "Waiting for review: Milestone “App in the stores”, done on 2021-05-20, planned for 2021-06-01.",
        "Waiting for review: Target for Pupils: 100, by 2021-12-31, from 0 on 2021-01-01."]
    history = shown(at)  # as the team reads it
    assert list(history[["what", "value", "effective", "review_state"]].head(2).itertuples(index=False, name=None)) \
        == [("Milestone done: App in the stores", "—", "2021-05-20", "waiting for staff review"),
            ("Target for Pupils, from 0 on 2021-01-01", "100", "2021-12-31", "waiting for staff review")]
    with world.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Milestone)) == 1  # the refused one wrote nothing


def test_staff_review_targets_and_milestones_and_the_project_page_follows(world):
    a = ids(world)["a"]
    pupils, people, app, schools = propose(world, team_of(world, "a"), a)
    at = run("pages/review.py")
    assert not at.exception
    assert "Waiting for review: 4" in at.caption[0].value
    shown = [(m.label, m.value) for m in at.metric]
    assert shown == [("Target for Pupils", "100"), ("Approved before", "none"),
                     ("Target for People reached", "10,000"), ("Approved before", "none"),
                     ("Milestone", "App in the stores"), ("Changes", "none: a new milestone"),
                     ("Milestone", "1,000 schools"), ("Changes", "none: a new milestone")]
    captions = [c.value for c in at.caption]
    assert "by 2021-12-31, from 0 on 2021-01-01" in captions and "by 2021-12-31, from 1,000 on 2021-01-01" in captions
    assert "done on 2021-05-20, planned for 2021-06-01" in captions and "planned for 2021-12-01" in captions
    at.button(key=f"FormSubmitter:review_target_{pupils.id}-Approve").click().run()
    assert at.success[0].value == "Approved."
    at.text_input(key=f"note_milestone_{app.id}").set_value("The link does not open")
    at.button(key=f"FormSubmitter:review_milestone_{app.id}-Return to the team").click().run()
    assert at.success[0].value == "Returned to the team."
    assert "Waiting for review: 2" in at.caption[0].value
    project = run("pages/project.py", project="a", as_of="2021-07-01")
    assert not project.exception
    assert {m.label: m.value for m in project.metric} == {"Pupils": "70.0% of target"}  # people's is still pending
    assert not any("App in the stores" in m.value for m in project.markdown)  # returned: not on the page
    team_page = run("pages/update.py", actor=team_of(world, "a"))
    assert team_page.warning[0].value == "Returned by programme staff: The link does not open"
    assert [i.value for i in team_page.info if i.value.startswith("Waiting for review")] == [
        "Waiting for review: Milestone “1,000 schools”, planned for 2021-12-01.",
        "Waiting for review: Target for People reached: 10,000, by 2021-12-31, from 1,000 on 2021-01-01."]


# --- in a real browser ----------------------------------------------------------------------------------------------


def test_a_team_proposes_a_target_staff_approve_it_and_the_project_page_shows_it(world, page, second_page):
    from playwright.sync_api import expect

    from tests.conftest import PASSWORD, ROOT, STAFF_EMAIL
    from tests.servers import pick, sign_in, streamlit_server, type_date

    admin.add_account(world, STAFF, STAFF_EMAIL, "staff", PASSWORD)
    key = admin.issue_key(world, STAFF, "a").key
    with streamlit_server(url_of(world)) as server:
        team = second_page  # another visitor's browser: no staff cookie
        team.goto(f"{server}/update?key={key}")
        expect(team.get_by_role("heading", name="Update Project A")).to_be_visible()
        team.get_by_role("tab", name="Targets and milestones").click()
        form = team.get_by_test_id("stForm").filter(has_text="A target")
        pick(team, form, "Metric", "Pupils")
        form.get_by_label("Target value").fill("100")
        type_date(team, form, "By", "2021-12-31")
        type_date(team, form, "Baseline date", "2021-01-01")
        form.get_by_role("button", name="Set the target").click()
        expect(team.get_by_text("Target for Pupils: 100 by 2021-12-31: waiting for staff review.")).to_be_visible()
        team.get_by_role("tab", name="Targets and milestones").click()
        expect(team.get_by_text("Waiting for review: Target for Pupils: 100, by 2021-12-31, from 0 on "
                                "2021-01-01.")).to_be_visible()
        expect(form.get_by_label("Target value")).to_have_value("")  # the form emptied itself, in the browser too
        expect(form.get_by_role("spinbutton", name="year, By")).to_have_text("yyyy")
        (ROOT / "artifacts").mkdir(exist_ok=True)
        team.screenshot(path=str(ROOT / "artifacts" / "proposal-update.png"), full_page=True)

        page.goto(f"{server}/review")
        sign_in(page)
        expect(page.get_by_test_id("stSidebarNav").get_by_role("link", name="Review queue (1 waiting)")).to_be_visible()
        expect(page.get_by_text("by 2021-12-31, from 0 on 2021-01-01")).to_be_visible()
        entry = page.get_by_test_id("stMetric").filter(has_text="Target for Pupils")
        expect(entry.get_by_test_id("stMetricValue")).to_have_text("100")
        expect(page.get_by_role("button", name="Approve")).to_be_visible()
        page.screenshot(path=str(ROOT / "artifacts" / "proposal-review.png"), full_page=True)
        page.get_by_role("button", name="Approve").click()
        expect(page.get_by_text("Nothing is waiting for review.")).to_be_visible()
        # Proposed today, so it stands from today: 70 pupils of 100, due 2021-12-31 and past, so the line reads 100.
        page.goto(f"{server}/project?project=a")
        metric = page.get_by_test_id("stMetric").filter(has_text="Pupils")
        expect(metric.get_by_test_id("stMetricValue")).to_have_text("70.0% of target")
        expect(page.get_by_text("Behind")).to_be_visible()
