"""The two links in an email: a one-time sign-in to the project's update page, and opting out of emails.

A sign-in link is used once: redeeming it marks it used in the same transaction that makes the short key its team
session stands on (valid until the end of the next day, its hint "mail"), so a link opened twice, forwarded or
replayed from a log signs no one in the second time, on any replica. It is not the team's long-lived key and shows
nothing of it. Unused, it expires (MAIL_LINK_DAYS, 14 by default).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Optional

from sqlalchemy import Engine, select

from impact.domain.access import PUBLIC, TEAM, Actor
from impact.domain.values import aware
from impact.store.auth import key_actor, key_hash
from impact.store.commands import audit
from impact.store.db import write_session
from impact.store.models import MailContact, MailLink, Project, UpdateKey, utcnow

KEY_HINT = "mail"


def redeem(engine: Engine, token: str, now: Optional[dt.datetime] = None) -> Optional[Actor]:
    """The team actor the link signs in, once; None for an unknown, used or expired link."""
    if not token or len(token) > 200:
        return None
    now = now or utcnow()
    hashed = hashlib.sha256(token.encode()).hexdigest()
    with write_session(engine) as session, session.begin():
        link = session.scalar(select(MailLink).where(MailLink.token_hash == hashed).with_for_update())
        if link is None or link.used_at is not None or aware(link.expires_at) <= now:
            return None
        key = UpdateKey(project_id=link.project_id, key_hash=key_hash(secrets.token_urlsafe(24)), hint=KEY_HINT,
                        created_at=now, created_by="mail link", expires_on=now.date() + dt.timedelta(days=1))
        session.add(key)
        session.flush()
        link.used_at, link.key_id = now, key.id
        slug = session.scalar(select(Project.slug).where(Project.id == link.project_id))
        audit(session, Actor(TEAM, f"team {slug} (mail link)"), "mail link used", f"project {slug}", None,
              {"link": link.id, "key": key.id})
        hashed_key = key.key_hash
    return key_actor(engine, hashed_key, today=now.date())


def address_of(engine: Engine, token: str) -> Optional[str]:
    """The address an opt-out token belongs to (None: no such token)."""
    if not token or len(token) > 200:
        return None
    with engine.connect() as conn:
        return conn.scalar(select(MailContact.address).where(MailContact.unsubscribe_token == token))


def opt_out(engine: Engine, token: str) -> Optional[str]:
    """Stop emails to the token's address (again: no harm); its address, or None for an unknown token."""
    if not token or len(token) > 200:
        return None
    with write_session(engine) as session, session.begin():
        row = session.scalar(select(MailContact).where(MailContact.unsubscribe_token == token).with_for_update())
        if row is None:
            return None
        if row.opted_out_at is None:
            row.opted_out_at = utcnow()
            who = Actor(PUBLIC.role, f"contact {row.address}")
            audit(session, who, "mail opt-out", f"contact {row.address}", None, {"opted_out": True})
        return row.address
