"""Spreadsheets as people have them, read into an import's typed rows: CSV, Excel or OpenDocument, UTF-8 (with or
without BOM), UTF-16 or Windows-1252 (detected), `;`, `,` or tabs, decimal commas, day-first or month-first dates
(decided per column, never per cell), Devpost "Projects" exports, and everything the dashboard exports (its folder's
files, the .zip of them, the workbook, programmes.toml).

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

import charset_normalizer
import openpyxl
import pandas as pd
from sqlalchemy import Engine, select

from impact.domain.access import Actor, check_staff
from impact.domain.lifecycle import Status
from impact.domain.problems import LoadError, Problem
from impact.formats.cells import restore
from impact.formats.dataset import (
    DATAPACKAGE,
    OPTIONAL_TEXTS,
    PROGRAMME_PARTS,
    PROGRAMME_TARGET_COLUMNS,
    PROGRAMME_TRANSLATIONS,
)
from impact.formats.loader import LoadSummary, load_rows
from impact.formats.programmes_file import changes_without_note, check_programmes, read_programmes, target_problems
from impact.formats.rows import (
    EVENTS_FILE,
    MILESTONES_FILE,
    PROGRAMME_TARGET_REQUIRED,
    PROJECTS_FILE,
    READINGS_FILE,
    REQUIRED,
    TARGETS_FILE,
    Rows,
    programme_target,
)
from impact.i18n import _, ngettext
from impact.store.models import Challenge, Programme

MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", 20 * 1024 * 1024))
MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", 200_000))
TABLES = REQUIRED  # each table by its required columns
NAMES = {PROJECTS_FILE: ("projects", "projekte", "projets"),
         EVENTS_FILE: ("status_events", "status", "statuses", "events"),
         READINGS_FILE: ("reach_readings", "reach", "readings", "reichweite", "portee"),
         TARGETS_FILE: ("targets", "ziele", "objectifs", "cibles"),
         MILESTONES_FILE: ("milestones", "meilensteine", "jalons")}
DATE_COLUMNS = ("effective_date", "as_of", "due_on", "baseline_on", "set_on", "planned_on", "done_on")
WHOLE_COLUMNS = ("value", "baseline_value")
# An exported workbook's programme sheets, by the part of a programme each holds.
PROGRAMME_SHEETS = ("programmes", "figures", "challenges", "metrics")
PROGRAMME_SHEETS_OF = {"figure": "figures", "challenge": "challenges", "metric": "metrics"}
# The sheet of programme targets, by its names in English, German and French (rows of [[programme.target]] tables).
PROGRAMME_TARGET_SHEETS = ("programme_targets", "programmziele", "objectifs_programme")
PROGRAMME_COLUMNS = ("slug", "name", "country", "starts_on", "ends_on", "description", "illustrative_note", "public",
                     "silent_after_days", "report_every", "report_from", "report_dates", "report_grace_days",
                     *PROGRAMME_TRANSLATIONS)
DEVPOST_HEADERS = ("project title", "submission url")
DEVPOST_DRAFT = "draft"
DEVPOST_HIDDEN = "submitted (hidden)"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
ENCODINGS = {"utf-8": "UTF-8", "utf-16": "UTF-16", "cp1252": "Windows-1252"}
_DAY_FIRST = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
# A Devpost title's challenge number: `1_036_d_Grenzkontrollen – X`, `0024_Krankenhäuser_Corina`, `08_PANDOA`.
_DEVPOST_TITLE = re.compile(r"(?:\d+_)?(\d+)_(.+)")
# A whole number with group separators, a zero fraction, or both: 1 500, 1.500, 850,0, 1.234,0, 1,234.00.
_WHOLE = re.compile(r"(?P<whole>\d{1,3}(?:(?P<group>[\s.,'\u00a0\u202f])\d{3})(?:(?P=group)\d{3})*|\d+)"
                    r"(?:(?P<point>[.,])(?P<fraction>\d+))?")


@dataclass
class Options:
    """How to read the files; None lets the reader detect it."""

    encoding: Optional[str] = None  # "utf-8", "utf-16" or "cp1252"
    delimiter: Optional[str] = None  # ";", "," or a tab
    day_first: Optional[bool] = None  # 23/04/2021 (True) or 04/23/2021 (False); ISO dates are always read
    programme: Optional[str] = None  # the programme a Devpost export's projects join
    challenges: frozenset[str] = frozenset()  # that programme's challenge slugs (a Devpost title's prefix)
    drafts: bool = False  # a Devpost export's drafts are imported too
    challenge_column: Optional[str] = None  # a Devpost column that holds the challenge number (default: the title)


@dataclass
class ImportSummary(LoadSummary):
    """What an import did or would do, how its files were read (`notes`), the first rows of each table as they are
    stored (`shown`), and a Devpost export's columns, to pick the challenge number from (`columns`)."""

    notes: list[str] = field(default_factory=list)
    shown: dict[str, pd.DataFrame] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)


