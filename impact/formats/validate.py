"""The import's second stage: typed rows (impact.formats.rows) checked against what the database holds.

Each part has one job: which programmes and projects are known (`Known`, read as the rows name them); programmes
new, unchanged or refused; projects new, updated or unchanged; status events against each project's stored history
(`Histories`, which locks those projects' rows); readings and targets already recorded skipped, a changed
target's note required; a milestone already stored skipped, or replaced when its row says more (done, with
evidence). `Check` runs them inside the load's transaction: the programmes, projects, targets and milestones whole
(its `batch`, for impact.formats.write), the status events and readings a chunk at a time as they are read
(`Check.events`, `Check.readings`), keeping only what later chunks are checked against (each project's status and
latest event, the keys of the projects and metrics named); `Check.finish` raises a LoadError naming every problem.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Optional, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from impact.domain import fields
from impact.domain.entries import counting, sort_key
from impact.domain.lifecycle import (
    FUNDED_OR_LATER,
    ReviewState,
    TransitionError,
    check_history,
    check_transition,
)
from impact.domain.problems import LoadError, Problem
from impact.domain.values import SILENT_AFTER_DAYS, aware
from impact.formats.dataset import programme_tables
from impact.formats.programmes_file import FILE as PROGRAMMES_FILE
from impact.formats.programmes_file import calendar_table
from impact.formats.rows import (
    EVENTS_FILE,
    MILESTONES_FILE,
    PROJECTS_FILE,
    READINGS_FILE,
    TARGETS_FILE,
    UPDATABLE,
    EntryRow,
    EventRow,
    MilestoneRow,
    ProjectRow,
    ReadingRow,
    Rows,
    TargetRow,
)
from impact.i18n import _
from impact.store.db import in_lists
from impact.store.models import (
    Challenge,
    Metric,
    Milestone,
    Programme,
    ProgrammeTarget,
    Project,
    ReachReading,
    StatusEvent,
    Target,
    utcnow,
)

DATES = 100  # a file's dates read as an IN-list up to this many; beyond it, the range from the first to the last


@dataclass
class Batch:
    """What the rows add and change, checked and ready to write (the status events and readings: a chunk at a
    time, `Check`)."""

    programmes: list[dict] = field(default_factory=list)
    programme_targets: list[dict] = field(default_factory=list)  # new entries, with "programme" and "recorded_by"
    projects: list[ProjectRow] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)  # stored projects' changed details, with "id" and "programme"
    targets: list[TargetRow] = field(default_factory=list)
    milestones: list[MilestoneRow] = field(default_factory=list)  # a change to a stored one names it (supersedes_id)
    unchanged: int = 0  # rows already in the database, skipped (status events and readings included)


@dataclass
class Known:
    """The natural keys known so far: the database's (of the programmes and projects the rows name, not every one
    stored, read as the rows name them), then those the rows add."""

    challenges: dict[str, set[str]] = field(default_factory=dict)  # by programme
    metrics: dict[str, set[str]] = field(default_factory=dict)
    projects: dict[str, str] = field(default_factory=dict)  # project -> its programme
    stored: set[str] = field(default_factory=set)  # projects in the database before this load
    ids: dict[str, int] = field(default_factory=dict)  # the stored projects' ids
    metric_ids: dict[tuple[str, str], int] = field(default_factory=dict)  # (programme, metric) -> stored metric id
    absent: set[str] = field(default_factory=set)  # projects looked up and not found

    @classmethod
    def read(cls, session: Session, rows: Rows) -> Known:
        """What the database holds of the programmes and projects the rows name, but those of the status events and
        readings (`look_up`, a chunk at a time): a file of a few thousand readings reads its own, whatever the
        database holds."""
        known = cls()
        known.look_up(session, {p.slug for p in rows.projects}.union(
            *({entry.project for entry in entries} for entries in (rows.targets, rows.milestones))))
        known._programmes(session, {p["slug"] for p in rows.programmes} | {p.programme for p in rows.projects})
        return known

    def look_up(self, session: Session, slugs: set[str]) -> None:
        """Read the stored projects among `slugs` not looked up before, and their programmes."""
        slugs = slugs - self.projects.keys() - self.absent
        for names in in_lists(slugs):
            for slug, project_id, programme in session.execute(
                    select(Project.slug, Project.id, Programme.slug)
                    .join(Programme, Programme.id == Project.programme_id).where(Project.slug.in_(names))):
                self.projects[slug], self.ids[slug] = programme, project_id
                self.stored.add(slug)
        self.absent |= slugs - self.projects.keys()
        self._programmes(session, {self.projects[slug] for slug in slugs if slug in self.projects})

    def _programmes(self, session: Session, named: set[str]) -> None:
        """Read the challenges and metrics of the stored programmes among `named` not read before."""
        for names in in_lists(named - self.challenges.keys()):
            for programme in session.scalars(select(Programme.slug).where(Programme.slug.in_(names))):
                self.challenges[programme], self.metrics[programme] = set(), set()
            for programme, challenge in session.execute(
                    select(Programme.slug, Challenge.slug).join(Programme, Programme.id == Challenge.programme_id)
                    .where(Programme.slug.in_(names))):
                self.challenges[programme].add(challenge)
            for programme, metric, metric_id in session.execute(
                    select(Programme.slug, Metric.slug, Metric.id).join(Programme, Programme.id == Metric.programme_id)
                    .where(Programme.slug.in_(names))):
                self.metrics[programme].add(metric)
                self.metric_ids[(programme, metric)] = metric_id


class Check:
    """The checks of one load, in its transaction. Made, it has checked the programmes, projects, targets and
    milestones (`batch`); then `events` and `readings` check each chunk of status events and readings, in the
    files' order, and `finish` raises a LoadError naming every problem of every row, if any."""

    def __init__(self, session: Session, rows: Rows, recorded_by: str, chunk: int):
        self.session, self.rows, self.recorded_by, self.chunk = session, rows, recorded_by, chunk
        self.now = utcnow()  # when rows that do not say when they were recorded were recorded
        self.known = known = Known.read(session, rows)
        # Readings stored before this load: those it writes, chunk after chunk, are no stored readings to skip.
        self.readings_before = session.scalar(select(func.max(ReachReading.id))) or 0
        self.histories = Histories(session, rows)
        self.batch = batch = Batch()
        _programmes(session, rows, known, batch)
        _programme_targets(session, rows, batch, recorded_by)
        _projects(session, rows, known, batch)
        batch.targets = [_set_on(_filled(t, self.now, recorded_by))
                         for t in _of_known_metrics(rows, TARGETS_FILE, rows.targets, known)]
        _targets(session, rows, batch, known.stored)
        batch.milestones = [_filled(m, self.now, recorded_by)
                            for m in _known_projects(rows, MILESTONES_FILE, rows.milestones, known)]
        _milestones(session, rows, batch, known.stored)

    def events(self, chunk: list[EventRow]) -> list[EventRow]:
        """The chunk's status events to write: those of known projects, not stored yet (the rest are counted
        unchanged), each project's checked against its history as it stands so far (`Histories`)."""
        self.known.look_up(self.session, {event.project for event in chunk})
        events = [_filled(e, self.now, self.recorded_by)
                  for e in _known_projects(self.rows, EVENTS_FILE, chunk, self.known)]
        new = self.histories.add(events, self.known.stored)
        self.batch.unchanged += len(events) - len(new)
        return new

    def readings(self, chunk: list[ReadingRow]) -> list[ReadingRow]:
        """The chunk's readings to write: those of known projects and their programmes' metrics, not stored yet
        (the rest are counted unchanged)."""
        self.known.look_up(self.session, {reading.project for reading in chunk})
        readings = [_filled(r, self.now, self.recorded_by)
                    for r in _of_known_metrics(self.rows, READINGS_FILE, chunk, self.known)]
        new = _not_stored(self.session, readings, self.known, self.readings_before)
        self.batch.unchanged += len(readings) - len(new)
        return new

    def finish(self) -> None:
        """Check again, whole, the histories whose events the file did not give in order (`Histories.again`, from
        the file read once more), then raise LoadError with every problem (the rows' own included), if any."""
        if self.histories.unordered:
            events = [_filled(e, self.now, self.recorded_by) for chunk in self.rows.chunks(
                EVENTS_FILE, self.chunk, again=True) for e in chunk if e.project in self.histories.unordered]
            self.histories.again(events)
        self.histories.refuse()
        problems = self.rows.all_problems()
        if problems:
            raise LoadError(problems)


