"""Load a data folder (programmes.toml, projects.csv, status_events.csv, reach_readings.csv, targets.csv,
milestones.csv) into the database.

An import is a pipeline: a reader parses its files into typed rows (`read_folder` here, impact.formats.spreadsheets
for CSV and Excel files; impact.formats.rows reads every cell by its field's parser), then `load_rows` checks them
against the database (impact.formats.validate) and writes them (impact.formats.write). A data folder's status
events and readings are read, checked and written a chunk at a time, in the same transaction, so that a file of
ten million readings loads in the memory of a small one.
Only staff load (impact.domain.access); the account is read again inside the load's transaction. A file with any
problem is rejected whole, each problem named by file, row and column, and nothing is written (the transaction,
which may have written the chunks before the first problem, is rolled back). A clean load is written in one
transaction with its audit entry.
The file formats are documented in the README ("Data formats").
"""
from __future__ import annotations

import codecs
import contextlib
import csv
import gc
import io
import json
import zipfile
from functools import partial
from pathlib import Path
from typing import IO, Callable, Iterator, Mapping, Optional

from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from impact.domain import fields
from impact.domain.access import Actor, check_staff, check_still_holds
from impact.domain.fields import FieldError
from impact.domain.problems import LoadError, Problem
from impact.formats.programmes_file import FILE as PROGRAMMES_FILE
from impact.formats.programmes_file import read_programmes
from impact.formats.rows import EVENTS_FILE, READINGS_FILE, STREAMED, TABLES, Rows
from impact.formats.validate import Check
from impact.formats.write import LoadSummary, Writer
from impact.i18n import _
from impact.store.db import write_session
from impact.store.models import AuditEntry, StatusEvent

__all__ = ["LoadError", "LoadSummary", "load_folder", "load_rows", "read_folder"]

ANALYZE_AFTER_ROWS = 1_000  # a load this large refreshes PostgreSQL's planner statistics,
ANALYZE_SHARE = 10  # when it adds at least a tenth of the rows the tables held
FILES = TABLES
# Rows of a status events or readings file read, checked and written at a time: the load's memory is about that
# of this many rows whatever the file's length (bench/README.md, "The import's memory").
CHUNK_ROWS = 20_000


def load_folder(engine: Engine, folder: Path, actor: Actor, dry_run: bool = False,
                subject: Optional[str] = None, progress: Callable[[str], None] = lambda stage: None,
                recorded_by: Optional[str] = None, chunk: int = CHUNK_ROWS) -> LoadSummary:
    """Check every file in `folder` (or in the .zip of one) and write it in one transaction; raise LoadError and
    write nothing.

    Only staff load (NotAllowed for anyone else). Rows already in the database are skipped (loading the same folder
    twice changes nothing the second time); a project row whose details differ from the stored project updates it.
    Rows that do not say who recorded them are recorded by `recorded_by` (default: the actor's name); the audit
    entry names the actor. With `dry_run`, say what a load would do and write nothing. `progress` is told each stage
    as it starts ("checking", "writing"). The status events and readings are read, checked and written `chunk` rows
    at a time (`load_rows`), so that a file of millions of rows takes no more memory than a small one."""
    check_staff(actor)
    folder = Path(folder)
    with contextlib.ExitStack() as stack:
        if folder.is_file() and zipfile.is_zipfile(folder):  # the exported data set's .zip
            archive = stack.enter_context(zipfile.ZipFile(folder))
            files = {Path(n).name: partial(archive.open, n) for n in archive.namelist() if Path(n).name in FILES}
        elif folder.is_dir():
            files = {name: partial(open, folder / name, "rb") for name in FILES if (folder / name).is_file()}
        else:
            raise LoadError([Problem(str(folder), None, None, _(
                "is not a folder or a .zip; give the folder that holds the files, or the .zip of them."))])
        if not files:
            found = (", ".join(sorted(p.name for p in folder.iterdir())[:10]) if folder.is_dir() else "") \
                or _("nothing")
            raise LoadError([Problem(str(folder), None, None, _(
                "holds none of {expected}; it holds {found}. Name the files exactly so.",
                expected=", ".join(FILES), found=found))])
        progress("checking")
        return load_rows(engine, read_folder(files), actor, dry_run=dry_run, subject=subject or str(folder),
                         progress=progress, recorded_by=recorded_by, chunk=chunk)


def read_folder(files: Mapping[str, Callable[[], IO[bytes]]]) -> Rows:
    """The typed rows of a data folder's files (each by its name, with what opens it), and what is wrong with
    them. The status events and readings are read later, while they are loaded (impact.formats.rows.STREAMED)."""
    rows = Rows()
    if PROGRAMMES_FILE in files:
        with files[PROGRAMMES_FILE]() as handle:
            text = _text(rows, PROGRAMMES_FILE, handle.read(), _("is not UTF-8 text; save it as UTF-8."))
        if text is not None:
            rows.add_programmes(PROGRAMMES_FILE, read_programmes(text))
    for name in FILES[1:]:  # the tables after programmes.toml
        if name not in files:
            continue
        if not _utf8(files[name]):
            rows.problem(name, None, None, _("is not UTF-8 text; save it as CSV UTF-8."))
            continue
        with _csv(files[name]) as reader:
            try:
                header = [column.strip() for column in next(reader, [])]
            except csv.Error as exc:
                rows.problem(name, reader.line_num, None, _("cannot be read as CSV ({error}).", error=exc))
                continue
        records = partial(_records, rows, name, files[name])
        rows.add_table(name, name, header, records if name in STREAMED else records())
    return rows


