"""The read side: every figure the pages show, aggregated in SQL and returned as small DataFrames.

The domain rules (README, "How the figures are computed") live here; which entries count and which one is the
latest, in impact.domain.entries:
- only approved entries count, and an entry superseded by an approved correction no longer counts;
- a project's status at D is its event with the latest effective date <= D (ties: latest recorded, then id);
- funded / launched at D: the project reached funded-or-later / launched by D, even if discontinued later;
- reach readings are cumulative totals; a project's reach at D is its latest reading <= D per metric,
  and the programme's reach is the sum over projects, metric by metric.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal, Optional

import pandas as pd
from sqlalchemy import Engine, and_, case, func, literal, select, union_all

from impact.domain.calendar import Calendar
from impact.domain.entries import counting, order
from impact.domain.lifecycle import FUNDED_OR_LATER, Status
from impact.domain.values import SILENT_AFTER_DAYS
from impact.i18n import N_, _, language
from impact.store.db import read_frame
from impact.store.models import (
    AuditEntry,
    Challenge,
    Metric,
    Programme,
    ProgrammeFigure,
    Project,
    ReachDaily,
    ReachReading,
    StatusEvent,
)

PARTICIPANTS = "participants"
IDEAS_SUBMITTED = "ideas_submitted"
NO_CHALLENGE = N_("(no challenge)")


def in_language(row, field: str) -> str:
    """A text the data give in English with optional German and French versions (`name`, `name_de`, `name_fr`): the
    version in the current language where given, else the English one."""
    lang = language()
    return (getattr(row, f"{field}_{lang}", "") if lang != "en" else "") or getattr(row, field)


def no_challenge(name: str) -> str:
    """A challenge's name for display: the stand-in for projects without one in the visitor's language."""
    return _(NO_CHALLENGE) if name == NO_CHALLENGE else name


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: int
    source: str
    note: str


@dataclass(frozen=True)
class ProgrammeInfo:
    id: int
    slug: str
    name: str
    country: Optional[str]
    starts_on: Optional[dt.date]
    ends_on: Optional[dt.date]
    description: str
    illustrative_note: str
    public: bool = False
    silent_after_days: int = SILENT_AFTER_DAYS
    figures: tuple[Figure, ...] = field(default=())
    calendar: Calendar = Calendar()  # when reports are due (impact.domain.calendar)
    project_count: int = 0
    illustrative_project_count: int = 0

    def figure(self, key: str) -> Optional[Figure]:
        return next((f for f in self.figures if f.key == key), None)


def data_version(engine: Engine) -> int:
    """Changes whenever data change (every write leaves an audit entry): the key the caches use."""
    with engine.connect() as conn:
        return conn.execute(select(func.coalesce(func.max(AuditEntry.id), 0))).scalar_one()  # an aggregate: one row


def last_change(engine: Engine) -> tuple[int, Optional[dt.datetime]]:
    """The data version (as `data_version`) and when that write was made (None for a database without any): what
    the API's ETag and Last-Modified say."""
    with engine.connect() as conn:
        row = conn.execute(select(AuditEntry.id, AuditEntry.at).order_by(AuditEntry.id.desc()).limit(1)).first()
    return (row.id, row.at) if row else (0, None)


def programmes(engine: Engine) -> pd.DataFrame:
    """All programmes by name (in the current language where given): id, slug, name, starts_on, public."""
    stmt = select(Programme.id, Programme.slug, Programme.name, Programme.name_de, Programme.name_fr,
                  Programme.starts_on, Programme.public).order_by(Programme.name, Programme.slug)
    frame = read_frame(engine, stmt)
    frame["name"] = [in_language(row, "name") for row in frame.itertuples()]
    return frame[["id", "slug", "name", "starts_on", "public"]]


