"""The write side of a project's history: status changes, reach readings, free-text updates, and their review.

Every command checks permission (impact.domain.access), validates, re-checks inside its transaction that the account or
key it acts for still stands, refuses a form that saw an older state of the project, and writes its entry, the
project's new revision and its audit entry in one transaction; or writes nothing and raises with a sentence that
says what to do.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Optional, TypeVar

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from impact.domain import fields
from impact.domain.access import Actor, check_may_submit, check_staff, check_still_holds, review_state_for
from impact.domain.entries import live_history
from impact.domain.fields import FieldError
from impact.domain.lifecycle import (
    FUNDED_OR_LATER,
    STATUSES,
    ReviewState,
    TransitionError,
    allowed_next,
    check_history,
    note_required,
)
from impact.domain.problems import Problem
from impact.domain.targets import plan_problem
from impact.domain.values import BIGGEST_WHOLE_NUMBER, row_id, whole
from impact.i18n import _, format_date, format_number, ngettext
from impact.store import increments
from impact.store.db import write_session
from impact.store.models import (
    FUNNEL_MEASURES,
    AuditEntry,
    Metric,
    Milestone,
    Programme,
    ProgrammeTarget,
    Project,
    ProjectNote,
    ReachReading,
    StatusEvent,
    Target,
    utcnow,
)

MAX_NOTE_LENGTH = 5000
Entry = StatusEvent | ReachReading | ProjectNote | Target | Milestone  # what staff review
EntryT = TypeVar("EntryT", bound=Entry)
KINDS: dict[str, type[Entry]] = {"status": StatusEvent, "reading": ReachReading, "update": ProjectNote,
                                 "target": Target, "milestone": Milestone}


class CommandError(ValueError):
    """A refused write; the message says what is wrong and what to do. Nothing was written."""


class Stale(CommandError):
    """The project changed after the form was opened; the user should look at the newer state and resubmit."""


@dataclass(frozen=True)
class Recorded:
    """What a command wrote, for the page to say in the visitor's language: `what` is the status, the metric's
    label or the update's text, `on` its date (None for an update), `value` a reading's total."""

    kind: str
    id: int
    review_state: str
    what: str
    on: Optional[dt.date]
    revision: int
    value: Optional[int] = None


def project_revision(engine: Engine, project_id: int) -> Optional[int]:
    """The project's revision, for a form to send back with its submission (None: no such project)."""
    with engine.connect() as conn:
        return conn.scalar(select(Project.revision).where(Project.id == project_id))


@dataclass(frozen=True)
class StatusChoice:
    """What a status form offers: the latest status (counting entries still under review), since when, and the
    statuses that may follow it."""

    current: Optional[str]
    since: Optional[dt.date]
    options: tuple[str, ...]
    note_needed: tuple[str, ...]  # the options that need a note
    pending: bool = False  # the current status is still waiting for staff's review


def status_choice(engine: Engine, project_id: int) -> StatusChoice:
    with Session(engine) as session:
        live = live_history(session, StatusEvent, project_id)
    current = live[-1].status if live else None
    options = allowed_next(current, any(e.status in FUNDED_OR_LATER for e in live))
    return StatusChoice(current, live[-1].effective_date if live else None, options,
                        tuple(o for o in options if note_required(current, o)),
                        bool(live) and live[-1].review_state == ReviewState.PENDING)


def record_status_change(engine: Engine, actor: Actor, project_id: int, status: str, effective_date: dt.date,
                         note: str = "", evidence_url: str = "", seen_revision: Optional[int] = None,
                         supersedes_id: Optional[int] = None, today: Optional[dt.date] = None) -> Recorded:
    """Record that the project has `status` from `effective_date` on (a correction when it supersedes an event)."""
    note, evidence_url = _text(note), _url(evidence_url)
    _not_in_future(effective_date, today, _("The status's effective date"))
    if status not in STATUSES:
        raise CommandError(_("'{status}' is not a status; use one of: {statuses}.", status=status,
                             statuses=", ".join(STATUSES)))
    with write_session(engine) as session, session.begin():
        project = _project(session, actor, project_id, seen_revision, today)
        if supersedes_id is not None:
            _check_correction(session, actor, StatusEvent, supersedes_id, project, note)
        event = StatusEvent(project_id=project.id, status=status, effective_date=effective_date, note=note,
                            evidence_url=evidence_url, recorded_by=actor.name, recorded_at=utcnow(),
                            review_state=review_state_for(actor), supersedes_id=supersedes_id)
        _check_status_history(session, project.id, event)
        session.add(event)
        session.flush()
        return _done(session, actor, project, "status", event, _status_record(event), status, effective_date)


