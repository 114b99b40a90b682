"""Reads for the people who write: a project's whole history with its review, the review queue with the figures
it would change, the audit log, and contact details for staff (the last two refuse anyone else)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

import pandas as pd
from sqlalchemy import Date, Engine, String, and_, cast, false, func, literal, null, select, union_all

from impact.domain.access import Actor, check_may_see_contacts, check_staff
from impact.domain.entries import counting, order, superseded
from impact.domain.lifecycle import ReviewState
from impact.domain.targets import standing
from impact.store.commands import KINDS
from impact.store.db import read_frame
from impact.store.models import (
    AuditEntry,
    Metric,
    Milestone,
    Programme,
    Project,
    ProjectNote,
    ReachReading,
    StatusEvent,
    Target,
)
from impact.store.queries import metrics
from impact.store.targets import project_targets

# A target's `value` is its value by `effective` (its due date), from `baseline_value` on `baseline_on`; a
# milestone's `what` is its title, `planned_on` and `done_on` its dates (`effective`: the done date, else the planned).
ENTRY_COLUMNS = ["kind", "id", "project_id", "what", "metric", "value", "effective", "recorded_at", "recorded_by",
                 "note", "evidence_url", "review_state", "review_note", "supersedes_id", "superseded",
                 "baseline_on", "baseline_value", "planned_on", "done_on"]


def _entries(where_status, where_reading, where_note, where_target=None, where_milestone=None):
    """Status events, reach readings, free-text updates, and (where asked) targets and milestones as one table of
    ENTRY_COLUMNS; `superseded` where a correction replaced the entry (one still under review included, as in the
    live history)."""
    e, r, n, t, m = StatusEvent, ReachReading, ProjectNote, Target, Milestone
    nothing = cast(null(), String)
    no_number = cast(null(), e.id.type)
    no_amount = cast(null(), r.value.type)
    no_date = cast(null(), Date)

    def row(model, kind, what, metric, value, effective, supersedes_id, replaced, baseline_on=no_date,
            baseline_value=no_amount, planned_on=no_date, done_on=no_date):
        values = (literal(kind), model.id, model.project_id, what, metric, value, effective, model.recorded_at,
                  model.recorded_by, model.note, model.evidence_url, model.review_state, model.review_note,
                  supersedes_id, replaced, baseline_on, baseline_value, planned_on, done_on)
        return [value.label(name) for value, name in zip(values, ENTRY_COLUMNS)]

    return union_all(
        select(*row(e, "status", e.status, nothing, no_amount, e.effective_date, e.supersedes_id,
                    superseded(e, pending=True))).where(where_status),
        select(*row(r, "reading", Metric.label, Metric.slug, r.value, r.as_of, r.supersedes_id,
                    superseded(r, pending=True)))
        .join(Metric, Metric.id == r.metric_id).where(where_reading),
        select(*row(n, "update", literal("update"), nothing, no_amount, no_date, no_number,
                    literal(False))).where(where_note),
        select(*row(t, "target", Metric.label, Metric.slug, t.value, t.due_on, no_number, literal(False),
                    baseline_on=t.baseline_on, baseline_value=t.baseline_value))
        .join(Metric, Metric.id == t.metric_id).where(false() if where_target is None else where_target),
        select(*row(m, "milestone", m.title, nothing, no_amount, func.coalesce(m.done_on, m.planned_on),
                    m.supersedes_id, superseded(m, pending=True), planned_on=m.planned_on, done_on=m.done_on))
        .where(false() if where_milestone is None else where_milestone),
    )


def project_history(engine: Engine, project_id: int) -> pd.DataFrame:
    """Everything recorded for a project, its targets and milestones included, newest first, whatever its review
    state (for its team and staff), with `superseded` where a later correction replaced the entry."""
    stmt = _entries(StatusEvent.project_id == project_id, ReachReading.project_id == project_id,
                    ProjectNote.project_id == project_id, Target.project_id == project_id,
                    Milestone.project_id == project_id).subquery()
    return _dated(read_frame(engine, select(stmt).order_by(stmt.c.recorded_at.desc()), ENTRY_COLUMNS))


def project_feed(engine: Engine, project_id: int, as_of: dt.date, limit: int = 30) -> pd.DataFrame:
    """What a project reported, as anyone who may read it sees it: its status events and reach readings that count
    and its approved free-text updates, dated on or before `as_of`, newest first, at most `limit`."""
    e, r, n = StatusEvent, ReachReading, ProjectNote
    day_after = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc)
    stmt = _entries(and_(e.project_id == project_id, counting(e), e.effective_date <= as_of),
                    and_(r.project_id == project_id, counting(r), r.as_of <= as_of),
                    and_(n.project_id == project_id, n.review_state == ReviewState.APPROVED,
                         n.recorded_at < day_after)).subquery()
    frame = _dated(read_frame(engine, select(stmt), ENTRY_COLUMNS))
    with engine.connect() as conn:
        programme_id = conn.scalar(select(Project.programme_id).where(Project.id == project_id))
    if programme_id is not None:  # a reading names its metric in the visitor's language, where the data give one
        known = metrics(engine, programme_id)
        labels = dict(zip(known["slug"], known["label"]))
        readings = frame["kind"] == "reading"
        frame.loc[readings, "what"] = frame.loc[readings, "metric"].map(labels).fillna(frame.loc[readings, "what"])
    return frame.sort_values(["effective", "recorded_at"], ascending=False, kind="stable").head(limit)


def _dated(frame: pd.DataFrame) -> pd.DataFrame:
    """A free-text update takes effect when it is recorded."""
    recorded = pd.to_datetime(frame["recorded_at"], utc=True).dt.date
    return frame.assign(effective=frame["effective"].where(frame["effective"].notna(), recorded),
                        value=frame["value"].astype("Int64"), superseded=frame["superseded"].astype(bool),
                        baseline_value=frame["baseline_value"].astype("Int64"))


def waiting_for_review(engine: Engine) -> int:
    """How many entries (status changes, readings, updates, targets, milestones) wait for staff's review."""
    with engine.connect() as conn:
        return sum(conn.scalar(select(func.count()).select_from(model)
                               .where(model.review_state == ReviewState.PENDING)) or 0
                   for model in KINDS.values())


