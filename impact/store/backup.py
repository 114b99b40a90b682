"""Back up a database to one file and restore it into an empty database.

SQLite uses its online backup API (safe while the app is running); PostgreSQL uses pg_dump's custom format and
pg_restore in a single transaction. Either way a restore goes into an empty database only, never over data.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy import Engine, inspect
from sqlalchemy.exc import SQLAlchemyError

from impact.i18n import _
from impact.store.db import describe, first_line


class BackupError(RuntimeError):
    """A backup or restore that could not be done; the message says why and what to do."""


def backup(engine: Engine, target: Path) -> None:
    """Write a consistent copy of the database to `target`, which must not exist yet."""
    target = Path(target)
    if target.exists():
        raise BackupError(_("{file} already exists; give a new file name so that no backup is overwritten.",
                            file=target))
    try:
        if engine.dialect.name == "sqlite":
            if not Path(engine.url.database or "").is_file():
                raise BackupError(_("There is no database file at {db}; check DATABASE_URL.", db=describe(engine)))
            with closing(_sqlite(engine)) as source, closing(sqlite3.connect(target)) as copy:
                source.backup(copy)
        elif engine.dialect.name == "postgresql":
            _pg_tool("pg_dump", engine, ["--format=custom", "--no-owner", f"--file={target}"])
        else:
            raise BackupError(_("Backups of {dialect} databases are not supported.", dialect=engine.dialect.name))
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)
        raise BackupError(_("The backup could not be written to {file} ({reason}).", file=target, reason=exc)) from exc
    except BackupError:
        target.unlink(missing_ok=True)  # no half-written backup under the name the user chose
        raise


def restore(engine: Engine, source: Path) -> None:
    """Load the backup `source` into the database of `engine`, which must be empty."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(_("{file} is not a file; give the backup file to restore.", file=source))
    try:
        tables = inspect(engine).get_table_names()
    except SQLAlchemyError as exc:
        raise BackupError(_("The database {db} cannot be opened ({reason}); create it, empty, first.",
                            db=describe(engine), reason=first_line(exc))) from exc
    if tables:
        raise BackupError(_("The database {db} is not empty; restore into a new, empty database.",
                            db=describe(engine)))
    if engine.dialect.name == "sqlite":
        try:
            with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as backup_file, \
                    closing(_sqlite(engine)) as target:
                backup_file.execute("PRAGMA schema_version")  # fails on a file that is not a SQLite database
                backup_file.backup(target)
        except sqlite3.DatabaseError as exc:
            raise BackupError(_("{file} is not a SQLite backup ({reason}).", file=source, reason=exc)) from exc
    elif engine.dialect.name == "postgresql":
        _pg_tool("pg_restore", engine, ["--no-owner", "--single-transaction", "--exit-on-error", str(source)])
    else:
        raise BackupError(_("Backups of {dialect} databases are not supported.", dialect=engine.dialect.name))
    engine.dispose()  # connections opened before the restore must not keep a stale view
    if "alembic_version" not in inspect(engine).get_table_names():
        raise BackupError(_("{file} holds no dashboard database (it has no schema revision); give a file made by "
                            "`python -m impact db backup`.", file=source))


def _sqlite(engine: Engine) -> sqlite3.Connection:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError(_("An in-memory SQLite database cannot be backed up or restored."))
    return sqlite3.connect(database, timeout=30)


def _pg_tool(tool: str, engine: Engine, arguments: list[str]) -> None:
    if shutil.which(tool) is None:
        raise BackupError(_("{tool} is not installed; install the PostgreSQL client tools (for example "
                            "apt-get install postgresql-client).", tool=tool))
    url = engine.url.set(drivername="postgresql")
    environment = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    address = url.set(password=None).render_as_string(hide_password=False)
    database_option = "--dbname" if tool == "pg_restore" else None
    command = [tool, *arguments, *([database_option, address] if database_option else [address])]
    result = subprocess.run(command, env=environment, capture_output=True, text=True)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        errors = [line for line in lines if "error:" in line.lower()]
        reason = (errors or lines or [f"exit code {result.returncode}"])[0]
        raise BackupError(_("{tool} failed for {db}: {reason}", tool=tool, db=describe(engine), reason=reason))
