"""The import's last stage: a checked batch (impact.formats.validate) inserted and updated in bulk, inside the load's
transaction, approved on entry (status events, readings, targets and milestones alike); the reach increments are
counted as they go in (impact.store.increments)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from impact.domain import fields
from impact.domain.lifecycle import ReviewState
from impact.domain.values import SILENT_AFTER_DAYS
from impact.formats.dataset import OPTIONAL_TEXTS, PROGRAMME_TRANSLATIONS
from impact.formats.rows import EntryRow
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


def _projects(session: Session, batch: Batch) -> dict[str, tuple[int, str]]:
    """The id and programme of each project the batch names (not every stored project), by slug."""
    slugs = {p.slug for p in batch.projects}.union(
        *({entry.project for entry in entries} for entries in (batch.events, batch.readings, batch.targets,
                                                                 batch.milestones)))
    return {slug: (pid, prog) for names in in_lists(slugs) for slug, pid, prog in session.execute(
        select(Project.slug, Project.id, Programme.slug).join(Programme, Programme.id == Project.programme_id)
        .where(Project.slug.in_(names)))}


def write(session: Session, batch: Batch) -> LoadSummary:
    for prog in batch.programmes:
        programme = Programme(
            slug=prog["slug"], name=prog["name"], country=prog.get("country"), starts_on=prog.get("starts_on"),
            ends_on=prog.get("ends_on"), description=prog.get("description", ""),
            illustrative_note=prog.get("illustrative_note", ""), public=prog.get("public", False),
            silent_after_days=prog.get("silent_after_days", SILENT_AFTER_DAYS),
            **fields.calendar_columns(fields.programme_calendar(prog)),
            **{key: prog.get(key, "") for key in PROGRAMME_TRANSLATIONS},
        )
        programme.figures = [ProgrammeFigure(key=f["key"], label=f["label"], value=f["value"], source=f["source"],
                                             note=f.get("note", ""), **_optional(f)) for f in prog.get("figure", [])]
        programme.challenges = [Challenge(slug=c["slug"], name=c["name"]) for c in prog.get("challenge", [])]
        programme.metrics = [Metric(slug=m["slug"], label=m["label"], unit=m["unit"], **_optional(m))
                             for m in prog.get("metric", [])]
        session.add(programme)
    session.flush()

    programme_ids = dict(session.execute(select(Programme.slug, Programme.id)).all())
    challenge_ids = {(p, c): i for p, c, i in session.execute(
        select(Programme.slug, Challenge.slug, Challenge.id).join(Programme, Programme.id == Challenge.programme_id))}
    metric_ids = {(p, m): i for p, m, i in session.execute(
        select(Programme.slug, Metric.slug, Metric.id).join(Programme, Programme.id == Metric.programme_id))}
    if batch.programme_targets:
        now = utcnow()
        session.execute(insert(ProgrammeTarget.__table__), [{
            "programme_id": programme_ids[t["programme"]], "stage": t["measure"] if t["measure"] in FUNNEL_MEASURES
            else None, "metric_id": None if t["measure"] in FUNNEL_MEASURES else metric_ids[(t["programme"],
                                                                                            t["measure"])],
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
    projects = _projects(session, batch)

    def history(entry: EntryRow, **fields) -> dict:
        return {"project_id": projects[entry.project][0], "recorded_at": entry.recorded_at,
                "recorded_by": entry.recorded_by, "note": entry.note, "evidence_url": entry.evidence_url,
                "review_state": ReviewState.APPROVED, **fields}

    if batch.events:
        session.execute(insert(StatusEvent.__table__), [
            history(e, status=e.status, effective_date=e.effective_date) for e in batch.events])
    if batch.readings:
        readings = [history(r, metric_id=metric_ids[(projects[r.project][1], r.metric)], as_of=r.as_of,
                            value=r.value, counted_increment=None) for r in batch.readings]
        new = {projects[p.slug][0] for p in batch.projects}
        fresh = [r for r in readings if r["project_id"] in new]
        increments.fresh(fresh)
        session.execute(insert(ReachReading.__table__), readings)
    for update in batch.updates:
        changes = {k: v for k, v in update.items() if k not in ("id", "programme", "challenge")}
        if "challenge" in update:
            changes["challenge_id"] = challenge_ids.get((update["programme"], update["challenge"]))
        session.execute(Project.__table__.update().where(Project.id == update["id"])
                        .values(**changes, revision=Project.revision + 1))
    if batch.targets:
        session.execute(insert(Target.__table__), [history(
            t, metric_id=metric_ids[(projects[t.project][1], t.metric)], set_on=t.set_on, due_on=t.due_on,
            value=t.value, baseline_on=t.baseline_on, baseline_value=t.baseline_value) for t in batch.targets])
    if batch.milestones:
        session.execute(insert(Milestone.__table__), [history(
            m, title=m.title, planned_on=m.planned_on, done_on=m.done_on, supersedes_id=m.supersedes_id)
            for m in batch.milestones])
    if batch.readings:
        since: dict[tuple[int, int], dt.date] = {}  # each stored series' earliest new reading
        for r in readings:
            if r["project_id"] not in new:
                series = (r["project_id"], r["metric_id"])
                since[series] = min(r["as_of"], since.get(series, r["as_of"]))
        increments.recount_since(session, since, fresh)  # last: it takes turns (see there)
    return LoadSummary(len(batch.programmes), len(batch.projects), len(batch.events), len(batch.readings),
                       len(batch.updates), batch.unchanged, len(batch.programme_targets), len(batch.targets),
                       len(batch.milestones))
