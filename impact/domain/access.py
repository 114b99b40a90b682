"""Who may see and change what: the one place that knows the roles.

Every door of the domain asks these rules: the writes (impact.store's `commands`, `admin` and `editing`, the
loader and the imports) before they write and again inside their transaction (`check_still_holds`), and the reads
that hold more than the public pages (the data set export, contacts, the audit log, the funder report) before they
read. The pages ask them too, but only to decide what to draw. Hiding a button is a courtesy, the refusal is here.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from impact.domain.lifecycle import ReviewState
from impact.i18n import _
from impact.store.models import Account, Grant, UpdateKey

STAFF = "staff"
FUNDER = "funder"
TEAM = "team"
PUBLIC_ROLE = "public"


@dataclass(frozen=True)
class Actor:
    """Someone using the dashboard, as the rules see them. `name` is what the audit log records."""

    role: str
    name: str
    account_id: Optional[int] = None
    key_id: Optional[int] = None
    project_id: Optional[int] = None  # a team's own project
    programme_ids: frozenset[int] = field(default_factory=frozenset)  # a funder's granted programmes

    @property
    def signed_in(self) -> bool:
        return self.role != PUBLIC_ROLE


PUBLIC = Actor(PUBLIC_ROLE, "anonymous")


def command_line(user: str) -> Actor:
    """Whoever runs `python -m impact` on the server already holds the database: staff powers, named in the log."""
    return Actor(STAFF, f"cli:{user}")


class NotAllowed(PermissionError):
    """A refused action; the message says so in a sentence."""


# The pages each role may open. dashboard.py builds the navigation from this, and each page checks it first.
PAGES: dict[str, tuple[str, ...]] = {
    "overview": (STAFF, FUNDER, PUBLIC_ROLE),
    "reach": (STAFF, FUNDER, PUBLIC_ROLE),
    "portfolio": (STAFF, FUNDER),
    "project": (STAFF, FUNDER),
    "compare": (STAFF, FUNDER),
    "survival": (STAFF, FUNDER),
    "update": (STAFF, TEAM, PUBLIC_ROLE),  # the public part is the form where a team enters its key
    "review": (STAFF,),
    "silent": (STAFF,),
    "audit": (STAFF,),
    "people": (STAFF,),
    "programmes": (STAFF,),
    "files": (STAFF,),
    "signals": (STAFF,),
}


def may_open(actor: Actor, page: str) -> bool:
    return actor.role in PAGES[page]


def may_read_programme(actor: Actor, programme_id: int, public: bool) -> bool:
    """Staff read every programme, a funder those granted to them, everyone the public ones. A team reads only
    its own project, on its update page."""
    if actor.role == STAFF:
        return True
    if actor.role == FUNDER:
        return programme_id in actor.programme_ids or public
    return actor.role == PUBLIC_ROLE and public


def may_download_report(actor: Actor) -> bool:
    """The funder report holds more than the public pages (recent launches, top projects): staff and funders."""
    return actor.role in (STAFF, FUNDER)


def may_see_contacts(actor: Actor) -> bool:
    return actor.role == STAFF


def check_may_see_contacts(actor: Actor) -> None:
    if not may_see_contacts(actor):
        raise NotAllowed(_("Contact details are for programme staff only; sign in with a staff account."))


def check_may_read_report(actor: Actor, programme_id: int, public: bool) -> None:
    """The funder report of a programme: staff, and funders who may read that programme."""
    if not (may_download_report(actor) and may_read_programme(actor, programme_id, public)):
        raise NotAllowed(_("The report of this programme is for programme staff and the funders it is opened to; "
                           "sign in with such an account."))


def check_may_export(actor: Actor) -> None:
    """The data set and the grants file hold every programme's history, and the data set the teams' contacts."""
    if actor.role != STAFF:
        raise NotAllowed(_("Only programme staff may export data (it holds the teams' contact details); sign in "
                           "with a staff account."))


def may_see_internals(actor: Actor) -> bool:
    """The database's address and why it cannot be used: staff (and the command line, which is staff) only."""
    return actor.role == STAFF


def may_see_pending(actor: Actor) -> bool:
    """Only staff may switch on figures that are not reviewed yet (shown as pending)."""
    return actor.role == STAFF


def check_may_submit(actor: Actor, project_id: int) -> None:
    """Status changes, reach readings and updates: staff for any project, a team for its own."""
    if actor.role == STAFF or (actor.role == TEAM and actor.project_id == project_id):
        return
    if actor.role == TEAM:
        raise NotAllowed(_("Your update key is for another project; it cannot change this one."))
    raise NotAllowed(_("Only the project's team (with its update key) and programme staff may change a project."))


def may_see_signals(actor: Actor, approved: bool) -> bool:
    """A project's automatic signals: staff always; funders (who read the project's programme) once the project has
    an approved status. Contradictions between signals and reports are for staff only (may_open "signals")."""
    return actor.role == STAFF or (actor.role == FUNDER and approved)


def check_staff(actor: Actor) -> None:
    if actor.role != STAFF:
        raise NotAllowed(_("Only programme staff may do this; sign in with a staff account."))


def check_still_holds(session: Session, actor: Actor, today: Optional[dt.date] = None) -> None:
    """Inside a write's transaction, before it writes: the account or key the actor was made from still stands as it
    did when the page was opened (the account exists, is enabled, with the same role and programmes; the key is
    neither revoked nor expired). Otherwise refuse, so that the write leaves nothing.

    The row is read with a share lock (PostgreSQL; SQLite runs one writer at a time), so that disabling the account
    or revoking the key at the same moment either waits for this write to commit or is seen by it. An actor that
    names neither an account nor a key is one the process made itself: the command line (`cli:<user>`), whoever
    holds the server; the web signs people in only through accounts and keys."""
    if actor.account_id is not None:
        account = session.execute(select(Account.email, Account.role, Account.disabled)
                                  .where(Account.id == actor.account_id).with_for_update(read=True)).first()
        granted = frozenset(session.scalars(select(Grant.programme_id).where(Grant.account_id == actor.account_id)))
        if (account is None or account.disabled
                or (STAFF if account.role == STAFF else FUNDER, account.email, granted)
                != (actor.role, actor.name, actor.programme_ids)):
            raise NotAllowed(_("Your account was disabled or changed after this page was opened, so nothing was "
                               "saved. Reload the page, and sign in again if it asks."))
    elif actor.key_id is not None:
        key = session.execute(select(UpdateKey.project_id, UpdateKey.expires_on, UpdateKey.revoked_at)
                              .where(UpdateKey.id == actor.key_id).with_for_update(read=True)).first()
        if (key is None or key.revoked_at is not None or actor.role != TEAM or key.project_id != actor.project_id
                or (key.expires_on is not None and key.expires_on < (today or dt.date.today()))):
            raise NotAllowed(_("Your update key was revoked or has expired, so nothing was saved. Ask programme "
                               "staff for a new key."))
    elif actor.role != STAFF:
        raise NotAllowed(_("Only programme staff, and teams with their update key, may change anything; nothing was "
                           "saved."))


def review_state_for(actor: Actor) -> str:
    """Staff entries are approved on entry; a team's wait for review."""
    return ReviewState.APPROVED if actor.role == STAFF else ReviewState.PENDING