def _programmes(session: Session, rows: Rows, known: Known, batch: Batch) -> None:
    """New programmes are added; one loaded before is skipped if the same, refused if changed."""
    stored = {t["slug"]: {k: v for k, v in t.items() if k != "target"}  # targets: _programme_targets
              for t in programme_tables(session.connection(), select(Programme.id).where(
                  Programme.slug.in_([p["slug"] for p in rows.programmes])))}
    for number, programme in enumerate(rows.programmes, start=1):
        if programme["slug"] in stored:
            if as_stored(programme) == stored[programme["slug"]]:
                batch.unchanged += 1
            else:
                where = _("{file}, programme {number}", file=rows.files[PROGRAMMES_FILE], number=number)
                rows.problems[PROGRAMMES_FILE].append(Problem(where, None, "slug", _(
                    "programme '{slug}' already exists and differs from this one; change it on the Programmes page, "
                    "or give this one a new slug.", slug=programme["slug"])))
            continue
        batch.programmes.append(programme)
        known.challenges[programme["slug"]] = {c["slug"] for c in programme.get("challenge", [])}
        known.metrics[programme["slug"]] = {m["slug"] for m in programme.get("metric", [])}


def _programme_targets(session: Session, rows: Rows, batch: Batch, recorded_by: str) -> None:
    """A programme's targets are history: the file's entries not stored yet are added (loading it again adds
    nothing); one for a due date that has a stored target changes it, and needs a note saying why. An entry that
    does not say when and by whom it was recorded is recorded now, by `recorded_by`."""
    t = ProgrammeTarget
    stored = {(slug, stage or metric, due_on, value, baseline_on, baseline_value, set_on, note) for
              slug, stage, metric, due_on, value, baseline_on, baseline_value, set_on, note in session.execute(
        select(Programme.slug, t.stage, Metric.slug, t.due_on, t.value, t.baseline_on, t.baseline_value, t.set_on,
               t.note).join(Programme, Programme.id == t.programme_id).outerjoin(Metric, Metric.id == t.metric_id)
        .where(Programme.slug.in_([p["slug"] for p in rows.programmes])))}
    dates = {entry[:3] for entry in stored}
    for number, programme in enumerate(rows.programmes, start=1):
        for index, target in enumerate(programme.get("target", []), start=1):
            entry = {"baseline_value": 0, "set_on": target["baseline_on"], "note": ""} | target
            key = (programme["slug"], entry["measure"], entry["due_on"])
            if (*key, entry["value"], entry["baseline_on"], entry["baseline_value"], entry["set_on"],
                    entry["note"].strip()) in stored:
                batch.unchanged += 1
                continue
            if key in dates and not entry["note"].strip():
                where = _("{file}, programme {number}", file=rows.files[PROGRAMMES_FILE], number=number)
                rows.problems[PROGRAMMES_FILE].append(Problem(f"{where}, target {index}", None, "note", _(
                    "a target for {measure} by {due} is stored already; say in the note why it changes.",
                    measure=entry["measure"], due=entry["due_on"].isoformat())))
                continue
            batch.programme_targets.append(entry | {
                "programme": programme["slug"], "note": entry["note"].strip(),
                "recorded_by": entry.get("recorded_by") or recorded_by,
                "recorded_at": aware(entry["recorded_at"]) if entry.get("recorded_at") else None})


