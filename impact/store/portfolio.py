"""The portfolio: every project with its status, reach and silence as of a date; one project's history; how
programmes compare; how long funded projects took to launch and how long they stayed alive.

Same rules as `impact.store.queries`: status and reach at D are what the counting history says now about D (by
effective and as-of dates). Silence is about what teams had sent: a project's last update is the latest approved
entry recorded by the end of D.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional, Sequence

import pandas as pd
from sqlalchemy import Engine, and_, func, literal, select

from impact.domain.entries import counting, order, superseded
from impact.domain.lifecycle import FUNDED_OR_LATER, ReviewState, Status
from impact.store.db import read_frame
from impact.store.models import Challenge, Metric, Programme, Project, ProjectNote, ReachReading, StatusEvent
from impact.store.queries import (
    NO_CHALLENGE,
    ProgrammeInfo,
    carry_forward,
    funded_status_at,
    funnel_at,
    status_at,
)

DAYS_PER_MONTH = 365.25 / 12


def _end_of(day: dt.date) -> dt.datetime:
    """The last instant of `day` in UTC: entries recorded up to then were known on that day."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc)


def _recorded_by(model, as_of: dt.date):
    """Approved entries recorded by the end of `as_of`: the updates a team had sent by then (a later correction
    does not undo that an update was sent)."""
    return and_(model.review_state == ReviewState.APPROVED, model.recorded_at < _end_of(as_of))


def portfolio(engine: Engine, programme_ids: list[int], as_of: dt.date) -> pd.DataFrame:
    """One row per project of these programmes as of `as_of`.

    Columns: slug, project, programme, challenge, team, status, status_since, reach, reach_metric, reach_as_of,
    last_update, days_silent. Status and reach are None for a project with nothing dated by then, last update
    and days silent for one with nothing recorded by then.
    """
    e, r = StatusEvent, ReachReading
    mine = select(Project.id).where(Project.programme_id.in_(programme_ids))
    status = status_at(as_of, mine)
    # A project's latest reading is one of its series' latest: find each series' latest date from the index of
    # counting readings (impact.store.increments), then rank the few readings on those dates, not all the readings.
    series = (
        select(r.project_id, r.metric_id, func.max(r.as_of).label("latest"))
        .where(r.metric_id.in_(select(Metric.id).where(Metric.programme_id.in_(programme_ids))), r.as_of <= as_of,
               r.counted_increment.is_not(None))
        .group_by(r.project_id, r.metric_id)
        .subquery("series")
    )
    reading = (
        select(r.project_id, r.value, Metric.label.label("metric"), r.as_of,
               func.row_number().over(partition_by=r.project_id, order_by=order(r, latest_first=True)).label("rn"))
        .join(series, and_(series.c.project_id == r.project_id, series.c.metric_id == r.metric_id,
                           series.c.latest == r.as_of))
        .join(Metric, Metric.id == r.metric_id)
        .where(r.counted_increment.is_not(None))
        .subquery("reading")
    )
    # Each kind's latest per project, a seek in its index ix_<table>_updates each (a union of all entries,
    # grouped, read every reading).
    last_of = [select(func.max(model.recorded_at)).where(model.project_id == Project.id, _recorded_by(model, as_of))
               .scalar_subquery().label(f"last_{model.__tablename__}") for model in (e, r, ProjectNote)]
    projects = (
        select(Project.id.label("project_id"), Project.slug, Project.name.label("project"),
               Programme.name.label("programme"),
               func.coalesce(Challenge.name, literal(NO_CHALLENGE)).label("challenge"), Project.team, *last_of)
        .join(Programme, Programme.id == Project.programme_id)
        .outerjoin(Challenge, Challenge.id == Project.challenge_id)
        .where(Project.programme_id.in_(programme_ids))
        .order_by(Programme.name, Project.name, Project.slug)
    )
    # Four small per-project results merged here: joined in SQL, the windowed subqueries had no index to join
    # on, and SQLite spent 40 s on 2,000 projects with 200,000 readings.
    frame = read_frame(engine, projects)
    for part in (
        select(status.c.project_id, status.c.status, status.c.since.label("status_since")),
        select(reading.c.project_id, reading.c.value.label("reach"), reading.c.metric.label("reach_metric"),
               reading.c.as_of.label("reach_as_of")).where(reading.c.rn == 1),
    ):
        frame = frame.merge(read_frame(engine, part), on="project_id", how="left")
    last = [column.key for column in last_of]
    frame["last_update"] = pd.concat([pd.to_datetime(frame[c], utc=True) for c in last], axis=1).max(axis=1).dt.date
    frame = frame.drop(columns=last)
    frame["days_silent"] = (pd.Timestamp(as_of) - pd.to_datetime(frame["last_update"])).dt.days.astype("Int64")
    return frame.drop(columns=["project_id"]).astype({"reach": "Int64"})


def select_projects(table: pd.DataFrame, statuses: Sequence[str] = (), challenges: Sequence[str] = (),
                    silent_for_more_than: Optional[int] = None) -> pd.DataFrame:
    """The rows of a portfolio table with one of these statuses and challenges (all where none is given) and,
    if asked, silent for more than that many days (a project with nothing recorded yet counts as silent)."""
    keep = pd.Series(True, index=table.index)
    if statuses:
        keep &= table["status"].isin(statuses)
    if challenges:
        keep &= table["challenge"].isin(challenges)
    if silent_for_more_than is not None:
        keep &= table["days_silent"].isna() | (table["days_silent"] > silent_for_more_than)
    return table[keep.astype(bool)]


# --- one project ----------------------------------------------------------------------------------------


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
               Project.website, Project.source, Project.illustrative, Project.funding_amount,
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
    return carry_forward(read_frame(engine, stmt, ["metric", "label", "unit", "as_of", "value", "note"]), ["metric"],
                          as_of)


# --- programmes side by side ----------------------------------------------------------------------------


def comparison(engine: Engine, programmes: list[ProgrammeInfo], as_of: dt.date) -> pd.DataFrame:
    """Per programme at `as_of`: participants, ideas, funded, launched, alive (funded and not discontinued),
    funded_per_idea, launched_per_funded, alive_share (None where the stage before is 0)."""
    rows = []
    for programme in programmes:
        stages = dict(zip(*funnel_at(engine, programme, as_of)[["stage", "projects"]].T.values))
        statuses = funded_status_at(engine, programme.id, as_of)
        alive = int(statuses[statuses["status"].isin(FUNDED_OR_LATER)]["projects"].sum())  # not discontinued
        rows.append(dict(programme=programme.name, participants=stages.get("participants"),
                         ideas=stages["ideas_submitted"], funded=stages["funded"], launched=stages["launched"],
                         alive=alive))
    frame = pd.DataFrame(rows, columns=["programme", "participants", "ideas", "funded", "launched", "alive"])
    frame = frame.astype({"participants": "Int64", "ideas": "int64", "funded": "int64", "launched": "int64",
                          "alive": "int64"})
    frame["funded_per_idea"] = _share(frame["funded"], frame["ideas"])
    frame["launched_per_funded"] = _share(frame["launched"], frame["funded"])
    frame["alive_share"] = _share(frame["alive"], frame["funded"])
    return frame


def _share(part: pd.Series, whole: pd.Series) -> pd.Series:
    return (part / whole.where(whole > 0)).astype("float64")


# --- time to launch and survival ------------------------------------------------------------------------


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
        .where(milestones.c.funded_on.is_not(None))
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
