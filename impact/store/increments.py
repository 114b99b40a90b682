"""Reach pre-aggregated: each counting reading's increment over the one before it, kept in the database.

A programme's reach at D is the sum over its projects of each project's latest counting reading <= D, metric by
metric (README, "How the figures are computed"). Take each series (one project, one metric, its counting readings
ordered by as_of, recorded_at, id) and store for every reading its value minus the previous reading's (the first
reading: its value): summed over a programme's readings up to D, the increments of each series telescope to its
latest value, so the reach at every date is a running sum of a GROUP BY over an index, instead of ranking every
reading on each view (bench/README.md has the measurements).

`reach_readings.counted_increment` holds that increment while the reading counts (approved, not superseded by an
approved correction) and NULL otherwise. It depends on the reading's whole series, so every write that adds a
counting reading or changes whether one counts calls `recount` for the project, in the write's own transaction,
as the last thing before it commits. The loader, whose new readings change no series before their dates, recounts
each stored series only from its earliest new reading on (`recount_since`), and counts the series of new projects
itself as their readings go in (`Fresh`), the same numbers without reading them back. Staff's preview with pending
figures computes the increments on the fly instead (impact.store.queries), since there a pending entry counts too.

`reach_daily` holds, per metric and day, the sum of the stored increments of the day's counting readings, how many
readings count that day, and how many projects report the metric for the first time that day: summed over a
programme's days up to D, its reach and its projects reporting at D, read in the time of the dates shown rather than
of the readings. Every change of stored increments happens here, so it is kept here too, in the same transaction and
turn: a recount takes out what the readings it may change added to their days, recounts, and adds what they add
now (a day none of whose readings counts any longer goes). The readings of new series, which `Fresh` counts before
they are inserted, are added to their days by `recount_since` from what `Fresh` summed of them, so that every day is
written while the turn is held. A change is added to its days rather than each day summed again, so that a team's one
reading costs what its own series holds, not what every project reported on the same days.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any, Iterable, Mapping, Optional, Sequence

from sqlalchemy import ColumnElement, Insert, Integer, Select, bindparam, case, delete, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from impact.domain.entries import counting, order, sort_key
from impact.store.db import IN_LIST, in_lists
from impact.store.models import Metric, Project, ReachDaily, ReachReading

RECOUNT_LOCK = 8242021  # PostgreSQL advisory lock key (impact.store.schema uses 8242020)
DAY_COLUMNS = ("metric_id", "as_of", "increment", "readings", "new_projects")  # of reach_daily


def recount(session: Session, project_ids: Iterable[int]) -> None:
    """Recompute the stored increments of every reading of these projects (in the session's transaction)."""
    ids = list(project_ids)
    if ids:
        _take_turns(session)
    for batch in in_lists(ids):
        _recount(session, batch)


def recount_since(session: Session, since: Mapping[tuple[int, int], dt.date],
                  fresh_days: Sequence[dict] = ()) -> None:
    """Recompute the stored increments of these series (project id, metric id) from the date each changed on (in
    the session's transaction), for a write that added counting readings dated on or after it and changed nothing
    before it: an increment depends only on the readings before it in its series, so the readings dated earlier
    keep theirs, and the first one recounted takes its previous value from the latest counting reading dated
    earlier. What `recount` would set, reading only what the change touches (a top-up file's few readings at the
    end of long series). `fresh_days`, what the readings of new series that `Fresh` counted and this transaction
    inserted add to their days (`Fresh.days`), are added in the same turn, before the recount."""
    first: dict[int, dt.date] = {}  # each project's earliest changed date, of any of its series
    for (project_id, _metric_id), day in since.items():
        first[project_id] = min(day, first.get(project_id, day))
    if first or fresh_days:
        _take_turns(session)
    if fresh_days:
        session.execute(_add_days(session), list(fresh_days))
    # Projects in date order, a statement per IN-list from the earliest date in it: recounting a series from an
    # earlier date than it changed on sets the same numbers, and the statements stay as few as `recount`'s.
    ordered = sorted(first, key=lambda project_id: (first[project_id], project_id))
    for start in range(0, len(ordered), IN_LIST):
        batch = set(ordered[start:start + IN_LIST])
        metrics = {metric_id for project_id, metric_id in since if project_id in batch}
        _recount(session, sorted(batch), sorted(metrics), first[ordered[start]])


def _take_turns(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # Recounts take turns until their transactions end: two loads adding readings to one project would
        # otherwise each recount without the other's uncommitted readings (SQLite has one writer anyway). Taken
        # last in every write, after its row locks, so that it never waits while holding this; the days'
        # rows (reach_daily) are written only while it is held, so that no write holds one while it waits here.
        session.execute(select(func.pg_advisory_xact_lock(RECOUNT_LOCK)))


def _recount(session: Session, projects: list[int], metrics: Optional[list[int]] = None,
             since: Optional[dt.date] = None) -> None:
    """The increments of these projects' readings (of `metrics`, dated on or after `since`, when given) set to what
    their series make, and their days (reach_daily) with them."""
    days = _add_days(session, _days(projects, metrics, since))
    session.execute(days, {"sign": -1})  # what these readings added to their days, taken out
    r = aliased(ReachReading, name="r")  # not the updated table
    series, in_order = (r.project_id, r.metric_id), order(r)
    previous: ColumnElement[int] = func.lag(r.value, 1, 0).over(partition_by=series, order_by=in_order)
    if since is not None:
        before = aliased(ReachReading, name="before")
        latest_before = (select(before.value)
                         .where(before.project_id == r.project_id, before.metric_id == r.metric_id,
                                before.as_of < since, counting(before))
                         .order_by(*order(before, latest_first=True)).limit(1).scalar_subquery())
        previous = func.coalesce(func.lag(r.value).over(partition_by=series, order_by=in_order), latest_before, 0)
    counted = (select(r.id, (r.value - previous).label("increment"))
               .where(*_in_scope(r, projects, metrics, since), counting(r)).subquery("counted"))
    # Only the rows whose increment changes are written (a top-up file changes a few rows of long series); one
    # statement for the readings that count, one for those that do not (NULL), each reading its rows by index.
    session.execute(update(ReachReading).where(ReachReading.id == counted.c.id,
                                               ReachReading.counted_increment.is_distinct_from(counted.c.increment))
                    .values(counted_increment=counted.c.increment).execution_options(synchronize_session=False))
    session.execute(update(ReachReading).where(*_in_scope(ReachReading, projects, metrics, since),
                                               ReachReading.counted_increment.is_not(None), ~counting(ReachReading))
                    .values(counted_increment=None).execution_options(synchronize_session=False))
    session.execute(days, {"sign": 1})  # and what they add now
    their_metrics = metrics if metrics is not None else select(Metric.id).join(
        Project, Project.programme_id == Metric.programme_id).where(Project.id.in_(projects))
    session.execute(delete(ReachDaily).where(ReachDaily.metric_id.in_(their_metrics),
                                             ReachDaily.readings == 0))  # the days none counts on now


def _in_scope(r: Any, projects: list[int], metrics: Optional[list[int]],
              since: Optional[dt.date]) -> list[ColumnElement[bool]]:
    """The readings (`r`: the model, an alias, or a table alias's columns) of these projects (of `metrics`, dated on
    or after `since`)."""
    if since is None:
        return [r.project_id.in_(projects)]
    return [r.project_id.in_(projects), r.metric_id.in_(metrics or []), r.as_of >= since]


def _days(projects: list[int], metrics: Optional[list[int]], since: Optional[dt.date]) -> Select:
    """What the counting readings `_in_scope` selects add to their days (the sum of their increments, their number,
    the projects reporting the metric for the first time), times the parameter `sign`: DAY_COLUMNS, a row a metric
    and day."""
    r, e = ReachReading.__table__.alias("r"), ReachReading.__table__.alias("e")
    earlier = exists().where(e.c.project_id == r.c.project_id, e.c.metric_id == r.c.metric_id,
                             e.c.as_of < r.c.as_of, e.c.counted_increment.is_not(None))
    sign = bindparam("sign", type_=Integer())
    return (select(r.c.metric_id, r.c.as_of, sign * func.sum(r.c.counted_increment), sign * func.count(),
                   sign * func.count(func.distinct(case((~earlier, r.c.project_id)))))
            .where(*_in_scope(r.c, projects, metrics, since), r.c.counted_increment.is_not(None))
            .group_by(r.c.metric_id, r.c.as_of))


def _add_days(session: Session, days: Optional[Select] = None) -> Insert:
    """The statement that adds `days` (a SELECT of DAY_COLUMNS; without it, such rows given as parameters), one a
    metric and day, to reach_daily column by column, making the rows it lacks."""
    table = ReachDaily.__table__
    insert = postgresql.insert(table) if session.get_bind().dialect.name == "postgresql" else sqlite.insert(table)
    if days is not None:
        insert = insert.from_select(DAY_COLUMNS, days)
    return insert.on_conflict_do_update(index_elements=[table.c.metric_id, table.c.as_of], set_={
        name: table.c[name] + insert.excluded[name] for name in DAY_COLUMNS[2:]})


class Fresh:
    """The increments of series that have no reading stored yet (a new project's), set on readings about to be
    inserted, in as many inserts as a load makes (a file read a chunk at a time): what `recount` would set after the
    inserts, keeping only each series' latest reading so far.

    `count` sets "counted_increment" on approved readings about to be inserted in this order (dicts with project_id,
    metric_id, as_of, recorded_at and value): a reading that comes after its series' readings so far (ties in as_of
    and recorded_at go to the later row, as the ids will) takes its value minus the latest one's. One that goes
    before them is left NULL, and its series is noted in `since` from its date, for `recount_since` to count once
    the load has inserted them all (a file in date order, as the export writes it, needs none).

    It sums what the readings it counted add to their days (`days`: the sum of their increments, their number, the
    series starting that day), for `recount_since` to add to reach_daily; what it left NULL adds nothing until
    recounted."""

    def __init__(self) -> None:
        self.latest: dict[tuple[int, int], tuple[tuple, int]] = {}  # series -> its latest reading's place, value
        self.since: dict[tuple[int, int], dt.date] = {}  # series to recount, from this date on
        self._days: dict[tuple[int, dt.date], list[int]] = defaultdict(lambda: [0, 0, 0])  # (metric, day) -> sums

    def count(self, readings: list[dict]) -> None:
        for reading in readings:
            series = (reading["project_id"], reading["metric_id"])
            place = sort_key(reading["as_of"], reading["recorded_at"], None)
            latest = self.latest.get(series)
            if latest is None or place >= latest[0]:
                reading["counted_increment"] = reading["value"] - (latest[1] if latest else 0)
                self.latest[series] = (place, reading["value"])
                day = self._days[(reading["metric_id"], reading["as_of"])]
                day[0] += reading["counted_increment"]
                day[1] += 1
                day[2] += latest is None  # the series' first counted reading is its earliest counted one
            else:
                self.since[series] = min(reading["as_of"], self.since.get(series, reading["as_of"]))

    def days(self) -> list[dict]:
        """What the readings counted so far add to their days, a row (DAY_COLUMNS) a metric and day."""
        return [dict(zip(DAY_COLUMNS, (metric_id, as_of, *sums))) for (metric_id, as_of), sums in self._days.items()]
