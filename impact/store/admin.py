"""Staff's writes about people: accounts, funders' programmes, and teams' update keys. Each is one transaction with
its audit entry, refused with a sentence for anyone but staff (and for an account disabled since its page was
opened: impact.domain.access.check_still_holds). The reads of accounts and keys are staff's too."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional, Sequence

import pandas as pd
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from impact.domain.access import Actor, check_staff, check_still_holds
from impact.domain.values import row_id
from impact.i18n import _
from impact.store.auth import check_email, hash_password, key_hash, new_key
from impact.store.commands import CommandError, audit
from impact.store.db import write_session
from impact.store.models import ACCOUNT_ROLES, Account, Grant, Programme, Project, UpdateKey, utcnow
from impact.store.sessions import end_all


@dataclass(frozen=True)
class IssuedKey:
    """A new update key. `key` is shown once and stored nowhere; `link` opens the update page with it."""

    id: int
    key: str
    project_slug: str
    expires_on: Optional[dt.date]


def add_account(engine: Engine, actor: Actor, email: str, role: str, password: Optional[str] = None,
                programmes: Sequence[str] = ()) -> int:
    """A staff or funder account (funders read the programmes named by slug). Without a password the account
    signs in only through the identity provider (OIDC)."""
    check_staff(actor)
    email = _email(email)
    if role not in ACCOUNT_ROLES:
        raise CommandError(_("An account's role is one of: {roles}.", roles=", ".join(ACCOUNT_ROLES)))
    hashed = _password(password) if password else None
    with write_session(engine) as session, session.begin():
        check_still_holds(session, actor)
        if session.scalar(select(func.count()).where(Account.email == email)):
            raise CommandError(_("There is already an account for {email}.", email=email))
        account = Account(email=email, role=role, password_hash=hashed, created_by=actor.name)
        session.add(account)
        session.flush()
        granted = _grant(session, account, programmes)
        audit(session, actor, "account added", f"account {email}", None,
               {"role": role, "programmes": granted, "password": bool(hashed)})
        return account.id


def set_account_disabled(engine: Engine, actor: Actor, email: str, disabled: bool) -> None:
    """Disable an account (it is signed out at its next page) or enable it again; accounts are never deleted."""
    check_staff(actor)
    with write_session(engine) as session, session.begin():
        check_still_holds(session, actor)
        account = _account(session, email)
        if account.disabled == disabled:
            return
        if disabled and actor.account_id == account.id:
            raise CommandError(_("You cannot disable your own account; ask another staff member."))
        account.disabled = disabled
        if disabled:
            end_all(session, account_id=account.id)
        audit(session, actor, "account disabled" if disabled else "account enabled", f"account {account.email}",
               {"disabled": not disabled}, {"disabled": disabled})


def set_password(engine: Engine, actor: Actor, email: str, password: str) -> None:
    """Staff set any account's password; anyone signed in may set their own. Every session of the account ends."""
    if actor.account_id is None or _normal(email) != actor.name:
        check_staff(actor)
    hashed = _password(password)
    with write_session(engine) as session, session.begin():
        check_still_holds(session, actor)
        account = _account(session, email)
        account.password_hash = hashed
        ended = end_all(session, account_id=account.id)
        audit(session, actor, "password set", f"account {account.email}", None, {"sessions ended": ended})


def sign_out_everywhere(engine: Engine, actor: Actor, email: str) -> int:
    """End every session of an account, on every browser and replica; how many there were."""
    check_staff(actor)
    with write_session(engine) as session, session.begin():
        check_still_holds(session, actor)
        account = _account(session, email)
        ended = end_all(session, account_id=account.id)
        audit(session, actor, "signed out everywhere", f"account {account.email}", None, {"sessions ended": ended})
        return ended


def set_programmes(engine: Engine, actor: Actor, email: str, programmes: Sequence[str]) -> None:
    """The programmes a funder may read, replacing the previous list."""
    check_staff(actor)
    with write_session(engine) as session, session.begin():
        check_still_holds(session, actor)
        account = _account(session, email)
        before = sorted(session.scalars(select(Programme.slug).join(Grant, Grant.programme_id == Programme.id)
                                        .where(Grant.account_id == account.id)))
        session.execute(delete(Grant).where(Grant.account_id == account.id))
        after = _grant(session, account, programmes)
        audit(session, actor, "programmes granted", f"account {account.email}", {"programmes": before},
               {"programmes": after})


