"""The portfolio: every project with its status, reach and silence as of a date, and its filters.

Same rules as `impact.store.queries`: status and reach at D are what the counting history says now about D (by
effective and as-of dates). Silence is about what teams had sent: a project's last update is the latest approved
entry recorded by the end of D.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional, Sequence

import pandas as pd
from sqlalchemy import Engine, and_, exists, func, literal, select

from impact.domain.entries import counting, order
from impact.domain.lifecycle import FUNDED_OR_LATER, ReviewState
from impact.signals.contradictions import Contradiction
from impact.store.db import read_frame
from impact.store.models import Challenge, Metric, Programme, Project, ProjectNote, ReachReading, StatusEvent
from impact.store.queries import NO_CHALLENGE, status_at


def _end_of(day: dt.date) -> dt.datetime:
    """The last instant of `day` in UTC: entries recorded up to then were known on that day."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc)


def _recorded_by(model, as_of: dt.date):
    """Approved entries recorded by the end of `as_of`: the updates a team had sent by then (a later correction
    does not undo that an update was sent)."""
    return and_(model.review_state == ReviewState.APPROVED, model.recorded_at < _end_of(as_of))


def portfolio(engine: Engine, programme_ids: list[int], as_of: dt.date) -> pd.DataFrame:
    """One row per project of these programmes as of `as_of`.

    Columns: slug, project, programme, challenge, team, funded (whether it was funded by then), status,
    status_since, reach, reach_metric (its label), reach_metric_slug, reach_as_of, last_update, days_silent. Status
    and reach are None for a
    project with nothing dated by then, last update and days silent for one with nothing recorded by then.
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
        select(r.project_id, r.value, Metric.label.label("metric"), Metric.slug.label("metric_slug"), r.as_of,
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
               func.coalesce(Challenge.name, literal(NO_CHALLENGE)).label("challenge"), Project.team,
               exists().where(e.project_id == Project.id, e.status.in_(FUNDED_OR_LATER), e.effective_date <= as_of,
                              counting(e)).label("funded"), *last_of)
        .join(Programme, Programme.id == Project.programme_id)
        .outerjoin(Challenge, Challenge.id == Project.challenge_id)
        .where(Project.programme_id.in_(programme_ids))
        .order_by(Programme.name, Project.name, Project.slug)
    )
    # Small per-project results merged here: joined in SQL, the windowed subqueries have no index to join on.
    frame = read_frame(engine, projects)
    for part in (
        select(status.c.project_id, status.c.status, status.c.since.label("status_since")),
        select(reading.c.project_id, reading.c.value.label("reach"), reading.c.metric.label("reach_metric"),
               reading.c.metric_slug.label("reach_metric_slug"), reading.c.as_of.label("reach_as_of"))
        .where(reading.c.rn == 1),
    ):
        frame = frame.merge(read_frame(engine, part), on="project_id", how="left")
    last = [column.key for column in last_of]
    frame["last_update"] = pd.concat([pd.to_datetime(frame[c], utc=True) for c in last], axis=1).max(axis=1).dt.date
    frame = frame.drop(columns=last)
    frame["days_silent"] = (pd.Timestamp(as_of) - pd.to_datetime(frame["last_update"])).dt.days.astype("Int64")
    return frame.drop(columns=["project_id"]).astype({"reach": "Int64", "funded": bool})


def with_signals(table: pd.DataFrame, found: pd.DataFrame) -> pd.DataFrame:
    """The portfolio table with a column "signals": each project's contradictions (`found`, a frame of
    impact.store.signals.contradiction_frame: slug, code, since) in a few words, joined by "; ", None where there is
    none. For staff only (impact.domain.access: contradictions are `may_open(actor, "signals")`)."""
    words: dict[str, list[str]] = {}
    for slug, code, since in zip(found["slug"], found["code"], found["since"]):
        words.setdefault(slug, []).append(Contradiction(code, since).short())
    return table.assign(signals=table["slug"].map(lambda slug: "; ".join(words[slug]) if slug in words else None))


def with_targets(table: pd.DataFrame, progress: pd.DataFrame) -> pd.DataFrame:
    """The portfolio table with each project's plan against actual (`progress`, a frame of
    impact.store.targets.programme_progress): target_share (% of target), target_state (met, on_track, behind) and
    target_metric (the metric's label, None where it is the metric of the project's latest reach). The metric is the
    one of the project's latest reach where a target of it stands, else the project's first metric with a target;
    None where no target stands (never 0 %)."""
    parts = {slug: part for slug, part in progress.groupby("slug", sort=False)}
    chosen = []
    for slug, metric in zip(table["slug"], table["reach_metric_slug"]):
        part = parts.get(slug)
        if part is None:
            chosen.append((None, None, None))
            continue
        same = part[part["metric"] == metric]
        row = (same if len(same) else part).iloc[0]
        chosen.append((row["share"], row["state"], None if row["metric"] == metric else row["label"]))
    shares, states, labels = zip(*chosen) if chosen else ((), (), ())
    return table.assign(target_share=pd.Series(shares, index=table.index, dtype="float64"),
                        target_state=pd.Series(states, index=table.index, dtype="object"),
                        target_metric=pd.Series(labels, index=table.index, dtype="object"))


def select_projects(table: pd.DataFrame, statuses: Sequence[str] = (), challenges: Sequence[str] = (),
                    silent_for_more_than: Optional[int] = None, *, funded_only: bool = False,
                    contradicted_only: bool = False, late_only: bool = False,
                    behind_only: bool = False) -> pd.DataFrame:
    """The rows of a portfolio table with one of these statuses and challenges (all where none is given), if asked
    only those funded by then, if asked those silent for more than that many days (a project with nothing
    recorded yet counts as silent, and so does one with a late report where the table has the columns of
    impact.store.reporting.with_reports), if asked only those with a late report, if asked only those whose
    signals contradict their reported status (the column of `with_signals`; none where the table has no such
    column), and if asked only those behind their target (the column of `with_targets`)."""
    keep = pd.Series(True, index=table.index)
    late = (table["late_reports"].fillna(0) > 0 if "late_reports" in table.columns
            else pd.Series(False, index=table.index))
    if late_only:
        keep &= late
    if behind_only:
        keep &= table["target_state"].eq("behind") if "target_state" in table.columns else False
    if contradicted_only:
        keep &= table["signals"].notna() if "signals" in table.columns else False
    if funded_only:
        keep &= table["funded"]
    if statuses:
        keep &= table["status"].isin(statuses)
    if challenges:
        keep &= table["challenge"].isin(challenges)
    if silent_for_more_than is not None:
        keep &= table["days_silent"].isna() | (table["days_silent"] > silent_for_more_than) | late
    return table[keep.astype(bool)]
