"""Test databases on both engines: SQLite files, and PostgreSQL databases, each test's empty at first.

Making and dropping a PostgreSQL database takes from 0.1 s on an idle machine to 2 s on a busy one (DROP DATABASE
waits for every other session of the server), so a test's database at the newest schema is emptied afterwards and
handed to the next test, as long as it is still at the newest schema with the same tables; a SQLite one is a copy of
a file made at the newest schema once.

PostgreSQL is found at TEST_POSTGRES_URL (default: the local server, user postgres). Where it is not reachable
its tests are skipped with the reason; in CI (CI=true) that is a failure instead.
"""
from __future__ import annotations

import itertools
import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, create_engine, make_url, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from impact.store.db import first_line, make_engine
from impact.store.models import Base
from impact.store.schema import ensure_schema, head_revision

BACKENDS = ("sqlite", "postgresql")
ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# One prefix per test process (each pytest-xdist worker is one): its databases are PREFIX_<n> and PREFIX_template,
# and it drops only those, never another process's (impact_test_12 must not take impact_test_123's along).
PREFIX = f"impact_test_{os.getpid()}"


class PostgresServer:
    """Creates and drops databases; a template at the newest schema makes each new one quick."""

    def __init__(self, admin: Engine):
        self.admin = admin
        self.names = (f"{PREFIX}_{n}" for n in itertools.count())
        self.template = None
        self.spare: list[str] = []  # databases at the newest schema, emptied by recycle()
        self.emptying: str | None = None
        self.head = head_revision()

    def url(self, name: str) -> str:
        return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def create(self, with_schema: bool = True) -> str:
        if with_schema and self.spare:
            return self.url(self.spare.pop())
        if with_schema and self.template is None:
            self.template = f"{PREFIX}_template"
            self._execute(f'CREATE DATABASE "{self.template}"')
            engine = make_engine(self.url(self.template))
            ensure_schema(engine)
            engine.dispose()
        name = next(self.names)
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template if with_schema else "template0"}"')
        return self.url(name)

    def recycle(self, url: str) -> None:
        """Empty a database that create() made at the newest schema and keep it, under a new name, for the next
        create(): every row gone and every id sequence back at 1, as in a new one, and an address never seen
        before (the app caches engines and reads per address). One that a test took off the newest schema (a
        downgrade, another revision, a table more or less) is dropped instead."""
        name = make_url(url).database
        with self.admin.connect() as conn:  # a connection the test left open would hold its locks
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
        engine = create_engine(url, poolclass=NullPool)
        try:
            with engine.begin() as conn:
                tables = set(conn.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")))
                if tables != set(Base.metadata.tables) | {"alembic_version"}:
                    raise LookupError(name)
                if conn.scalar(text("SELECT version_num FROM alembic_version")) != self.head:
                    raise LookupError(name)
                conn.exec_driver_sql(self._emptying(conn))
            engine.dispose()
            renamed = next(self.names)
            self._execute(f'ALTER DATABASE "{name}" RENAME TO "{renamed}"')
        except (LookupError, SQLAlchemyError):  # off the schema, or still in use by a session ending
            engine.dispose()
            self.drop(url)
            return
        self.spare.append(renamed)

    def _emptying(self, conn: Connection) -> str:
        """One batch of SQL that deletes every row, children first, and sets every sequence back to 1."""
        if self.emptying is None:
            sequences = conn.scalars(text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"))
            self.emptying = "; ".join([f'DELETE FROM "{table.name}"' for table in reversed(Base.metadata.sorted_tables)]
                                      + [f"SELECT setval('\"{sequence}\"', 1, false)" for sequence in sequences])
        return self.emptying

    def drop(self, url: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            names = conn.scalars(text("SELECT datname FROM pg_database WHERE starts_with(datname, :p)"),
                                 {"p": PREFIX + "_"})
            for name in list(names):
                self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _execute(self, statement: str) -> None:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(statement)


def postgres_server() -> PostgresServer:
    """The server, or a skip (a failure in CI) saying why it cannot be used."""
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect():
            pass
    except Exception as exc:
        message = f"PostgreSQL is not reachable at {make_url(ADMIN_URL).render_as_string()}: {first_line(exc)}"
        if os.environ.get("CI"):
            pytest.fail(message + " (.ci/run starts it)")
        pytest.skip(message)
    return PostgresServer(admin)


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'test.sqlite3'}"


def sqlite_copy(template: Path, folder: Path) -> str:
    """The URL of a new SQLite database in `folder`, a copy of the database file `template`."""
    url = sqlite_url(folder)
    with sqlite3.connect(template) as source, sqlite3.connect(make_url(url).database) as target:
        source.backup(target)
    source.close()
    target.close()
    return url
