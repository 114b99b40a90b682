"""Signing in: staff and funder passwords (argon2), team update keys, OIDC emails, and slowing down guessers.

Every check reads the database, so that a disabled account or a revoked key stops working on every replica at its
next page run. Failed attempts are counted in the database too, per account and per client address.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError

from impact.access import FUNDER, PUBLIC, STAFF, TEAM, Actor
from impact.db import write_session
from impact.i18n import _
from impact.models import Account, Grant, Project, SignInFailure, UpdateKey, utcnow
from impact.values import EMAIL, aware

MIN_PASSWORD_LENGTH = 12
LOCK_AFTER = 5  # wrong attempts in a row, per account or per client
LOCK_FOR = dt.timedelta(minutes=15)
MAX_DELAY_S = 4.0
KEY_BYTES = 24  # 192 random bits: a key cannot be guessed, so a plain SHA-256 of it is a safe thing to store

_hasher = PasswordHasher()


class SignInError(ValueError):
    """A refused sign-in; the message says what to do (and never which of email or password was wrong)."""


def normal_email(email: str) -> str:
    return email.strip().lower()


def check_email(email: str) -> str:
    email = normal_email(email)
    if not EMAIL.fullmatch(email):
        raise ValueError(_("“{email}” is not an email address.", email=email))
    return email


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(_("A password needs at least {n} characters.", n=MIN_PASSWORD_LENGTH))
    return _hasher.hash(password)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.strip().encode()).hexdigest()


def new_key() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


def delay_after(failures: int) -> float:
    """Seconds to wait before answering a wrong attempt: 0.25, 0.5, 1, 2, 4, 4 ..."""
    return min(0.25 * 2 ** (failures - 1), MAX_DELAY_S) if failures > 0 else 0.0


# --- the three ways in ------------------------------------------------------------------------------------------


def sign_in(engine: Engine, email: str, password: str, client: str = "") -> Actor:
    """The account's actor if the password is right; SignInError otherwise (after a growing delay)."""
    email = normal_email(email)
    scopes = [f"account:{email}"] + ([f"client:{client}"] if client else [])
    _refuse_if_locked(engine, scopes)
    with engine.connect() as conn:
        account = conn.execute(select(Account).where(Account.email == email)).first()
    matches = _password_matches(account.password_hash if account else None, password)  # equal work either way
    if account is None or account.disabled or not matches:
        _failed(engine, scopes)
        raise SignInError(_("That email and password do not match an active account. Check both and try again."))
    _forget(engine, scopes[0])  # the account's count; a client's count only ages out, so one good key or
    return account_actor(engine, account.id) or PUBLIC  # password does not reset a guesser's tally


def sign_in_with_key(engine: Engine, key: str, client: str = "") -> Actor:
    """The team actor of a valid update key; SignInError for an unknown, revoked or expired one."""
    scopes = [f"client:{client or 'unknown'}"]
    _refuse_if_locked(engine, scopes)
    actor = key_actor(engine, key_hash(key))
    if actor is None:
        _failed(engine, scopes)
        raise SignInError(_("That update key is not valid: it may be mistyped, revoked or expired. Ask programme "
                            "staff for a new one."))
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


def refresh(engine: Engine, actor: Actor) -> Actor:
    """The same person as the database sees them now: a disabled account or revoked key falls back to public."""
    if actor.account_id is not None:
        return account_actor(engine, actor.account_id) or PUBLIC
    if actor.key_id is not None:
        with engine.connect() as conn:
            hashed = conn.scalar(select(UpdateKey.key_hash).where(UpdateKey.id == actor.key_id))
        return (key_actor(engine, hashed) if hashed else None) or PUBLIC
    return actor


# --- throttling -------------------------------------------------------------------------------------------------


def _password_matches(stored: Optional[str], password: str) -> bool:
    if not stored:
        _hasher.hash(password)  # the same work as a real check, so that timing does not tell which accounts exist
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _refuse_if_locked(engine: Engine, scopes: list[str]) -> None:
    now = utcnow()
    with engine.connect() as conn:
        locks = conn.scalars(select(SignInFailure.locked_until).where(
            SignInFailure.scope.in_(scopes), SignInFailure.locked_until.is_not(None))).all()
    until = max((aware(lock) for lock in locks if aware(lock) > now), default=None)
    if until is not None:
        minutes = max(1, round((until - now).total_seconds() / 60))
        raise SignInError(_("Too many wrong attempts. Sign-in is locked for {minutes} more minute(s); try again "
                            "then, or ask programme staff.", minutes=minutes))


def _failed(engine: Engine, scopes: list[str]) -> None:
    """Count a wrong attempt in each scope (a count older than LOCK_FOR starts again), lock at LOCK_AFTER, and
    answer only after a delay that grows with the count."""
    try:
        worst = _count_failure(engine, scopes)
    except IntegrityError:  # another replica counted the first failure of this scope at the same moment
        worst = _count_failure(engine, scopes)
    time.sleep(delay_after(worst))


def _count_failure(engine: Engine, scopes: list[str]) -> int:
    now = utcnow()
    worst = 0
    with write_session(engine) as session, session.begin():
        for scope in scopes:
            row = session.get(SignInFailure, scope, with_for_update=True)
            if row is None:
                row = SignInFailure(scope=scope, failures=0)
                session.add(row)
            elif aware(row.last_failed_at) < now - LOCK_FOR:
                row.failures = 0
            row.failures += 1
            row.last_failed_at = now
            row.locked_until = now + LOCK_FOR if row.failures >= LOCK_AFTER else None
            worst = max(worst, row.failures)
    return worst


def _forget(engine: Engine, scope: str) -> None:
    with write_session(engine) as session, session.begin():
        session.execute(delete(SignInFailure).where(SignInFailure.scope == scope))
