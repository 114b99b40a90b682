"""Sessions kept on the server: only a hash stored, a ticket good once, idle and absolute expiry, and every way a
session ends (sign-out, sign out everywhere, a new password, a disabled account, a revoked key). Both engines."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from impact.domain.access import command_line
from impact.store import admin, auth, sessions
from impact.store.commands import CommandError
from impact.store.models import AuditEntry, WebSession, utcnow
from tests.conftest import TINY_PROGRAMME, load

CLI = command_line("tests")
PASSWORD = "correct horse battery"


@pytest.fixture
def world(engine, tmp_path):
    load(engine, tmp_path / "tiny", programmes__toml=TINY_PROGRAMME, projects__csv="programme,slug,name\ntiny,a,A\n")
    admin.add_account(engine, CLI, "staff@example.org", "staff", PASSWORD)
    return engine, auth.sign_in(engine, "staff@example.org", PASSWORD)


def count(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(WebSession))


def test_the_database_keeps_only_hashes_and_a_ticket_works_once(world):
    engine, staff = world
    started = sessions.start(engine, staff)
    with engine.connect() as conn:
        row = conn.execute(select(WebSession)).one()
    assert started.token not in (row.token_hash, row.ticket_hash) and started.ticket not in (row.token_hash,
                                                                                          row.ticket_hash)
    assert sessions.actor_of(engine, started.token) == staff  # this tab, before the browser has its cookie
    cookie = sessions.redeem(engine, started.ticket)
    assert cookie and cookie != started.token
    assert sessions.redeem(engine, started.ticket) is None  # once only
    assert sessions.actor_of(engine, cookie) == staff
    assert sessions.actor_of(engine, started.token) is None  # the ticket's trade replaced the tab's token
    assert sessions.actor_of(engine, "made-up") is None


def test_a_ticket_expires_after_two_minutes(world):
    engine, staff = world
    started = sessions.start(engine, staff)
    with engine.begin() as conn:
        conn.execute(update(WebSession).values(ticket_expires_at=utcnow() - dt.timedelta(seconds=1)))
    assert sessions.redeem(engine, started.ticket) is None


@pytest.mark.parametrize("column, age", [("last_seen_at", dt.timedelta(days=14, minutes=1)),
                                         ("created_at", dt.timedelta(days=30, minutes=1))])
def test_a_session_expires_when_idle_and_at_its_age(world, column, age):
    engine, staff = world
    token = sessions.start(engine, staff).token
    with engine.begin() as conn:
        conn.execute(update(WebSession).values({column: utcnow() - age}))
    assert sessions.actor_of(engine, token) is None
    sessions.start(engine, staff)  # a new sign-in clears expired sessions away
    assert count(engine) == 1


def test_a_visit_keeps_a_session_alive(world):
    engine, staff = world
    token = sessions.start(engine, staff).token
    with engine.begin() as conn:
        conn.execute(update(WebSession).values(last_seen_at=utcnow() - dt.timedelta(days=13)))
    assert sessions.actor_of(engine, token) == staff
    with engine.connect() as conn:
        seen = conn.scalar(select(WebSession.last_seen_at))
    assert utcnow() - (seen if seen.tzinfo else seen.replace(tzinfo=dt.timezone.utc)) < dt.timedelta(minutes=1)


def test_signing_out_ends_only_that_session(world):
    engine, staff = world
    laptop, phone = sessions.start(engine, staff).token, sessions.start(engine, staff).token
    sessions.end(engine, laptop)
    assert sessions.actor_of(engine, laptop) is None and sessions.actor_of(engine, phone) == staff


@pytest.mark.parametrize("ending", ["everywhere", "password", "disabled"])
def test_staff_end_every_session_of_an_account(world, ending):
    engine, staff = world
    admin.add_account(engine, CLI, "funder@example.org", "funder", PASSWORD, ["tiny"])
    funder = auth.sign_in(engine, "funder@example.org", PASSWORD)
    tokens = [sessions.start(engine, funder).token for _browser in range(2)]
    own = sessions.start(engine, staff).token
    if ending == "everywhere":
        assert admin.sign_out_everywhere(engine, staff, "funder@example.org") == 2
    elif ending == "password":
        admin.set_password(engine, staff, "funder@example.org", "a new long password")
    else:
        admin.set_account_disabled(engine, staff, "funder@example.org", True)
    assert [sessions.actor_of(engine, token) for token in tokens] == [None, None]
    assert sessions.actor_of(engine, own) == staff  # other accounts' sessions go on
    with engine.connect() as conn:
        assert conn.scalar(select(AuditEntry.subject).order_by(AuditEntry.id.desc())) == "account funder@example.org"


def test_only_staff_sign_others_out(world):
    engine, staff = world
    admin.add_account(engine, CLI, "funder@example.org", "funder", PASSWORD, ["tiny"])
    funder = auth.sign_in(engine, "funder@example.org", PASSWORD)
    with pytest.raises(PermissionError):
        admin.sign_out_everywhere(engine, funder, "staff@example.org")
    with pytest.raises(CommandError, match="no account"):
        admin.sign_out_everywhere(engine, staff, "nobody@example.org")


def test_a_revoked_key_ends_its_team_sessions(world):
    engine, staff = world
    issued = admin.issue_key(engine, staff, "a")
    team = auth.sign_in_with_key(engine, issued.key)
    token = sessions.start(engine, team).token
    assert sessions.actor_of(engine, token) == team
    admin.revoke_key(engine, staff, issued.id)
    assert sessions.actor_of(engine, token) is None and count(engine) == 0
