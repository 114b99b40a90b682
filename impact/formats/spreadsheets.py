"""Spreadsheets as people have them, read into an import's typed rows: CSV or Excel, UTF-8 (with or without BOM) or
Windows-1252, `;` or `,`, decimal commas, day-first dates, and Devpost "Projects" exports.

`read_files` recognises each table by its file or sheet name, else by its header, converts cells to the documented
formats (dates 2021-04-23, amounts 47500.00, whole numbers 1500), and hands the tables to impact.formats.rows, the
same parser a data folder's files go through; `import_files` then checks and writes them as one load
(impact.formats.loader.load_rows). Every problem is reported with the user's own file name and row.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Optional

import openpyxl
from sqlalchemy import Engine, select

from impact.domain.access import Actor, check_staff
from impact.domain.lifecycle import Status
from impact.domain.problems import LoadError, Problem
from impact.formats.cells import restore
from impact.formats.dataset import OPTIONAL_TEXTS, PROGRAMME_PARTS, PROGRAMME_TRANSLATIONS
from impact.formats.loader import LoadSummary, load_rows
from impact.formats.programmes_file import check_programmes
from impact.formats.rows import (
    EVENT_COLUMNS,
    EVENTS_FILE,
    PROJECT_COLUMNS,
    PROJECTS_FILE,
    READING_COLUMNS,
    READINGS_FILE,
    Rows,
)
from impact.i18n import _, ngettext
from impact.store.models import Challenge, Programme

MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", 20 * 1024 * 1024))
MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", 200_000))
TABLES = {PROJECTS_FILE: PROJECT_COLUMNS, EVENTS_FILE: EVENT_COLUMNS, READINGS_FILE: READING_COLUMNS}
NAMES = {PROJECTS_FILE: ("projects", "projekte", "projets"),
         EVENTS_FILE: ("status_events", "status", "statuses", "events"),
         READINGS_FILE: ("reach_readings", "reach", "readings", "reichweite", "portee")}
DATE_COLUMNS = ("effective_date", "as_of")
# An exported workbook's programme sheets, by the part of a programme each holds.
PROGRAMME_SHEETS = ("programmes", "figures", "challenges", "metrics")
PROGRAMME_SHEETS_OF = {"figure": "figures", "challenge": "challenges", "metric": "metrics"}
PROGRAMME_COLUMNS = ("slug", "name", "country", "starts_on", "ends_on", "description", "illustrative_note", "public",
                     "silent_after_days", *PROGRAMME_TRANSLATIONS)
DEVPOST_HEADERS = ("project title", "submission url")
_DAY_FIRST = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DEVPOST_TITLE = re.compile(r"\d+_(\d{3})_[^_]+_(.+)")


@dataclass
class Options:
    """How to read the files; None lets the reader detect it."""

    encoding: Optional[str] = None  # "utf-8" or "cp1252"
    delimiter: Optional[str] = None  # ";" or ","
    day_first: Optional[bool] = None  # 23/04/2021 (True) or 04/23/2021 (False); ISO dates are always read
    programme: Optional[str] = None  # the programme a Devpost export's projects join
    challenges: frozenset[str] = frozenset()  # that programme's challenge slugs (a Devpost title's prefix)


@dataclass
class _Read:
    """The typed rows of the files, and an exported workbook's programme sheets until all files are read."""

    rows: Rows = field(default_factory=Rows)
    programme_sheets: dict[str, list[dict]] = field(default_factory=dict)
    programme_origin: str = ""


