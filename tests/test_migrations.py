"""Schema migrations on both engines: a new database at head, models matching migrations, a safe round trip."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from impact.formats.loader import load_folder
from impact.store.db import make_engine
from impact.store.models import Base, Programme, Project, ReachReading, StatusEvent
from impact.store.schema import (
    SchemaBehind,
    _config,
    current_revision,
    downgrade,
    ensure_schema,
    head_revision,
    upgrade,
)
from tests.apptest import run
from tests.conftest import DEMO, LOADER
from tests.test_reach_daily import stored_days


def test_a_new_database_is_created_at_head(empty_url):
    engine = make_engine(empty_url)
    ensure_schema(engine)
    assert current_revision(engine) == head_revision()
    ensure_schema(engine)  # a second start changes nothing
    engine.dispose()


def test_the_models_match_the_migrations(engine):
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                       Base.metadata)
    assert differences == []


def counts(engine):
    with engine.connect() as conn:
        return [conn.scalar(select(func.count()).select_from(m)) for m in (Programme, Project, StatusEvent,
                                                                         ReachReading)]


def increments(engine):
    with engine.connect() as conn:
        return conn.execute(select(ReachReading.id, ReachReading.counted_increment).order_by(ReachReading.id)).all()


def test_the_latest_migration_goes_down_and_up_keeping_the_data(engine):
    load_folder(engine, DEMO, actor=LOADER)
    before, stored, days = counts(engine), increments(engine), stored_days(engine)
    previous = ScriptDirectory.from_config(_config()).get_revision(head_revision()).down_revision
    downgrade(engine, previous)
    assert current_revision(engine) == previous
    assert counts(engine) == before
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert counts(engine) == before
    assert increments(engine) == stored  # 0004 computes on upgrade what the loader stored
    assert stored_days(engine) == days  # and 0013 the days the loader kept


def test_a_database_behind_is_refused_with_the_upgrade_command(empty_url, monkeypatch):
    engine = make_engine(empty_url)
    upgrade(engine, "0001")
    with pytest.raises(SchemaBehind, match="python -m impact db upgrade"):
        ensure_schema(engine)
    monkeypatch.setenv("DATABASE_URL", empty_url)
    at = run("pages/overview.py")
    assert not at.exception
    assert "python -m impact db upgrade" in at.error[0].value
    upgrade(engine)
    ensure_schema(engine)
    engine.dispose()


def test_a_database_newer_than_the_code_is_refused_with_a_sentence(engine, monkeypatch, capsys):
    from impact.cli import main

    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'ffff0000future'")
    with pytest.raises(SchemaBehind, match="newer than this version"):
        ensure_schema(engine)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    assert main(["db", "upgrade"]) == 1
    assert "newer than this version" in capsys.readouterr().err

