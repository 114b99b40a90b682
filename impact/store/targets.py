"""Reads of the plan: a project's targets against its figures, and its milestones (the rules are
impact.domain.targets')."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, func, select

from impact.domain.entries import counting
from impact.domain.lifecycle import ReviewState
from impact.domain.targets import Target as Plan
from impact.domain.targets import progress
from impact.store.db import read_frame
from impact.store.models import Metric, Milestone, Project, ReachReading, Target
from impact.store.queries import metrics

PROGRESS_COLUMNS = ["metric", "label", "unit", "actual", "target", "due_on", "baseline_on", "baseline_value",
                    "share", "expected", "on_track"]


def project_targets(engine: Engine, project_id: int) -> dict[str, list[Plan]]:
    """Every approved target entry of the project, by metric slug (which one stands when is the domain's rule)."""
    t = Target
    stmt = (select(Metric.slug, t.due_on, t.value, t.baseline_on, t.baseline_value, t.set_on, t.recorded_at, t.id)
            .join(Metric, Metric.id == t.metric_id)
            .where(t.project_id == project_id, t.review_state == ReviewState.APPROVED))
    plans: dict[str, list[Plan]] = {}
    with engine.connect() as conn:
        for slug, due_on, value, baseline_on, baseline_value, set_on, recorded_at, entry_id in conn.execute(stmt):
            plans.setdefault(slug, []).append(Plan(due_on, int(value), baseline_on, int(baseline_value), set_on,
                                                   (recorded_at, entry_id)))
    return plans


def project_progress(engine: Engine, project_id: int, as_of: dt.date) -> pd.DataFrame:
    """Per metric with a target standing at `as_of`: the actual figure then (the latest counting reading), the next
    target, its baseline, % of target (share), the straight line's value then (expected) and on_track."""
    plans = project_targets(engine, project_id)
    if not plans:
        return pd.DataFrame(columns=PROGRESS_COLUMNS)
    r = ReachReading
    actual = dict(read_frame(engine, select(Metric.slug, func.sum(r.counted_increment))
                             .join(Metric, Metric.id == r.metric_id)
                             .where(r.project_id == project_id, r.as_of <= as_of, r.counted_increment.is_not(None))
                             .group_by(Metric.slug), ["metric", "value"]).itertuples(index=False))
    with engine.connect() as conn:
        programme_id = conn.scalar(select(Project.programme_id).where(Project.id == project_id))
    assert programme_id is not None  # it has targets
    known = metrics(engine, programme_id).set_index("slug")
    rows = []
    for slug, targets in plans.items():
        figure = actual.get(slug)
        where = progress(targets, None if figure is None else int(figure), as_of)
        if where is None:
            continue
        rows.append((slug, known.loc[slug, "label"], known.loc[slug, "unit"], where.actual, where.target.value,
                     where.target.due_on, where.target.baseline_on, where.target.baseline_value, where.share,
                     where.expected, where.on_track))
    return pd.DataFrame(rows, columns=PROGRESS_COLUMNS)


def project_milestones(engine: Engine, project_id: int, as_of: dt.date) -> pd.DataFrame:
    """The project's milestones as they stand (approved, not changed since), by planned date: id, title, planned_on,
    done_on (None if not done by `as_of`), evidence_url, note, state at `as_of` (done, overdue or planned), read
    from the milestones' own dates like every other entry's."""
    m = Milestone
    stmt = (select(m.id, m.title, m.planned_on, m.done_on, m.evidence_url, m.note)
            .where(m.project_id == project_id, counting(m))
            .order_by(m.planned_on, m.id))
    frame = read_frame(engine, stmt, ["id", "title", "planned_on", "done_on", "evidence_url", "note"])
    done = frame["done_on"].map(lambda day: day is not None and not pd.isna(day) and pd.Timestamp(day).date() <= as_of)
    frame["done_on"] = frame["done_on"].where(done, None)
    overdue = frame["planned_on"].map(lambda day: pd.Timestamp(day).date() < as_of) & ~done
    frame["state"] = ["done" if d else "overdue" if o else "planned" for d, o in zip(done, overdue)]
    return frame


def programme_progress(engine: Engine, programme_id: int, as_of: dt.date) -> pd.DataFrame:
    """`project_progress` of every project of the programme with a target standing at `as_of`, with the project's
    name in a first column `project` and its `state`: met (the target's value reached), on_track or behind."""
    with engine.connect() as conn:
        projects = conn.execute(
            select(Project.id, Project.name).where(Project.programme_id == programme_id, Project.id.in_(
                select(Target.project_id).where(Target.review_state == ReviewState.APPROVED)))
            .order_by(Project.name)).all()
    parts = [project_progress(engine, project_id, as_of).assign(project=name) for project_id, name in projects]
    frame = pd.concat([p for p in parts if not p.empty], ignore_index=True) if any(
        not p.empty for p in parts) else pd.DataFrame(columns=[*PROGRESS_COLUMNS, "project"])
    frame["state"] = ["met" if actual >= target else "on_track" if on_track else "behind"
                      for actual, target, on_track in zip(frame["actual"], frame["target"], frame["on_track"])]
    return frame[["project", *PROGRESS_COLUMNS, "state"]]


def overdue_milestones(engine: Engine, programme_id: int, as_of: dt.date) -> pd.DataFrame:
    """The programme's milestones overdue at `as_of` (planned before it, not done by it, as they stand), the longest
    overdue first: slug, project, title, planned_on, days_overdue."""
    m = Milestone
    stmt = (select(Project.slug, Project.name, m.title, m.planned_on)
            .join(Project, Project.id == m.project_id)
            .where(Project.programme_id == programme_id, counting(m), m.planned_on < as_of,
                   (m.done_on.is_(None)) | (m.done_on > as_of))
            .order_by(m.planned_on, Project.name))
    frame = read_frame(engine, stmt, ["slug", "project", "title", "planned_on"])
    frame["days_overdue"] = [(as_of - pd.Timestamp(day).date()).days for day in frame["planned_on"]]
    return frame