def programme_info(engine: Engine, slug: str) -> Optional[ProgrammeInfo]:
    """The programme with this slug, its declared figures and how many project records it has; None if unknown."""
    with engine.connect() as conn:
        row = conn.execute(select(Programme).where(Programme.slug == slug)).first()
        if row is None:
            return None
        figures = conn.execute(
            select(ProgrammeFigure).where(ProgrammeFigure.programme_id == row.id).order_by(ProgrammeFigure.id)
        ).all()
        counts = conn.execute(
            select(func.count(), func.coalesce(func.sum(case((Project.illustrative, 1), else_=0)), 0)).where(
                Project.programme_id == row.id
            )
        ).one()
    return ProgrammeInfo(
        id=row.id,
        slug=row.slug,
        name=in_language(row, "name"),
        country=row.country,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        description=in_language(row, "description"),
        illustrative_note=row.illustrative_note,
        public=row.public,
        silent_after_days=row.silent_after_days,
        calendar=Programme.calendar_of(row),
        figures=tuple(Figure(f.key, in_language(f, "label"), f.value, f.source, f.note) for f in figures),
        project_count=counts[0],
        illustrative_project_count=counts[1],
    )


# --- history that counts -------------------------------------------------------------------------------


def _milestones(programme_id: int, pending: bool = False):
    """Per project: its challenge, first event date, and the first dates it reached funded and launched."""
    e = StatusEvent
    return (
        select(
            Project.id.label("project_id"),
            Project.challenge_id,
            func.min(e.effective_date).label("first_seen"),
            func.min(case((e.status.in_(FUNDED_OR_LATER), e.effective_date))).label("funded_on"),
            func.min(case((e.status == Status.LAUNCHED, e.effective_date))).label("launched_on"),
        )
        .select_from(Project)
        .outerjoin(e, and_(e.project_id == Project.id, counting(e, pending)))
        .where(Project.programme_id == programme_id)
        .group_by(Project.id, Project.challenge_id)
        .subquery("milestones")
    )


def _reached(column, as_of: dt.date):
    return func.coalesce(func.sum(case((column <= as_of, 1), else_=0)), 0)


def _recorded_by(m, programme: ProgrammeInfo, as_of: dt.date):
    """A project record counts from its first counting event; one without history from the programme's start."""
    no_history = 1 if _started(programme, as_of) else 0
    return func.coalesce(
        func.sum(case((m.c.first_seen.is_(None), no_history), (m.c.first_seen <= as_of, 1), else_=0)), 0)


def _started(programme: ProgrammeInfo, as_of: dt.date) -> bool:
    return programme.starts_on is None or programme.starts_on <= as_of


# --- the funnel -----------------------------------------------------------------------------------------


def funnel_at(engine: Engine, programme: ProgrammeInfo, as_of: dt.date, pending: bool = False) -> pd.DataFrame:
    """The funnel at `as_of`: stage, label, projects, source, share_of_previous (None for the first stage).

    Participants and ideas are the programme's declared figures where it declares them (from its start date);
    ideas fall back to the number of project records. Funded and launched are counted from the history.
    """
    m = _milestones(programme.id, pending)
    with engine.connect() as conn:
        records, funded, launched = conn.execute(
            select(_recorded_by(m, programme, as_of), _reached(m.c.funded_on, as_of),
                   _reached(m.c.launched_on, as_of))
        ).one()
    started = _started(programme, as_of)
    rows = []
    participants = programme.figure(PARTICIPANTS)
    if participants is not None:
        rows.append((PARTICIPANTS, participants.label, participants.value if started else 0, participants.source))
    ideas = programme.figure(IDEAS_SUBMITTED)
    if ideas is not None:
        rows.append((IDEAS_SUBMITTED, ideas.label, ideas.value if started else 0, ideas.source))
    else:
        rows.append((IDEAS_SUBMITTED, N_("Ideas submitted"), int(records), N_("project records")))
    rows.append(("funded", N_("Funded"), int(funded), N_("status history")))
    rows.append(("launched", N_("Launched"), int(launched), N_("status history")))
    frame = pd.DataFrame(rows, columns=["stage", "label", "projects", "source"])
    previous = frame["projects"].shift(1)
    frame["share_of_previous"] = (frame["projects"] / previous).where(previous > 0)
    return frame


