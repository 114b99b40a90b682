"""Which history entries count and which one is the latest: the one home of the rule every reader and writer of
status events and reach readings goes through (queries, portfolio, increments, commands, history, loader, exports).

- An entry counts when it is approved and no approved correction supersedes it (`counting`). Staff's preview of
  pending figures, and the writers' check of what a project's history would become, count the entries waiting for
  review too, corrections among them; a returned entry never counts.
- Entries stand in the order of their effective date (a status event's effective_date, a reading's as_of), then of
  when they were recorded (recorded_at), then of their id (`order` in SQL, `sort_key` for entries already loaded).
  A project's status at D is the last counting event dated on or before D; its reach at D, metric by metric, the
  last counting reading dated on or before D.
- A project's live history (`live_history`) is what the writers check and the update form starts from: its
  counting entries, those waiting for review included, in that order.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Optional, TypeVar

from sqlalchemy import and_, exists, inspect, select
from sqlalchemy.orm import Session, aliased

from impact.domain.lifecycle import ReviewState
from impact.domain.values import aware
from impact.store.models import ReachReading, StatusEvent

Entry = TypeVar("Entry", StatusEvent, ReachReading)


def effective(model) -> Any:
    """The column an entry takes effect on: a reading's as_of, a status event's effective_date (`model` may be an
    alias)."""
    return model.as_of if inspect(model).mapper.class_ is ReachReading else model.effective_date


def order(model, latest_first: bool = False) -> tuple:
    """ORDER BY for entries from the earliest to the latest: effective date, recorded_at, id; with `latest_first`
    the other way round, so that the first row is the one that stands."""
    columns = (effective(model), model.recorded_at, model.id)
    return tuple(column.desc() for column in columns) if latest_first else columns


def superseded(model, pending: bool = False):
    """Entries of `model` that an approved correction replaces (with `pending`, also one waiting for review)."""
    correction = aliased(model)
    return exists().where(correction.supersedes_id == model.id, correction.review_state.in_(_states(pending)))


def counting(model, pending: bool = False):
    """Entries of `model` that count: approved, and not superseded by an approved correction; with `pending`, entries
    waiting for review count too (staff's preview of what approving them would show, the live history)."""
    return and_(model.review_state.in_(_states(pending)), ~superseded(model, pending))


def _states(pending: bool) -> tuple[ReviewState, ...]:
    return (ReviewState.APPROVED, ReviewState.PENDING) if pending else (ReviewState.APPROVED,)


def sort_key(effective_on: dt.date, recorded_at: dt.datetime, entry_id: Optional[int]) -> tuple:
    """`order` for entries already in Python. An entry not inserted yet (no id) stands after the stored ones of the
    same date and time, as its id will; `sorted` is stable, so entries without ids keep the order they will be
    inserted in (a file's rows)."""
    return effective_on, aware(recorded_at), entry_id is None, entry_id or 0


def in_order(entries: Iterable[Entry]) -> list[Entry]:
    """Status events or readings (stored, or about to be) from the earliest to the latest."""
    return sorted(entries, key=lambda e: sort_key(e.as_of if isinstance(e, ReachReading) else e.effective_date,
                                                  e.recorded_at, e.id))


def live_history(session: Session, model: type[Entry], project_id: int, *where, approved_only: bool = False,
                 extra: Optional[Entry] = None) -> list[Entry]:
    """A project's history as it stands for those who write to it, or as it would stand with `extra` (an entry about
    to be added; a correction replaces its entry): the entries that count, those waiting for review included unless
    `approved_only`, from the earliest to the latest. `where` narrows it (a metric, a date)."""
    entries = list(session.scalars(select(model).where(model.project_id == project_id,
                                                       counting(model, pending=not approved_only), *where)
                                   .order_by(*order(model))))
    if extra is not None:
        entries = in_order([e for e in entries if e.id != extra.supersedes_id] + [extra])
    return entries
