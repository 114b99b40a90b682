"""API tokens: a staff member or funder reads the API (impact.api) with a token of their account.

A token reads what its account may read now (its role and granted programmes as they stand at each request), until
it expires or is revoked; a disabled account's tokens stop at once. Only the token's SHA-256 is stored: a token is
192 random bits, shown once when issued. Wrong tokens are counted per client exactly as wrong sign-ins are
(impact.store.auth), and lock that client out the same way.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Optional

import pandas as pd
from sqlalchemy import Engine, select

from impact.domain.access import Actor, check_staff, check_still_holds
from impact.domain.values import aware, row_id
from impact.i18n import _
from impact.store import auth
from impact.store.commands import CommandError, audit
from impact.store.db import write_session
from impact.store.models import Account, ApiToken, SignInFailure, utcnow

DEFAULT_DAYS = 90  # a token's life when no expiry date is given
MAX_DAYS = 366  # the longest a token may live: a forgotten token stops by itself


@dataclass(frozen=True)
class IssuedToken:
    """A new API token. `token` is shown once and stored nowhere."""

    id: int
    token: str
    email: str
    expires_on: dt.date


def issue_token(engine: Engine, actor: Actor, email: str, expires_on: Optional[dt.date] = None,
                today: Optional[dt.date] = None) -> IssuedToken:
    """A new token for a staff or funder account (staff only); it expires on `expires_on` (at most MAX_DAYS
    ahead, DEFAULT_DAYS when not given)."""
    check_staff(actor)
    today = today or dt.date.today()
    expires_on = expires_on or today + dt.timedelta(days=DEFAULT_DAYS)
    if expires_on < today:
        raise CommandError(_("The expiry date {day} has passed; pick a later one.", day=expires_on))
    if expires_on > today + dt.timedelta(days=MAX_DAYS):
        raise CommandError(_("A token lives at most {days} days; pick an expiry date on or before {day}.",
                             days=MAX_DAYS, day=today + dt.timedelta(days=MAX_DAYS)))
    token = auth.new_key()
    with write_session(engine) as session, session.begin():
        check_still_holds(session, actor)
        account = session.scalar(select(Account).where(Account.email == auth.normal_email(email)))
        if account is None:
            raise CommandError(_("There is no account for {email}.", email=auth.normal_email(email)))
        row = ApiToken(account_id=account.id, token_hash=auth.key_hash(token), hint=token[:6],
                       created_by=actor.name, expires_on=expires_on)
        session.add(row)
        session.flush()
        audit(session, actor, "api token issued", f"account {account.email}", None,
              {"token": row.hint, "expires_on": expires_on.isoformat()})
        return IssuedToken(row.id, token, account.email, expires_on)


def revoke_token(engine: Engine, actor: Actor, token_id: int) -> None:
    """The token stops working at once, on every replica (staff only)."""
    check_staff(actor)
    with write_session(engine) as session, session.begin():
        check_still_holds(session, actor)
        row = session.get(ApiToken, token_id, with_for_update=True) if row_id(token_id) else None
        if row is None:
            raise CommandError(_("There is no such API token."))
        if row.revoked_at is not None:
            return
        row.revoked_at = utcnow()
        email = session.scalar(select(Account.email).where(Account.id == row.account_id))
        audit(session, actor, "api token revoked", f"account {email}", {"token": row.hint},
              {"token": row.hint, "revoked": True})


def api_tokens(engine: Engine, actor: Actor, today: Optional[dt.date] = None) -> pd.DataFrame:
    """Every token ever issued (staff only): id, account, hint, created_at, created_by, expires_on, state."""
    check_staff(actor)
    today = today or dt.date.today()
    with engine.connect() as conn:
        rows = conn.execute(select(ApiToken.id, Account.email, ApiToken.hint, ApiToken.created_at,
                                   ApiToken.created_by, ApiToken.expires_on, ApiToken.revoked_at)
                            .join(Account).order_by(ApiToken.id.desc())).all()
    return pd.DataFrame(
        [{"id": t.id, "account": t.email, "hint": t.hint + "…", "created_at": t.created_at,
          "created_by": t.created_by, "expires_on": t.expires_on,
          "state": "revoked" if t.revoked_at else "expired" if t.expires_on < today else "active"} for t in rows],
        columns=["id", "account", "hint", "created_at", "created_by", "expires_on", "state"])


def token_actor(engine: Engine, token: str, client: str = "", today: Optional[dt.date] = None) -> Actor:
    """The actor of a valid token's account as it stands now. A wrong, revoked or expired token, or one of a
    disabled account, is counted against the client like a wrong sign-in (auth.SignInError after the same growing
    delay; auth.Locked once the client is locked out, then for every token, right or wrong, until the lock ends).

    Unlike a password, a right token is not counted first: a token is 192 random bits, so checking a guess before
    counting it tells the guesser nothing, and a caller's parallel requests with its right token never lock it."""
    scope = auth.client_scope(client)
    actor = _valid(engine, auth.key_hash(token), today or dt.date.today())
    if actor is not None and not _locked(engine, scope):
        return actor
    count = auth._attempt(engine, (scope,))  # raises auth.Locked for a locked client
    time.sleep(auth.delay_after(count))
    raise auth.SignInError(_("That API token is not valid: it may be mistyped, revoked or expired. Ask programme "
                             "staff for a new one."))


def _locked(engine: Engine, scope: str) -> bool:
    with engine.connect() as conn:
        row = conn.execute(select(SignInFailure.failures, SignInFailure.last_failed_at)
                           .where(SignInFailure.scope == scope)).first()
    return (row is not None and row.failures >= auth.LOCK_AFTER
            and aware(row.last_failed_at) > utcnow() - auth.LOCK_FOR)


def _valid(engine: Engine, hashed: str, today: dt.date) -> Optional[Actor]:
    with engine.connect() as conn:
        row = conn.execute(select(ApiToken.account_id, ApiToken.expires_on, ApiToken.revoked_at)
                           .where(ApiToken.token_hash == hashed)).first()
    if row is None or row.revoked_at is not None or row.expires_on < today:
        return None
    return auth.account_actor(engine, row.account_id)
