"""Time to launch and survival: how long funded projects took to launch, and how long they stayed alive
(a Kaplan-Meier estimate, a project still running counted as censored)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, and_, func, select

from impact.domain.entries import counting
from impact.domain.lifecycle import FUNDED_OR_LATER, Status
from impact.store.db import read_frame
from impact.store.models import Project, StatusEvent

DAYS_PER_MONTH = 365.25 / 12


def funded_lifetimes(engine: Engine, programme_id: int, as_of: dt.date) -> pd.DataFrame:
    """Each project funded by `as_of`, oldest funding first: project, funded_on, launched_on (None if not by then),
    ended_on (its first discontinuation from funding on, None if none by then), days_to_launch, months_observed
    (from funding to its end, or to `as_of` for a project still running), ended."""
    e = StatusEvent
    known = and_(e.effective_date <= as_of, counting(e))
    milestones = (
        select(e.project_id,
               func.min(e.effective_date).filter(e.status.in_(FUNDED_OR_LATER)).label("funded_on"),
               func.min(e.effective_date).filter(e.status == Status.LAUNCHED).label("launched_on"))
        .join(Project, Project.id == e.project_id)
        .where(Project.programme_id == programme_id, known)
        .group_by(e.project_id)
        .subquery("milestones")
    )
    ended_on = (
        select(func.min(e.effective_date))
        .where(e.project_id == milestones.c.project_id, e.status == Status.DISCONTINUED,
               e.effective_date >= milestones.c.funded_on, known)
        .scalar_subquery()
    )
    stmt = (
        select(Project.name.label("project"), milestones.c.funded_on, milestones.c.launched_on,
               ended_on.label("ended_on"))
        .join(milestones, milestones.c.project_id == Project.id)
        # The programme again, though the milestones hold its projects only: without it PostgreSQL read every
        # programme's projects to join them (bench/README.md, the scale curve).
        .where(Project.programme_id == programme_id, milestones.c.funded_on.is_not(None))
        .order_by(milestones.c.funded_on, Project.name, Project.id)
    )
    frame = read_frame(engine, stmt, ["project", "funded_on", "launched_on", "ended_on"])
    frame["days_to_launch"] = _days(frame["funded_on"], frame["launched_on"])
    end = frame["ended_on"].where(frame["ended_on"].notna(), as_of)
    frame["months_observed"] = _days(frame["funded_on"], end).astype("float64") / DAYS_PER_MONTH
    frame["ended"] = frame["ended_on"].notna()
    return frame


def _days(start: pd.Series, end: pd.Series) -> pd.Series:
    return (pd.to_datetime(end) - pd.to_datetime(start)).dt.days.astype("Int64")


def survival_curve(lifetimes: pd.DataFrame) -> pd.DataFrame:
    """Kaplan-Meier estimate of the share of funded projects still alive N months after funding.

    A project still running is censored at the months it has been observed, not counted as ended. Columns:
    months, alive_share, at_risk, ended, censored; one row at 0 months, then one per time something happened.
    """
    times, ended = lifetimes["months_observed"].to_numpy(), lifetimes["ended"].to_numpy(dtype=bool)
    rows = [(0.0, 1.0, len(times), 0, 0)]
    share = 1.0
    for t in sorted(set(times[times > 0]) | set(times[ended])):
        at_risk = int((times >= t).sum())
        ends = int(((times == t) & ended).sum())
        share *= 1 - ends / at_risk
        rows.append((float(t), share, at_risk, ends, int(((times == t) & ~ended).sum())))
    return pd.DataFrame(rows, columns=["months", "alive_share", "at_risk", "ended", "censored"])