def as_stored(programme: dict) -> dict:
    """A programme table as the database would hold it, defaults filled in (to compare with a stored one)."""
    table = {"description": "", "illustrative_note": "", "public": False,
             "silent_after_days": SILENT_AFTER_DAYS} | programme
    for key in ("report_every", "report_from", "report_dates"):
        table.pop(key, None)
    table |= calendar_table(fields.programme_calendar(programme))
    table["figure"] = [{"note": ""} | f for f in programme.get("figure", [])]
    for kind in ("figure", "challenge", "metric"):
        table[kind] = [dict(sorted(t.items())) for t in table.get(kind, [])]
    return {k: v for k, v in table.items() if v is not None and k != "target"}  # targets: _programme_targets


def _projects(session: Session, rows: Rows, known: Known, batch: Batch) -> None:
    """Each project row names a known programme and challenge, once; a stored project keeps its programme, and the
    details that differ update it."""
    in_file: set[str] = set()
    stored_details: dict[str, tuple[int, dict]] = {}
    for project in rows.projects:
        slug, programme, row = project.slug, project.programme, project.row
        if programme not in known.challenges:
            rows.problem(PROJECTS_FILE, row, "programme", _("unknown programme '{programme}'; define it in {file} "
                                                            "first.", programme=programme, file=PROGRAMMES_FILE))
            continue
        if slug in in_file:
            rows.problem(PROJECTS_FILE, row, "slug", _("project '{slug}' already exists; give each project its own "
                                                       "slug.", slug=slug))
            continue
        in_file.add(slug)
        if slug in known.stored and known.projects[slug] != programme:
            rows.problem(PROJECTS_FILE, row, "programme", _("project '{slug}' belongs to programme '{other}'; a "
                                                            "project keeps its programme.", slug=slug,
                                                            other=known.projects[slug]))
            continue
        challenge = project.details.get("challenge", "")
        if challenge and challenge not in known.challenges[programme]:
            rows.problem(PROJECTS_FILE, row, "challenge", _("programme '{programme}' has no challenge "
                                                            "'{challenge}'.", programme=programme,
                                                            challenge=challenge))
            continue
        if slug in known.stored:
            stored_details = stored_details or _stored_details(session, {p.slug for p in rows.projects})
            _update(stored_details[slug], project, batch)
        else:
            known.projects[slug] = programme
            batch.projects.append(project)