def challenge_funnel_at(engine: Engine, programme: ProgrammeInfo, as_of: dt.date,
                        pending: bool = False) -> pd.DataFrame:
    """Per challenge at `as_of`: challenge, ideas (project records), funded, launched; most funded first."""
    m = _milestones(programme.id, pending)
    name = func.coalesce(Challenge.name, literal(NO_CHALLENGE))
    stmt = (
        select(
            name.label("challenge"),
            _recorded_by(m, programme, as_of).label("ideas"),
            _reached(m.c.funded_on, as_of).label("funded"),
            _reached(m.c.launched_on, as_of).label("launched"),
        )
        .select_from(m)
        .outerjoin(Challenge, Challenge.id == m.c.challenge_id)
        .group_by(name)
    )
    frame = read_frame(engine, stmt, ["challenge", "ideas", "funded", "launched"])
    return frame.sort_values(["funded", "launched", "ideas", "challenge"], ascending=[False, False, False, True],
                             ignore_index=True)


def status_at(as_of: dt.date, projects, pending: bool = False):
    """Each of `projects` (a select of project ids) with its status at `as_of`: the counting event with the latest
    effective date <= as_of, ties going to the latest recorded (impact.domain.entries).
    Columns: project_id, status, since."""
    # Each project's latest event is looked up on its own (ix_status_events_project_effective), by correlated
    # subqueries, which PostgreSQL runs per project: ranking every event of the projects, or joining them, it chose a
    # pass over the whole table once a programme held a large share of it (bench/README.md, the scale curve).
    e = StatusEvent
    ids = projects.subquery("ids")
    project_id = ids.c[0]

    def latest(column):
        return (select(column).where(e.project_id == project_id, e.effective_date <= as_of, counting(e, pending))
                .order_by(*order(e, latest_first=True)).limit(1).scalar_subquery())

    standing = select(project_id.label("project_id"), latest(e.status).label("status"),
                      latest(e.effective_date).label("since")).subquery("standing")
    return select(standing).where(standing.c.status.is_not(None)).subquery("status_at")


def funded_outcomes_at(engine: Engine, programme_id: int, as_of: dt.date, pending: bool = False) -> pd.DataFrame:
    """What became of the projects funded by `as_of`, split by whether they had launched by then: launched (bool),
    status, projects; one row for each status a funded project can be in, launched or not (zeros included)."""
    m = _milestones(programme_id, pending)
    status = status_at(as_of, select(Project.id).where(Project.programme_id == programme_id), pending)
    launched = case((m.c.launched_on <= as_of, 1), else_=0)
    stmt = (
        select(launched.label("launched"), status.c.status, func.count().label("projects"))
        .select_from(m.join(status, status.c.project_id == m.c.project_id))
        .where(m.c.funded_on <= as_of)
        .group_by(launched, status.c.status)
    )
    counts = {(bool(was), s): int(n) for was, s, n in read_frame(engine, stmt, ["launched", "status", "projects"])
              .itertuples(index=False)}
    statuses = [*FUNDED_OR_LATER, Status.DISCONTINUED]
    rows = [(was, s, counts.get((was, s), 0)) for was in (True, False) for s in statuses]
    return pd.DataFrame(rows, columns=["launched", "status", "projects"])


def funded_status_at(engine: Engine, programme_id: int, as_of: dt.date, pending: bool = False) -> pd.DataFrame:
    """What became of the projects funded by `as_of`: status, projects, for each status they can be in."""
    # Its own query, not funded_outcomes_at summed (a test checks they agree): the comparison asks this for every
    # programme, and it needs no launched split, whose join to each project's milestones costs time at scale.
    e = StatusEvent
    mine = select(Project.id).where(Project.programme_id == programme_id)
    status = status_at(as_of, mine, pending)
    funded = select(e.project_id).where(e.project_id.in_(mine), e.status.in_(FUNDED_OR_LATER),
                                        e.effective_date <= as_of, counting(e, pending))
    stmt = (
        select(status.c.status, func.count().label("projects"))
        .where(status.c.project_id.in_(funded))
        .group_by(status.c.status)
    )
    counts = dict(read_frame(engine, stmt, ["status", "projects"]).itertuples(index=False))
    statuses = [*FUNDED_OR_LATER, Status.DISCONTINUED]
    return pd.DataFrame({"status": statuses, "projects": [int(counts.get(s, 0)) for s in statuses]})


# --- reach ----------------------------------------------------------------------------------------------


