"""An import's typed rows: the first stage of parse -> typed rows -> validate -> write.

A reader (impact.formats.loader for a data folder, impact.formats.spreadsheets for CSV, Excel and Devpost files)
hands each table here as a header and numbered rows of text cells; `Rows` reads every cell by its field's parser
(impact.domain.fields, impact.domain.values) into typed rows, and notes what is wrong, each problem named by the
user's own file, row and column. A data folder's status events and reach readings, which may run to millions of
rows, are read a chunk at a time while they are loaded (`Rows.chunks`), so that a file of any length is loaded in
the same memory. Nothing here reads the database: the rows then go to impact.formats.validate, which compares them
with what is stored, and impact.formats.write.
The file formats are documented in the README ("Data formats").
"""
from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Callable, Iterable, Iterator, Optional

from impact.domain import fields
from impact.domain.fields import FieldError
from impact.domain.lifecycle import STATUSES
from impact.domain.problems import Problem
from impact.domain.values import boolean, date, timestamp, whole_number
from impact.formats.cells import restore
from impact.formats.programmes_file import FILE as PROGRAMMES_FILE
from impact.i18n import _, ngettext
from impact.store.models import Challenge, Metric, Programme, Project, StatusEvent

PROJECTS_FILE = "projects.csv"
EVENTS_FILE = "status_events.csv"
READINGS_FILE = "reach_readings.csv"
TARGETS_FILE = "targets.csv"
MILESTONES_FILE = "milestones.csv"
# In the order they are checked.
TABLES = (PROGRAMMES_FILE, PROJECTS_FILE, EVENTS_FILE, READINGS_FILE, TARGETS_FILE, MILESTONES_FILE)
STREAMED = (EVENTS_FILE, READINGS_FILE)  # the tables a data folder's reader lets be read while they are loaded

PROJECT_COLUMNS = ("programme", "slug", "name")
EVENT_COLUMNS = ("project", "status", "effective_date")
READING_COLUMNS = ("project", "metric", "as_of", "value")
TARGET_COLUMNS = ("project", "metric", "due_on", "value", "baseline_on")
MILESTONE_COLUMNS = ("project", "title", "planned_on")
REQUIRED = {PROJECTS_FILE: PROJECT_COLUMNS, EVENTS_FILE: EVENT_COLUMNS, READINGS_FILE: READING_COLUMNS,
            TARGETS_FILE: TARGET_COLUMNS, MILESTONES_FILE: MILESTONE_COLUMNS}
# Columns naming a stored record (checked by impact.formats.validate), with the longest text their column holds.
REFERENCES = {name: fields.longest(column) for name, column in (
    ("programme", Programme.slug), ("challenge", Challenge.slug), ("project", Project.slug), ("metric", Metric.slug),
    ("recorded_by", StatusEvent.recorded_by))}
# The project details a file may give, and change on a stored project.
UPDATABLE = ("name", "challenge", "team", "summary", "website", "repository", "source", "illustrative",
             "contact_email", "funding_amount", "funding_currency", "funder")
# The second byte of a two-byte UTF-8 character, as Windows-1252 (or Latin-1) shows it.
_CONTINUATION = "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(0x80, 0xC0))
# What a text cell must not hold: control characters (but tab and line breaks), the replacement character that a
# wrong encoding leaves, and UTF-8 read as Windows-1252 ("Ã©" for "é", "â€™" for "’").
_SUSPECT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]|[\u00c2\u00c3][" + re.escape(_CONTINUATION)
                      + "]|\u00e2\u20ac[" + re.escape(_CONTINUATION) + "]")
# Each project detail's parser; funding_amount and funding_currency are read together.
PROJECT_FIELDS: dict[str, Callable[[str], Any]] = {
    "slug": fields.project_slug, "name": fields.project_name, "website": fields.link, "repository": fields.repository,
    "contact_email": fields.email,
    "illustrative": lambda text: _illustrative(text),
}


@dataclass(slots=True)
class ProjectRow:
    row: int
    programme: str
    slug: str
    details: dict[str, Any]  # the UPDATABLE columns the file has, as the database holds them


@dataclass(slots=True, kw_only=True)
class EntryRow:
    """What every status event and reach reading of a file says besides its own fields."""

    row: int
    project: str
    recorded_at: Optional[dt.datetime]  # None: when it is loaded
    recorded_by: str  # "": by whoever loads it
    note: str
    evidence_url: str