def record_reach_reading(engine: Engine, actor: Actor, project_id: int, metric: str, as_of: dt.date, value: int,
                         note: str = "", evidence_url: str = "", seen_revision: Optional[int] = None,
                         supersedes_id: Optional[int] = None, today: Optional[dt.date] = None) -> Recorded:
    """Record the project's cumulative total for `metric` (a metric slug of its programme) as of a date."""
    note, evidence_url = _text(note), _url(evidence_url)
    _not_in_future(as_of, today, _("The reading's date"))
    if whole(value) is None:
        raise CommandError(_("A reach figure is a whole number of 0 or more, at most {most} (a running total, not an "
                             "increment).", most=format_number(BIGGEST_WHOLE_NUMBER)))
    with write_session(engine) as session, session.begin():
        project = _project(session, actor, project_id, seen_revision, today)
        metric_row = session.scalar(select(Metric).where(Metric.programme_id == project.programme_id,
                                                         Metric.slug == metric))
        if metric_row is None:
            raise CommandError(_("This project's programme has no metric '{metric}'.", metric=metric))
        if supersedes_id is not None:
            _check_correction(session, actor, ReachReading, supersedes_id, project, note)
        reading = ReachReading(project_id=project.id, metric_id=metric_row.id, as_of=as_of, value=value, note=note,
                               evidence_url=evidence_url, recorded_by=actor.name, recorded_at=utcnow(),
                               review_state=review_state_for(actor), supersedes_id=supersedes_id)
        previous = _previous_reading(session, reading)
        if previous is not None and supersedes_id is None and (previous.as_of, previous.value) == (as_of, value):
            raise CommandError(_("{metric}: {value} as of {date} is recorded already; nothing new was recorded.",
                                 metric=metric_row.label, value=format_number(value), date=format_date(as_of)))
        if previous is not None and value < previous.value and not note:
            raise CommandError(_("{value} is lower than the reading of {previous} on {date}. Reach figures are running "
                                 "totals; if the total really went down (a recount, say), add a note saying why.",
                                 value=format_number(value), previous=format_number(previous.value),
                                 date=format_date(previous.as_of)))
        session.add(reading)
        session.flush()
        if reading.review_state == ReviewState.APPROVED:  # a pending one changes nothing until it is approved
            increments.recount(session, [project.id])
        return _done(session, actor, project, "reading", reading,
                     {"metric": metric, "as_of": as_of.isoformat(), "value": value, **_common(reading)},
                     metric_row.label, as_of, value)


def record_update(engine: Engine, actor: Actor, project_id: int, text: str, evidence_url: str = "",
                  seen_revision: Optional[int] = None) -> Recorded:
    """A free-text update on how the project is doing."""
    text, evidence_url = _text(text), _url(evidence_url)
    if not text:
        raise CommandError(_("The update is empty; write what happened."))
    with write_session(engine) as session, session.begin():
        project = _project(session, actor, project_id, seen_revision)
        latest = session.scalar(select(ProjectNote.note).where(
            ProjectNote.project_id == project.id, ProjectNote.review_state != ReviewState.RETURNED)
            .order_by(ProjectNote.recorded_at.desc(), ProjectNote.id.desc()).limit(1))
        if latest == text:
            raise CommandError(_("This update is the project's latest already; nothing new was recorded."))
        entry = ProjectNote(project_id=project.id, note=text, evidence_url=evidence_url, recorded_by=actor.name,
                            recorded_at=utcnow(), review_state=review_state_for(actor))
        session.add(entry)
        session.flush()
        return _done(session, actor, project, "update", entry, _common(entry), text)


