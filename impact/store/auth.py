"""Signing in: staff and funder passwords (argon2), team update keys, OIDC emails, and slowing down guessers.

Every check reads the database, so that a disabled account or a revoked key stops working on every replica at its
next page run. Attempts are counted in the database too, per account and per client address, before their secret is
checked.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from impact import settings
from impact.domain.access import FUNDER, PUBLIC, STAFF, TEAM, Actor
from impact.domain.values import EMAIL, aware
from impact.i18n import _, ngettext
from impact.store.db import write_session
from impact.store.models import Account, Grant, Project, SignInFailure, UpdateKey, utcnow

MIN_PASSWORD_LENGTH = 12
LOCK_AFTER = 5  # wrong attempts in a row, per account or per client
LOCK_FOR = dt.timedelta(minutes=15)
MAX_DELAY_S = 4.0  # the longest wait after a wrong attempt; SIGN_IN_MAX_DELAY changes it
KEY_BYTES = 24  # 192 random bits: a key cannot be guessed, so a plain SHA-256 of it is a safe thing to store

# argon2-cffi's default parameters (RFC 9106's low-memory choice: 64 MiB, 3 passes, 4 lanes). A hash names the
# parameters it was made with, and is checked with those. The test suite makes its accounts with the cheapest ones.
HASHER = PasswordHasher()


class SignInError(ValueError):
    """A refused sign-in; the message says what to do (and never which of email or password was wrong)."""


class Locked(SignInError):
    """Refused without checking the secret: too many attempts in a row."""


def normal_email(email: str) -> str:
    return email.strip().lower()


def check_email(email: str) -> str:
    email = normal_email(email)
    if not EMAIL.fullmatch(email):
        raise ValueError(_("“{email}” is not an email address.", email=email))
    return email


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(ngettext("A password needs at least {n} character.",
                                  "A password needs at least {n} characters.", MIN_PASSWORD_LENGTH))
    return HASHER.hash(password)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.strip().encode()).hexdigest()


def new_key() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


def delay_after(failures: int) -> float:
    """Seconds to wait before answering a wrong attempt: 0.25, 0.5, 1, 2, 4, 4 ..., at most the setting
    SIGN_IN_MAX_DELAY (4 s unless set; the test suite sets it low, as the lockout does not depend on it)."""
    longest = settings.seconds("SIGN_IN_MAX_DELAY", MAX_DELAY_S)
    return min(0.25 * 2 ** (failures - 1), longest) if failures > 0 else 0.0


# --- the three ways in ------------------------------------------------------------------------------------------


def sign_in(engine: Engine, email: str, password: str, client: str = "") -> Actor:
    """The account's actor if the password is right; SignInError otherwise (after a growing delay).

    The attempt is counted before the password is checked, in one transaction, so that attempts sent at the same
    moment cannot all be checked before any of them is counted: at most LOCK_AFTER are checked."""
    email = normal_email(email)
    scopes = (f"account:{email}", client_scope(client))
    count = _attempt(engine, scopes)
    with engine.connect() as conn:
        account = conn.execute(select(Account).where(Account.email == email)).first()
    matches = _password_matches(account.password_hash if account else None, password)  # equal work either way
    if account is None or account.disabled or not matches:
        time.sleep(delay_after(count))
        raise SignInError(_("That email and password do not match an active account. Check both and try again."))
    _withdraw(engine, scopes)
    return account_actor(engine, account.id) or PUBLIC


def sign_in_with_key(engine: Engine, key: str, client: str = "") -> Actor:
    """The team actor of a valid update key; SignInError for an unknown, revoked or expired one. Attempts are counted
    per client: a key is 192 random bits, so guessing one key is hopeless and counting per key would stop nothing."""
    if not key.strip():  # not an attempt
        raise SignInError(_("Enter the update key that programme staff gave your team."))
    scopes = (client_scope(client),)
    count = _attempt(engine, scopes)
    actor = key_actor(engine, key_hash(key))
    if actor is None:
        time.sleep(delay_after(count))
        raise SignInError(_("That update key is not valid: it may be mistyped, revoked or expired. Ask programme "
                            "staff for a new one."))
    _withdraw(engine, scopes)
    return actor


def oidc_actor(engine: Engine, email: str) -> Optional[Actor]:
    """The account of an email the identity provider vouched for; None if there is no active one."""
    with engine.connect() as conn:
        account_id = conn.scalar(select(Account.id).where(Account.email == normal_email(email)))
    return account_actor(engine, account_id) if account_id is not None else None


# --- who is this, now -------------------------------------------------------------------------------------------


def account_actor(engine: Engine, account_id: int) -> Optional[Actor]:
    """The actor of an active account, with its grants as they are now; None if it is disabled or gone."""
    with engine.connect() as conn:
        account = conn.execute(select(Account).where(Account.id == account_id)).first()
        if account is None or account.disabled:
            return None
        granted = frozenset(conn.scalars(select(Grant.programme_id).where(Grant.account_id == account_id)))
    role = STAFF if account.role == STAFF else FUNDER
    return Actor(role, account.email, account_id=account.id, programme_ids=granted)


def key_actor(engine: Engine, hashed: str, today: Optional[dt.date] = None) -> Optional[Actor]:
    """The team actor of the key with this hash, if it is neither revoked nor expired."""
    today = today or dt.date.today()
    with engine.connect() as conn:
        row = conn.execute(
            select(UpdateKey.id, UpdateKey.hint, UpdateKey.project_id, UpdateKey.expires_on, UpdateKey.revoked_at,
                   Project.slug).join(Project, Project.id == UpdateKey.project_id).where(UpdateKey.key_hash == hashed)
        ).first()
    if row is None or row.revoked_at is not None or (row.expires_on is not None and row.expires_on < today):
        return None
    return Actor(TEAM, f"team {row.slug} (key {row.hint}…)", key_id=row.id, project_id=row.project_id)


def actor_of(engine: Engine, account_id: Optional[int], key_id: Optional[int]) -> Optional[Actor]:
    """The actor of an active account or a valid key, by id; None if it is disabled, revoked, expired or gone."""
    if account_id is not None:
        return account_actor(engine, account_id)
    with engine.connect() as conn:
        hashed = conn.scalar(select(UpdateKey.key_hash).where(UpdateKey.id == key_id))
    return key_actor(engine, hashed) if hashed else None


def refresh(engine: Engine, actor: Actor) -> Actor:
    """The same person as the database sees them now: a disabled account or revoked key falls back to public."""
    if actor.account_id is None and actor.key_id is None:
        return actor
    return actor_of(engine, actor.account_id, actor.key_id) or PUBLIC


# --- throttling -------------------------------------------------------------------------------------------------


def _password_matches(stored: Optional[str], password: str) -> bool:
    if not stored:
        HASHER.hash(password)  # the same work as a real check, so that timing does not tell which accounts exist
        return False
    try:
        return HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def client_scope(client: str) -> str:
    """The counter of a visitor's address (impact.ui.web works it out, believing only trusted proxies); visitors on
    the server's own machine, whose address Streamlit does not give, share one."""
    return f"client:{client or 'local'}"