def metrics(engine: Engine, programme_id: int) -> pd.DataFrame:
    """The programme's reach metrics: slug, label, unit, definition (label and definition in the current language
    where given)."""
    m = Metric
    stmt = (select(m.slug, m.label, m.unit, m.definition, m.label_de, m.label_fr, m.definition_de, m.definition_fr)
            .where(m.programme_id == programme_id).order_by(m.id))
    frame = read_frame(engine, stmt)
    frame["label"] = [in_language(row, "label") for row in frame.itertuples()]
    frame["definition"] = [in_language(row, "definition") for row in frame.itertuples()]
    return frame[["slug", "label", "unit", "definition"]]


def _increments(programme_id: int, as_of: dt.date, metric: Optional[str] = None, pending: bool = False):
    """Each counting reading of the programme (of one metric, if given) with its increment over the project's
    previous reading of the same metric: metric_id, project_id, as_of, increment.

    Summed over projects and accumulated over dates, increments telescope to "latest reading carried forward".
    Approved figures read the increments stored with the readings (impact.store.increments); staff's preview with
    pending entries computes them here, since there a pending reading counts too. Names are joined after
    aggregating, so that the sums run over the readings alone.
    """
    r = ReachReading
    metrics_of = select(Metric.id).where(Metric.programme_id == programme_id)
    if metric is not None:
        metrics_of = metrics_of.where(Metric.slug == metric)
    if not pending:
        # A reading's metric is one of its project's programme (every writer checks), so the metric is filter
        # enough, and the index ix_reach_readings_counted holds all that is read.
        return (select(r.metric_id, r.project_id, r.as_of, r.counted_increment.label("increment"))
                .where(r.metric_id.in_(metrics_of), r.as_of <= as_of, r.counted_increment.is_not(None))
                .subquery("increments"))
    previous = func.lag(r.value, 1, 0).over(partition_by=(r.project_id, r.metric_id), order_by=order(r))
    return (
        select(r.metric_id, r.project_id, r.as_of, (r.value - previous).label("increment"))
        .where(r.project_id.in_(select(Project.id).where(Project.programme_id == programme_id)),
               r.metric_id.in_(metrics_of), r.as_of <= as_of, counting(r, pending))
        .subquery("increments")
    )


def reach_totals(engine: Engine, programme_id: int, as_of: dt.date, pending: bool = False) -> pd.DataFrame:
    """Programme reach over time up to `as_of`: metric, as_of, value (a step series carried forward to as_of).

    Approved figures are a running sum of the programme's days (reach_daily, kept by impact.store.increments), read
    in the time of the dates shown; staff's preview with pending entries sums the readings' increments."""
    if pending:
        inc = _increments(programme_id, as_of, pending=pending)
        total = func.sum(func.sum(inc.c.increment)).over(partition_by=inc.c.metric_id, order_by=inc.c.as_of)
        totals = select(inc.c.metric_id, inc.c.as_of, total.label("value")).group_by(inc.c.metric_id,
                                                                                      inc.c.as_of).subquery()
        stmt = select(Metric.slug, totals.c.as_of, totals.c.value).join(Metric, Metric.id == totals.c.metric_id)
    else:
        d = ReachDaily
        stmt = (select(Metric.slug, d.as_of, func.sum(d.increment).over(partition_by=d.metric_id, order_by=d.as_of))
                .join(Metric, Metric.id == d.metric_id).where(Metric.programme_id == programme_id, d.as_of <= as_of))
    frame = read_frame(engine, stmt, ["metric", "as_of", "value"])
    return carry_forward(frame, ["metric"], as_of)


def reach_latest(engine: Engine, programme_id: int, as_of: dt.date) -> pd.DataFrame:
    """Reach at `as_of` per metric: metric, value (sum of each project's latest reading), projects reporting."""
    return latest_reach(reach_totals(engine, programme_id, as_of), reach_reporting(engine, programme_id, as_of))


def latest_reach(totals: pd.DataFrame, reporting: pd.DataFrame) -> pd.DataFrame:
    """The reach at the end of `reach_totals` series (the programme's reach at its date), with the projects
    reporting each metric: metric, value, projects."""
    values = totals.groupby("metric", as_index=False, sort=False)["value"].last()
    return values.merge(reporting, on="metric", how="left")[["metric", "value", "projects"]]