def review(engine: Engine, actor: Actor, kind: str, entry_id: int, approve: bool, note: str = "") -> Recorded:
    """Approve a pending entry, or return it to the team with a note saying why."""
    check_staff(actor)
    note = _text(note)
    if not approve and not note:
        raise CommandError(_("Say why the entry goes back to the team: they will see the note on their page."))
    model = KINDS[kind]
    with write_session(engine) as session, session.begin():
        check_still_holds(session, actor)
        entry = _locked_entry(session, model, entry_id)
        if entry is None:
            raise CommandError(_("There is no such entry to review."))
        if entry.review_state != ReviewState.PENDING:
            raise Stale(_("This entry was already {state} by {who}; the queue now shows what is left.",
                          state=entry.review_state, who=entry.reviewed_by or entry.recorded_by))
        project = session.get_one(Project, entry.project_id, with_for_update=True)  # the entry's foreign key
        before = {"review_state": entry.review_state}
        entry.review_state = ReviewState.APPROVED if approve else ReviewState.RETURNED
        entry.review_note, entry.reviewed_by, entry.reviewed_at = note, actor.name, utcnow()
        if approve and isinstance(entry, StatusEvent):
            _check_status_history(session, project.id, None, approved_only=True)
        if isinstance(entry, ReachReading):
            session.flush()
            increments.recount(session, [project.id])
        project.revision += 1
        after = {"review_state": entry.review_state, "review_note": note}
        audit(session, actor, f"review {kind}", f"project {project.slug}", before | {"entry": entry.id}, after)
        from impact.mail.outbox import queue_decision  # (it uses this module's audit)

        queue_decision(session, actor, project, kind, entry.id, _entry_what(session, entry), approve, note)
        return Recorded(kind, entry.id, entry.review_state, entry.review_state, None, project.revision)


def _entry_what(session: Session, entry: Entry) -> str:
    """What the team entered, as their email names it: the status, the metric's label (of a reading or a target),
    the milestone's title, or the update's text."""
    if isinstance(entry, StatusEvent):
        return entry.status
    if isinstance(entry, (ReachReading, Target)):
        return session.scalar(select(Metric.label).where(Metric.id == entry.metric_id)) or ""
    if isinstance(entry, Milestone):
        return entry.title
    return entry.note


# --- the plan: targets and milestones --------------------------------------------------------------------------


def set_target(engine: Engine, actor: Actor, project_id: int, metric: str, due_on: dt.date, value: int,
               baseline_on: dt.date, baseline_value: int = 0, note: str = "", set_on: Optional[dt.date] = None,
               seen_revision: Optional[int] = None) -> Recorded:
    """Plan `value` of `metric` by `due_on`, from `baseline_value` on `baseline_on`, standing from `set_on` (today).
    Staff set targets; a team proposes its own, reviewed like its figures. Changing the target for a due date is a
    new entry and needs a note saying why (impact.domain.targets)."""
    note = _text(note)
    set_on = set_on or dt.date.today()
    _check_plan(value, baseline_value, baseline_on, due_on)
    with write_session(engine) as session, session.begin():
        project = _project(session, actor, project_id, seen_revision)
        metric_row = session.scalar(select(Metric).where(Metric.programme_id == project.programme_id,
                                                         Metric.slug == metric))
        if metric_row is None:
            raise CommandError(_("This project's programme has no metric '{metric}'.", metric=metric))
        earlier = session.scalar(select(Target.id).where(
            Target.project_id == project.id, Target.metric_id == metric_row.id, Target.due_on == due_on,
            Target.review_state != ReviewState.RETURNED).limit(1))
        if earlier is not None and not note:
            raise CommandError(_("A target for {metric} by {due} exists already; say in the note why it changes "
                                 "(the earlier one is kept in the history).", metric=metric_row.label,
                                 due=format_date(due_on)))
        target = Target(project_id=project.id, metric_id=metric_row.id, set_on=set_on, due_on=due_on, value=value,
                        baseline_on=baseline_on, baseline_value=baseline_value, note=note,
                        recorded_by=actor.name, recorded_at=utcnow(), review_state=review_state_for(actor))
        session.add(target)
        session.flush()
        project.revision += 1
        audit(session, actor, "target set", f"project {project.slug}", None,
              {"metric": metric, "due_on": due_on.isoformat(), "value": value, "baseline_on": baseline_on.isoformat(),
               "baseline_value": baseline_value, "set_on": set_on.isoformat(), "note": note})
        return Recorded("target", target.id, target.review_state, metric_row.label, due_on, project.revision, value)