@dataclass(slots=True, kw_only=True)
class EventRow(EntryRow):
    status: str
    effective_date: dt.date


@dataclass(slots=True, kw_only=True)
class ReadingRow(EntryRow):
    metric: str
    as_of: dt.date
    value: int


@dataclass(slots=True, kw_only=True)
class TargetRow(EntryRow):
    """A target (impact.domain.targets): `value` of `metric` by `due_on`, from `baseline_value` on `baseline_on`,
    standing from `set_on` (None: the day it is recorded)."""

    metric: str
    due_on: dt.date
    value: int
    baseline_on: dt.date
    baseline_value: int
    set_on: Optional[dt.date]


@dataclass(slots=True, kw_only=True)
class MilestoneRow(EntryRow):
    title: str
    planned_on: dt.date
    done_on: Optional[dt.date]
    supersedes_id: Optional[int] = None  # the stored milestone it changes (impact.formats.validate)


@dataclass
class Rows:
    """The typed rows of one import, and what is wrong with its files."""

    programmes: list[dict] = field(default_factory=list)
    projects: list[ProjectRow] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)
    readings: list[ReadingRow] = field(default_factory=list)
    targets: list[TargetRow] = field(default_factory=list)
    milestones: list[MilestoneRow] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # each table's file, as the user named it
    problems: defaultdict[str, list[Problem]] = field(default_factory=lambda: defaultdict(list))  # by table
    notes: list[str] = field(default_factory=list)  # how the reader read the files (a date order and why ...)
    columns: list[str] = field(default_factory=list)  # a Devpost export's columns, to pick its challenge from
    # STREAMED tables read while they are loaded: each one's header and what gives its numbered rows anew
    later: dict[str, tuple[list[str], Callable[[], Iterable[tuple[int, list[str]]]]]] = field(default_factory=dict)
    quiet: bool = False  # while a table is read again (`chunks`), its problems, noted the first time, are not noted

    def problem(self, table: str, row: Optional[int], column: Optional[str], message: str) -> None:
        if not self.quiet:
            self.problems[table].append(Problem(self.files.get(table, table), row, column, message))

    def clean(self) -> bool:
        """Whether no problem has been noted yet."""
        return not any(self.problems.values())

    def all_problems(self) -> list[Problem]:
        """Every problem, table by table in TABLES' order, each table's by row."""
        return [problem for table in TABLES for problem in
                sorted(self.problems.get(table, []), key=lambda p: p.row or 0)]

    def add_programmes(self, file: str, read: tuple[list[dict], list[Problem]]) -> None:
        """The programmes of programmes.toml, or of a workbook's programme sheets, as
        impact.formats.programmes_file reads them, with their problems."""
        self.files[PROGRAMMES_FILE] = file
        programmes, problems = read
        self.programmes += programmes
        self.problems[PROGRAMMES_FILE] += problems

    def add_table(self, table: str, file: str, header: list[str],
                  cells: Iterable[tuple[int, list[str]]] | Callable[[], Iterable[tuple[int, list[str]]]]) -> None:
        """A table of projects, status events, reach readings, targets or milestones (`table` is its file name in a
        data folder): its header, then each row's number (as a spreadsheet numbers it, the header being row 1) and
        cells. The cells are read now; or, for a STREAMED table, `cells` may be what gives them (anew each time it
        is called), and they are read while the table is loaded (`chunks`)."""
        self.files[table] = file
        twice = sorted({column for column in header if header.count(column) > 1})
        if twice:
            self.problem(table, 1, twice[0], _("appears twice in the header; keep one column of each name."))
            return
        missing = [c for c in REQUIRED[table] if c not in header]
        if missing:
            self.problem(table, 1, missing[0], ngettext("the header lacks the column {columns}.",
                                                        "the header lacks the columns {columns}.", len(missing),
                                                        columns=", ".join(missing)))
            return
        if callable(cells):
            assert table in STREAMED
            self.later[table] = (header, cells)
        else:
            self._add_cells(table, header, cells)

    def chunks(self, table: str, size: int, again: bool = False) -> Iterator[list]:
        """A STREAMED table's typed rows (EventRow or ReadingRow), at most `size` at a time, in the file's order: of
        a table read while it is loaded, each chunk is read when the one before has been used, so that only one
        chunk is held at a time. `again`: read once more, its problems (noted the first time) not noted again."""
        kept = "events" if table == EVENTS_FILE else "readings"
        if table not in self.later:
            rows = getattr(self, kept)
            for start in range(0, len(rows), size):
                yield rows[start:start + size]
            return
        header, cells = self.later[table]
        records = iter(cells())
        while True:
            self.quiet = again
            try:
                batch = list(islice(records, size))
                self._add_cells(table, header, batch)
            finally:
                self.quiet = False
            if not batch:
                return
            chunk = getattr(self, kept)
            setattr(self, kept, [])
            yield chunk

    def _add_cells(self, table: str, header: list[str], cells: Iterable[tuple[int, list[str]]]) -> None:
        read = {PROJECTS_FILE: self._project, EVENTS_FILE: self._event, READINGS_FILE: self._reading,
                TARGETS_FILE: self._target, MILESTONES_FILE: self._milestone}[table]
        required = REQUIRED[table]
        references = [(column, REFERENCES[column]) for column in header if column in REFERENCES]
        for row, line in cells:
            if not line:
                continue
            if len(line) > len(header):
                self.problem(table, row, None, _("has more cells than the header has columns."))
                continue
            if _SUSPECT.search("".join(line)) and not self._plain(table, row, header, line):
                continue
            values = dict(zip(header, [restore(cell) if cell[:1] == "'" else cell for cell in map(str.strip, line)]))
            values.update({column: "" for column in header[len(line):]})
            if self._fits(table, row, values, required, references):
                read(row, values)

    def _plain(self, table: str, row: int, header: list[str], line: list[str]) -> bool:
        """Whether every cell of the row is text as people write it; notes each one that is not."""
        right = True
        for column, cell in zip(header, line):
            message = suspect(cell)
            if message:
                self.problem(table, row, column, message)
                right = False
        return right

    def _fits(self, table: str, row: int, values: dict[str, str], required: tuple[str, ...],
              references: list[tuple[str, Optional[int]]]) -> bool:
        for column in required:
            if not values[column]:
                self.problem(table, row, column, _("is empty; it is required."))
                return False
        for column, most in references:
            try:
                fields.fits(values[column], most)
            except FieldError as exc:
                self.problem(table, row, column, str(exc))
                return False
        return True

    def _read(self, table: str, row: int, values: dict[str, str],
              parsers: dict[str, Callable[[str], Any]]) -> Optional[dict[str, Any]]:
        """Each of these columns the row has, read by its parser; None after noting every one that is wrong."""
        out, right = {}, True
        for column, parse in parsers.items():
            if column in values:
                try:
                    out[column] = parse(values[column])
                except FieldError as exc:
                    self.problem(table, row, exc.column or column, str(exc))
                    right = False
        return out if right else None

    def _project(self, row: int, values: dict[str, str]) -> None:
        details = self._read(PROJECTS_FILE, row, values, PROJECT_FIELDS)
        funding: Optional[tuple] = (None, "")
        if "funding_amount" in values or "funding_currency" in values:
            try:
                funding = fields.funding(values.get("funding_amount", ""), values.get("funding_currency", ""))
            except FieldError as exc:
                self.problem(PROJECTS_FILE, row, exc.column, str(exc))
                funding = None
        if details is None or funding is None:
            return
        details.pop("slug")
        for column, value in zip(("funding_amount", "funding_currency"), funding):
            if column in values:
                details[column] = value
        details |= {column: values[column] for column in UPDATABLE if column in values and column not in details}
        self.projects.append(ProjectRow(row, values["programme"], values["slug"], details))

    def _entry(self, table: str, row: int, values: dict[str, str], parsers: dict[str, Callable[[str], Any]]
               ) -> Optional[dict[str, Any]]:
        """The fields every event and reading has, with the row's own (`parsers`); None after noting what is
        wrong."""
        read = self._read(table, row, values, {"recorded_at": _recorded_at, "evidence_url": fields.link, **parsers})
        if read is None:
            return None
        return {"row": row, "project": values["project"], "recorded_at": read.pop("recorded_at", None),
                "recorded_by": values.get("recorded_by", ""), "note": values.get("note", ""),
                "evidence_url": read.pop("evidence_url", ""), **read}

    def _event(self, row: int, values: dict[str, str]) -> None:
        entry = self._entry(EVENTS_FILE, row, values, {"status": _status, "effective_date": _date})
        if entry is not None:
            self.events.append(EventRow(**entry))

    def _reading(self, row: int, values: dict[str, str]) -> None:
        entry = self._entry(READINGS_FILE, row, values, {"as_of": _date, "value": _value, "metric": str})
        if entry is not None:
            self.readings.append(ReadingRow(**entry))

    def _target(self, row: int, values: dict[str, str]) -> None:
        entry = self._entry(TARGETS_FILE, row, values, {
            "metric": str, "due_on": _date, "value": _value, "baseline_on": _date,
            "baseline_value": lambda text: _value(text) if text else 0, "set_on": _optional_date})
        if entry is None:
            return
        entry.setdefault("baseline_value", 0)
        entry.setdefault("set_on", None)
        try:
            fields.target(entry["value"], entry["baseline_value"], entry["baseline_on"], entry["due_on"])
        except FieldError as exc:
            self.problem(TARGETS_FILE, row, exc.column, str(exc))
            return
        self.targets.append(TargetRow(**entry))

    def _milestone(self, row: int, values: dict[str, str]) -> None:
        entry = self._entry(MILESTONES_FILE, row, values, {"title": fields.milestone_title, "planned_on": _date,
                                                           "done_on": _optional_date})
        if entry is not None:
            self.milestones.append(MilestoneRow(**{"done_on": None, **entry}))