def _text(rows: Rows, name: str, content: bytes, not_utf8: str) -> Optional[str]:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        rows.problem(name, None, None, not_utf8)
        return None


def _utf8(opener: Callable[[], IO[bytes]]) -> bool:
    """Whether the file is UTF-8 text, read a megabyte at a time."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with opener() as handle:
            for block in iter(lambda: handle.read(2**20), b""):
                decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


@contextlib.contextmanager
def _csv(opener: Callable[[], IO[bytes]]):
    """A CSV reader of the file (UTF-8, a byte order mark left out), closed after use."""
    with opener() as handle, io.TextIOWrapper(handle, encoding="utf-8-sig", newline="") as text:
        yield csv.reader(text)


def _records(rows: Rows, name: str, opener: Callable[[], IO[bytes]]) -> Iterator[tuple[int, list[str]]]:
    """Each CSV record after the header, with its row number as a spreadsheet shows it: the header is row 1, a
    blank line is a row, and a cell of several lines (in quotes) is still one row. A record that cannot be read
    ends the file with a problem."""
    number = 1
    with _csv(opener) as reader:
        try:
            next(reader, [])  # the header, read already
            for number, cells in enumerate(reader, start=2):
                yield number, cells
        except csv.Error as exc:
            rows.problem(name, number + 1, None, _("cannot be read as CSV ({error}).", error=exc))


def load_rows(engine: Engine, rows: Rows, actor: Actor, subject: str, dry_run: bool = False,
              progress: Callable[[str], None] = lambda stage: None, recorded_by: Optional[str] = None,
              chunk: int = CHUNK_ROWS) -> LoadSummary:
    """Check typed rows against the database and write them in one transaction with the audit entry (`subject`
    names what was loaded); raise LoadError and write nothing. See `load_folder`."""
    check_staff(actor)
    try:
        fields.text(recorded_by or "", StatusEvent.recorded_by)
    except FieldError as exc:
        raise LoadError([Problem("recorded_by", None, None, str(exc))]) from None
    try:
        with write_session(engine) as session, session.begin() as transaction:
            check_still_holds(session, actor)
            progress("checking")
            summary = _check_and_write(session, rows, recorded_by or actor.name, chunk, progress)
            if dry_run:
                transaction.rollback()
            elif summary.changes:
                session.add(AuditEntry(actor=actor.name, action="import", subject=subject,
                                       after=json.dumps(vars(summary))))
    except (IntegrityError, OperationalError) as exc:
        # Another load added the same project or programme after this one checked, or the database broke a
        # deadlock between the two by stopping this one.
        if isinstance(exc, OperationalError) and not _conflict(exc):
            raise
        raise LoadError([Problem(subject, None, None, _(
            "another change to the same records was saved at the same moment; nothing of this folder was "
            "loaded, so load it again."))]) from exc
    if not dry_run and engine.dialect.name == "postgresql" and summary.changes >= ANALYZE_AFTER_ROWS:
        # Fresh statistics at once: with none, PostgreSQL planned the portfolio query of 10,000 new projects
        # as nested loops (69 s instead of 0.5 s) until autovacuum came round to analyse the tables. Vacuuming
        # also marks the new rows visible to all, so that the reach sums read their index alone (a third faster).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # Not after a load that adds less than a tenth of what the tables held (PostgreSQL's own threshold
            # for analysing a table again): the statistics still hold, and vacuuming a million readings for a
            # top-up of a few thousand took longer than the load (bench/README.md).
            held = conn.scalar(text("SELECT sum(greatest(reltuples, 0)) FROM pg_class WHERE oid IN "
                                    "('projects'::regclass, 'status_events'::regclass, 'reach_readings'::regclass)"))
            if summary.changes * ANALYZE_SHARE >= (held or 0):
                conn.exec_driver_sql("VACUUM (ANALYZE) projects, status_events, reach_readings, reach_daily")
    return summary


def _check_and_write(session: Session, rows: Rows, recorded_by: str, chunk: int,
                     progress: Callable[[str], None]) -> LoadSummary:
    """Check the rows (impact.formats.validate) and write them (impact.formats.write) in the session's
    transaction: the programmes, projects, targets and milestones whole, the status events and readings `chunk`
    rows at a time, each chunk written once checked while no problem has been found (the transaction is rolled
    back on the first LoadError). Raise LoadError with every problem of every row."""
    with _spared():
        check = Check(session, rows, recorded_by, chunk)
        writer = Writer(session)
        if rows.clean():
            writer.start(check.batch)
        progress("writing")
        for events in rows.chunks(EVENTS_FILE, chunk):
            new_events = check.events(events)
            if rows.clean():
                writer.events(new_events)
        for readings in rows.chunks(READINGS_FILE, chunk):
            new_readings = check.readings(readings)
            if rows.clean():
                writer.readings(new_readings)
        check.finish()
        return writer.finish(check.batch)


@contextlib.contextmanager
def _spared():
    """The objects alive before the load left out of the garbage collector's passes while it runs. A load promotes
    each chunk's rows to the oldest generation at a steady pace, and so sets off a full pass over the whole process
    every few chunks: 15% more processor time for a file of 300,000 readings on SQLite, none with this
    (bench/README.md). They are still freed as usual when no longer referenced.

    A process that froze what it holds already (a server, at its start: `impact.ui.web.freeze_the_modules`) keeps it
    frozen: unfreezing at the end would put its modules back into every collection after each page run."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _conflict(exc: OperationalError) -> bool:
    """A deadlock or serialisation failure: the same load would succeed if run again."""
    return getattr(exc.orig, "sqlstate", None) in ("40P01", "40001")
