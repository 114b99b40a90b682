"""One project, as its page shows it: who and what it is, its status history, and its reach over time.

Same rules as `impact.store.queries`: what counts is what the approved history says now.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

import pandas as pd
from sqlalchemy import Engine, func, select

from impact.domain.entries import counting, order, superseded
from impact.domain.lifecycle import ReviewState
from impact.store.db import read_frame
from impact.store.models import Challenge, Metric, Programme, Project, ReachReading, StatusEvent
from impact.store.queries import carry_forward, metrics, status_at


@dataclass(frozen=True)
class ProjectInfo:
    id: int
    slug: str
    name: str
    programme_slug: str
    programme: str
    challenge: Optional[str]
    team: str
    summary: str
    website: str
    repository: str
    source: str
    illustrative: bool
    funding_amount: Optional[float]
    funding_currency: str
    funder: str


def project_info(engine: Engine, slug: str | int) -> Optional[ProjectInfo]:
    """The project with this slug (or this id), or None."""
    stmt = (
        select(Project.id, Project.slug, Project.name, Programme.slug.label("programme_slug"),
               Programme.name.label("programme"), Challenge.name.label("challenge"), Project.team, Project.summary,
               Project.website, Project.repository, Project.source, Project.illustrative, Project.funding_amount,
               Project.funding_currency, Project.funder)
        .join(Programme, Programme.id == Project.programme_id)
        .outerjoin(Challenge, Challenge.id == Project.challenge_id)
        .where(Project.id == slug if isinstance(slug, int) else Project.slug == slug)
    )
    with engine.connect() as conn:
        row = conn.execute(stmt).first()
    if row is None:
        return None
    values = row._asdict()
    if values["funding_amount"] is not None:
        values["funding_amount"] = float(values["funding_amount"])
    return ProjectInfo(**values)


def timeline(engine: Engine, project_id: int) -> pd.DataFrame:
    """Every approved status event of a project, oldest first: status, effective_date, recorded_at, recorded_by,
    note, evidence_url, superseded (True where a later approved correction replaced it)."""
    e = StatusEvent
    stmt = (
        select(e.status, e.effective_date, e.recorded_at, e.recorded_by, e.note, e.evidence_url,
               superseded(e).label("superseded"))
        .where(e.project_id == project_id, e.review_state == ReviewState.APPROVED)
        .order_by(*order(e))
    )
    return read_frame(engine, stmt)


def project_reach(engine: Engine, project_id: int, as_of: dt.date) -> pd.DataFrame:
    """The project's counting readings up to `as_of`, one per metric and date (the latest recorded), each metric
    carried forward to `as_of`: metric, label, unit, as_of, value, note, reading (False on the carried end)."""
    r = ReachReading
    ranked = (
        select(Metric.slug.label("metric"), Metric.label, Metric.unit, r.as_of, r.value, r.note,
               func.row_number().over(partition_by=(r.metric_id, r.as_of), order_by=order(r, latest_first=True))
               .label("rn"))
        .join(Metric, Metric.id == r.metric_id)
        .where(r.project_id == project_id, r.as_of <= as_of, counting(r))
        .subquery("ranked")
    )
    stmt = (select(ranked.c.metric, ranked.c.label, ranked.c.unit, ranked.c.as_of, ranked.c.value, ranked.c.note)
            .where(ranked.c.rn == 1).order_by(ranked.c.metric, ranked.c.as_of))
    readings = read_frame(engine, stmt, ["metric", "label", "unit", "as_of", "value", "note"])
    with engine.connect() as conn:
        programme_id = conn.scalar(select(Project.programme_id).where(Project.id == project_id))
    known = metrics(engine, programme_id) if programme_id is not None else None  # labels in the visitor's language
    labels = dict(zip(known["slug"], known["label"])) if known is not None else {}
    return carry_forward(readings.assign(label=readings["metric"].map(labels).fillna(readings["label"])), ["metric"],
                         as_of)


def project_status_at(engine: Engine, project_id: int, as_of: dt.date) -> Optional[tuple[str, dt.date]]:
    """One project's status at `as_of` and the date it took effect (the rule of `status_at`), or None."""
    status = status_at(as_of, select(Project.id).where(Project.id == project_id))
    with engine.connect() as conn:
        row = conn.execute(select(status.c.status, status.c.since)).first()
    return None if row is None else (row.status, row.since)