def suspect(text: str) -> Optional[str]:
    """What is wrong with a text cell that holds a control character, the replacement character or typical
    mojibake, said after its place; None when it holds none."""
    found = _SUSPECT.search(text)
    if found is None:
        return None
    if found.group() == "\ufffd" or len(found.group()) > 1:
        return _("holds '{text}', text read in the wrong encoding; save the file as UTF-8 (or choose its encoding) "
                 "and import it again.", text=text if len(text) <= 40 else
                 "…" + text[max(0, found.start() - 15):found.end() + 15] + "…")
    return fields.control_character(found.group())


# --- the cells only files have (the forms pick these from lists and calendars) -----------------------------------


def _illustrative(text: str) -> bool:
    value = boolean(text)
    if value is None:
        raise FieldError(_("must be true or false (or left empty)."))
    return value


def _date(text: str) -> dt.date:
    day = date(text)
    if day is None:
        raise FieldError(_("'{text}' is not a date; write it as 2020-03-22.", text=text))
    return day


def _optional_date(text: str) -> Optional[dt.date]:
    return _date(text) if text else None


def _recorded_at(text: str) -> Optional[dt.datetime]:
    stamp = timestamp(text) if text else None
    if text and stamp is None:
        raise FieldError(_("'{text}' is not a date and time; write it as 2020-03-22T18:00:00Z.", text=text))
    return stamp


