"""The engine: `DATABASE_URL` picks the database, the default is a SQLite file under data/."""
from __future__ import annotations

from typing import Iterable, Iterator, Optional, TypeVar

import pandas as pd
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session

from impact.i18n import _
from impact.settings import ROOT, setting

DEFAULT_SQLITE_PATH = ROOT / "data" / "impact.sqlite3"
SQLITE_BUSY_TIMEOUT_MS = 10_000
IN_LIST = 500  # values per IN-list, well under every driver's limit on bound parameters

T = TypeVar("T")


class DatabaseUnavailable(RuntimeError):
    """The database cannot be opened; the message says which one and what to check, for the command line, the
    server's log and staff. `public` says it without the address or anything else about the server, for anyone
    else: the pages show it to visitors who are not staff."""

    def __init__(self, message: str, public: Optional[str] = None):
        super().__init__(message)
        self.public = public or _("The dashboard's database is not available right now, so there is nothing to "
                                  "show; please try again later.")


def database_url() -> str:
    """DATABASE_URL (impact.settings: the environment, else .streamlit/secrets.toml), else the default SQLite
    file."""
    return setting("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def make_engine(url: str | None = None) -> Engine:
    """An engine for `url` (default: `database_url()`), with SQLite set up for several readers and a writer."""
    url = url or database_url()
    try:
        if make_url(url).get_backend_name() == "postgresql":
            # No JIT: a correlated subquery's large cost estimate made PostgreSQL compile queries longer than they ran.
            options = {"options": "-c jit=off"} if make_url(url).get_driver_name() in ("psycopg", "psycopg2") else {}
            return create_engine(url, pool_pre_ping=True, connect_args=options)
        if make_url(url).get_backend_name() != "sqlite":
            return create_engine(url, pool_pre_ping=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    except (ArgumentError, NoSuchModuleError) as exc:
        # Not repeated: the address may hold a password. The sentence names no part of it, so anyone may read it.
        message = _("DATABASE_URL is not a database address this app can use ({reason}); write it as "
                    "sqlite:///path/to/file.sqlite3 or postgresql+psycopg://user:password@host/database.",
                    reason=type(exc).__name__)
        raise DatabaseUnavailable(message, public=message) from exc
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection, _record) -> None:
    # SQLAlchemy, not the driver, starts transactions (see _sqlite_begin), so that DDL is transactional too.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_begin(conn) -> None:
    # A write transaction takes the write lock when it starts, so it waits its turn (busy timeout) instead of
    # failing with "database is locked" when it first writes after reading a snapshot another writer changed.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("writes") else "BEGIN")


def writing(engine: Engine) -> Engine:
    """The engine for a transaction that writes (on SQLite it takes the write lock at its start)."""
    return engine.execution_options(writes=True)


def write_session(engine: Engine) -> Session:
    """A session for one write transaction: `with write_session(engine) as s, s.begin(): ...`."""
    return Session(writing(engine), expire_on_commit=False)


def in_lists(values: Iterable[T], size: int = IN_LIST) -> Iterator[list[T]]:
    """The distinct values, sorted, in lists of at most `size`: each the IN-list of one statement."""
    ordered = sorted(set(values))  # type: ignore[type-var]  # slugs, ids, dates
    for start in range(0, len(ordered), size):
        yield ordered[start:start + size]


def read_frame(engine: Engine, stmt, columns: Optional[list[str]] = None) -> pd.DataFrame:
    """The rows of the select `stmt` as a DataFrame, its columns named `columns` (default: the select's names)."""
    with engine.connect() as conn:
        result = conn.execute(stmt)
        return pd.DataFrame(result.all(), columns=columns or list(result.keys()))


def describe(database: Engine | str) -> str:
    """The database's address (of an engine, or a URL) with any password hidden, for messages."""
    url = database.url if isinstance(database, Engine) else make_url(database)
    return url.render_as_string(hide_password=True)


def first_line(exc: BaseException) -> str:
    """The driver's own words for an error, without SQLAlchemy's SQL and background link."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