def _attempt(engine: Engine, scopes: tuple[str, ...]) -> int:
    """Count an attempt in each scope before its secret is checked, and return the highest count; SignInError when
    a scope is locked (LOCK_AFTER attempts or more, the latest less than LOCK_FOR ago). One transaction, with the
    scopes' rows locked (PostgreSQL) or the write lock held (SQLite), so concurrent attempts are counted one by one.

    A refused attempt is counted too, in the locked scopes only, without prolonging the lock, and a right secret
    sent among wrong ones takes nothing back (`_withdraw`): the lock stays a lock."""
    now = utcnow()
    with write_session(engine) as session, session.begin():
        rows = _rows_for_update(session, scopes, now)
        for row in rows:
            if aware(row.last_failed_at) <= now - LOCK_FOR:
                row.failures = 0
        locked = [row for row in rows if row.failures >= LOCK_AFTER]
        for row in locked or rows:
            row.failures += 1
            if not locked:
                row.last_failed_at = now
            row.locked_until = aware(row.last_failed_at) + LOCK_FOR if row.failures >= LOCK_AFTER else None
        until = max((aware(row.last_failed_at) + LOCK_FOR for row in locked), default=None)
        count = max(row.failures for row in rows)
    if until is not None:
        minutes = max(1, round((until - now).total_seconds() / 60))
        raise Locked(ngettext(
            "Too many wrong attempts. Sign-in is locked for {n} more minute; try again then, or ask programme staff.",
            "Too many wrong attempts. Sign-in is locked for {n} more minutes; try again then, or ask programme staff.",
            minutes))
    return count


def _withdraw(engine: Engine, scopes: tuple[str, ...]) -> None:
    """A right secret was no guess: where it was the only attempt counted, forget it, so that signing in often
    locks nobody out. Where other attempts were counted (typing errors before it, or a burst it arrived in), the
    count stands and ages out: taking it back then would let one more guess through."""
    with write_session(engine) as session, session.begin():
        for row in _rows_for_update(session, scopes, utcnow()):
            if row.failures == 1:
                row.failures, row.locked_until = 0, None


def _rows_for_update(session, scopes: tuple[str, ...], now: dt.datetime) -> list[SignInFailure]:
    """The scopes' counters, created where missing, locked for this transaction (always in the same order)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    ordered = sorted(set(scopes))
    session.execute(insert(SignInFailure).values([{"scope": scope, "failures": 0, "last_failed_at": now}
                                                  for scope in ordered]).on_conflict_do_nothing())
    return list(session.scalars(select(SignInFailure).where(SignInFailure.scope.in_(ordered))
                                .order_by(SignInFailure.scope).with_for_update()))
