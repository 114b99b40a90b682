"""Reports due and late at a date, per project of a programme with a reporting calendar (the rules of
impact.domain.calendar; the entries are those the silent list counts as updates, impact.store.portfolio, with those
waiting for review)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, case, func, select, union_all

from impact.domain.calendar import NONE_DUE, Calendar, Reports, reports
from impact.domain.entries import counting, order
from impact.domain.lifecycle import FUNDED_OR_LATER, ReviewState
from impact.store.db import read_frame
from impact.store.models import Project, ProjectNote, ReachReading, StatusEvent

COLUMNS = ["slug", "next_due", "due_soon", "late_reports", "late_since"]
# A report is anything a team (or staff) sent that was not returned.
SENT = (ReviewState.APPROVED, ReviewState.PENDING)


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc)


def _recorded(projects, calendar: Calendar, as_of: dt.date):
    """Per project and window of the calendar (numbered from 0), the first entry recorded in it by the end of
    `as_of`: one entry per window is all the rule needs, however many a project sent."""
    ends = [_start_of(closes + dt.timedelta(days=1)) for closes in calendar.closing_days(as_of)]
    opens = calendar.opens()
    parts = []
    for model in (StatusEvent, ReachReading, ProjectNote):
        where = [model.project_id.in_(projects), model.review_state.in_(SENT),
                 model.recorded_at < _start_of(as_of + dt.timedelta(days=1))]
        if opens is not None:
            where.append(model.recorded_at >= _start_of(opens))
        slot = case(*((model.recorded_at < end, number) for number, end in enumerate(ends)), else_=len(ends))
        parts.append(select(model.project_id, slot.label("slot"), model.recorded_at).where(*where))
    sent = union_all(*parts).subquery("sent")
    # Grouped outside the union: PostgreSQL cannot tell that the window's CASE in a SELECT and a GROUP BY are one.
    return select(sent.c.project_id, func.min(sent.c.recorded_at).label("first")).group_by(sent.c.project_id,
                                                                                            sent.c.slot)


def _histories(engine: Engine, projects, as_of: dt.date) -> dict[int, list[tuple[dt.date, bool]]]:
    """Each project's counting status events dated by `as_of`, in order, as (effective date, alive)."""
    e = StatusEvent
    events = read_frame(engine, select(e.project_id, e.effective_date, e.status.in_(FUNDED_OR_LATER).label("alive"))
                        .where(e.project_id.in_(projects), counting(e), e.effective_date <= as_of)
                        .order_by(e.project_id, *order(e)))
    histories: dict[int, list[tuple[dt.date, bool]]] = {}
    for project, on, alive in zip(events["project_id"], events["effective_date"], events["alive"]):
        histories.setdefault(project, []).append((on, bool(alive)))
    return histories


def _sent(engine: Engine, projects, calendar: Calendar, as_of: dt.date) -> dict[int, list[dt.date]]:
    """Each project's days (in UTC) of its first entry in each window."""
    found = read_frame(engine, _recorded(projects, calendar, as_of))
    days: dict[int, list[dt.date]] = {}
    for project, first in zip(found["project_id"], pd.to_datetime(found["first"], utc=True).dt.date):
        days.setdefault(project, []).append(first)
    return days


def reports_at(engine: Engine, programme_id: int, calendar: Calendar, as_of: dt.date) -> pd.DataFrame:
    """One row per project of the programme: COLUMNS, where next_due is the next report due (None: none is
    expected), due_soon whether it is due within 14 days (or in its grace days), late_reports how many were not
    received and late_since the due date of the first of them. No rows where the programme has no calendar."""
    if not calendar:
        return pd.DataFrame(columns=COLUMNS).astype({"late_reports": "Int64", "due_soon": bool})
    projects = select(Project.id).where(Project.programme_id == programme_id)
    histories, sent = _histories(engine, projects, as_of), _sent(engine, projects, calendar, as_of)
    rows = []
    for project, slug in read_frame(engine, select(Project.id, Project.slug).where(Project.id.in_(projects))
                                    .order_by(Project.slug)).itertuples(index=False):
        found = reports(calendar, as_of, histories.get(project, []), sent.get(project, []))
        rows.append((slug, found.next_due, found.due_soon, len(found.late), found.late_since))
    return pd.DataFrame(rows, columns=COLUMNS).astype({"late_reports": "Int64", "due_soon": bool})


def project_reports(engine: Engine, calendar: Calendar, project_id: int, as_of: dt.date) -> Reports:
    """One project's reports at `as_of` under its programme's calendar (none due where there is none)."""
    if not calendar:
        return NONE_DUE
    project = select(Project.id).where(Project.id == project_id)
    return reports(calendar, as_of, _histories(engine, project, as_of).get(project_id, []),
                   _sent(engine, project, calendar, as_of).get(project_id, []))


def with_reports(table: pd.DataFrame, due: pd.DataFrame) -> pd.DataFrame:
    """A portfolio table (impact.store.portfolio) with the columns of `reports_at` (`due`, its frame for the same
    programme and day): none added where the programme has no calendar (`due` has no rows)."""
    return table if due.empty else table.merge(due, on="slug", how="left")