def set_programme_target(engine: Engine, actor: Actor, programme: str, measure: str, due_on: dt.date, value: int,
                         baseline_on: dt.date, baseline_value: int = 0, note: str = "",
                         set_on: Optional[dt.date] = None) -> Recorded:
    """Plan the programme's (a slug) `measure` by `due_on`, from `baseline_value` on `baseline_on`, standing from
    `set_on` (today): a metric's slug (its total reach) or a stage of its funnel, "funded" or "launched" (projects).
    Staff only; changing the target for a due date is a new entry and needs a note saying why."""
    check_staff(actor)
    note = _text(note)
    set_on = set_on or dt.date.today()
    _check_plan(value, baseline_value, baseline_on, due_on)
    with write_session(engine) as session, session.begin():
        check_still_holds(session, actor)
        row = session.scalar(select(Programme).where(Programme.slug == programme).with_for_update())
        if row is None:
            raise CommandError(_("There is no programme '{programme}'.", programme=programme))
        target = ProgrammeTarget(programme_id=row.id, set_on=set_on, due_on=due_on, value=value,
                                 baseline_on=baseline_on, baseline_value=baseline_value, note=note,
                                 recorded_by=actor.name, recorded_at=utcnow(), review_state=ReviewState.APPROVED)
        if measure in FUNNEL_MEASURES:
            target.stage, label = measure, measure
        else:
            metric = session.scalar(select(Metric).where(Metric.programme_id == row.id, Metric.slug == measure))
            if metric is None:
                raise CommandError(_("Programme '{programme}' has no metric '{metric}'; name one of its metrics, or "
                                     "funded or launched.", programme=programme, metric=measure))
            target.metric_id, label = metric.id, metric.label
        t = ProgrammeTarget
        same = t.stage == target.stage if target.stage else t.metric_id == target.metric_id
        earlier = session.scalar(select(t.id).where(t.programme_id == row.id, same, t.due_on == due_on).limit(1))
        if earlier is not None and not note:
            raise CommandError(_("A target for {metric} by {due} exists already; say in the note why it changes "
                                 "(the earlier one is kept in the history).", metric=label, due=format_date(due_on)))
        session.add(target)
        session.flush()
        audit(session, actor, "programme target set", f"programme {row.slug}", None,
              {"measure": measure, "due_on": due_on.isoformat(), "value": value, "baseline_on": baseline_on.isoformat(),
               "baseline_value": baseline_value, "set_on": set_on.isoformat(), "note": note})
        return Recorded("programme target", target.id, target.review_state, label, due_on, 0, value)


def record_milestone(engine: Engine, actor: Actor, project_id: int, title: str, planned_on: dt.date,
                     done_on: Optional[dt.date] = None, evidence_url: str = "", note: str = "",
                     supersedes_id: Optional[int] = None, seen_revision: Optional[int] = None,
                     today: Optional[dt.date] = None) -> Recorded:
    """A milestone the project plans, or (with `supersedes_id`) a change to one: done on a date, moved, renamed."""
    note, evidence_url = _text(note), _url(evidence_url)
    try:
        title = fields.milestone_title((title or "").strip())
    except FieldError:
        raise CommandError(_("Name the milestone in at most 200 characters.")) from None
    if done_on is not None:
        _not_in_future(done_on, today, _("The milestone's done date"))
    with write_session(engine) as session, session.begin():
        project = _project(session, actor, project_id, seen_revision, today)
        if supersedes_id is not None:
            replaced = session.get(Milestone, supersedes_id) if row_id(supersedes_id) else None
            if replaced is None or replaced.project_id != project.id:
                raise CommandError(_("There is no such milestone of this project to change."))
        milestone = Milestone(project_id=project.id, title=title, planned_on=planned_on, done_on=done_on,
                              evidence_url=evidence_url, note=note, supersedes_id=supersedes_id,
                              recorded_by=actor.name, recorded_at=utcnow(), review_state=review_state_for(actor))
        session.add(milestone)
        session.flush()
        project.revision += 1
        audit(session, actor, "milestone recorded", f"project {project.slug}",
              None if supersedes_id is None else {"milestone": supersedes_id},
              {"title": title, "planned_on": planned_on.isoformat(),
               "done_on": done_on.isoformat() if done_on else None, "evidence_url": evidence_url, "note": note})
        return Recorded("milestone", milestone.id, milestone.review_state, title, done_on or planned_on,
                        project.revision)


# --- checks ------------------------------------------------------------------------------------------------------


def _project(session: Session, actor: Actor, project_id: int, seen_revision: Optional[int],
             today: Optional[dt.date] = None) -> Project:
    """The project, locked for this transaction, after the permission checks (the actor's account or key read again
    in this transaction) and the freshness check."""
    check_may_submit(actor, project_id)
    check_still_holds(session, actor, today)
    project = session.get(Project, project_id, with_for_update=True) if row_id(project_id) else None
    if project is None:
        raise CommandError(_("There is no such project."))
    if seen_revision is not None and project.revision != seen_revision:
        raise Stale(_("This project changed since you opened it (someone else recorded something). Nothing of "
                      "yours was saved: look at its newer state below and submit again if it still applies."))
    return project