def review_queue(engine: Engine) -> pd.DataFrame:
    """Pending entries, oldest first, with their project and programme, and beside each what it would change
    (`previous`): the approved status, the metric's latest approved reading up to that date, the value of the
    approved target standing for that metric and due date, or the title of the milestone it changes. `lower` marks
    a reading below that previous one."""
    waiting = ReviewState.PENDING
    pending = _entries(StatusEvent.review_state == waiting, ReachReading.review_state == waiting,
                       ProjectNote.review_state == waiting, Target.review_state == waiting,
                       Milestone.review_state == waiting).subquery("pending")
    frame = read_frame(engine, select(pending, Project.slug, Project.name, Programme.name)
                       .join(Project, Project.id == pending.c.project_id)
                       .join(Programme, Programme.id == Project.programme_id)
                       .order_by(pending.c.recorded_at), ENTRY_COLUMNS + ["slug", "project", "programme"])
    frame = _dated(frame)
    frame["previous"] = pd.Series([_previous(engine, row) for row in frame.itertuples()], index=frame.index,
                                  dtype=object)
    previous_value = pd.to_numeric(frame["previous"].where(frame["kind"] == "reading"), errors="coerce")
    lower = (frame["kind"] == "reading") & (frame["value"].astype("Float64") < previous_value)
    frame["lower"] = lower.fillna(False).astype(bool)  # no earlier approved reading: not lower
    return frame


def _previous(engine: Engine, row) -> Optional[object]:
    """The approved figure a pending entry would follow or replace (few pending entries: one small query each)."""
    with engine.connect() as conn:
        if row.kind == "status":
            e = StatusEvent
            return conn.scalar(select(e.status).where(e.project_id == row.project_id, counting(e),
                                                      e.effective_date <= row.effective)
                               .order_by(*order(e, latest_first=True)).limit(1))
        if row.kind == "reading":
            r = ReachReading
            return conn.scalar(select(r.value).join(Metric, Metric.id == r.metric_id).where(
                r.project_id == row.project_id, Metric.slug == row.metric, counting(r),
                r.as_of <= row.effective).order_by(*order(r, latest_first=True)).limit(1))
        if row.kind == "milestone" and not pd.isna(row.supersedes_id):
            return conn.scalar(select(Milestone.title).where(Milestone.id == int(row.supersedes_id)))
    if row.kind == "target":  # the rule of which target stands is the domain's
        due = pd.Timestamp(row.effective).date()
        now = standing(project_targets(engine, row.project_id).get(row.metric, []), dt.date.max)
        return next((target.value for target in now if target.due_on == due), None)
    return None


def audit_log(engine: Engine, actor: Actor, who: str = "", action: str = "", subject: str = "",
              since: Optional[dt.date] = None, until: Optional[dt.date] = None, limit: int = 1000) -> pd.DataFrame:
    """The newest audit entries (at most `limit`) matching the filters: who made it and what it is about contain
    the given text, action is the given one, and the entry was written between the two dates (inclusive). Staff
    only."""
    check_staff(actor)
    a = AuditEntry
    stmt = select(a.id, a.at, a.actor, a.action, a.subject, a.before, a.after).order_by(a.id.desc()).limit(limit)
    conditions = []
    if who:
        conditions.append(a.actor.contains(who, autoescape=True))
    if subject:
        conditions.append(a.subject.contains(subject, autoescape=True))
    if action:
        conditions.append(a.action == action)
    if since:
        conditions.append(a.at >= dt.datetime.combine(since, dt.time(), tzinfo=dt.timezone.utc))
    if until:
        conditions.append(a.at < dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc))
    return read_frame(engine, stmt.where(and_(True, *conditions)))


def audit_actions(engine: Engine, actor: Actor) -> list[str]:
    check_staff(actor)
    with engine.connect() as conn:
        return sorted(conn.scalars(select(AuditEntry.action).distinct()))


def contacts(engine: Engine, actor: Actor, programme_id: int) -> pd.DataFrame:
    """Each project's slug and contact email (staff only)."""
    check_may_see_contacts(actor)
    return read_frame(engine, select(Project.slug, Project.contact_email).where(Project.programme_id == programme_id))
