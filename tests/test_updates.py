"""Team updates and their review, through the write functions: who may write what, what each write checks, and
that every accepted write is in the history and in the audit log while a refused one leaves nothing behind.

The world: programme "tiny" with projects
  a: idea 2020-01-10, funded 2020-02-01; people reached 100 as of 2020-03-31
  b: idea 2020-01-10
"""
import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from impact.domain.access import PUBLIC, Actor, NotAllowed, command_line
from impact.store import admin, auth, commands
from impact.store.history import project_history, review_queue, waiting_for_review
from impact.store.models import AuditEntry, ProjectNote, ReachReading, StatusEvent
from impact.store.queries import funnel_at, reach_totals
from tests.conftest import TINY_PROGRAMME, D, info, load

PROJECTS = """
    programme,slug,name,challenge,team
    tiny,a,Project A,c1,Team A
    tiny,b,Project B,c2,Team B
"""
EVENTS = """
    project,status,effective_date,recorded_at
    a,idea,2020-01-10,2020-01-10T12:00:00Z
    a,funded,2020-02-01,2020-02-01T12:00:00Z
    b,idea,2020-01-10,2020-01-10T12:00:00Z
"""
READINGS = """
    project,metric,as_of,value
    a,people,2020-03-31,100
"""
TODAY = D("2020-06-30")
STAFF = command_line("staff-member")


@pytest.fixture
def world(engine, tmp_path):
    load(engine, tmp_path / "tiny", programmes__toml=TINY_PROGRAMME, projects__csv=PROJECTS,
         status_events__csv=EVENTS, reach_readings__csv=READINGS)
    return engine


def project_id(engine, slug: str) -> int:
    from impact.store.models import Project
    with engine.connect() as conn:
        return conn.scalar(select(Project.id).where(Project.slug == slug))


def team(engine, slug: str) -> Actor:
    """The actor of a fresh update key for the project."""
    issued = admin.issue_key(engine, STAFF, slug)
    return auth.sign_in_with_key(engine, issued.key)


def counts(engine) -> tuple[int, int, int, int]:
    with engine.connect() as conn:
        return tuple(conn.scalar(select(func.count()).select_from(m))
                     for m in (StatusEvent, ReachReading, ProjectNote, AuditEntry))


def last_audit(engine) -> AuditEntry:
    with engine.connect() as conn:
        return conn.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()


# --- permissions ---------------------------------------------------------------------------------------------------

FUNDER = Actor("funder", "funder@example.org", account_id=99, programme_ids=frozenset({1}))


WRITES = {
    "status": lambda engine, actor, project: commands.record_status_change(
        engine, actor, project, "in_development", D("2020-03-01"), today=TODAY),
    "reading": lambda engine, actor, project: commands.record_reach_reading(
        engine, actor, project, "people", D("2020-04-30"), 150, today=TODAY),
    "update": lambda engine, actor, project: commands.record_update(engine, actor, project, "New host."),
}


@pytest.mark.parametrize("kind", WRITES)
def test_only_the_projects_team_and_staff_may_write_to_it(world, kind):
    write = WRITES[kind]
    a = project_id(world, "a")
    team_b = team(world, "b")
    before = counts(world)
    for actor in (team_b, FUNDER, PUBLIC):
        with pytest.raises(NotAllowed):
            write(world, actor, a)
    assert counts(world) == before
    assert write(world, team(world, "a"), a).review_state == "pending"
    if kind == "update":  # staff's own update (another text: the same one again would be refused as a repeat)
        assert commands.record_update(world, STAFF, a, "The host is confirmed.").review_state == "approved"


def test_a_revoked_or_expired_key_opens_nothing(world):
    issued = admin.issue_key(world, STAFF, "a", expires_on=D("2099-01-01"))
    actor = auth.sign_in_with_key(world, issued.key)
    admin.revoke_key(world, STAFF, issued.id)
    assert auth.refresh(world, actor) == PUBLIC
    with pytest.raises(auth.SignInError, match="revoked or expired"):
        auth.sign_in_with_key(world, issued.key)
    expiring = admin.issue_key(world, STAFF, "a", expires_on=dt.date.today())
    hashed = auth.key_hash(expiring.key)
    assert auth.key_actor(world, hashed, today=dt.date.today()) is not None
    assert auth.key_actor(world, hashed, today=dt.date.today() + dt.timedelta(days=1)) is None


@pytest.mark.parametrize("actor", [FUNDER, PUBLIC, Actor("team", "team a", key_id=1, project_id=1)])
def test_only_staff_review_and_manage_people(world, actor):
    pending = commands.record_update(world, team(world, "a"), project_id(world, "a"), "launched!")
    before = counts(world)
    for attempt in (
        lambda: commands.review(world, actor, "update", pending.id, approve=True),
        lambda: admin.add_account(world, actor, "new@example.org", "staff", "a long enough password"),
        lambda: admin.issue_key(world, actor, "a"),
        lambda: admin.set_account_disabled(world, actor, "x@example.org", True),
        lambda: admin.set_programmes(world, actor, "x@example.org", ["tiny"]),
    ):
        with pytest.raises(NotAllowed):
            attempt()
    assert counts(world) == before


