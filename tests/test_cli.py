"""`python -m impact`: what staff type, and the one-sentence errors with a non-zero exit code."""
import pytest

from impact.cli import main
from impact.store.schema import head_revision
from tests.conftest import TINY_PROGRAMME, write_folder


@pytest.fixture
def database(empty_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", empty_url)
    return empty_url


def test_demo_loads_into_an_empty_database_once(database, capsys):
    assert main(["demo"]) == 0
    assert "2 programmes, 1,515 projects" in capsys.readouterr().out
    assert main(["demo"]) == 1
    assert "already holds data" in capsys.readouterr().err
    assert main(["demo", "--if-empty"]) == 0  # what `make run` calls every time


def test_load_a_folder(database, tmp_path, capsys):
    folder = write_folder(tmp_path / "f", programmes__toml=TINY_PROGRAMME,
                          projects__csv="programme,slug,name\ntiny,a,A\n")
    assert main(["init"]) == 0
    assert main(["load", str(folder)]) == 0
    assert "1 programme, 1 project, 0 status events, 0 reach readings." in capsys.readouterr().out


def test_a_broken_folder_is_refused_with_each_problem(database, tmp_path, capsys):
    folder = write_folder(tmp_path / "f", projects__csv="programme,slug,name\nnowhere,a,A\n")
    assert main(["load", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "Nothing was loaded" in err
    assert "projects.csv, row 2, column 'programme': unknown programme 'nowhere'" in err
    assert "Traceback" not in err


def test_a_database_that_cannot_be_opened(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "sqlite:////nonexistent-folder/x.sqlite3")
    assert main(["demo"]) == 1
    assert "cannot be opened" in capsys.readouterr().err


@pytest.mark.parametrize("url", ["nonsense", "foo://bar", "postgresql+nodriver://u:secret@h/db"])
def test_a_malformed_database_url(monkeypatch, capsys, url):
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["init"]) == 1
    err = capsys.readouterr().err
    assert "DATABASE_URL is not a database address" in err
    assert "secret" not in err and "Traceback" not in err


def test_db_commands(database, tmp_path, capsys, monkeypatch, empty_url):
    assert main(["db", "upgrade"]) == 0
    assert "(it was at none)" in capsys.readouterr().out
    assert main(["db", "current"]) == 0
    assert f"is at schema revision {head_revision()}; this version needs {head_revision()}" in capsys.readouterr().out
    assert main(["demo"]) == 0
    file = tmp_path / "impact.store.backup"
    assert main(["db", "backup", str(file)]) == 0
    assert main(["db", "backup", str(file)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["db", "restore", str(file)]) == 1  # into the same, full database
    assert "is not empty" in capsys.readouterr().err


def test_the_database_url_may_come_from_the_secrets_file(tmp_path, monkeypatch):
    from impact import settings
    from impact.store import db
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('DATABASE_URL = "sqlite:////tmp/from-secrets.sqlite3"\n')
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(settings, "SECRETS_FILES", (tmp_path / "missing.toml", secrets))
    assert db.database_url() == "sqlite:////tmp/from-secrets.sqlite3"
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/from-env.sqlite3")
    assert db.database_url() == "sqlite:////tmp/from-env.sqlite3"  # the environment wins


def test_every_command_is_in_the_readme():
    from impact.cli import parser
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    commands = parser()._subparsers._group_actions[0].choices
    for name, sub in commands.items():
        nested = [a for a in sub._actions if a.__class__.__name__ == "_SubParsersAction"]
        names = [f"{name} {child}" for child in nested[0].choices] if nested else [name]
        for command in names:
            assert f"python -m impact {command}" in readme, f"document `python -m impact {command}` in the README"
