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
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable, Mapping, Optional

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session, aliased

from impact.domain.entries import counting, order, sort_key
from impact.store.db import IN_LIST, in_lists
from impact.store.models import ReachReading

RECOUNT_LOCK = 8242021  # PostgreSQL advisory lock key (impact.store.schema uses 8242020)


def recount(session: Session, project_ids: Iterable[int]) -> None:
    """Recompute the stored increments of every reading of these projects (in the session's transaction)."""
    ids = list(project_ids)
    _take_turns(session, ids)
    for batch in in_lists(ids):
        _recount(session, batch)


def recount_since(session: Session, since: Mapping[tuple[int, int], dt.date]) -> None:
    """Recompute the stored increments of these series (project id, metric id) from the date each changed on (in
    the session's transaction), for a write that added counting readings dated on or after it and changed nothing
    before it: an increment depends only on the readings before it in its series, so the readings dated earlier
    keep theirs, and the first one recounted takes its previous value from the latest counting reading dated
    earlier. What `recount` would set, reading only what the change touches (a top-up file's few readings at the
    end of long series)."""
    first: dict[int, dt.date] = {}  # each project's earliest changed date, of any of its series
    for (project_id, _metric_id), day in since.items():
        first[project_id] = min(day, first.get(project_id, day))
    _take_turns(session, list(first))
    # Projects in date order, a statement per IN-list from the earliest date in it: recounting a series from an
    # earlier date than it changed on sets the same numbers, and the statements stay as few as `recount`'s.
    ordered = sorted(first, key=lambda project_id: (first[project_id], project_id))
    for start in range(0, len(ordered), IN_LIST):
        batch = set(ordered[start:start + IN_LIST])
        metrics = {metric_id for project_id, metric_id in since if project_id in batch}
        _recount(session, sorted(batch), sorted(metrics), first[ordered[start]])


def _take_turns(session: Session, project_ids: list[int]) -> None:
    if project_ids and session.get_bind().dialect.name == "postgresql":
        # Recounts take turns until their transactions end: two loads adding readings to one project would
        # otherwise each recount without the other's uncommitted readings (SQLite has one writer anyway). Taken
        # last in every write, after its row locks, so that it never waits while holding this.
        session.execute(select(func.pg_advisory_xact_lock(RECOUNT_LOCK)))


def _recount(session: Session, projects: list[int], metrics: Optional[list[int]] = None,
             since: Optional[dt.date] = None) -> None:
    """The increments of these projects' readings (of `metrics`, dated on or after `since`, when given) set to what
    their series make."""
    r = aliased(ReachReading, name="r")  # not the updated table
    series, in_order = (r.project_id, r.metric_id), order(r)
    previous: ColumnElement[int] = func.lag(r.value, 1, 0).over(partition_by=series, order_by=in_order)
    where: list[ColumnElement[bool]] = [ReachReading.project_id.in_(projects)]
    counted_where: list[ColumnElement[bool]] = [r.project_id.in_(projects), counting(r)]
    if since is not None:
        before = aliased(ReachReading, name="before")
        latest_before = (select(before.value)
                         .where(before.project_id == r.project_id, before.metric_id == r.metric_id,
                                before.as_of < since, counting(before))
                         .order_by(*order(before, latest_first=True)).limit(1).scalar_subquery())
        previous = func.coalesce(func.lag(r.value).over(partition_by=series, order_by=in_order), latest_before, 0)
        where += [ReachReading.metric_id.in_(metrics or []), ReachReading.as_of >= since]
        counted_where += [r.metric_id.in_(metrics or []), r.as_of >= since]
    counted = select(r.id, (r.value - previous).label("increment")).where(*counted_where).subquery("counted")
    # Only the rows whose increment changes are written (a top-up file changes a few rows of long series); one
    # statement for the readings that count, one for those that do not (NULL), each reading its rows by index.
    session.execute(update(ReachReading).where(ReachReading.id == counted.c.id,
                                               ReachReading.counted_increment.is_distinct_from(counted.c.increment))
                    .values(counted_increment=counted.c.increment).execution_options(synchronize_session=False))
    session.execute(update(ReachReading).where(*where, ReachReading.counted_increment.is_not(None),
                                               ~counting(ReachReading))
                    .values(counted_increment=None).execution_options(synchronize_session=False))


class Fresh:
    """The increments of series that have no reading stored yet (a new project's), set on readings about to be
    inserted, in as many inserts as a load makes (a file read a chunk at a time): what `recount` would set after the
    inserts, keeping only each series' latest reading so far.

    `count` sets "counted_increment" on approved readings about to be inserted in this order (dicts with project_id,
    metric_id, as_of, recorded_at and value): a reading that comes after its series' readings so far (ties in as_of
    and recorded_at go to the later row, as the ids will) takes its value minus the latest one's. One that goes
    before them is left NULL, and its series is noted in `since` from its date, for `recount_since` to count once
    the load has inserted them all (a file in date order, as the export writes it, needs none)."""

    def __init__(self) -> None:
        self.latest: dict[tuple[int, int], tuple[tuple, int]] = {}  # series -> its latest reading's place, value
        self.since: dict[tuple[int, int], dt.date] = {}  # series to recount, from this date on

    def count(self, readings: list[dict]) -> None:
        for reading in readings:
            series = (reading["project_id"], reading["metric_id"])
            place = sort_key(reading["as_of"], reading["recorded_at"], None)
            latest = self.latest.get(series)
            if latest is None or place >= latest[0]:
                reading["counted_increment"] = reading["value"] - (latest[1] if latest else 0)
                self.latest[series] = (place, reading["value"])
            else:
                self.since[series] = min(reading["as_of"], self.since.get(series, reading["as_of"]))
