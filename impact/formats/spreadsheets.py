"""Spreadsheets as people have them, turned into the project's data folder: CSV or Excel, UTF-8 (with or without
BOM) or Windows-1252, `;` or `,`, decimal commas, day-first dates, and Devpost "Projects" exports.

`read_files` recognises each table by its file or sheet name, else by its header, converts cells to the documented
formats (dates 2021-04-23, amounts 47500.00, whole numbers 1500), and returns the tables as the CSV files
`impact.formats.loader` checks and writes. Problems found here are reported with the user's own file name and row.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Optional

import openpyxl
import tomli_w
from sqlalchemy import Engine, select

from impact.domain.access import Actor, check_staff
from impact.domain.lifecycle import Status
from impact.domain.problems import LoadError, Problem
from impact.formats.cells import restore
from impact.formats.dataset import PROGRAMME_PARTS
from impact.formats.loader import (
    EVENT_COLUMNS,
    PROGRAMMES_FILE,
    PROJECT_COLUMNS,
    READING_COLUMNS,
    LoadSummary,
    load_folder,
)
from impact.i18n import _, format_number
from impact.store.models import Challenge, Programme

MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", 20 * 1024 * 1024))
MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", 200_000))
TABLES = {"projects.csv": PROJECT_COLUMNS, "status_events.csv": EVENT_COLUMNS, "reach_readings.csv": READING_COLUMNS}
NAMES = {"projects.csv": ("projects", "projekte", "projets"),
         "status_events.csv": ("status_events", "status", "statuses", "events"),
         "reach_readings.csv": ("reach_readings", "reach", "readings", "reichweite", "portee")}
DATE_COLUMNS = ("effective_date", "as_of")
# An exported workbook's programme sheets, by the part of a programme each holds.
PROGRAMME_SHEETS = ("programmes", "figures", "challenges", "metrics")
PROGRAMME_SHEETS_OF = {"figure": "figures", "challenge": "challenges", "metric": "metrics"}
PROGRAMME_COLUMNS = ("slug", "name", "country", "starts_on", "ends_on", "description", "illustrative_note", "public",
                     "silent_after_days")
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
class Converted:
    """The data folder's CSV texts by file name, and where each came from (for problems)."""

    files: dict[str, str] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)
    programme_sheets: dict[str, list[dict]] = field(default_factory=dict)  # an exported workbook's programmes

    def write(self, folder: Path) -> None:
        for name, text in self.files.items():
            (folder / name).write_text(text, encoding="utf-8")

    def explain(self, error: LoadError) -> LoadError:
        """The loader's problems with the user's file names instead of the folder's."""
        return LoadError([Problem(self.origin.get(p.file, p.file), p.row, p.column, p.message)
                          for p in error.problems])


def read_files(files: list[tuple[str, bytes]], options: Options = Options()) -> Converted:
    """Every table in these files (name, content), converted; LoadError lists what cannot be read."""
    problems: list[Problem] = []
    out = Converted()
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
        problems += _programmes_file(out)
    if problems:
        raise LoadError(problems)
    if not out.files:
        raise LoadError([Problem(", ".join(n for n, _c in files) or _("the upload"), None, None,
                                 _("holds no table of projects, status events or reach readings."))])
    return out


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