def _locked_entry(session: Session, model: type[EntryT], entry_id: int) -> Optional[EntryT]:
    """The entry, locked for this transaction; None if there is no such entry. (Typed by its model: session.get
    on a model picked from KINDS would be typed as any model.)"""
    return session.get(model, entry_id, with_for_update=True) if row_id(entry_id) else None


def _check_status_history(session: Session, project_id: int, new: Optional[StatusEvent],
                          approved_only: bool = False) -> None:
    """The history with the new entry (or after approving one) must follow the lifecycle."""
    live = live_history(session, StatusEvent, project_id, approved_only=approved_only, extra=new)
    try:
        check_history([(e.status, e.note) for e in live])
    except TransitionError as exc:
        refused = live[exc.position]
        raise CommandError(_("On {date}: {reason}", date=format_date(refused.effective_date), reason=exc)) from None


def _previous_reading(session: Session, reading: ReachReading) -> Optional[ReachReading]:
    """The reading a new one (not added yet) follows in the live history of its project and metric, if any."""
    r = ReachReading
    live = live_history(session, r, reading.project_id, r.metric_id == reading.metric_id, r.as_of <= reading.as_of,
                        extra=reading)
    position = next(i for i, entry in enumerate(live) if entry is reading)
    return live[position - 1] if position else None


def _check_correction(session: Session, actor: Actor, model, entry_id: int, project: Project, note: str) -> None:
    """Only staff correct, with a note saying what was wrong, an entry of the same project."""
    check_staff(actor)
    old = session.get(model, entry_id) if row_id(entry_id) else None
    if old is None or old.project_id != project.id:
        raise CommandError(_("The entry to correct is not one of this project's."))
    if not note:
        raise CommandError(_("A correction needs a note saying what was wrong with the entry it replaces."))


def _check_plan(value: int, baseline_value: int, baseline_on: dt.date, due_on: dt.date) -> None:
    problem = plan_problem(value, baseline_value, baseline_on, due_on)
    if problem is not None:
        raise CommandError(problem[1])


def _not_in_future(day: dt.date, today: Optional[dt.date], what: str) -> None:
    if day > (today or dt.date.today()):
        raise CommandError(_("{what} {day} is in the future; record things once they have happened.", what=what,
                             day=format_date(day)))


def _text(text: str) -> str:
    text = (text or "").strip()
    if len(text) > MAX_NOTE_LENGTH:
        raise CommandError(ngettext("A note holds at most {n} character; shorten it.",
                                    "A note holds at most {n} characters; shorten it.", MAX_NOTE_LENGTH))
    return text


def _url(url: str) -> str:
    try:
        return fields.link((url or "").strip())
    except FieldError as exc:
        raise CommandError(str(Problem(_("The evidence link"), None, None, str(exc)))) from None


# --- the record and the audit entry --------------------------------------------------------------------------------


def _common(entry) -> dict:
    return {"note": entry.note, "evidence_url": entry.evidence_url, "review_state": entry.review_state,
            "supersedes": getattr(entry, "supersedes_id", None)}


def _status_record(event: StatusEvent) -> dict:
    return {"status": event.status, "effective_date": event.effective_date.isoformat(), **_common(event)}


def _done(session: Session, actor: Actor, project: Project, kind: str, entry, after: dict, what: str,
          on: Optional[dt.date] = None, value: Optional[int] = None) -> Recorded:
    project.revision += 1
    audit(session, actor, kind, f"project {project.slug}", None, after | {"entry": entry.id})
    return Recorded(kind, entry.id, entry.review_state, what, on, project.revision, value)


def audit(session: Session, actor: Actor, action: str, subject: str, before: Optional[dict],
          after: Optional[dict]) -> None:
    """The audit entry of a write, in the write's own transaction: who, what, before and after (as JSON)."""
    session.add(AuditEntry(actor=actor.name, action=action, subject=subject,
                           before=None if before is None else json.dumps(before, ensure_ascii=False, default=_as_text),
                           after=None if after is None else json.dumps(after, ensure_ascii=False, default=_as_text)))


def _as_text(value: object) -> str:
    """A value JSON has no type for, wherever it stands in an audit entry (a programme's report dates, its targets'
    dates and times inside their list): dates and times as ISO text (2020-03-20, 2020-03-20T18:00:00+00:00),
    amounts as their digits."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot be written to the audit log")