def _status(text: str) -> str:
    if text not in STATUSES:
        raise FieldError(_("'{status}' is not a status; use one of {statuses}.", status=text,
                           statuses=", ".join(STATUSES)))
    return text


def _value(text: str) -> int:
    value = whole_number(text)
    if value is None:
        raise FieldError(_("'{value}' is not a whole number >= 0; write the cumulative total, for example 1500.",
                           value=text))
    return value


# --- a workbook's programme targets: rows read into programmes.toml's [[programme.target]] tables -----------------

PROGRAMME_TARGET_REQUIRED = ("programme", "measure", "due_on", "value", "baseline_on")
_PROGRAMME_TARGET_CELLS: dict[str, Callable[[str], Any]] = {
    "measure": str, "value": _value, "due_on": _date, "baseline_on": _date, "baseline_value": _value,
    "set_on": _date, "note": str, "recorded_at": _recorded_at, "recorded_by": str}


def programme_target(values: dict[str, str]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """A row of a workbook's programme targets sheet (its cells by column, but the programme's) as the
    [[programme.target]] table it stands for: each cell read by its column's parser, empty optional cells left out
    (their defaults apply), and each wrong cell as (column, sentence). What the table means (its measure, its plan)
    is impact.formats.programmes_file's to check."""
    table: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for column, parse in _PROGRAMME_TARGET_CELLS.items():
        text = restore(values.get(column, "").strip())
        message = suspect(text)
        if message:
            problems.append((column, message))
        elif not text:
            if column in PROGRAMME_TARGET_REQUIRED:
                problems.append((column, _("is empty; it is required.")))
        else:
            try:
                table[column] = parse(text)
            except FieldError as exc:
                problems.append((column, str(exc)))
    return table, problems
