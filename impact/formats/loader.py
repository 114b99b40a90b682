"""Load a data folder (programmes.toml, projects.csv, status_events.csv, reach_readings.csv) into the database.

Only staff load (impact.domain.access); the account is read again inside the load's transaction. Every row is checked
first; a file with any problem is rejected whole, each problem named by file, row and column, and nothing is
written. A clean folder is written in one transaction with its audit entry.
The file formats are documented in the README ("Data formats").
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterable, Optional, cast

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from impact.domain import fields
from impact.domain.access import Actor, check_staff, check_still_holds
from impact.domain.entries import counting, sort_key
from impact.domain.fields import FieldError
from impact.domain.lifecycle import STATUSES, ReviewState, TransitionError, check_history
from impact.domain.problems import LoadError, Problem
from impact.domain.values import SILENT_AFTER_DAYS, aware, boolean, date, timestamp, whole_number
from impact.formats.cells import restore
from impact.formats.dataset import programme_tables
from impact.formats.programmes_file import FILE as PROGRAMMES_FILE
from impact.formats.programmes_file import read_programmes
from impact.i18n import _
from impact.store import increments
from impact.store.db import write_session
from impact.store.models import (
    AuditEntry,
    Challenge,
    Metric,
    Programme,
    ProgrammeFigure,
    Project,
    ReachReading,
    StatusEvent,
    utcnow,
)

PROJECTS_FILE = "projects.csv"
EVENTS_FILE = "status_events.csv"
READINGS_FILE = "reach_readings.csv"

PROJECT_COLUMNS = ("programme", "slug", "name")
EVENT_COLUMNS = ("project", "status", "effective_date")
READING_COLUMNS = ("project", "metric", "as_of", "value")
# The longest text the database holds, per column of the CSV files.
LONGEST: dict[str, int] = {name: cast(int, fields.longest(column)) for name, column in (  # all String(n)
    ("programme", Programme.slug), ("slug", Project.slug), ("name", Project.name), ("challenge", Challenge.slug),
    ("project", Project.slug), ("metric", Metric.slug), ("recorded_by", StatusEvent.recorded_by),
    ("funding_currency", Project.funding_currency))}
# The project details a file may change on a stored project.
UPDATABLE = ("name", "challenge", "team", "summary", "website", "source", "illustrative", "contact_email",
             "funding_amount", "funding_currency", "funder")
ANALYZE_AFTER_ROWS = 1_000  # a load this large refreshes PostgreSQL's planner statistics
FILES = (PROGRAMMES_FILE, PROJECTS_FILE, EVENTS_FILE, READINGS_FILE)


@dataclass
class LoadSummary:
    """What a load added (programmes, projects, status events, reach readings), changed (updated projects) and
    found already there (unchanged rows, skipped)."""

    programmes: int = 0
    projects: int = 0
    status_events: int = 0
    reach_readings: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changes(self) -> int:
        return self.programmes + self.projects + self.status_events + self.reach_readings + self.updated


@dataclass
class _Batch:
    """What a folder holds, checked and ready to insert."""

    programmes: list[dict] = field(default_factory=list)
    projects: list[dict] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)  # stored projects whose details the file changes
    events: list[dict] = field(default_factory=list)
    readings: list[dict] = field(default_factory=list)
    unchanged: int = 0  # rows already in the database, skipped


def load_folder(engine: Engine, folder: Path, actor: Actor, dry_run: bool = False,
                subject: Optional[str] = None, progress: Callable[[str], None] = lambda stage: None,
                recorded_by: Optional[str] = None) -> LoadSummary:
    """Check every file in `folder`, then write it all in one transaction; raise LoadError and write nothing.

    Only staff load (NotAllowed for anyone else). Rows already in the database are skipped (loading the same folder
    twice changes nothing the second time); a project row whose details differ from the stored project updates it.
    Rows that do not say who recorded them are recorded by `recorded_by` (default: the actor's name); the audit
    entry names the actor. With `dry_run`, say what a load would do and write nothing. `progress` is told each stage
    as it starts ("checking", "writing")."""
    check_staff(actor)
    if recorded_by and len(recorded_by) > LONGEST["recorded_by"]:
        raise LoadError([Problem("recorded_by", None, None, _("is longer than {n} characters.",
                                                              n=LONGEST["recorded_by"]))])
    folder = Path(folder)
    if not folder.is_dir():
        raise LoadError([Problem(str(folder), None, None, _("is not a folder; give the folder that holds the files."))])
    if not any((folder / name).exists() for name in FILES):
        found = ", ".join(sorted(p.name for p in folder.iterdir())[:10]) or _("nothing")
        raise LoadError([Problem(str(folder), None, None, _(
            "holds none of {expected}; it holds {found}. Name the files exactly so.",
            expected=", ".join(FILES), found=found))])
    try:
        with write_session(engine) as session, session.begin() as transaction:
            check_still_holds(session, actor)
            progress("checking")
            batch = _Checker(session, folder, recorded_by or actor.name).check()
            progress("writing")
            summary = _write(session, batch)
            if dry_run:
                transaction.rollback()
            elif summary.changes:
                session.add(AuditEntry(actor=actor.name, action="import", subject=subject or str(folder),
                                       after=json.dumps(vars(summary))))
    except (IntegrityError, OperationalError) as exc:
        # Another load added the same project or programme after this one checked, or the database broke a
        # deadlock between the two by stopping this one.
        if isinstance(exc, OperationalError) and not _conflict(exc):
            raise
        raise LoadError([Problem(str(folder), None, None, _(
            "another change to the same records was saved at the same moment; nothing of this folder was "
            "loaded, so load it again."))]) from exc
    if not dry_run and engine.dialect.name == "postgresql" and summary.changes >= ANALYZE_AFTER_ROWS:
        # Fresh statistics at once: with none, PostgreSQL planned the portfolio query of 10,000 new projects
        # as nested loops (69 s instead of 0.5 s) until autovacuum came round to analyse the tables. Vacuuming
        # also marks the new rows visible to all, so that the reach sums read their index alone (a third faster).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE) projects, status_events, reach_readings")
    return summary


class _Checker:
    def __init__(self, session: Session, folder: Path, recorded_by: str):
        self.session = session
        self.folder = folder
        self.recorded_by = recorded_by
        self.problems: list[Problem] = []
        self.batch = _Batch()
        # Natural keys known so far: the database's, then the folder's.
        self.programmes: dict[str, dict] = {
            slug: {"challenges": set(ch), "metrics": set(me)} for slug, ch, me in _existing_programmes(session)
        }
        self.projects: dict[str, str] = dict(session.execute(
            select(Project.slug, Programme.slug).join(Programme, Programme.id == Project.programme_id)
        ).all())
        self.stored = set(self.projects)  # projects in the database before this load
        self.now = utcnow()  # when rows that do not say when they were recorded were recorded
        self.in_file: set[str] = set()

    def check(self) -> _Batch:
        self._programmes()
        self._projects()
        self._events()
        self._readings()
        if self.problems:
            raise LoadError(self.problems)
        return self.batch

    def problem(self, file: str, row: Optional[int], column: Optional[str], message: str) -> None:
        self.problems.append(Problem(file, row, column, message))

    def _programmes(self) -> None:
        path = self.folder / PROGRAMMES_FILE
        if not path.exists():
            return
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            self.problem(PROGRAMMES_FILE, None, None, _("is not UTF-8 text; save it as UTF-8."))
            return
        programmes, problems = read_programmes(text)
        self.problems += problems
        stored = {t["slug"]: t for t in programme_tables(self.session.connection(), select(Programme.id).where(
            Programme.slug.in_([p["slug"] for p in programmes])))}
        for number, programme in enumerate(programmes, start=1):
            if programme["slug"] in stored:  # loaded before: the same again is skipped, a changed one refused
                if _as_stored(programme) == stored[programme["slug"]]:
                    self.batch.unchanged += 1
                else:
                    self.problem(f"{PROGRAMMES_FILE}, programme {number}", None, "slug", _(
                        "programme '{slug}' already exists and differs from this one; change it on the Programmes "
                        "page, or give this one a new slug.", slug=programme["slug"]))
                continue
            self.batch.programmes.append(programme)
            self.programmes[programme["slug"]] = {
                "challenges": {c["slug"] for c in programme.get("challenge", [])},
                "metrics": {m["slug"] for m in programme.get("metric", [])},
            }

    def _projects(self) -> None:
        for row, line in self._rows(PROJECTS_FILE, PROJECT_COLUMNS):
            slug, programme = line["slug"], line["programme"]
            if programme not in self.programmes:
                self.problem(PROJECTS_FILE, row, "programme", _("unknown programme '{programme}'; define it in "
                                                                "{file} first.", programme=programme,
                                                                file=PROGRAMMES_FILE))
                continue
            if slug in self.in_file:
                self.problem(PROJECTS_FILE, row, "slug", _("project '{slug}' already exists; give each project its "
                                                           "own slug.", slug=slug))
                continue
            self.in_file.add(slug)
            if slug in self.stored and self.projects[slug] != programme:
                self.problem(PROJECTS_FILE, row, "programme", _("project '{slug}' belongs to programme '{other}'; a "
                                                                "project keeps its programme.", slug=slug,
                                                                other=self.projects[slug]))
                continue
            challenge = line.get("challenge", "")
            if challenge and challenge not in self.programmes[programme]["challenges"]:
                self.problem(PROJECTS_FILE, row, "challenge", _("programme '{programme}' has no challenge "
                                                                "'{challenge}'.", programme=programme,
                                                                challenge=challenge))
                continue
            illustrative = boolean(line.get("illustrative", ""))
            if illustrative is None:
                self.problem(PROJECTS_FILE, row, "illustrative", _("must be true or false (or left empty)."))
                continue
            found = len(self.problems)
            for column, parse in (("slug", fields.project_slug), ("name", fields.project_name),
                                  ("website", fields.link), ("contact_email", fields.email)):
                try:
                    parse(line.get(column, ""))
                except FieldError as exc:
                    self.problem(PROJECTS_FILE, row, column, str(exc))
            funding = self._funding(row, line)
            if funding is None or len(self.problems) > found:
                continue
            project = {**line, "illustrative": illustrative, "funding_amount": funding, "_columns": set(line)}
            if slug in self.stored:
                self._update(project)
            else:
                self.projects[slug] = programme
                self.batch.projects.append(project)

    @cached_property
    def _stored_details(self) -> dict[str, tuple[int, dict]]:
        """Every stored project's id and UPDATABLE details by slug, read in one query when a file names one."""
        columns = [getattr(Project, c) for c in UPDATABLE if c != "challenge"]
        rows = self.session.execute(select(Project.slug, Project.id, func.coalesce(Challenge.slug, ""), *columns)
                                    .outerjoin(Challenge, Challenge.id == Project.challenge_id)).all()
        names = [c for c in UPDATABLE if c != "challenge"]
        return {slug: (pid, {"challenge": challenge, **dict(zip(names, values))})
                for slug, pid, challenge, *values in rows}

    def _update(self, project: dict) -> None:
        """A stored project named again: the details the file gives that differ update it; else it is unchanged."""
        project_id, current = self._stored_details[project["slug"]]
        # Only the columns the file has: a file without funding columns leaves the funding as it is.
        given = {column: project[column] for column in UPDATABLE if column in project["_columns"]}
        if "funding_amount" in given:
            given["funding_amount"] = None if given["funding_amount"] == "" else given["funding_amount"]
        changed = {column: value for column, value in given.items() if value != current[column]}
        if changed:
            self.batch.updates.append({"id": project_id, "programme": project["programme"], **changed})
        else:
            self.batch.unchanged += 1

    def _funding(self, row: int, line: dict) -> Optional[Decimal | str]:
        """The funding amount ("" when not given), or None after noting what is wrong."""
        try:
            value, _currency = fields.funding(line.get("funding_amount", ""), line.get("funding_currency", ""))
        except FieldError as exc:
            self.problem(PROJECTS_FILE, row, exc.column, str(exc))
            return None
        return "" if value is None else value

    def _events(self) -> None:
        histories: dict[str, list[dict]] = defaultdict(list)
        for row, line in self._rows(EVENTS_FILE, EVENT_COLUMNS):
            entry = self._history_entry(EVENTS_FILE, row, line)
            if line["status"] not in STATUSES:
                self.problem(EVENTS_FILE, row, "status", _("'{status}' is not a status; use one of {statuses}.",
                                                           status=line["status"], statuses=", ".join(STATUSES)))
                continue
            effective = self._date(EVENTS_FILE, row, "effective_date", line["effective_date"])
            if entry is None or effective is None:
                continue
            event = {**entry, "status": line["status"], "effective_date": effective, "_row": row}
            histories[line["project"]].append(event)
            self.batch.events.append(event)
        stored = self._stored_histories(list(histories))
        skipped: set[int] = set()
        for project, events in histories.items():
            known = {(e["status"], e["effective_date"]) for e in stored[project]}
            new = [e for e in events if (e["status"], e["effective_date"]) not in known]
            skipped |= {e["_row"] for e in events if (e["status"], e["effective_date"]) in known}
            self._check_history(project, stored[project] + new)
        if skipped:  # already recorded: loading a file again adds nothing
            self.batch.events = [e for e in self.batch.events if e["_row"] not in skipped]
            self.batch.unchanged += len(skipped)

    def _stored_histories(self, projects: list[str]) -> dict[str, list[dict]]:
        """The counting history of these projects, their rows locked until the load commits (PostgreSQL), so that
        two loads cannot both add a change to the same project, each checked against the history without the other."""
        # NO KEY UPDATE: readings that other loads insert for these projects still pass their foreign-key checks;
        # locking in id order keeps two loads from waiting on each other.
        self.session.execute(select(Project.id).where(Project.slug.in_(projects)).order_by(Project.id)
                             .with_for_update(key_share=True)).all()
        e = StatusEvent
        rows = self.session.execute(
            select(Project.slug, e.id, e.status, e.effective_date, e.recorded_at, e.note)
            .join(Project, Project.id == e.project_id)
            .where(Project.slug.in_(projects), counting(e))
        ).all()
        stored: dict[str, list[dict]] = defaultdict(list)
        for slug, event_id, status, day, recorded_at, note in rows:
            stored[slug].append(dict(id=event_id, status=status, effective_date=day, recorded_at=aware(recorded_at),
                                     note=note, _row=None))
        return stored

    def _check_history(self, project: str, history: list[dict]) -> None:
        # The file's events stand after the stored ones of the same date and time, in file order
        # (impact.domain.entries).
        history.sort(key=lambda e: sort_key(e["effective_date"], e["recorded_at"], e.get("id")))
        try:
            check_history([(event["status"], event["note"]) for event in history])
        except TransitionError as exc:
            event = history[exc.position]
            self.problem(EVENTS_FILE, event["_row"], "status", _("{error} (project '{project}', {date}).",
                         error=exc, project=project, date=event["effective_date"]))

    def _readings(self) -> None:
        for row, line in self._rows(READINGS_FILE, READING_COLUMNS):
            entry = self._history_entry(READINGS_FILE, row, line)
            as_of = self._date(READINGS_FILE, row, "as_of", line["as_of"])
            value = whole_number(line["value"])
            if value is None:
                self.problem(READINGS_FILE, row, "value", _("'{value}' is not a whole number >= 0; write the "
                                                            "cumulative total, for example 1500.", value=line["value"]))
            if entry is None or as_of is None or value is None:
                continue
            programme = self.projects[line["project"]]
            if line["metric"] not in self.programmes[programme]["metrics"]:
                known = ", ".join(sorted(self.programmes[programme]["metrics"]))
                self.problem(READINGS_FILE, row, "metric", _("programme '{programme}' has no metric '{metric}'; use "
                                                             "one of {known}.", programme=programme,
                                                             metric=line["metric"], known=known))
                continue
            self.batch.readings.append({**entry, "metric": line["metric"], "as_of": as_of, "value": value})
        self._skip_stored_readings()

    def _skip_stored_readings(self) -> None:
        """Readings already recorded (same project, metric, date and value) are not added again."""
        stored_projects = {r["project"] for r in self.batch.readings} & self.stored
        if not stored_projects:
            return
        r = ReachReading
        stmt = (select(Project.slug, Metric.slug, r.as_of, r.value).join(Project, Project.id == r.project_id)
                .join(Metric, Metric.id == r.metric_id)
                .where(Project.slug.in_(stored_projects), r.counted_increment.is_not(None)))  # those that count
        dates = {x["as_of"] for x in self.batch.readings}
        if len(dates) <= 1_000:  # a later file holds a few dates: read only the stored readings of those
            stmt = stmt.where(r.as_of.in_(dates))
        known = set(self.session.execute(stmt).all())
        kept = [x for x in self.batch.readings if (x["project"], x["metric"], x["as_of"], x["value"]) not in known]
        self.batch.unchanged += len(self.batch.readings) - len(kept)
        self.batch.readings = kept

    def _history_entry(self, file: str, row: int, line: dict) -> Optional[dict]:
        """The fields every event and reading share, or None after noting what is wrong."""
        ok = True
        if line["project"] not in self.projects:
            self.problem(file, row, "project", _("unknown project '{project}'; add it to {file}.",
                                                     project=line["project"], file=PROJECTS_FILE))
            ok = False
        recorded_at = self.now
        if line.get("recorded_at"):
            given = timestamp(line["recorded_at"])
            if given is None:
                self.problem(file, row, "recorded_at", _("'{text}' is not a date and time; write it as "
                                                         "2020-03-22T18:00:00Z.", text=line["recorded_at"]))
                ok = False
            else:
                recorded_at = given
        url = line.get("evidence_url", "")
        try:
            fields.link(url)
        except FieldError as exc:
            self.problem(file, row, "evidence_url", str(exc))
            ok = False
        if not ok:
            return None
        return {
            "project": line["project"],
            "recorded_at": recorded_at,
            "recorded_by": line.get("recorded_by") or self.recorded_by,
            "note": line.get("note", ""),
            "evidence_url": url,
        }

    def _date(self, file: str, row: int, column: str, text: str) -> Optional[dt.date]:
        day = date(text)
        if day is None:
            self.problem(file, row, column, _("'{text}' is not a date; write it as 2020-03-22.", text=text))
        return day

    def _rows(self, name: str, required: tuple[str, ...]) -> Iterable[tuple[int, dict]]:
        """(row number, stripped values) for each data row of a CSV file; the header is row 1, as a spreadsheet
        numbers it, and blank lines count as rows."""
        path = self.folder / name
        if not path.exists():
            return
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            self.problem(name, None, None, _("is not UTF-8 text; save it as CSV UTF-8."))
            return
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = [column.strip() for column in next(reader, [])]
            twice = sorted({column for column in header if header.count(column) > 1})
            if twice:
                self.problem(name, 1, twice[0], _("appears twice in the header; keep one column of each name."))
                return
            missing = [c for c in required if c not in header]
            if missing:
                self.problem(name, 1, missing[0], _("the header lacks column(s) {columns}.",
                                                    columns=", ".join(missing)))
                return
            limits = [(column, longest) for column, longest in LONGEST.items() if column in header]
            for cells in reader:
                row = reader.line_num
                if not cells:
                    continue
                if len(cells) > len(header):
                    self.problem(name, row, None, _("has more cells than the header has columns."))
                    continue
                values = dict(zip(header, [restore(cell) if cell[:1] == "'" else cell
                                           for cell in map(str.strip, cells)]))
                values.update({column: "" for column in header[len(cells):]})
                if self._row_fits(name, row, values, required, limits):
                    yield row, values
        except csv.Error as exc:
            self.problem(name, reader.line_num, None, _("cannot be read as CSV ({error}).", error=exc))

    def _row_fits(self, name: str, row: int, values: dict, required: tuple[str, ...],
                  limits: list[tuple[str, int]]) -> bool:
        for column in required:
            if not values[column]:
                self.problem(name, row, column, _("is empty; it is required."))
                return False
        for column, longest in limits:
            if len(values[column]) > longest:
                self.problem(name, row, column, _("is longer than {n} characters.", n=longest))
                return False
        return True


def _as_stored(programme: dict) -> dict:
    """A programmes.toml table as the database would hold it, defaults filled in (to compare with a stored one)."""
    table = {"description": "", "illustrative_note": "", "public": False,
             "silent_after_days": SILENT_AFTER_DAYS} | programme
    table["figure"] = [{"note": ""} | f for f in programme.get("figure", [])]
    for kind in ("figure", "challenge", "metric"):
        table[kind] = [dict(sorted(t.items())) for t in table.get(kind, [])]
    return {k: v for k, v in table.items() if v is not None}


def _existing_programmes(session: Session) -> Iterable[tuple[str, list[str], list[str]]]:
    for programme in session.scalars(select(Programme)):
        yield programme.slug, [c.slug for c in programme.challenges], [m.slug for m in programme.metrics]


def _write(session: Session, batch: _Batch) -> LoadSummary:
    for prog in batch.programmes:
        programme = Programme(
            slug=prog["slug"], name=prog["name"], country=prog.get("country"), starts_on=prog.get("starts_on"),
            ends_on=prog.get("ends_on"), description=prog.get("description", ""),
            illustrative_note=prog.get("illustrative_note", ""), public=prog.get("public", False),
            silent_after_days=prog.get("silent_after_days", SILENT_AFTER_DAYS),
        )
        programme.figures = [ProgrammeFigure(key=f["key"], label=f["label"], value=f["value"], source=f["source"],
                                             note=f.get("note", "")) for f in prog.get("figure", [])]
        programme.challenges = [Challenge(slug=c["slug"], name=c["name"]) for c in prog.get("challenge", [])]
        programme.metrics = [Metric(slug=m["slug"], label=m["label"], unit=m["unit"]) for m in prog.get("metric", [])]
        session.add(programme)
    session.flush()

    programme_ids = dict(session.execute(select(Programme.slug, Programme.id)).all())
    challenge_ids = {(p, c): i for p, c, i in session.execute(
        select(Programme.slug, Challenge.slug, Challenge.id).join(Programme, Programme.id == Challenge.programme_id))}
    metric_ids = {(p, m): i for p, m, i in session.execute(
        select(Programme.slug, Metric.slug, Metric.id).join(Programme, Programme.id == Metric.programme_id))}
    if batch.projects:
        session.execute(insert(Project.__table__), [{
            "slug": p["slug"], "programme_id": programme_ids[p["programme"]],
            "challenge_id": challenge_ids.get((p["programme"], p.get("challenge", ""))), "name": p["name"],
            "team": p.get("team", ""), "summary": p.get("summary", ""), "website": p.get("website", ""),
            "source": p.get("source", ""), "illustrative": p["illustrative"],
            "contact_email": p.get("contact_email", ""),
            "funding_amount": None if p["funding_amount"] == "" else p["funding_amount"],
            "funding_currency": p.get("funding_currency", ""), "funder": p.get("funder", ""),
        } for p in batch.projects])
    projects = {slug: (pid, prog) for slug, pid, prog in session.execute(
        select(Project.slug, Project.id, Programme.slug).join(Programme, Programme.id == Project.programme_id))}

    def history(entry: dict, **fields) -> dict:
        return {"project_id": projects[entry["project"]][0], "recorded_at": entry["recorded_at"],
                "recorded_by": entry["recorded_by"], "note": entry["note"], "evidence_url": entry["evidence_url"],
                "review_state": ReviewState.APPROVED, **fields}

    if batch.events:
        session.execute(insert(StatusEvent.__table__), [
            history(e, status=e["status"], effective_date=e["effective_date"]) for e in batch.events])
    if batch.readings:
        readings = [history(r, metric_id=metric_ids[(projects[r["project"]][1], r["metric"])], as_of=r["as_of"],
                            value=r["value"], counted_increment=None) for r in batch.readings]
        new = {projects[p["slug"]][0] for p in batch.projects}
        increments.fresh([r for r in readings if r["project_id"] in new])
        session.execute(insert(ReachReading.__table__), readings)
    for update in batch.updates:
        changes = {k: v for k, v in update.items() if k not in ("id", "programme", "challenge")}
        if "challenge" in update:
            changes["challenge_id"] = challenge_ids.get((update["programme"], update["challenge"]))
        session.execute(Project.__table__.update().where(Project.id == update["id"])
                        .values(**changes, revision=Project.revision + 1))
    if batch.readings:
        increments.recount(session, {r["project_id"] for r in readings} - new)  # last: it takes turns (see there)
    return LoadSummary(len(batch.programmes), len(batch.projects), len(batch.events), len(batch.readings),
                       len(batch.updates), batch.unchanged)


def _conflict(exc: OperationalError) -> bool:
    """A deadlock or serialisation failure: the same load would succeed if run again."""
    return getattr(exc.orig, "sqlstate", None) in ("40P01", "40001")