# --- what each write checks ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("values, message", [
    (dict(status="idea", effective_date=D("2020-03-01")), "cannot become idea; it may become: in_development"),
    (dict(status="launched", effective_date=D("2020-07-01")), "in the future"),
    (dict(status="discontinued", effective_date=D("2020-03-01")), "needs a note"),
    (dict(status="launched", effective_date=D("2020-03-01"), evidence_url="javascript:alert(1)"), "http:// or https://"),
    (dict(status="in_development", effective_date=D("2020-01-20")), "On 2020-01-20: A project that is idea cannot"),
    (dict(status="dormant", effective_date=D("2020-03-01")), "is not a status"),
])
def test_a_refused_status_change_says_why_and_writes_nothing(world, values, message):
    before = counts(world)
    with pytest.raises(commands.CommandError, match=message):
        commands.record_status_change(world, STAFF, project_id(world, "a"), today=TODAY, **values)
    assert counts(world) == before


def test_a_team_status_change_waits_for_review_then_counts(world):
    a = project_id(world, "a")
    recorded = commands.record_status_change(world, team(world, "a"), a, "launched", D("2020-05-01"),
                                             evidence_url="https://example.org/launch", today=TODAY)
    programme = info(world, "tiny")
    assert funnel_at(world, programme, TODAY).set_index("stage")["projects"]["launched"] == 0  # pending: not counted
    assert commands.status_choice(world, a).current == "launched"  # but the team's next form starts from it
    commands.review(world, STAFF, "status", recorded.id, approve=True)
    assert funnel_at(world, programme, TODAY).set_index("stage")["projects"]["launched"] == 1
    entry = last_audit(world)
    assert (entry.actor, entry.action, entry.subject) == ("cli:staff-member", "review status", "project a")
    assert json.loads(entry.after)["review_state"] == "approved"


def test_discontinuing_and_reviving_need_a_note(world):
    a = project_id(world, "a")
    commands.record_status_change(world, STAFF, a, "discontinued", D("2020-03-01"), note="team left", today=TODAY)
    assert commands.status_choice(world, a).options == ("in_development",)  # funded before: revived to development
    with pytest.raises(commands.CommandError, match="needs a note"):
        commands.record_status_change(world, STAFF, a, "in_development", D("2020-04-01"), today=TODAY)
    commands.record_status_change(world, STAFF, a, "in_development", D("2020-04-01"), note="new team", today=TODAY)
    assert commands.status_choice(world, a).current == "in_development"


@pytest.mark.parametrize("values, message", [
    (dict(metric="people", as_of=D("2020-04-30"), value=-1), "whole number of 0 or more"),
    (dict(metric="people", as_of=D("2020-04-30"), value=1.5), "whole number of 0 or more"),
    (dict(metric="people", as_of=D("2020-07-01"), value=200), "in the future"),
    (dict(metric="volunteers", as_of=D("2020-04-30"), value=200), "no metric 'volunteers'"),
    (dict(metric="people", as_of=D("2020-04-30"), value=90), "lower than the reading of 100 on 2020-03-31"),
    (dict(metric="people", as_of=D("2020-04-30"), value=200, evidence_url="ftp://x"), "http:// or https://"),
    (dict(metric="people", as_of=D("2020-03-31"), value=100), "People reached: 100 as of 2020-03-31 is recorded "
                                                              "already; nothing new was recorded."),
])
def test_a_refused_reading_says_why_and_writes_nothing(world, values, message):
    before = counts(world)
    with pytest.raises(commands.CommandError, match=message):
        commands.record_reach_reading(world, team(world, "a"), project_id(world, "a"), today=TODAY, **values)
    assert counts(world)[:3] == before[:3]
    assert counts(world)[3] == before[3] + 1  # only the key's own audit entry


def test_staff_see_how_many_entries_wait_for_review(world):
    a, actor = project_id(world, "a"), team(world, "a")
    assert waiting_for_review(world) == 0
    commands.record_status_change(world, actor, a, "in_development", D("2020-03-01"), today=TODAY)
    commands.record_reach_reading(world, actor, a, "people", D("2020-04-30"), 150, today=TODAY)
    entry = commands.record_update(world, actor, a, "New host.")
    assert waiting_for_review(world) == 3
    commands.review(world, STAFF, "update", entry.id, approve=True)
    assert waiting_for_review(world) == 2


def test_the_same_update_twice_is_recorded_once(world):
    a, actor = project_id(world, "a"), team(world, "a")
    commands.record_update(world, actor, a, "We found a host.")
    before = counts(world)
    with pytest.raises(commands.CommandError, match="latest already; nothing new was recorded"):
        commands.record_update(world, actor, a, " We found a host. ")
    assert counts(world) == before
    commands.record_update(world, actor, a, "We lost the host.")  # another text is news
    assert counts(world)[2] == before[2] + 1