def _stored_details(session: Session, slugs: set[str]) -> dict[str, tuple[int, dict]]:
    """These stored projects' ids and UPDATABLE details by slug."""
    names = [c for c in UPDATABLE if c != "challenge"]
    found = [row for some in in_lists(slugs) for row in session.execute(
        select(Project.slug, Project.id, func.coalesce(Challenge.slug, ""), *(getattr(Project, c) for c in names))
        .outerjoin(Challenge, Challenge.id == Project.challenge_id).where(Project.slug.in_(some)))]
    return {slug: (pid, {"challenge": challenge, **dict(zip(names, values))})
            for slug, pid, challenge, *values in found}


def _update(stored: tuple[int, dict], project: ProjectRow, batch: Batch) -> None:
    """A stored project named again: the details the file gives that differ update it; else it is unchanged. A
    file without funding columns leaves the funding as it is."""
    project_id, current = stored
    changed = {column: value for column, value in project.details.items() if value != current[column]}
    if changed:
        batch.updates.append({"id": project_id, "programme": project.programme, **changed})
    else:
        batch.unchanged += 1


def _known_projects(rows: Rows, table: str, entries: Iterable[EntryRow], known: Known) -> Iterable:
    for entry in entries:
        if entry.project in known.projects:
            yield entry
        else:
            rows.problem(table, entry.row, "project", _("unknown project '{project}'; add it to {file}.",
                                                        project=entry.project, file=PROJECTS_FILE))


