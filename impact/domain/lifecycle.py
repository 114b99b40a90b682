"""Project statuses and what they are called, the review states of history entries, and the transitions between
statuses: the one place that knows them."""
from __future__ import annotations

from enum import StrEnum
from typing import Optional, Sequence

from impact.i18n import N_, _


class Status(StrEnum):
    """A project's status. Members are strings: the values are what the database and the data files hold."""

    IDEA = "idea"
    FUNDED = "funded"
    IN_DEVELOPMENT = "in_development"
    LAUNCHED = "launched"
    DISCONTINUED = "discontinued"


class ReviewState(StrEnum):
    """Where a history entry stands in staff's review: a team's entry is pending until approved or returned; only
    approved entries count (impact.domain.entries)."""

    PENDING = "pending"
    APPROVED = "approved"
    RETURNED = "returned"


STATUSES: tuple[Status, ...] = tuple(Status)  # in lifecycle order
# A project has been funded once it reaches any of these; a funded project whose status is one of them is still
# alive (discontinued is not a stage, it ends one).
FUNDED_OR_LATER: tuple[Status, ...] = (Status.FUNDED, Status.IN_DEVELOPMENT, Status.LAUNCHED)
REVIEW_STATES: tuple[ReviewState, ...] = tuple(ReviewState)
# What pages, charts and the report call each status (translated when shown: `status_label`).
STATUS_LABELS: dict[str, str] = {
    Status.IDEA: N_("Idea"),
    Status.FUNDED: N_("Funded, not started"),
    Status.IN_DEVELOPMENT: N_("In development"),
    Status.LAUNCHED: N_("Live"),
    Status.DISCONTINUED: N_("Discontinued"),
}

# What pages call each review state (translated when shown: `review_label`).
REVIEW_LABELS: dict[str, str] = {
    ReviewState.PENDING: N_("waiting for staff review"),
    ReviewState.APPROVED: N_("approved"),
    ReviewState.RETURNED: N_("returned to the team"),
}

_NEXT: dict[str, tuple[Status, ...]] = {
    Status.IDEA: (Status.FUNDED, Status.DISCONTINUED),
    Status.FUNDED: (Status.IN_DEVELOPMENT, Status.LAUNCHED, Status.DISCONTINUED),
    Status.IN_DEVELOPMENT: (Status.LAUNCHED, Status.DISCONTINUED),
    Status.LAUNCHED: (Status.DISCONTINUED,),
}


class TransitionError(ValueError):
    """A status change the lifecycle does not allow; the message says what is allowed instead.

    `position` is the index of the refused entry when a whole history was checked."""

    position: int = 0


def status_label(status: str) -> str:
    """A status as the visitor reads it, in the current language ("launched" is "Live")."""
    return _(STATUS_LABELS[status])


def review_label(state: str) -> str:
    """A review state as the visitor reads it, in the current language."""
    return _(REVIEW_LABELS[state])


def allowed_next(current: Optional[str], funded_before: bool = False) -> tuple[Status, ...]:
    """Statuses that may follow `current` (None: the project has no history yet, any status may start it).

    A discontinued project may be revived: to in_development if it had been funded, else back to idea (a revival
    does not make an unfunded idea count as funded).
    """
    if current is None:
        return STATUSES
    if current == Status.DISCONTINUED:
        return (Status.IN_DEVELOPMENT,) if funded_before else (Status.IDEA,)
    return _NEXT[current]


def note_required(current: Optional[str], new: str) -> bool:
    """Discontinuing a project and reviving it both need a note saying why."""
    return new == Status.DISCONTINUED or current == Status.DISCONTINUED


def check_transition(current: Optional[str], new: str, note: str = "", funded_before: bool = False) -> None:
    """Raise TransitionError unless `new` may follow `current` with this note."""
    if new not in STATUSES:
        raise TransitionError(_("'{new}' is not a status; use one of: {statuses}.", new=new,
                                statuses=", ".join(STATUSES)))
    allowed = allowed_next(current, funded_before)
    if new not in allowed:
        raise TransitionError(_("A project that is {current} cannot become {new}; it may become: {allowed}.",
                                current=current, new=new, allowed=", ".join(allowed)))
    check_note(current, new, note)


def check_note(current: Optional[str], new: str, note: str) -> None:
    """Raise TransitionError when this change needs a note (note_required) and has none."""
    if note_required(current, new) and not note.strip():
        raise TransitionError(_("Changing from {current} to {new} needs a note saying why.", current=current,
                                new=new))


def check_history(statuses_in_order: Sequence[tuple[str, str]]) -> None:
    """Check a whole history, given as (status, note) pairs in effective order."""
    current: Optional[str] = None
    funded_before = False
    for position, (status, note) in enumerate(statuses_in_order):
        try:
            check_transition(current, status, note, funded_before)
        except TransitionError as exc:
            exc.position = position
            raise
        current = status
        funded_before = funded_before or status in FUNDED_OR_LATER