def test_a_lower_reading_with_a_note_is_accepted_and_flagged_for_review(world):
    a = project_id(world, "a")
    commands.record_reach_reading(world, team(world, "a"), a, "people", D("2020-04-30"), 90, note="recount",
                                  today=TODAY)
    queue = review_queue(world)
    assert list(queue[["kind", "value", "previous", "lower"]].itertuples(index=False, name=None)) == [
        ("reading", 90, 100, True)]
    totals = reach_totals(world, info(world, "tiny").id, TODAY)
    assert totals[totals["metric"] == "people"]["value"].iloc[-1] == 100  # pending: the approved 100 still counts


def test_returning_an_entry_needs_a_note_that_the_team_then_sees(world):
    a = project_id(world, "a")
    entry = commands.record_reach_reading(world, team(world, "a"), a, "people", D("2020-04-30"), 5000, today=TODAY)
    with pytest.raises(commands.CommandError, match="Say why"):
        commands.review(world, STAFF, "reading", entry.id, approve=False)
    commands.review(world, STAFF, "reading", entry.id, approve=False, note="5,000 looks like a typo")
    history = project_history(world, a)
    returned = history[history["review_state"] == "returned"]
    assert list(returned["review_note"]) == ["5,000 looks like a typo"]
    with pytest.raises(commands.Stale, match="already returned"):
        commands.review(world, STAFF, "reading", entry.id, approve=True)
    assert review_queue(world).empty


def test_approving_out_of_order_cannot_break_the_lifecycle(world):
    b = project_id(world, "b")
    team_b = team(world, "b")
    funded = commands.record_status_change(world, team_b, b, "funded", D("2020-02-01"), today=TODAY)
    developing = commands.record_status_change(world, team_b, b, "in_development", D("2020-03-01"), today=TODAY)
    commands.review(world, STAFF, "status", funded.id, approve=False, note="no funding decision yet")
    with pytest.raises(commands.CommandError, match="idea cannot become in_development"):
        commands.review(world, STAFF, "status", developing.id, approve=True)


def test_a_staff_correction_supersedes_and_keeps_the_old_event(world):
    a = project_id(world, "a")
    with world.connect() as conn:
        funded_id = conn.scalar(select(StatusEvent.id).where(StatusEvent.project_id == a,
                                                             StatusEvent.status == "funded"))
    commands.record_status_change(world, STAFF, a, "funded", D("2020-02-15"), note="the decision was on the 15th",
                                  supersedes_id=funded_id, today=TODAY)
    programme = info(world, "tiny")
    assert funnel_at(world, programme, D("2020-02-10")).set_index("stage")["projects"]["funded"] == 0
    history = project_history(world, a)
    assert list(history[history["kind"] == "status"].sort_values("id")["superseded"]) == [False, True, False]
    with pytest.raises(NotAllowed):
        commands.record_status_change(world, team(world, "a"), a, "funded", D("2020-02-20"), supersedes_id=funded_id,
                                      today=TODAY)


def test_a_form_opened_before_another_submission_is_refused_and_nothing_is_overwritten(world):
    a = project_id(world, "a")
    first, second = team(world, "a"), team(world, "a")
    seen = commands.project_revision(world, a)  # both open the form
    commands.record_update(world, first, a, "first", seen_revision=seen)
    before = counts(world)
    with pytest.raises(commands.Stale, match="changed since you opened it"):
        commands.record_update(world, second, a, "second", seen_revision=seen)
    assert counts(world) == before
    assert list(project_history(world, a).query("kind == 'update'")["note"]) == ["first"]


def test_every_accepted_write_has_its_audit_entry(world):
    a = project_id(world, "a")
    actor = team(world, "a")
    commands.record_status_change(world, actor, a, "launched", D("2020-05-01"), today=TODAY)
    commands.record_reach_reading(world, actor, a, "people", D("2020-05-31"), 150, today=TODAY)
    commands.record_update(world, actor, a, "<script>alert(1)</script>")
    with world.connect() as conn:
        entries = conn.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.subject)
                               .order_by(AuditEntry.id.desc()).limit(3)).all()
    assert [e.action for e in entries] == ["update", "reading", "status"]
    assert {e.actor for e in entries} == {actor.name} and actor.name.startswith("team a (key ")
    assert {e.subject for e in entries} == {"project a"}


def test_an_approved_update_ends_a_projects_silence(world):
    from impact.store.portfolio import portfolio
    b = project_id(world, "b")
    programme = info(world, "tiny")
    silent_before = portfolio(world, [programme.id], dt.date.today()).set_index("slug")["days_silent"]["b"]
    assert silent_before == (dt.date.today() - D("2020-01-10")).days
    entry = commands.record_update(world, team(world, "b"), b, "Still here.")
    assert portfolio(world, [programme.id], dt.date.today()).set_index("slug")["days_silent"]["b"] == silent_before
    commands.review(world, STAFF, "update", entry.id, approve=True)
    assert portfolio(world, [programme.id], dt.date.today()).set_index("slug")["days_silent"]["b"] == 0
