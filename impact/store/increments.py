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
as the last thing before it commits. The loader computes the series of new projects itself (`fresh`), the same
numbers without reading them back. Staff's preview with pending figures computes the increments on the fly instead
(impact.store.queries), since there a pending entry counts too.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased

from impact.domain.entries import counting, order, sort_key
from impact.store.models import ReachReading

BATCH = 500  # projects per statement, well under every driver's limit on bound parameters
RECOUNT_LOCK = 8242021  # PostgreSQL advisory lock key (impact.store.schema uses 8242020)


def recount(session: Session, project_ids: Iterable[int]) -> None:
    """Recompute the stored increments of every reading of these projects (in the session's transaction)."""
    table, ids = ReachReading.__table__, sorted(set(project_ids))
    if ids and session.get_bind().dialect.name == "postgresql":
        # Recounts take turns until their transactions end: two loads adding readings to one project would
        # otherwise each recount without the other's uncommitted readings (SQLite has one writer anyway). Taken
        # last in every write, after its row locks, so that it never waits while holding this.
        session.execute(select(func.pg_advisory_xact_lock(RECOUNT_LOCK)))
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        r, every = aliased(ReachReading, name="r"), aliased(ReachReading, name="readings")  # not the updated table
        previous = func.lag(r.value, 1, 0).over(partition_by=(r.project_id, r.metric_id), order_by=order(r))
        counted = (select(r.id, (r.value - previous).label("increment"))
                   .where(r.project_id.in_(batch), counting(r)).subquery("counted"))
        wanted = (select(every.id, counted.c.increment).outerjoin(counted, counted.c.id == every.id)
                  .where(every.project_id.in_(batch)).subquery("wanted"))  # NULL for a reading that does not count
        # Only the rows whose increment changes are written (a top-up file changes a few rows of long series).
        session.execute(update(table).where(table.c.id == wanted.c.id,
                                            table.c.counted_increment.is_distinct_from(wanted.c.increment))
                        .values(counted_increment=wanted.c.increment))


def fresh(readings: list[dict]) -> None:
    """Set "counted_increment" on approved readings about to be inserted in this order (dicts with project_id,
    metric_id, as_of, recorded_at and value) whose series have no reading stored yet: what `recount` would set
    after the insert (ties in as_of and recorded_at go to the later row, as the ids will)."""
    series: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for reading in readings:
        series[(reading["project_id"], reading["metric_id"])].append(reading)
    for rows in series.values():
        rows.sort(key=lambda row: sort_key(row["as_of"], row["recorded_at"], None))  # ties keep the insert order
        previous = 0
        for row in rows:
            row["counted_increment"] = row["value"] - previous
            previous = row["value"]