def _filled(entry, now: dt.datetime, recorded_by: str):
    """The entry with when and by whom it was recorded, where its row did not say."""
    if entry.recorded_at is None:
        entry.recorded_at = now
    if not entry.recorded_by:
        entry.recorded_by = recorded_by
    return entry


@dataclass(slots=True)
class _History:
    """What a project's history is checked against as the file's events come: the latest event's place in the
    order and the status it leaves (and whether the project was funded by then), its stored (status, date) pairs,
    which the file's events skip, and the id of its latest stored event."""

    latest: tuple
    status: Optional[str]
    funded: bool
    stored: frozenset[tuple[str, dt.date]]
    last_id: int


class Histories:
    """Each project's status events, stored and new, follow the lifecycle; those already stored are skipped.

    A project's new events, as the files give them, are checked one by one against the status its history has
    reached (its stored history, read and locked when the project is first named), as long as each one comes after
    the events before it (impact.domain.entries' order): a file in date order, as the export writes it, is checked
    so whatever its length. A project's first refused event is held until the end, and a project whose events come
    out of order is checked again whole at the end (`again`), from its stored history and its events read from the
    file once more: what checking its whole history at once gives."""

    def __init__(self, session: Session, rows: Rows):
        self.session, self.rows = session, rows
        self.projects: dict[str, _History] = {}
        self.refused: dict[str, tuple[EventRow, TransitionError]] = {}  # each project's first refused event
        self.unordered: set[str] = set()

    def add(self, events: list[EventRow], stored: set[str]) -> list[EventRow]:
        """The events not stored yet, each checked (see the class); `stored`: the projects in the database."""
        first = sorted({event.project for event in events} - self.projects.keys())
        histories = stored_histories(self.session, [project for project in first if project in stored])
        for project in first:
            self._start(project, histories.get(project, []))
        new = []
        for event in events:
            history = self.projects[event.project]
            if (event.status, event.effective_date) in history.stored:
                continue  # already recorded: loading a file again adds nothing
            new.append(event)
            if event.project in self.unordered:
                continue
            key = _order(event)
            if key < history.latest:  # it goes before an event checked already: checked again at the end
                self.unordered.add(event.project)
                continue
            history.latest = key
            if event.project not in self.refused:
                try:
                    check_transition(history.status, event.status, event.note, history.funded)
                except TransitionError as exc:
                    self.refused[event.project] = (event, exc)
                history.status = event.status
                history.funded = history.funded or event.status in FUNDED_OR_LATER
        return new

    def _start(self, project: str, stored: list[EventRow]) -> None:
        stored.sort(key=_order)
        try:
            check_history([(event.status, event.note) for event in stored])
        except TransitionError as exc:
            self.refused[project] = (stored[exc.position], exc)
        self.projects[project] = _History(
            _order(stored[-1]) if stored else (), stored[-1].status if stored else None,
            any(event.status in FUNDED_OR_LATER for event in stored),
            frozenset((event.status, event.effective_date) for event in stored),
            max((cast(_StoredEvent, event).id for event in stored), default=0))

    def again(self, events: list[EventRow]) -> None:
        """Check whole the histories of the projects whose events came out of order: their events stored before
        this load (read again) and `events`, theirs from the file, in the file's order."""
        stored = stored_histories(self.session, sorted(self.unordered))
        mine: dict[str, list[EventRow]] = defaultdict(list)
        for event in events:
            mine[event.project].append(event)
        for project in sorted(self.unordered):
            self.refused.pop(project, None)
            history = self.projects[project]
            new = [e for e in mine[project] if (e.status, e.effective_date) not in history.stored]
            before = [e for e in stored.get(project, []) if cast(_StoredEvent, e).id <= history.last_id]
            _check_history(self.rows, project, before + new)

    def refuse(self) -> None:
        """Note each project's first refused event as a problem of its file."""
        for project, (event, exc) in self.refused.items():
            _refused(self.rows, project, event, exc)
        self.refused = {}


