"""The import's last stage: what impact.formats.validate checked, inserted and updated in bulk inside the load's
transaction, approved on entry (status events, readings, targets and milestones alike): `Writer` writes the
programmes and projects first, then each chunk of status events and readings as it is checked, then the rest. The
reach increments are counted as the readings go in (impact.store.increments), and each series a chunk could not
count (a stored one, or one given out of order) is recounted once at the end."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from impact.domain import fields
from impact.domain.lifecycle import ReviewState
from impact.domain.values import SILENT_AFTER_DAYS
from impact.formats.dataset import OPTIONAL_TEXTS, PROGRAMME_TRANSLATIONS
from impact.formats.rows import EntryRow, EventRow, ReadingRow
from impact.formats.validate import Batch
from impact.store import increments
from impact.store.db import in_lists
from impact.store.models import (
    FUNNEL_MEASURES,
    Challenge,
    Metric,
    Milestone,
    Programme,
    ProgrammeFigure,
    ProgrammeTarget,
    Project,
    ReachReading,
    StatusEvent,
    Target,
    utcnow,
)

# A new project's details that its file leaves out.
DETAILS = {"team": "", "summary": "", "website": "", "repository": "", "source": "", "illustrative": False,
           "contact_email": "", "funding_amount": None, "funding_currency": "", "funder": ""}


@dataclass
class LoadSummary:
    """What a load added (programmes, projects, status events, reach readings, programme targets, and targets and
    milestones), changed (updated projects) and found already there (unchanged rows, skipped)."""

    programmes: int = 0
    projects: int = 0
    status_events: int = 0
    reach_readings: int = 0
    updated: int = 0
    unchanged: int = 0
    programme_targets: int = 0
    targets: int = 0
    milestones: int = 0

    @property
    def changes(self) -> int:
        return (self.programmes + self.projects + self.status_events + self.reach_readings + self.updated
                + self.programme_targets + self.targets + self.milestones)


def _optional(part: dict) -> dict:
    """A figure's or metric's optional texts (definitions, translations) that it gives."""
    return {key: value for key, value in part.items() if key in OPTIONAL_TEXTS}


class Writer:
    """The writes of one load, in its session's transaction: `start` (programmes, programme targets, projects),
    then `events` and `readings` for each checked chunk, then `finish`, which says what was written."""

    def __init__(self, session: Session):
        self.session = session
        self.projects: dict[str, tuple[int, str]] = {}  # the id and programme of each project written to, by slug
        self.new: set[int] = set()  # the ids of the projects this load adds
        self.programme_ids: dict[str, int] = {}
        self.challenge_ids: dict[tuple[str, str], int] = {}
        self.metric_ids: dict[tuple[str, str], int] = {}
        self.fresh = increments.Fresh()  # the increments of the new projects' series, counted as they come
        self.since: dict[tuple[int, int], dt.date] = {}  # each stored series' earliest new reading
        self.events_written = self.readings_written = 0

    def start(self, batch: Batch) -> None:
        session = self.session
        for prog in batch.programmes:
            programme = Programme(
                slug=prog["slug"], name=prog["name"], country=prog.get("country"), starts_on=prog.get("starts_on"),
                ends_on=prog.get("ends_on"), description=prog.get("description", ""),
                illustrative_note=prog.get("illustrative_note", ""), public=prog.get("public", False),
                silent_after_days=prog.get("silent_after_days", SILENT_AFTER_DAYS),
                **fields.calendar_columns(fields.programme_calendar(prog)),
                **{key: prog.get(key, "") for key in PROGRAMME_TRANSLATIONS},
            )
            programme.figures = [ProgrammeFigure(key=f["key"], label=f["label"], value=f["value"],
                                                 source=f["source"], note=f.get("note", ""), **_optional(f))
                                 for f in prog.get("figure", [])]
            programme.challenges = [Challenge(slug=c["slug"], name=c["name"]) for c in prog.get("challenge", [])]
            programme.metrics = [Metric(slug=m["slug"], label=m["label"], unit=m["unit"], **_optional(m))
                                 for m in prog.get("metric", [])]
            session.add(programme)
        session.flush()

        self.programme_ids = programme_ids = dict(session.execute(select(Programme.slug, Programme.id)).all())
        self.challenge_ids = challenge_ids = {(p, c): i for p, c, i in session.execute(
            select(Programme.slug, Challenge.slug, Challenge.id)
            .join(Programme, Programme.id == Challenge.programme_id))}
        self.metric_ids = metric_ids = {(p, m): i for p, m, i in session.execute(
            select(Programme.slug, Metric.slug, Metric.id).join(Programme, Programme.id == Metric.programme_id))}
        if batch.programme_targets:
            now = utcnow()
            session.execute(insert(ProgrammeTarget.__table__), [{
                "programme_id": programme_ids[t["programme"]], "stage": t["measure"] if t["measure"] in
                FUNNEL_MEASURES else None, "metric_id": None if t["measure"] in FUNNEL_MEASURES else
                metric_ids[(t["programme"], t["measure"])],
                "set_on": t["set_on"], "due_on": t["due_on"], "value": t["value"], "baseline_on": t["baseline_on"],
                "baseline_value": t["baseline_value"], "note": t["note"], "evidence_url": "",
                "recorded_at": t["recorded_at"] or now, "recorded_by": t["recorded_by"],
                "review_state": ReviewState.APPROVED} for t in batch.programme_targets])
        if batch.projects:
            session.execute(insert(Project.__table__), [{
                "slug": p.slug, "programme_id": programme_ids[p.programme],
                "challenge_id": challenge_ids.get((p.programme, p.details.get("challenge", ""))),
                **DETAILS, **{column: value for column, value in p.details.items() if column != "challenge"},
            } for p in batch.projects])
            self._look_up({p.slug for p in batch.projects})
            self.new = {self.projects[p.slug][0] for p in batch.projects}

    def _look_up(self, slugs: set[str]) -> None:
        """Read the id and programme of the projects among `slugs` not read before."""
        for names in in_lists(slugs - self.projects.keys()):
            self.projects.update((slug, (pid, prog)) for slug, pid, prog in self.session.execute(
                select(Project.slug, Project.id, Programme.slug)
                .join(Programme, Programme.id == Project.programme_id).where(Project.slug.in_(names))))

    def _history(self, entry: EntryRow, **fields) -> dict:
        return {"project_id": self.projects[entry.project][0], "recorded_at": entry.recorded_at,
                "recorded_by": entry.recorded_by, "note": entry.note, "evidence_url": entry.evidence_url,
                "review_state": ReviewState.APPROVED, **fields}

    def events(self, events: list[EventRow]) -> None:
        if events:
            self._look_up({e.project for e in events})
            self.session.execute(insert(StatusEvent.__table__), [
                self._history(e, status=e.status, effective_date=e.effective_date) for e in events])
            self.events_written += len(events)

    def readings(self, readings: list[ReadingRow]) -> None:
        if not readings:
            return
        self._look_up({r.project for r in readings})
        rows = [self._history(r, metric_id=self.metric_ids[(self.projects[r.project][1], r.metric)], as_of=r.as_of,
                              value=r.value, counted_increment=None) for r in readings]
        self.fresh.count([r for r in rows if r["project_id"] in self.new])
        for r in rows:
            if r["project_id"] not in self.new:
                series = (r["project_id"], r["metric_id"])
                self.since[series] = min(r["as_of"], self.since.get(series, r["as_of"]))
        self.session.execute(insert(ReachReading.__table__), rows)
        self.readings_written += len(rows)

    def finish(self, batch: Batch) -> LoadSummary:
        """Write the updates, targets and milestones, recount the series the readings could not count, and say
        what the load wrote."""
        session = self.session
        for update in batch.updates:
            changes = {k: v for k, v in update.items() if k not in ("id", "programme", "challenge")}
            if "challenge" in update:
                changes["challenge_id"] = self.challenge_ids.get((update["programme"], update["challenge"]))
            session.execute(Project.__table__.update().where(Project.id == update["id"])
                            .values(**changes, revision=Project.revision + 1))
        self._look_up({entry.project for entries in (batch.targets, batch.milestones) for entry in entries})
        if batch.targets:
            session.execute(insert(Target.__table__), [self._history(
                t, metric_id=self.metric_ids[(self.projects[t.project][1], t.metric)], set_on=t.set_on,
                due_on=t.due_on, value=t.value, baseline_on=t.baseline_on, baseline_value=t.baseline_value)
                for t in batch.targets])
        if batch.milestones:
            session.execute(insert(Milestone.__table__), [self._history(
                m, title=m.title, planned_on=m.planned_on, done_on=m.done_on, supersedes_id=m.supersedes_id)
                for m in batch.milestones])
        # Last: it takes turns (see there), and adds the new series' readings to their days.
        increments.recount_since(session, self.since | self.fresh.since, self.fresh.days())
        return LoadSummary(len(batch.programmes), len(batch.projects), self.events_written, self.readings_written,
                           len(batch.updates), batch.unchanged, len(batch.programme_targets), len(batch.targets),
                           len(batch.milestones))
