"""Project statuses and the transitions between them: the one place that knows them."""
from __future__ import annotations

from typing import Optional, Sequence

from impact.i18n import _

IDEA = "idea"
FUNDED = "funded"
IN_DEVELOPMENT = "in_development"
LAUNCHED = "launched"
DISCONTINUED = "discontinued"

STATUSES: tuple[str, ...] = (IDEA, FUNDED, IN_DEVELOPMENT, LAUNCHED, DISCONTINUED)
# A project has been funded once it reaches any of these (discontinued is not a stage, it ends one).
FUNDED_OR_LATER: tuple[str, ...] = (FUNDED, IN_DEVELOPMENT, LAUNCHED)
# Of the funded projects, these are still alive.
ALIVE: tuple[str, ...] = (FUNDED, IN_DEVELOPMENT, LAUNCHED)

REVIEW_STATES: tuple[str, ...] = ("pending", "approved", "returned")

_NEXT: dict[str, tuple[str, ...]] = {
    IDEA: (FUNDED, DISCONTINUED),
    FUNDED: (IN_DEVELOPMENT, LAUNCHED, DISCONTINUED),
    IN_DEVELOPMENT: (LAUNCHED, DISCONTINUED),
    LAUNCHED: (DISCONTINUED,),
    DISCONTINUED: (IN_DEVELOPMENT,),  # a revival
}


class TransitionError(ValueError):
    """A status change the lifecycle does not allow; the message says what is allowed instead."""


def allowed_next(current: Optional[str]) -> tuple[str, ...]:
    """Statuses that may follow `current` (None: the project has no history yet, any status may start it)."""
    if current is None:
        return STATUSES
    return _NEXT[current]


def note_required(current: Optional[str], new: str) -> bool:
    """Discontinuing a project and reviving it both need a note saying why."""
    return new == DISCONTINUED or (current == DISCONTINUED and new == IN_DEVELOPMENT)


def check_transition(current: Optional[str], new: str, note: str = "") -> None:
    """Raise TransitionError unless `new` may follow `current` with this note."""
    if new not in STATUSES:
        raise TransitionError(_("'{new}' is not a status; use one of: {statuses}.", new=new, statuses=", ".join(STATUSES)))
    if new not in allowed_next(current):
        allowed = ", ".join(allowed_next(current)) or "none"
        raise TransitionError(_("A project that is {current} cannot become {new}; it may become: {allowed}.",
                                current=current, new=new, allowed=allowed))
    if note_required(current, new) and not note.strip():
        raise TransitionError(_("Changing from {current} to {new} needs a note saying why.", current=current, new=new))


def check_history(statuses_in_order: Sequence[tuple[str, str]]) -> None:
    """Check a whole history, given as (status, note) pairs in effective order."""
    current: Optional[str] = None
    for status, note in statuses_in_order:
        check_transition(current, status, note)
        current = status