def read_files(files: list[tuple[str, bytes]], options: Options = Options()) -> Rows:
    """Every table in these files (name, content), read into typed rows; LoadError lists what cannot be read. The
    rows' own problems (a cell that is not a date ...) are in the rows, for the load to report with the rest."""
    problems: list[Problem] = []
    out = _Read()
    for name, content in files:
        if len(content) > MAX_BYTES:
            problems.append(Problem(name, None, None, _("is larger than {mb} MB; split it, or raise IMPORT_MAX_BYTES.",
                                                        mb=MAX_BYTES // (1024 * 1024))))
            continue
        if not content.strip():
            problems.append(Problem(name, None, None, _("is empty.")))
            continue
        try:
            sheets = _xlsx_sheets(name, content) if _is_xlsx(content) else [(None, _csv_rows(name, content, options))]
        except LoadError as exc:
            problems += exc.problems
            continue
        for sheet, rows in sheets:
            where = _("{file}, sheet {sheet}", file=name, sheet=sheet) if sheet else name
            problems += _add_table(out, where, Path(sheet or name).stem, rows, options)
    if out.programme_sheets:
        problems += _programmes(out)
    if problems:
        raise LoadError(problems)
    if not out.rows.files:
        raise LoadError([Problem(", ".join(n for n, _c in files) or _("the upload"), None, None,
                                 _("holds no table of projects, status events or reach readings."))])
    return out.rows


# --- reading ----------------------------------------------------------------------------------------------------


def _is_xlsx(content: bytes) -> bool:
    return content[:4] == b"PK\x03\x04"


def _xlsx_sheets(name: str, content: bytes) -> list[tuple[str, list[list[str]]]]:
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise LoadError([Problem(name, None, None, _("cannot be opened as an Excel workbook ({reason}).",
                                                     reason=exc))]) from None
    sheets = []
    for sheet in book.worksheets:
        rows = [[_cell(value) for value in row] for row in sheet.iter_rows(values_only=True)]
        while rows and not any(rows[-1]):
            rows.pop()
        if rows:
            sheets.append((sheet.title, rows))
    return sheets


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _csv_rows(name: str, content: bytes, options: Options) -> list[list[str]]:
    if b"\x00" in content[:4096]:
        raise LoadError([Problem(name, None, None, _("is not a text file (CSV) or an Excel workbook."))])
    text = _decode(content, options.encoding)
    delimiter = options.delimiter or _delimiter(text)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise LoadError([Problem(name, None, None, _("cannot be read as CSV ({error}).", error=exc))]) from None


def _decode(content: bytes, encoding: Optional[str]) -> str:
    """UTF-8 (a BOM is dropped) where it decodes, else Windows-1252 (which also reads Latin-1 text)."""
    if encoding:
        return content.decode("utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding,
                              errors="replace")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def _delimiter(text: str) -> str:
    header = text.splitlines()[0] if text else ""
    return ";" if header.count(";") > header.count(",") else ","


# --- converting ---------------------------------------------------------------------------------------------------


def _add_table(out: _Read, where: str, stem: str, rows: list[list[str]], options: Options) -> list[Problem]:
    if len(rows) - 1 > MAX_ROWS:
        return [Problem(where, None, None, ngettext("has more than {n} row; split it, or raise IMPORT_MAX_ROWS.",
                                                    "has more than {n} rows; split it, or raise IMPORT_MAX_ROWS.",
                                                    MAX_ROWS))]
    header = [h.strip() for h in rows[0]]
    lowered = [h.lower() for h in header]
    kind = _slug(stem).replace("-", "_")
    if kind in PROGRAMME_SHEETS:
        out.programme_sheets[kind] = [dict(zip(lowered, (restore(cell) for cell in row))) for row in rows[1:]
                                      if any(row)]
        out.programme_origin = where
        return []
    if all(h in lowered for h in DEVPOST_HEADERS):
        return _devpost(out, where, lowered, rows[1:], options)
    table = _table_of(stem, lowered)
    if table is None:
        return [Problem(where, 1, None, _("is not a table of projects, status events or reach readings: name it (or "
                                          "its sheet) projects, status_events or reach_readings, or give it the "
                                          "columns the README lists."))]
    if table in out.rows.files:
        return [Problem(where, None, None, _("holds a second table of {table}; give each table once.",
                                             table=Path(table).stem))]
    out.rows.add_table(table, where, lowered, ((number, [_convert(column, cell, options)
                                                          for column, cell in zip(lowered, row)])
                                                for number, row in enumerate(rows[1:], start=2)))
    return []


def _table_of(stem: str, header: list[str]) -> Optional[str]:
    stem = _slug(stem).replace("-", "_")
    for table, names in NAMES.items():
        if stem in names:
            return table
    for table, required in TABLES.items():
        if all(column in header for column in required) and (table != "projects.csv" or "programme" in header):
            if table == "status_events.csv" and "status" not in header:
                continue
            return table
    return None


def _convert(column: str, cell: str, options: Options) -> str:
    cell = cell.strip()
    if column in DATE_COLUMNS:
        return _date(cell, options.day_first)
    if column == "value":
        return re.sub(r"[\s.,'\u00a0\u202f]", "", cell) if re.fullmatch(r"\d{1,3}([\s.,'\u00a0\u202f]\d{3})+", cell) \
            else cell
    if column == "funding_amount":
        return _amount(cell)
    return cell


def _date(cell: str, day_first: Optional[bool]) -> str:
    """23/04/2021, 23.04.2021 (day first) or 04/23/2021 (day_first=False) as 2021-04-23; anything else as given,
    for impact.formats.rows to refuse with its row."""
    if _ISO.match(cell):
        return cell[:10]
    match = _DAY_FIRST.fullmatch(cell.split(" ")[0])
    if not match:
        return cell
    first, second, year = (int(g) for g in match.groups())
    if day_first is None:
        day_first = not (second > 12 >= first)  # 04/23/2021 can only be month first
    day, month = (first, second) if day_first else (second, first)
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return cell


def _amount(cell: str) -> str:
    """47.500,00 / 47 500,00 / 47,500.00 / 47500 as 47500.00's digits; anything else as given."""
    bare = re.sub(r"[\s\u00a0\u202f€$£]|EUR|USD|GBP", "", cell)
    if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?|\d+,\d{1,2}", bare):  # decimal comma
        return bare.replace(".", "").replace(",", ".")
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?|\d+(\.\d+)?", bare):  # thousands commas, or plain
        return bare.replace(",", "")
    return cell


def _devpost(out: _Read, where: str, header: list[str], rows: list[list[str]], options: Options) -> list[Problem]:
    """A Devpost "Projects" export: one project per submission, and an idea event on the day it was created."""
    if not options.programme:
        return [Problem(where, None, None, _("is a Devpost export; choose the programme its projects join."))]
    column = {name: header.index(name) for name in header}

    def get(row: list[str], name: str) -> str:
        index = column.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    projects: list[tuple[int, list[str]]] = []
    events: list[tuple[int, list[str]]] = []
    seen: set[str] = set()
    problems = []
    for number, row in enumerate(rows, start=2):
        title = get(row, "project title")
        if not title:
            if any(cell.strip() for cell in row):
                problems.append(Problem(where, number, "Project Title", _("is empty; every project needs a title.")))
            continue
        challenge, name = "", title
        match = _DEVPOST_TITLE.fullmatch(title)
        if match:
            name = match.group(2).replace("_", " ")
            challenge = match.group(1) if match.group(1) in options.challenges else ""
        slug = _slug(name)
        while slug in seen:
            slug += "-2"
        seen.add(slug)
        links = re.findall(r"https?://\S+", get(row, '"try it out" links') or get(row, "try it out links"))
        projects.append((number, [options.programme, slug, name, challenge, links[0] if links else "",
                                  get(row, "submission url"), get(row, "submitter email")]))
        created = _date(get(row, "project created at"), options.day_first)
        if _ISO.fullmatch(created):
            events.append((number, [slug, Status.IDEA, created, _("Submitted on Devpost.")]))
    out.rows.add_table(PROJECTS_FILE, where, ["programme", "slug", "name", "challenge", "website", "source",
                                              "contact_email"], projects)
    if events:
        out.rows.add_table(EVENTS_FILE, where, ["project", "status", "effective_date", "note"], events)
    return problems


def import_files(engine: Engine, files: list[tuple[str, bytes]], options: Options, actor: Actor,
                 dry_run: bool = False, progress: Callable[[str], None] = lambda stage: None,
                 recorded_by: Optional[str] = None) -> LoadSummary:
    """Read the files, then check and write them as one load (impact.formats.loader.load_rows): all of it or
    nothing; with `dry_run`, only say what it would do. Staff only (NotAllowed for anyone else, before a file is
    read)."""
    check_staff(actor)
    if options.programme:
        with engine.connect() as conn:
            options = replace(options, challenges=frozenset(conn.scalars(
                select(Challenge.slug).join(Programme).where(Programme.slug == options.programme))))
    progress("reading")
    rows = read_files(files, options)
    return load_rows(engine, rows, actor, subject=", ".join(name for name, _content in files), dry_run=dry_run,
                     progress=progress, recorded_by=recorded_by)


def _programmes(out: _Read) -> list[Problem]:
    """The programmes of an exported workbook's programmes, figures, challenges and metrics sheets."""
    try:
        tables = _programme_tables(out.programme_sheets)
    except (ValueError, OverflowError) as exc:  # a date or number (say 1e400) the file format cannot take
        return [Problem(out.programme_origin, None, None, _(
            "cannot be read as the dashboard's programme sheets ({reason}); dates are written 2021-04-23 and "
            "figures as whole numbers.", reason=exc))]
    if not tables:
        return [Problem(out.programme_origin, None, None,
                        _("has figures, challenges or metrics but no programmes sheet."))]
    out.rows.add_programmes(out.programme_origin, check_programmes(out.programme_origin, tables))
    return []


def _programme_tables(sheets: dict[str, list[dict]]) -> list[dict]:
    tables = []
    for row in sheets.get("programmes", []):
        table = {k: v for k, v in row.items() if v != "" and k in PROGRAMME_COLUMNS}
        for key in ("starts_on", "ends_on"):
            if key in table:
                table[key] = dt.date.fromisoformat(str(table[key])[:10])
        table["public"] = str(table.get("public", "")).lower() in ("true", "1", "yes")
        if "silent_after_days" in table:
            table["silent_after_days"] = int(float(table["silent_after_days"]))
        for kind, columns in PROGRAMME_PARTS.items():
            table[kind] = [{c: (int(float(r[c])) if c == "value" and r.get(c) not in ("", None) else r.get(c, ""))
                            for c in columns if r.get(c, "") != "" or c not in OPTIONAL_TEXTS}
                           for r in sheets.get(PROGRAMME_SHEETS_OF[kind], [])
                           if r.get("programme") == table.get("slug")]
        tables.append(table)
    return tables


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:120] or "project"
