"""The engine: `DATABASE_URL` picks the database, the default is a SQLite file under data/."""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, make_url
from sqlalchemy.orm import Session, sessionmaker

from impact.i18n import _
from impact.models import Base

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = ROOT / "data" / "impact.sqlite3"
SQLITE_BUSY_TIMEOUT_MS = 10_000


class DatabaseUnavailable(RuntimeError):
    """The database cannot be opened; the message says which one and what to check."""


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def make_engine(url: str | None = None) -> Engine:
    """An engine for `url` (default: `database_url()`), with SQLite set up for several readers and a writer."""
    url = url or database_url()
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def describe(database: Engine | str) -> str:
    """The database's address (of an engine, or a URL) with any password hidden, for messages."""
    url = database.url if isinstance(database, Engine) else make_url(database)
    return url.render_as_string(hide_password=True)


def ensure_schema(engine: Engine) -> None:
    """Create the tables of a new database; raise DatabaseUnavailable with a sentence if it cannot be opened."""
    try:
        if not inspect(engine).has_table("audit_entries"):
            Base.metadata.create_all(engine)
    except Exception as exc:  # any driver error means the same thing to the user
        raise DatabaseUnavailable(_(
            "The database {db} cannot be opened ({reason}). Check DATABASE_URL and that the database server is "
            "running.", db=describe(engine), reason=_first_line(exc))) from exc


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
