"""Sign-in sessions kept on the server, so that a sign-in survives a reload and can be ended from anywhere.

A browser holds a random token in an HttpOnly cookie (set by impact.ui.web); the database holds only its SHA-256, with
the account or key it stands for. A session ends when its visitor signs out, after SESSION_IDLE_DAYS without a visit
(default 14) or SESSION_MAX_DAYS after it began (default 30), and at once on every replica when staff sign the
account out everywhere, its password changes, or the account is disabled or the key revoked.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import Engine, delete, or_, select, update
from sqlalchemy.orm import Session

from impact.domain.access import Actor
from impact.domain.values import aware
from impact.settings import days
from impact.store import auth
from impact.store.db import write_session
from impact.store.models import WebSession, utcnow

COOKIE = "impact_session"
TOKEN_BYTES = 32
TICKET_FOR = dt.timedelta(minutes=2)
TOUCH_EVERY = dt.timedelta(minutes=10)  # how stale `last_seen_at` may be: a page run writes at most this often


@dataclass(frozen=True)
class Lifetimes:
    idle: dt.timedelta
    absolute: dt.timedelta


@functools.cache
def lifetimes() -> Lifetimes:
    return Lifetimes(idle=days("SESSION_IDLE_DAYS", 14), absolute=days("SESSION_MAX_DAYS", 30))


@dataclass(frozen=True)
class Started:
    """A new session: the token this browser tab keeps, and a one-time ticket the browser trades for the cookie."""

    token: str
    ticket: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start(engine: Engine, actor: Actor) -> Started:
    """Begin a session for a signed-in account or key (and forget sessions that have expired meanwhile)."""
    token, ticket = secrets.token_urlsafe(TOKEN_BYTES), secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    with write_session(engine) as session, session.begin():
        session.execute(delete(WebSession).where(or_(WebSession.created_at < now - lifetimes().absolute,
                                                     WebSession.last_seen_at < now - lifetimes().idle)))
        session.add(WebSession(token_hash=_hash(token), ticket_hash=_hash(ticket), ticket_expires_at=now + TICKET_FOR,
                               account_id=actor.account_id, key_id=actor.key_id, created_at=now, last_seen_at=now))
    return Started(token, ticket)


def redeem(engine: Engine, ticket: str) -> Optional[str]:
    """The cookie's token for a ticket, once: the session's token is replaced, so the ticket, which passed through
    an address, is worth nothing afterwards. None for an unknown, used or expired ticket."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with write_session(engine) as session, session.begin():
        changed = session.connection().execute(
            update(WebSession).where(WebSession.ticket_hash == _hash(ticket), WebSession.ticket_expires_at > utcnow())
            .values(token_hash=_hash(token), ticket_hash=None, ticket_expires_at=None))
    return token if changed.rowcount == 1 else None


def actor_of(engine: Engine, token: str) -> Optional[Actor]:
    """Who holds this token now, or None when its session has ended or expired, or its account or key stopped."""
    now = utcnow()
    with engine.connect() as conn:
        row = conn.execute(select(WebSession).where(WebSession.token_hash == _hash(token))).first()
    if row is None or aware(row.created_at) <= now - lifetimes().absolute \
            or aware(row.last_seen_at) <= now - lifetimes().idle:
        return None
    if aware(row.last_seen_at) < now - TOUCH_EVERY:
        with write_session(engine) as session, session.begin():
            session.execute(update(WebSession).where(WebSession.id == row.id).values(last_seen_at=now))
    return auth.actor_of(engine, row.account_id, row.key_id)


def end(engine: Engine, token: str) -> None:
    """Sign out: the session is gone on every replica at its next page run."""
    with write_session(engine) as session, session.begin():
        session.execute(delete(WebSession).where(WebSession.token_hash == _hash(token)))


def end_all(session: Session, account_id: Optional[int] = None, key_id: Optional[int] = None) -> int:
    """End every session of an account or a key, inside the caller's write transaction; how many ended."""
    column, value = (WebSession.account_id, account_id) if account_id is not None else (WebSession.key_id, key_id)
    return session.connection().execute(delete(WebSession).where(column == value)).rowcount