def stored_histories(session: Session, projects: list[str]) -> dict[str, list[EventRow]]:
    """The counting history of these projects, their rows locked until the load commits (PostgreSQL), so that
    two loads cannot both add a change to the same project, each checked against the history without the other."""
    # NO KEY UPDATE: readings that other loads insert for these projects still pass their foreign-key checks;
    # locking in id order keeps two loads from waiting on each other (a chunk's projects at a time).
    e = StatusEvent
    stored: dict[str, list[EventRow]] = defaultdict(list)
    for names in in_lists(projects):
        session.execute(select(Project.id).where(Project.slug.in_(names)).order_by(Project.id)
                        .with_for_update(key_share=True)).all()
        for slug, event_id, status, day, recorded_at, note in session.execute(
                select(Project.slug, e.id, e.status, e.effective_date, e.recorded_at, e.note)
                .join(Project, Project.id == e.project_id).where(Project.slug.in_(names), counting(e))):
            stored[slug].append(_StoredEvent(row=0, project=slug, recorded_at=aware(recorded_at), recorded_by="",
                                             note=note, evidence_url="", status=status, effective_date=day,
                                             id=event_id))
    return stored


@dataclass(slots=True, kw_only=True)
class _StoredEvent(EventRow):
    id: int


def _order(event: EventRow) -> tuple:
    """The event's place in its project's history: the file's events stand after the stored ones of the same date
    and time, in file order (impact.domain.entries)."""
    return sort_key(event.effective_date, cast(dt.datetime, event.recorded_at),  # filled in by now
                    getattr(event, "id", None))


def _check_history(rows: Rows, project: str, history: list[EventRow]) -> None:
    history.sort(key=_order)
    try:
        check_history([(event.status, event.note) for event in history])
    except TransitionError as exc:
        _refused(rows, project, history[exc.position], exc)


def _refused(rows: Rows, project: str, event: EventRow, exc: TransitionError) -> None:
    rows.problem(EVENTS_FILE, event.row or None, "status", _("{error} (project '{project}', {date}).", error=exc,
                                                             project=project, date=event.effective_date))


def _of_known_metrics(rows: Rows, table: str, entries: Iterable, known: Known) -> Iterable:
    """Readings (or targets) of known projects, of metrics their programme has."""
    for entry in _known_projects(rows, table, entries, known):
        programme = known.projects[entry.project]
        if entry.metric in known.metrics[programme]:
            yield entry
        else:
            rows.problem(table, entry.row, "metric", _(
                "programme '{programme}' has no metric '{metric}'; use one of {known}.", programme=programme,
                metric=entry.metric, known=", ".join(sorted(known.metrics[programme]))))


def _not_stored(session: Session, readings: list[ReadingRow], known: Known, before: int) -> list[ReadingRow]:
    """The readings not recorded already (the same project, metric, date and value, among the readings stored
    before this load, whose ids are at most `before`). Only the stored readings of the rows' series on the rows'
    dates are read."""
    mine: dict[int, list[ReadingRow]] = defaultdict(list)  # the readings of stored projects, by project id
    for reading in readings:
        if reading.project in known.ids:
            mine[known.ids[reading.project]].append(reading)
    r = ReachReading
    found: set[tuple] = set()
    for project_ids in in_lists(mine):
        some = [reading for project_id in project_ids for reading in mine[project_id]]
        metric_ids = {known.metric_ids[(known.projects[x.project], x.metric)] for x in some}
        dates = {x.as_of for x in some}
        on = r.as_of.in_(dates) if len(dates) <= DATES else r.as_of.between(min(dates), max(dates))
        found.update(session.execute(
            select(r.project_id, r.metric_id, r.as_of, r.value)
            .where(r.project_id.in_(project_ids), r.metric_id.in_(metric_ids), on, r.id <= before,
                   r.counted_increment.is_not(None))).all())  # those that count
    if not found:
        return readings
    return [x for x in readings if (known.ids.get(x.project), known.metric_ids.get(
        (known.projects[x.project], x.metric)), x.as_of, x.value) not in found]


