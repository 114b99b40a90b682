"""Test databases on both engines: SQLite files, and PostgreSQL databases made fresh for each test.

PostgreSQL is found at TEST_POSTGRES_URL (default: the local server, user postgres). Where it is not reachable
its tests are skipped with the reason; in CI (CI=true) that is a failure instead.
"""
from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from impact.store.db import first_line, make_engine
from impact.store.schema import ensure_schema

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

    def url(self, name: str) -> str:
        return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def create(self, with_schema: bool = True) -> str:
        if with_schema and self.template is None:
            self.template = f"{PREFIX}_template"
            self._execute(f'CREATE DATABASE "{self.template}"')
            engine = make_engine(self.url(self.template))
            ensure_schema(engine)
            engine.dispose()
        name = next(self.names)
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template if with_schema else "template0"}"')
        return self.url(name)

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
