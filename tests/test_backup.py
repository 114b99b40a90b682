"""Backups: back up, restore into an empty database, and find the same data; refusals said in a sentence."""
import pytest
from sqlalchemy import select

from impact.formats.loader import load_folder
from impact.store.backup import BackupError, backup, restore
from impact.store.db import make_engine
from impact.store.models import Base
from impact.store.schema import current_revision, head_revision
from tests.conftest import DEMO, LOADER


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of every table, in id order."""
    with engine.connect() as conn:
        return {table.name: [tuple(row) for row in conn.execute(select(table).order_by(*table.primary_key))]
                for table in Base.metadata.sorted_tables}


@pytest.fixture
def target(engine, tmp_path, request):
    """An empty database on the same engine as `engine`."""
    if engine.dialect.name == "sqlite":
        url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres").create(with_schema=False)
    target = make_engine(url)
    yield target
    target.dispose()


def test_backup_then_restore_gives_identical_data(engine, target, tmp_path):
    load_folder(engine, DEMO, actor=LOADER)
    file = tmp_path / "impact.store.backup"
    backup(engine, file)
    restore(target, file)
    assert current_revision(target) == head_revision()
    restored = snapshot(target)
    assert restored == snapshot(engine)
    assert len(restored["projects"]) == 1515


def test_a_backup_never_overwrites_a_file(engine, tmp_path):
    file = tmp_path / "exists.backup"
    file.write_text("keep me")
    with pytest.raises(BackupError, match="already exists"):
        backup(engine, file)
    assert file.read_text() == "keep me"


def test_a_restore_never_goes_over_data(engine, tmp_path):
    file = tmp_path / "impact.store.backup"
    backup(engine, file)
    with pytest.raises(BackupError, match="is not empty; restore into a new, empty database"):
        restore(engine, file)


def test_a_file_that_is_not_a_backup_is_refused(target, tmp_path):
    file = tmp_path / "garbage.backup"
    file.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(BackupError):
        restore(target, file)


def test_a_file_without_a_dashboard_database_is_refused(target, tmp_path):
    empty = tmp_path / "empty.sqlite3"
    empty.write_bytes(b"")
    if target.dialect.name == "sqlite":
        with pytest.raises(BackupError, match="holds no dashboard database"):
            restore(target, empty)


def test_a_missing_sqlite_database_is_not_backed_up(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'typo.sqlite3'}")
    with pytest.raises(BackupError, match="There is no database file"):
        backup(engine, tmp_path / "b.sqlite3")
    assert not (tmp_path / "b.sqlite3").exists() and not (tmp_path / "typo.sqlite3").exists()


def test_a_backup_into_a_missing_folder_is_a_sentence(engine, tmp_path):
    with pytest.raises(BackupError, match="could not be written|failed"):
        backup(engine, tmp_path / "no" / "such" / "folder" / "b.backup")