def _set_on(target: TargetRow) -> TargetRow:
    """A target whose row does not say from when it stands stands from the day it is recorded."""
    if target.set_on is None:
        target.set_on = cast(dt.datetime, target.recorded_at).date()  # filled in by now
    return target


def _targets(session: Session, rows: Rows, batch: Batch, stored: set[str]) -> None:
    """Targets already recorded (the same plan for the same project, metric and due date, set on the same day) are
    skipped; a target for a due date that has one already, stored or in an earlier row, says in its note why it
    changes (the rule of impact.store.commands.set_target: the earlier one stays in the history)."""
    t = Target
    plans: dict[tuple, set[tuple]] = defaultdict(set)  # (project, metric, due_on) -> its plans not returned
    projects = {target.project for target in batch.targets} & stored
    if projects:
        for project, metric, *entry in session.execute(
                select(Project.slug, Metric.slug, t.due_on, t.set_on, t.value, t.baseline_on, t.baseline_value)
                .join(Project, Project.id == t.project_id).join(Metric, Metric.id == t.metric_id)
                .where(Project.slug.in_(projects), t.review_state != ReviewState.RETURNED)):
            plans[(project, metric, entry[0])].add(tuple(entry))
    kept = []
    for target in sorted(batch.targets, key=lambda x: (x.set_on, x.recorded_at, x.row)):
        key = (target.project, target.metric, target.due_on)
        plan = (target.due_on, target.set_on, target.value, target.baseline_on, target.baseline_value)
        if plan in plans[key]:
            batch.unchanged += 1
            continue
        if plans[key] and not target.note:
            rows.problem(TARGETS_FILE, target.row, "note", _(
                "a target for '{metric}' by {due} is set already (in the database or an earlier row); say in the "
                "note why it changes.", metric=target.metric, due=target.due_on))
        plans[key].add(plan)
        kept.append(target)
    batch.targets = sorted(kept, key=lambda x: x.row)


def _milestones(session: Session, rows: Rows, batch: Batch, stored: set[str]) -> None:
    """A milestone is a project's title and planned date: named once per file; one stored as it stands is skipped
    when the row says the same, and replaced by the row (a new entry superseding it) when the row says more."""
    m = Milestone
    known: dict[tuple, tuple] = {}
    projects = {milestone.project for milestone in batch.milestones} & stored
    if projects:
        for project, title, planned_on, *rest in session.execute(
                select(Project.slug, m.title, m.planned_on, m.id, m.done_on, m.evidence_url, m.note)
                .join(Project, Project.id == m.project_id)
                .where(Project.slug.in_(projects), counting(m)).order_by(m.id)):
            known[(project, title, planned_on)] = tuple(rest)
    seen: dict[tuple, int] = {}
    kept = []
    for milestone in batch.milestones:
        key = (milestone.project, milestone.title, milestone.planned_on)
        if key in seen:
            rows.problem(MILESTONES_FILE, milestone.row, "title", _(
                "row {row} names the same milestone (project, title and planned date); give each milestone once.",
                row=seen[key]))
            continue
        seen[key] = milestone.row
        if key in known:
            stored_id, *stands = known[key]
            if stands == [milestone.done_on, milestone.evidence_url, milestone.note]:
                batch.unchanged += 1
                continue
            milestone.supersedes_id = stored_id
        kept.append(milestone)
    batch.milestones = kept