def reach_reporting(engine: Engine, programme_id: int, as_of: dt.date, pending: bool = False) -> pd.DataFrame:
    """How many projects have reported each metric by `as_of`: metric, projects."""
    if not pending:  # the projects reporting a metric for the first time, summed over its days (reach_daily)
        d = ReachDaily
        stmt = (select(Metric.slug, func.sum(d.new_projects)).join(Metric, Metric.id == d.metric_id)
                .where(Metric.programme_id == programme_id, d.as_of <= as_of).group_by(Metric.slug))
        return read_frame(engine, stmt, ["metric", "projects"])
    r = ReachReading
    stmt = (
        select(Metric.slug, func.count(func.distinct(r.project_id)))
        .join(Metric, Metric.id == r.metric_id)
        .where(Metric.programme_id == programme_id, r.as_of <= as_of, counting(r, pending))
        .group_by(Metric.slug)
    )
    return read_frame(engine, stmt, ["metric", "projects"])


def reach_by(
    engine: Engine,
    programme_id: int,
    as_of: dt.date,
    metric: str,
    by: Literal["project", "challenge"],
    limit: int = 10,
    pending: bool = False,
) -> pd.DataFrame:
    """Reach of one metric over time per project or per challenge: group, as_of, value, reading.

    Only the `limit` groups with the highest reach at `as_of` are returned, largest first. Projects that share a
    name are told apart by their slug.
    """
    inc = _increments(programme_id, as_of, metric, pending)
    if by == "project":
        grouped = select(inc.c.project_id.label("key"), inc.c.as_of, inc.c.increment).subquery("grouped")
        names = select(Project.id.label("key"), Project.name.label("group"), Project.slug.label("slug")).where(
            Project.programme_id == programme_id).subquery("names")
    else:
        grouped = (select(func.coalesce(Project.challenge_id, 0).label("key"), inc.c.as_of, inc.c.increment)
                   .join(Project, Project.id == inc.c.project_id)).subquery("grouped")
        names = union_all(
            select(Challenge.id.label("key"), Challenge.name.label("group"), literal("").label("slug")).where(
                Challenge.programme_id == programme_id),
            select(literal(0), literal(NO_CHALLENGE), literal("")),
        ).subquery("names")
    top = (select(grouped.c.key).group_by(grouped.c.key)
           .order_by(func.sum(grouped.c.increment).desc(), grouped.c.key).limit(limit))
    value = func.sum(func.sum(grouped.c.increment)).over(partition_by=grouped.c.key, order_by=grouped.c.as_of)
    series = (select(grouped.c.key, grouped.c.as_of, value.label("value"))
              .where(grouped.c.key.in_(top)).group_by(grouped.c.key, grouped.c.as_of).subquery("series"))
    stmt = (select(series.c.key, names.c.group, names.c.slug, series.c.as_of, series.c.value)
            .join(names, names.c.key == series.c.key))
    frame = carry_forward(read_frame(engine, stmt, ["key", "group", "slug", "as_of", "value"]), ["key"], as_of)
    groups = frame.drop_duplicates("key")
    shared = groups["group"].duplicated(keep=False)
    labels = dict(zip(groups["key"], groups["group"].where(~shared, groups["group"] + " (" + groups["slug"] + ")")))
    order = frame.groupby("key")["value"].last().sort_values(ascending=False, kind="stable").index
    frame["key"] = pd.Categorical(frame["key"], categories=list(order), ordered=True)
    frame = frame.sort_values(["key", "as_of"], ignore_index=True)
    return frame.assign(group=frame["key"].map(labels).astype(str)).drop(columns=["key", "slug"])


# --- step series ----------------------------------------------------------------------------------------


def carry_forward(frame: pd.DataFrame, keys: list[str], as_of: dt.date) -> pd.DataFrame:
    """Extend each series to `as_of` with its last value, so a step chart shows the reading carried forward.

    The column `reading` tells a date with a reading (True) from that carried-forward end point (False).
    """
    frame = frame.assign(reading=True)
    if frame.empty:
        return frame.astype({"value": "int64", "reading": bool})
    frame = frame.sort_values([*keys, "as_of"], ignore_index=True)
    last = frame.groupby(keys, as_index=False).last()
    last = last[pd.to_datetime(last["as_of"]).dt.date < as_of].assign(as_of=as_of, reading=False)
    frame = pd.concat([frame, last], ignore_index=True).sort_values([*keys, "as_of"], ignore_index=True)
    frame["as_of"] = pd.to_datetime(frame["as_of"])
    return frame.astype({"value": "int64"})