def issue_key(engine: Engine, actor: Actor, project_slug: str, expires_on: Optional[dt.date] = None,
              today: Optional[dt.date] = None) -> IssuedKey:
    """A new update key for a project's team; it is returned once and only its hash is kept."""
    check_staff(actor)
    if expires_on is not None and expires_on < (today or dt.date.today()):
        raise CommandError(_("The expiry date {day} has passed; pick a later one, or none.", day=expires_on))
    key = new_key()
    with write_session(engine) as session, session.begin():
        check_still_holds(session, actor)
        project = session.scalar(select(Project).where(Project.slug == project_slug))
        if project is None:
            raise CommandError(_("There is no project '{slug}'.", slug=project_slug))
        row = UpdateKey(project_id=project.id, key_hash=key_hash(key), hint=key[:6], created_by=actor.name,
                        expires_on=expires_on)
        session.add(row)
        session.flush()
        audit(session, actor, "key issued", f"project {project.slug}", None,
               {"key": row.hint, "expires_on": expires_on.isoformat() if expires_on else None})
        return IssuedKey(row.id, key, project.slug, expires_on)


def revoke_key(engine: Engine, actor: Actor, key_id: int) -> None:
    """The key stops working at once, on every replica."""
    check_staff(actor)
    with write_session(engine) as session, session.begin():
        check_still_holds(session, actor)
        row = session.get(UpdateKey, key_id, with_for_update=True) if row_id(key_id) else None
        if row is None:
            raise CommandError(_("There is no such update key."))
        if row.revoked_at is not None:
            return
        row.revoked_at = utcnow()
        end_all(session, key_id=row.id)
        slug = session.scalar(select(Project.slug).where(Project.id == row.project_id))
        audit(session, actor, "key revoked", f"project {slug}", {"key": row.hint}, {"key": row.hint, "revoked": True})


# --- reads for the staff pages ---------------------------------------------------------------------------------


def accounts(engine: Engine, actor: Actor) -> pd.DataFrame:
    """Every account (staff only): email, role, disabled, programmes (slugs, comma-separated), created_at,
    created_by."""
    check_staff(actor)
    with engine.connect() as conn:
        rows = conn.execute(select(Account).order_by(Account.role, Account.email)).all()
        grants = conn.execute(select(Grant.account_id, Programme.slug).join(Programme)).all()
    by_account: dict[int, list[str]] = {}
    for account_id, slug in grants:
        by_account.setdefault(account_id, []).append(slug)
    return pd.DataFrame(
        [{"email": r.email, "role": r.role, "disabled": r.disabled,
          "programmes": ", ".join(sorted(by_account.get(r.id, []))), "created_at": r.created_at,
          "created_by": r.created_by} for r in rows],
        columns=["email", "role", "disabled", "programmes", "created_at", "created_by"])


def update_keys(engine: Engine, actor: Actor, today: Optional[dt.date] = None) -> pd.DataFrame:
    """Every key ever issued (staff only): id, project (slug), hint, created_at, created_by, expires_on, state."""
    check_staff(actor)
    today = today or dt.date.today()
    with engine.connect() as conn:
        rows = conn.execute(select(UpdateKey.id, Project.slug, UpdateKey.hint, UpdateKey.created_at,
                                   UpdateKey.created_by, UpdateKey.expires_on, UpdateKey.revoked_at)
                            .join(Project).order_by(UpdateKey.id.desc())).all()
    return pd.DataFrame(
        [{"id": k.id, "project": k.slug, "hint": k.hint + "…", "created_at": k.created_at,
          "created_by": k.created_by, "expires_on": k.expires_on,
          "state": "revoked" if k.revoked_at else "expired" if k.expires_on and k.expires_on < today else "active"}
         for k in rows],
        columns=["id", "project", "hint", "created_at", "created_by", "expires_on", "state"])


# --- helpers --------------------------------------------------------------------------------------------------


def _normal(email: str) -> str:
    return email.strip().lower()


def _email(email: str) -> str:
    try:
        return check_email(email)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def _password(password: str) -> str:
    try:
        return hash_password(password)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def _account(session: Session, email: str) -> Account:
    account = session.scalar(select(Account).where(Account.email == _normal(email)).with_for_update())
    if account is None:
        raise CommandError(_("There is no account for {email}.", email=_normal(email)))
    return account


def _grant(session: Session, account: Account, slugs: Sequence[str]) -> list[str]:
    slugs = sorted({s.strip() for s in slugs if s.strip()})
    if slugs and account.role != "funder":
        raise CommandError(_("Only funder accounts are granted programmes; staff read every programme."))
    found = dict(session.execute(select(Programme.slug, Programme.id).where(Programme.slug.in_(slugs))).all())
    missing = [s for s in slugs if s not in found]
    if missing:
        raise CommandError(_("There is no programme {slugs}.", slugs=", ".join(missing)))
    session.add_all(Grant(account_id=account.id, programme_id=found[s]) for s in slugs)
    return slugs