@dataclass
class _Read:
    """The typed rows of the files, and an exported workbook's programme sheets until all files are read."""

    rows: Rows = field(default_factory=Rows)
    programme_sheets: dict[str, list[dict]] = field(default_factory=dict)
    programme_origin: str = ""
    # The programme targets sheet: where it is, and each row's number and cells by column (dates and numbers read).
    programme_targets: Optional[tuple[str, list[tuple[int, dict[str, str]]]]] = None


def read_files(files: list[tuple[str, bytes]], options: Options = Options()) -> Rows:
    """Every table in these files (name, content), read into typed rows; LoadError lists what cannot be read. The
    rows' own problems (a cell that is not a date ...) are in the rows, for the load to report with the rest; how
    the files were read (encodings, date orders) is in the rows' notes."""
    problems: list[Problem] = []
    out = _Read()
    ask_dates = False
    files = list(files)  # a .zip's files join the list
    for name, content in files:
        if Path(name).name == DATAPACKAGE:  # the export's description of its CSV files, no table of its own
            continue
        if len(content) > MAX_BYTES:
            problems.append(Problem(name, None, None, _("is larger than {mb} MB; split it, or raise IMPORT_MAX_BYTES.",
                                                        mb=MAX_BYTES // (1024 * 1024))))
            continue
        if not content.strip():
            problems.append(Problem(name, None, None, _("is empty.")))
            continue
        try:
            members = _archive(name, content)
            if members is not None:  # the dashboard's exported .zip: its files, read as if given one by one
                files += members
                continue
            if name.lower().endswith(".toml"):
                out.rows.add_programmes(name, _programmes_file(name, content))
                continue
            sheets = (_xlsx_sheets(name, content) if _is_xlsx(content) else _ods_sheets(name, content)
                      if _is_ods(content) else [(None, _csv_rows(name, content, options, out.rows.notes))])
        except LoadError as exc:
            problems += exc.problems
            continue
        for sheet, rows in sheets:
            where = _("{file}, sheet {sheet}", file=name, sheet=sheet) if sheet else name
            found = _add_table(out, where, Path(sheet or name).stem, rows, options)
            ask_dates |= any(p.message.endswith(_dates_question()) for p in found)
            problems += found
    if out.programme_sheets or out.programme_targets:
        problems += _programmes(out)
    if problems:
        raise LoadError(problems, ask_dates=ask_dates)
    if not out.rows.files:
        raise LoadError([Problem(", ".join(n for n, _c in files) or _("the upload"), None, None,
                                 _("holds no table of projects, status events, reach readings, targets or "
                                   "milestones."))])
    return out.rows


# --- reading ----------------------------------------------------------------------------------------------------


def _is_xlsx(content: bytes) -> bool:
    return content[:4] == b"PK\x03\x04" and not _is_ods(content)


def _is_ods(content: bytes) -> bool:
    """An OpenDocument spreadsheet: a zip whose first member, `mimetype`, says so."""
    return content[:4] == b"PK\x03\x04" and content[30:38] == b"mimetype" and ODS_MIMETYPE in content[38:120]


def _archive(name: str, content: bytes) -> Optional[list[tuple[str, bytes]]]:
    """The files of a .zip (such as the dashboard's exported data set), named `archive.zip/file`; None when the
    content is not a plain zip (an Excel or OpenDocument workbook is one too)."""
    if content[:4] != b"PK\x03\x04" or _is_ods(content):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/") and not n.startswith("__MACOSX/")
                     and not Path(n).name.startswith(".")]
            if "[Content_Types].xml" in names:  # an Excel workbook
                return None
            if sum(archive.getinfo(n).file_size for n in names) > MAX_BYTES:
                raise LoadError([Problem(name, None, None, _(
                    "is larger than {mb} MB unpacked; split it, or raise IMPORT_MAX_BYTES.",
                    mb=MAX_BYTES // (1024 * 1024)))])
            return [(f"{name}/{n}", archive.read(n)) for n in names]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise LoadError([Problem(name, None, None, _("cannot be opened as an Excel workbook ({reason}).",
                                                     reason=exc))]) from None


def _programmes_file(name: str, content: bytes) -> tuple[list[dict], list[Problem]]:
    """A programmes.toml (UTF-8, as the dashboard exports it), its problems named by this file."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [Problem(name, None, None, _("is not UTF-8 text; save it as UTF-8."))]
    programmes, problems = read_programmes(text)
    return programmes, [replace(p, file=p.file.replace("programmes.toml", name, 1)) for p in problems]


def _xlsx_sheets(name: str, content: bytes) -> list[tuple[str, list[list[str]]]]:
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise LoadError([Problem(name, None, None, _("cannot be opened as an Excel workbook ({reason}).",
                                                     reason=exc))]) from None
    return _trimmed([(sheet.title, [[_cell(value) for value in row] for row in sheet.iter_rows(values_only=True)])
                     for sheet in book.worksheets])


def _ods_sheets(name: str, content: bytes) -> list[tuple[str, list[list[str]]]]:
    """An OpenDocument spreadsheet (LibreOffice's .ods), read by pandas (with odfpy)."""
    try:
        frames = pd.read_excel(io.BytesIO(content), sheet_name=None, header=None, dtype=object, engine="odf")
    except Exception as exc:  # odfpy raises what its XML parser raises
        raise LoadError([Problem(name, None, None, _("cannot be opened as an OpenDocument spreadsheet ({reason}).",
                                                     reason=exc))]) from None
    return _trimmed([(str(sheet), [[_cell(value) for value in row] for row in frame.itertuples(index=False)])
                     for sheet, frame in frames.items()])


def _trimmed(sheets: list[tuple[str, list[list[str]]]]) -> list[tuple[str, list[list[str]]]]:
    """The sheets that hold something, without their empty rows at the end."""
    out = []
    for title, rows in sheets:
        while rows and not any(rows[-1]):
            rows.pop()
        if rows:
            out.append((title, rows))
    return out


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):  # NaN: an empty cell
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _csv_rows(name: str, content: bytes, options: Options, notes: list[str]) -> list[list[str]]:
    if b"\x00" in content[:4096] and content[:2] not in (b"\xff\xfe", b"\xfe\xff"):
        raise LoadError([Problem(name, None, None, _("is not a text file (CSV), an Excel workbook or an "
                                                     "OpenDocument spreadsheet."))])
    text = _decode(name, content, options.encoding, notes)
    delimiter = options.delimiter or _delimiter(text)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise LoadError([Problem(name, None, None, _("cannot be read as CSV ({error}).", error=exc))]) from None


def _decode(name: str, content: bytes, encoding: Optional[str], notes: list[str]) -> str:
    """The text of a CSV file: in the encoding chosen, else UTF-8 (a BOM is dropped), UTF-16 with its BOM, else
    Windows-1252 where every byte reads in it, else as charset-normalizer detects it. The note names the encoding
    and the preview shows the rows as read, so a wrong one is seen before anything is written; bytes the encoding
    cannot read become the replacement character, which impact.formats.rows refuses with its row and column."""
    if encoding:
        codec = {"utf-8": "utf-8-sig", "utf8": "utf-8-sig"}.get(encoding.lower().replace("_", "-"), encoding)
        return content.decode(codec, errors="replace")
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):
        notes.append(_("{file}: read as UTF-16.", file=name))
        return content.decode("utf-16", errors="replace")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:  # what Excel on Windows writes in Germany and France; a detector guesses wrong on a few short lines
        text, codec = content.decode("cp1252"), "cp1252"  # (it took "Projet été;" for Korean johab, "ü" for cp850)
    except UnicodeDecodeError:
        best = charset_normalizer.from_bytes(content).best()
        codec = best.encoding if best is not None else "cp1252"
        text = content.decode(codec, errors="replace")
    notes.append(_("{file}: read as {encoding} (it is not UTF-8); if its letters look wrong in the preview, choose "
                   "its encoding.", file=name, encoding=ENCODINGS.get(codec, codec)))
    return text


def _delimiter(text: str) -> str:
    header = text.splitlines()[0] if text else ""
    return max((",", ";", "\t"), key=header.count)  # "," where none is more frequent


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
    if kind in PROGRAMME_TARGET_SHEETS:
        return _programme_target_sheet(out, where, lowered, rows, options)
    if all(h in lowered for h in DEVPOST_HEADERS):
        return _devpost(out, where, header, rows[1:], options)
    table = _table_of(stem, lowered)
    if table is None:
        return [Problem(where, 1, None, _("is not a table of projects, status events, reach readings, targets or "
                                          "milestones: name it (or its sheet) projects, status_events, "
                                          "reach_readings, targets or milestones, or give it the columns the README "
                                          "lists."))]
    if table in out.rows.files:
        return [Problem(where, None, None, _("holds a second table of {table}; give each table once.",
                                             table=Path(table).stem))]
    converted, problems = _converted(out, where, lowered, rows, options)
    if not problems:
        out.rows.add_table(table, where, lowered, converted)
    return problems


def _converted(out: _Read, where: str, lowered: list[str], rows: list[list[str]],
               options: Options) -> tuple[list[tuple[int, list[str]]], list[Problem]]:
    """A table's rows (after its header) with their numbers, dates and whole numbers written as the formats have
    them, each date column read in the order its values (or the user) decide; or the problems of those orders."""
    problems, orders = [], {}
    for column in DATE_COLUMNS:
        if column in lowered:
            index = lowered.index(column)
            cells = [(number, row[index]) for number, row in enumerate(rows[1:], start=2) if index < len(row)]
            orders[column], found = _date_order(out.rows.notes, where, column, cells, options.day_first)
            problems += found
    if problems:
        return [], problems
    return [(number, [_convert(column, cell, orders.get(column, True)) for column, cell in zip(lowered, row)])
            for number, row in enumerate(rows[1:], start=2)], []


def _programme_target_sheet(out: _Read, where: str, lowered: list[str], rows: list[list[str]],
                            options: Options) -> list[Problem]:
    """A workbook's programme targets sheet: its header checked, its rows kept (read once the programmes are)."""
    if out.programme_targets is not None:
        return [Problem(where, None, None, _("holds a second table of {table}; give each table once.",
                                             table=PROGRAMME_TARGET_SHEETS[0]))]
    missing = [column for column in PROGRAMME_TARGET_REQUIRED if column not in lowered]
    unknown = [column for column in lowered if column and column not in PROGRAMME_TARGET_COLUMNS]
    if missing or unknown:
        return [Problem(where, 1, (missing or unknown)[0], ngettext(
            "the header lacks the column {columns}.", "the header lacks the columns {columns}.", len(missing),
            columns=", ".join(missing)) if missing else _("is not a column of programme targets; use {columns}.",
                                                           columns=", ".join(PROGRAMME_TARGET_COLUMNS)))]
    converted, problems = _converted(out, where, lowered, rows, options)
    out.programme_targets = (where, [(number, dict(zip(lowered, cells))) for number, cells in converted
                                     if any(cell.strip() for cell in cells)])
    return problems


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


def _convert(column: str, cell: str, day_first: bool) -> str:
    cell = cell.strip()
    if column in DATE_COLUMNS:
        return _date(cell, day_first)
    if column in WHOLE_COLUMNS:
        return _whole(cell)
    if column == "funding_amount":
        return _amount(cell)
    return cell


def _dates_question() -> str:
    return _("choose whether the day or the month comes first (on the Import page, or with `--dates day-first` or "
             "`--dates month-first`).")


def _date_order(notes: list[str], where: str, column: str, cells: list[tuple[int, str]], chosen: Optional[bool],
                default: Optional[str] = None) -> tuple[bool, list[Problem]]:
    """Whether a column's dates such as 03/04/2021 are read day first, decided from all its values (a number above
    12 in either place settles it), by the user's choice, or else by `default` (the reason a kind of file is read
    month first); a note says which order and why. A problem when its values disagree, or when nothing settles it.
    """
    day_only: Optional[tuple[int, str]] = None
    month_only: Optional[tuple[int, str]] = None
    undecided = False
    for row, cell in cells:
        match = _DAY_FIRST.fullmatch(cell.strip().split(" ")[0])
        if not match:
            continue
        first, second = int(match.group(1)), int(match.group(2))
        if first > 12 >= second:
            day_only = day_only or (row, cell.strip())
        elif second > 12 >= first:
            month_only = month_only or (row, cell.strip())
        elif first != second:
            undecided = True
    if not (day_only or month_only or undecided):
        return chosen is not False, []  # no date there reads two ways
    if chosen is not None:
        notes.append(_("{file}, column '{column}': dates read {order}, as chosen.", file=where, column=column,
                       order=_order(chosen)))
        return chosen, []
    if day_only and month_only:
        return True, [Problem(where, month_only[0], column, _(
            "'{month}' can only be month first, but '{day}' in row {row} can only be day first; write the dates of a "
            "column one way (or as 2021-04-23).", month=month_only[1], day=day_only[1], row=day_only[0]))]
    if day_only or month_only:
        row, cell = day_only or month_only  # type: ignore[misc]
        notes.append(_("{file}, column '{column}': dates read {order}, because '{cell}' in row {row} can only be "
                       "read so.", file=where, column=column, order=_order(bool(day_only)), cell=cell, row=row))
        return bool(day_only), []
    if default:
        notes.append(_("{file}, column '{column}': dates read month first, because {reason}", file=where,
                       column=column, reason=default))
        return False, []
    return True, [Problem(where, None, column, _(
        "no date here has a day above 12, so 03/04/2021 could be 3 April or 4 March; ") + _dates_question())]


def _order(day_first: bool) -> str:
    return _("day first (03/04/2021 is 3 April)") if day_first else _("month first (03/04/2021 is 4 March)")


def _date(cell: str, day_first: bool) -> str:
    """23/04/2021 or 23.04.2021 (day first) or 04/23/2021 (month first) as 2021-04-23; anything else as given, for
    impact.formats.rows to refuse with its row."""
    if _ISO.match(cell):
        return cell[:10]
    match = _DAY_FIRST.fullmatch(cell.split(" ")[0])
    if not match:
        return cell
    first, second, year = (int(g) for g in match.groups())
    day, month = (first, second) if day_first else (second, first)
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return cell


def _whole(cell: str) -> str:
    """1 500, 1.500, 850,0, 1 234,00, 1.234,0 or 1,234.00 as 1500, 850, 1234; anything else (850,5) as given, for
    impact.formats.rows to refuse with its row."""
    match = _WHOLE.fullmatch(cell)
    if not match or match.group("point") == match.group("group"):
        return cell
    fraction = match.group("fraction")
    if fraction is not None and (fraction.strip("0") or (match.group("group") is None and len(fraction) == 3)):
        return cell  # 850,5 has a fraction; 1,500 (no zero to drop) is read below as thousands
    return re.sub(r"\D", "", match.group("whole"))


def _amount(cell: str) -> str:
    """47.500,00 / 47 500,00 / 47,500.00 / 47500 as 47500.00's digits; anything else as given."""
    bare = re.sub(r"[\s\u00a0\u202f€$£]|EUR|USD|GBP", "", cell)
    if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?|\d+,\d{1,2}", bare):  # decimal comma
        return bare.replace(".", "").replace(",", ".")
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?|\d+(\.\d+)?", bare):  # thousands commas, or plain
        return bare.replace(",", "")
    return cell


def _devpost(out: _Read, where: str, header: list[str], rows: list[list[str]], options: Options) -> list[Problem]:
    """A Devpost "Projects" export, as Devpost writes it: one project per submission (drafts skipped unless asked
    for), an idea event on the day it was created (Devpost writes dates month first), the challenge by its number
    in the title (or in a column the user picks)."""
    out.rows.columns = [h for h in header if h]
    if not options.programme:
        return [Problem(where, None, None, _("is a Devpost export; choose the programme its projects join."))]
    lowered = [h.lower() for h in header]
    column = {name: index for index, name in reversed(list(enumerate(lowered)))}
    problems: list[Problem] = []
    if options.challenge_column and options.challenge_column.lower() not in column:
        return [Problem(where, 1, options.challenge_column, _("is not a column of this file; pick another."))]

    def get(row: list[str], name: str) -> str:
        index = column.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    created = [(number, get(row, "project created at")) for number, row in enumerate(rows, start=2)]
    day_first, found = _date_order(out.rows.notes, where, "Project Created At", created, options.day_first,
                                   default=_("Devpost writes dates month first."))
    if found:
        return found
    members = [i for i, h in enumerate(lowered) if re.fullmatch(r"team member \d+ (first name|last name|email)", h)]
    projects: list[tuple[int, list[str]]] = []
    events: list[tuple[int, list[str]]] = []
    seen: set[str] = set()
    drafts = 0
    for number, row in enumerate(rows, start=2):
        title = get(row, "project title")
        if not title:
            if any(cell.strip() for cell in row):
                problems.append(Problem(where, number, "Project Title", _("is empty; every project needs a title.")))
            continue
        status = get(row, "project status").lower()
        if status == DEVPOST_DRAFT and not options.drafts:
            drafts += 1
            continue
        name, number_text = title, ""
        match = _DEVPOST_TITLE.fullmatch(title)
        if match:
            number_text, rest = match.groups()
            name = (rest.split("_", 1)[1] if "_" in rest else rest).replace("_", " ").strip() or title
        if options.challenge_column:
            number_text = "".join(re.findall(r"\d+", get(row, options.challenge_column.lower()))[:1])
        challenge = _challenge(number_text, options.challenges)
        slug = _slug(name)
        while slug in seen:
            slug += "-2"
        seen.add(slug)
        links = re.findall(r"https?://[^\s,]+", get(row, '"try it out" links') or get(row, "try it out links"))
        team = "; ".join(filter(None, (" ".join(filter(None, (row[i].strip() for i in members[k:k + 3]
                                                               if i < len(row))))
                                       for k in range(0, len(members), 3))))
        projects.append((number, [options.programme, slug, name, challenge, get(row, "about the project"),
                                  links[0] if links else "", get(row, "submission url"),
                                  get(row, "submitter email"), team]))
        created_on = _date(get(row, "project created at"), day_first)
        if _ISO.fullmatch(created_on):
            note = _("Submitted on Devpost, hidden from its gallery.") if status == DEVPOST_HIDDEN else \
                _("Submitted on Devpost.")
            events.append((number, [slug, Status.IDEA, created_on, note]))
    if drafts:
        out.rows.notes.append(ngettext(
            "{file}: {n} draft skipped (Devpost's Project Status 'Draft'); choose to include drafts to import it.",
            "{file}: {n} drafts skipped (Devpost's Project Status 'Draft'); choose to include drafts to import them.",
            drafts, file=where))
    out.rows.add_table(PROJECTS_FILE, where, ["programme", "slug", "name", "challenge", "summary", "website",
                                              "source", "contact_email", "team"], projects)
    if events:
        out.rows.add_table(EVENTS_FILE, where, ["project", "status", "effective_date", "note"], events)
    return problems


def _challenge(number: str, challenges: frozenset[str]) -> str:
    """The programme's challenge of this number whatever its padding or prefix (024, 24, c24 ...); "" if none."""
    if not number:
        return ""
    for slug in sorted(challenges):
        digits = re.fullmatch(r"\D*(\d+)", slug)
        if digits and int(digits.group(1)) == int(number):
            return slug
    return ""


def import_files(engine: Engine, files: list[tuple[str, bytes]], options: Options, actor: Actor,
                 dry_run: bool = False, progress: Callable[[str], None] = lambda stage: None,
                 recorded_by: Optional[str] = None) -> ImportSummary:
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
    summary = load_rows(engine, rows, actor, subject=", ".join(name for name, _content in files), dry_run=dry_run,
                        progress=progress, recorded_by=recorded_by)
    return ImportSummary(**vars(summary), notes=rows.notes, shown=shown(rows), columns=rows.columns)


SHOWN_ROWS = 5


def shown(rows: Rows, most: int = SHOWN_ROWS) -> dict[str, pd.DataFrame]:
    """The first rows of each table as they will be stored (dates and numbers as read), by table."""
    tables = {}
    if rows.projects:
        tables[PROJECTS_FILE] = pd.DataFrame([{"programme": p.programme, "slug": p.slug, **p.details}
                                              for p in rows.projects[:most]])
    if rows.events:
        tables[EVENTS_FILE] = pd.DataFrame([{"project": e.project, "status": e.status,
                                             "effective_date": e.effective_date, "note": e.note}
                                            for e in rows.events[:most]])
    if rows.readings:
        tables[READINGS_FILE] = pd.DataFrame([{"project": r.project, "metric": r.metric, "as_of": r.as_of,
                                               "value": r.value} for r in rows.readings[:most]])
    if rows.targets:
        tables[TARGETS_FILE] = pd.DataFrame([{"project": t.project, "metric": t.metric, "due_on": t.due_on,
                                              "value": t.value, "baseline_on": t.baseline_on,
                                              "baseline_value": t.baseline_value, "set_on": t.set_on, "note": t.note}
                                             for t in rows.targets[:most]])
    if rows.milestones:
        tables[MILESTONES_FILE] = pd.DataFrame([{"project": m.project, "title": m.title, "planned_on": m.planned_on,
                                                 "done_on": m.done_on, "note": m.note}
                                                for m in rows.milestones[:most]])
    return tables


def _programmes(out: _Read) -> list[Problem]:
    """The programmes of an exported workbook's programmes, figures, challenges, metrics and programme targets
    sheets."""
    try:
        tables = _programme_tables(out.programme_sheets)
    except (ValueError, OverflowError) as exc:  # a date or number (say 1e400) the file format cannot take
        return [Problem(out.programme_origin, None, None, _(
            "cannot be read as the dashboard's programme sheets ({reason}); dates are written 2021-04-23 and "
            "figures as whole numbers.", reason=exc))]
    if not tables:
        return [Problem(out.programme_origin or (out.programme_targets or ("",))[0], None, None,
                        _("has figures, challenges, metrics or programme targets but no programmes sheet."))]
    targets, problems = _programme_targets(out, tables)
    programmes, found = check_programmes(out.programme_origin, tables)  # the targets checked by their rows
    for table in programmes:
        table["target"] = targets.get(table["slug"], [])
    out.rows.add_programmes(out.programme_origin, (programmes, found + problems))
    return []


def _programme_targets(out: _Read, tables: list[dict]) -> tuple[dict[str, list[dict]], list[Problem]]:
    """The programme targets sheet's rows as their programmes' [[programme.target]] tables, by programme slug, in
    the sheet's order; what is wrong with them by row and column (a cell, the programme or measure it names, its
    plan, a change without a note)."""
    if out.programme_targets is None:
        return {}, []
    where, rows = out.programme_targets
    metrics = {t.get("slug"): {m.get("slug") for m in t.get("metric", [])} for t in tables}
    problems: list[Problem] = []
    targets: dict[str, list[tuple[int, dict]]] = {}
    for number, values in rows:
        table, wrong = programme_target(values)
        slug = values.get("programme", "").strip()
        if not slug:
            wrong.insert(0, ("programme", _("is empty; it is required.")))
        elif slug not in metrics:
            wrong.append(("programme", _("'{programme}' is not a programme of the programmes sheet; name one of "
                                         "{known}.", programme=slug, known=", ".join(sorted(map(str, metrics))))))
        elif not wrong:
            wrong = target_problems(table, metrics[slug])
        problems += [Problem(where, number, column, message) for column, message in wrong]
        if not wrong:
            targets.setdefault(slug, []).append((number, table))
    for entries in targets.values():
        problems += [Problem(where, entries[index - 1][0], "note", message)
                     for index, message in changes_without_note([table for _number, table in entries])]
    return {slug: [table for _number, table in entries] for slug, entries in targets.items()}, problems


def _programme_tables(sheets: dict[str, list[dict]]) -> list[dict]:
    tables = []
    for row in sheets.get("programmes", []):
        table = {k: v for k, v in row.items() if v != "" and k in PROGRAMME_COLUMNS}
        for key in ("starts_on", "ends_on", "report_from"):
            if key in table:
                table[key] = dt.date.fromisoformat(str(table[key])[:10])
        table["public"] = str(table.get("public", "")).lower() in ("true", "1", "yes")
        for key in ("silent_after_days", "report_grace_days"):
            if key in table:
                table[key] = int(float(table[key]))
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