# --- money and change -----------------------------------------------------------------------------------


def funding_at(engine: Engine, programme_id: int, as_of: dt.date) -> pd.DataFrame:
    """The funding of the projects funded by `as_of` that state an amount, per currency: currency, projects,
    amount. A project without an amount is left out, never counted as zero."""
    m = _milestones(programme_id)
    stmt = (
        select(Project.funding_currency, func.count(), func.sum(Project.funding_amount))
        .join(m, m.c.project_id == Project.id)
        .where(m.c.funded_on <= as_of, Project.funding_amount.is_not(None))
        .group_by(Project.funding_currency)
        .order_by(Project.funding_currency)
    )
    frame = read_frame(engine, stmt, ["currency", "projects", "amount"])
    return frame.astype({"projects": "int64", "amount": "float64"})


def cost_per_reach_at(engine: Engine, programme_id: int, as_of: dt.date) -> pd.DataFrame:
    """Funding per unit of reach, per metric and currency, over the funded projects that state an amount AND
    report the metric (a project missing either is left out of both sums): metric, currency, projects, amount,
    reach, cost (amount / reach; None where the reach is 0)."""
    m = _milestones(programme_id)
    inc = _increments(programme_id, as_of)
    latest = (select(inc.c.metric_id, inc.c.project_id, func.sum(inc.c.increment).label("value"))
              .group_by(inc.c.metric_id, inc.c.project_id).subquery("latest"))
    stmt = (
        select(Metric.slug, Project.funding_currency, func.count(), func.sum(Project.funding_amount),
               func.sum(latest.c.value))
        .select_from(latest)
        .join(Metric, Metric.id == latest.c.metric_id)
        .join(Project, Project.id == latest.c.project_id)
        .join(m, m.c.project_id == Project.id)
        .where(m.c.funded_on <= as_of, Project.funding_amount.is_not(None))
        .group_by(Metric.slug, Project.funding_currency)
        .order_by(Metric.slug, Project.funding_currency)
    )
    frame = read_frame(engine, stmt, ["metric", "currency", "projects", "amount", "reach"])
    frame = frame.astype({"projects": "int64", "amount": "float64", "reach": "int64"})
    return frame.assign(cost=(frame["amount"] / frame["reach"]).where(frame["reach"] > 0))


def launched_between(engine: Engine, programme_id: int, since: dt.date, as_of: dt.date) -> pd.DataFrame:
    """Projects that first launched after `since` and on or before `as_of`, latest first: project, summary,
    challenge, launched_on."""
    m = _milestones(programme_id)
    stmt = (
        select(Project.name, Project.summary, func.coalesce(Challenge.name, literal(NO_CHALLENGE)), m.c.launched_on)
        .join(m, m.c.project_id == Project.id)
        .outerjoin(Challenge, Challenge.id == Project.challenge_id)
        .where(m.c.launched_on > since, m.c.launched_on <= as_of)
        .order_by(m.c.launched_on.desc(), Project.name)
    )
    return read_frame(engine, stmt, ["project", "summary", "challenge", "launched_on"])


def discontinued_between(engine: Engine, programme_id: int, since: dt.date, as_of: dt.date) -> pd.DataFrame:
    """Projects discontinued at `as_of` whose discontinuation took effect after `since`: project, challenge, since,
    launched (whether they had launched before)."""
    m = _milestones(programme_id)
    status = status_at(as_of, select(Project.id).where(Project.programme_id == programme_id))
    stmt = (
        select(Project.name, func.coalesce(Challenge.name, literal(NO_CHALLENGE)), status.c.since,
               case((m.c.launched_on <= as_of, True), else_=False))
        .join(status, status.c.project_id == Project.id)
        .join(m, m.c.project_id == Project.id)
        .outerjoin(Challenge, Challenge.id == Project.challenge_id)
        .where(status.c.status == Status.DISCONTINUED, status.c.since > since)
        .order_by(status.c.since.desc(), Project.name)
    )
    return read_frame(engine, stmt, ["project", "challenge", "since", "launched"]).astype({"launched": bool})