def _add_table(out: Converted, where: str, stem: str, rows: list[list[str]], options: Options) -> list[Problem]:
    if len(rows) - 1 > MAX_ROWS:
        return [Problem(where, None, None, _("has more than {n} rows; split it, or raise IMPORT_MAX_ROWS.",
                                             n=format_number(MAX_ROWS)))]
    header = [h.strip() for h in rows[0]]
    lowered = [h.lower() for h in header]
    kind = _slug(stem).replace("-", "_")
    if kind in PROGRAMME_SHEETS:
        out.programme_sheets[kind] = [dict(zip(lowered, (restore(cell) for cell in row))) for row in rows[1:]
                                      if any(row)]
        out.origin[PROGRAMMES_FILE] = where
        return []
    if all(h in lowered for h in DEVPOST_HEADERS):
        return _devpost(out, where, lowered, rows[1:], options)
    table = _table_of(stem, lowered)
    if table is None:
        return [Problem(where, 1, None, _("is not a table of projects, status events or reach readings: name it (or "
                                          "its sheet) projects, status_events or reach_readings, or give it the "
                                          "columns the README lists."))]
    if table in out.files:
        return [Problem(where, None, None, _("holds a second table of {table}; give each table once.",
                                             table=Path(table).stem))]
    body = [[_convert(column, cell, options) for column, cell in zip(lowered, row)] for row in rows[1:]]
    out.files[table] = _csv_text([lowered, *body])
    out.origin[table] = where
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
    for the loader to refuse with its row."""
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


def _devpost(out: Converted, where: str, header: list[str], rows: list[list[str]], options: Options) -> list[Problem]:
    """A Devpost "Projects" export: one project per submission, and an idea event on the day it was created."""
    if not options.programme:
        return [Problem(where, None, None, _("is a Devpost export; choose the programme its projects join."))]
    column = {name: header.index(name) for name in header}

    def get(row: list[str], name: str) -> str:
        index = column.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    projects = [["programme", "slug", "name", "challenge", "website", "source", "contact_email"]]
    events, seen, problems = [["project", "status", "effective_date", "note"]], set(), []
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
        projects.append([options.programme, slug, name, challenge, links[0] if links else "",
                         get(row, "submission url"), get(row, "submitter email")])
        created = _date(get(row, "project created at"), options.day_first)
        if _ISO.fullmatch(created):
            events.append([slug, Status.IDEA, created, _("Submitted on Devpost.")])
    out.files["projects.csv"] = _csv_text(projects)
    out.origin["projects.csv"] = where
    if len(events) > 1:
        out.files["status_events.csv"] = _csv_text(events)
        out.origin["status_events.csv"] = where
    return problems


def import_files(engine: Engine, files: list[tuple[str, bytes]], options: Options, actor: Actor,
                 dry_run: bool = False, progress: Callable[[str], None] = lambda stage: None,
                 recorded_by: Optional[str] = None) -> LoadSummary:
    """Read the files, then check and write them as one load (see impact.formats.loader): all of it or nothing; with
    `dry_run`, only say what it would do. Staff only (NotAllowed for anyone else, before a file is read)."""
    check_staff(actor)
    if options.programme:
        with engine.connect() as conn:
            options = replace(options, challenges=frozenset(conn.scalars(
                select(Challenge.slug).join(Programme).where(Programme.slug == options.programme))))
    progress("reading")
    converted = read_files(files, options)
    with tempfile.TemporaryDirectory() as folder:
        converted.write(Path(folder))
        try:
            return load_folder(engine, Path(folder), actor, dry_run=dry_run,
                               subject=", ".join(name for name, _content in files), progress=progress,
                               recorded_by=recorded_by)
        except LoadError as exc:
            raise converted.explain(exc) from None


def _programmes_file(out: Converted) -> list[Problem]:
    """programmes.toml from an exported workbook's programmes, figures, challenges and metrics sheets."""
    try:
        return _programme_tables(out)
    except (ValueError, OverflowError) as exc:  # a date or number (say 1e400) the file format cannot take
        return [Problem(out.origin[PROGRAMMES_FILE], None, None, _(
            "cannot be read as the dashboard's programme sheets ({reason}); dates are written 2021-04-23 and "
            "figures as whole numbers.", reason=exc))]


def _programme_tables(out: Converted) -> list[Problem]:
    tables = []
    for row in out.programme_sheets.get("programmes", []):
        table = {k: v for k, v in row.items() if v != "" and k in PROGRAMME_COLUMNS}
        for key in ("starts_on", "ends_on"):
            if key in table:
                table[key] = dt.date.fromisoformat(str(table[key])[:10])
        table["public"] = str(table.get("public", "")).lower() in ("true", "1", "yes")
        if "silent_after_days" in table:
            table["silent_after_days"] = int(float(table["silent_after_days"]))
        for kind, columns in PROGRAMME_PARTS.items():
            table[kind] = [{c: (int(float(r[c])) if c == "value" and r.get(c) not in ("", None) else r.get(c, ""))
                            for c in columns} for r in out.programme_sheets.get(PROGRAMME_SHEETS_OF[kind], [])
                           if r.get("programme") == table.get("slug")]
        tables.append(table)
    if not tables:
        return [Problem(out.origin[PROGRAMMES_FILE], None, None,
                        _("has figures, challenges or metrics but no programmes sheet."))]
    try:
        out.files[PROGRAMMES_FILE] = tomli_w.dumps({"programme": tables})
    except (TypeError, ValueError) as exc:
        return [Problem(out.origin[PROGRAMMES_FILE], None, None, _("cannot be read ({reason}).", reason=exc))]
    return []


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:120] or "project"


def _csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()
