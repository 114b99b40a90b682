"""The database schema, managed by Alembic migrations (impact/store/migrations/versions).

A new empty database is created at the newest revision; a database whose schema is behind is refused with the
command that upgrades it, so that no process runs against tables it does not expect. The refusals name the
database for the command line and staff, and say it without the address for anyone else (`public`).
"""
from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, inspect

from impact.i18n import _
from impact.store.db import DatabaseUnavailable, describe, first_line, writing

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
UPGRADE_COMMAND = "python -m impact db upgrade"
CURRENT_COMMAND = "python -m impact db current"


class SchemaBehind(DatabaseUnavailable):
    """The database's schema is older (or newer) than this code's; the message says what to run."""


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    """The migrations, read once per process: Alembic imports every migration file to read them, and they ship with
    the code, so they do not change while it runs."""
    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    head = _scripts().get_current_head()
    assert head is not None  # None only for a migrations folder without any; this one ships with the code
    return head


def known_revision(revision: str) -> bool:
    """Whether this version's migrations know the revision (a database written by a newer version has one
    they do not)."""
    try:
        return _scripts().get_revision(revision) is not None
    except CommandError:
        return False


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    _run(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    _run(engine, command.downgrade, revision)


def _run(engine: Engine, action, revision: str) -> None:
    """Run an Alembic command in one transaction, one process at a time."""
    config = _config()
    with writing(engine).connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:  # batch mode copies tables; foreign keys must not act on the rows it moves (outside a transaction)
            _sqlite_pragma(conn, "foreign_keys=OFF")
        try:
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(8242020)")  # replicas starting together
                config.attributes["connection"] = conn
                action(config, revision)
        finally:
            if sqlite:
                _sqlite_pragma(conn, "foreign_keys=ON")


def _sqlite_pragma(conn: Connection, pragma: str) -> None:
    """Run a PRAGMA on the SQLite connection itself, outside SQLAlchemy's transaction."""
    driver = conn.connection.driver_connection
    assert driver is not None  # an open connection's DBAPI connection
    driver.execute(f"PRAGMA {pragma}")


def ensure_schema(engine: Engine) -> None:
    """Create a new empty database at the newest revision; refuse one whose schema is not the newest.

    Raises DatabaseUnavailable (with a sentence saying what to do) if the database cannot be opened, or
    SchemaBehind if it must be upgraded first.
    """
    try:
        current = current_revision(engine)
        if current is None and not inspect(engine).get_table_names():
            upgrade(engine)
            return
    except Exception as exc:  # any driver error means the same thing to the user
        raise DatabaseUnavailable(_(
            "The database {db} cannot be opened ({reason}). Check DATABASE_URL and that the database server is "
            "running.", db=describe(engine), reason=first_line(exc)), public=_(
            "The dashboard's database cannot be opened right now, so there is nothing to show; please try again "
            "later. Programme staff: check DATABASE_URL and that the database server is running (the server's log "
            "says why).")) from exc
    head = head_revision()
    public = _("The dashboard's database and this version of the dashboard do not match (an upgrade is under way "
               "or needed), so there is nothing to show right now; please try again later. Programme staff: "
               "`{command}` on the server says what to do.", command=CURRENT_COMMAND)
    if current is not None and not known_revision(current):
        raise SchemaBehind(_(
            "The database {db} has schema revision {current}, newer than this version of the dashboard knows "
            "(it needs {head}); run the version of the dashboard that wrote it.", db=describe(engine),
            current=current, head=head), public=public)
    if current != head:
        raise SchemaBehind(_(
            "The database {db} has schema revision {current}, and this version of the dashboard needs {head}. "
            "Back it up, then run `{command}`.", db=describe(engine), current=current or _("none"), head=head,
            command=UPGRADE_COMMAND), public=public)
