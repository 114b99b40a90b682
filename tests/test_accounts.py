"""Accounts and keys: passwords kept as argon2 hashes, keys as SHA-256, guessers slowed down and locked out, and
the command line that creates the first staff account."""
import datetime as dt
import io
import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from impact.cli import main
from impact.domain.access import STAFF, command_line
from impact.store import admin, auth
from impact.store.commands import CommandError
from impact.store.db import make_engine
from impact.store.models import Account, SignInFailure, UpdateKey, utcnow
from tests.conftest import ROOT, TINY_PROGRAMME, load
from tests.databases import sqlite_url

CLI = command_line("tests")
PASSWORD = "correct horse battery"


@pytest.fixture
def world(engine, tmp_path, monkeypatch):
    load(engine, tmp_path / "tiny", programmes__toml=TINY_PROGRAMME, projects__csv="programme,slug,name\ntiny,a,A\n")
    admin.add_account(engine, CLI, "Staff@Example.org", "staff", PASSWORD)
    delays = []
    monkeypatch.setattr(auth.time, "sleep", delays.append)  # the delays are recorded, not waited
    return engine, delays


def test_a_password_is_stored_only_as_an_argon2_hash_and_signs_in(world):
    engine, _delays = world
    with engine.connect() as conn:
        stored = conn.scalar(select(Account.password_hash))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    actor = auth.sign_in(engine, " STAFF@example.org ", PASSWORD)
    assert (actor.role, actor.name) == (STAFF, "staff@example.org")


def test_the_dashboard_hashes_passwords_with_argon2s_default_parameters(tmp_path):
    # The tests' own accounts are hashed with the cheapest parameters (tests/conftest.py); the command line is not.
    env = {**os.environ, "DATABASE_URL": sqlite_url(tmp_path)}
    added = subprocess.run([sys.executable, "-m", "impact", "account", "add", "--email", "first@example.org",
                            "--role", "staff", "--password-stdin"], cwd=ROOT, env=env, input=PASSWORD + "\n",
                           capture_output=True, text=True, timeout=120)
    assert added.returncode == 0, added.stderr
    engine = make_engine(env["DATABASE_URL"])
    with engine.connect() as conn:
        stored = conn.scalar(select(Account.password_hash))
    engine.dispose()
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert auth.HASHER.verify(stored, PASSWORD)  # a hash is checked with the parameters it names


def test_a_key_is_stored_only_as_its_hash(world):
    engine, _delays = world
    issued = admin.issue_key(engine, CLI, "a")
    with engine.connect() as conn:
        row = conn.execute(select(UpdateKey.key_hash, UpdateKey.hint)).one()
    assert issued.key not in row.key_hash and row.key_hash == auth.key_hash(issued.key)
    assert len(issued.key) >= 32 and row.hint == issued.key[:6]


def test_wrong_passwords_are_slowed_down_then_locked_per_account(world, monkeypatch):
    engine, delays = world
    monkeypatch.delenv("SIGN_IN_MAX_DELAY", raising=False)  # the default (the suite sets it low)
    for _attempt in range(auth.LOCK_AFTER):
        with pytest.raises(auth.SignInError, match="do not match an active account"):
            auth.sign_in(engine, "staff@example.org", "wrong password!", client="10.0.0.1")
    assert delays == [0.25, 0.5, 1.0, 2.0, 4.0]
    # Locked now: even the right password, from another client, waits.
    with pytest.raises(auth.SignInError, match="locked for 15 more minute"):
        auth.sign_in(engine, "staff@example.org", PASSWORD, client="10.0.0.2")
    with engine.begin() as conn:  # a quarter of an hour later
        conn.execute(SignInFailure.__table__.update().values(locked_until=utcnow() - dt.timedelta(seconds=1),
                                                             last_failed_at=utcnow() - auth.LOCK_FOR))
    assert auth.sign_in(engine, "staff@example.org", PASSWORD, client="10.0.0.2").role == STAFF


@pytest.mark.parametrize("setting, waits", [("1", [0.25, 0.5, 1.0, 1.0, 1.0]), ("0", [0.0] * 5),
                                            ("soon", [0.25, 0.5, 1.0, 2.0, 4.0])])  # not a number: the default
def test_the_longest_wait_is_a_setting(world, monkeypatch, setting, waits):
    engine, delays = world
    monkeypatch.setenv("SIGN_IN_MAX_DELAY", setting)
    for _attempt in range(auth.LOCK_AFTER):
        with pytest.raises(auth.SignInError, match="do not match an active account"):
            auth.sign_in(engine, "staff@example.org", "wrong password!", client="10.0.0.1")
    assert delays == waits
    with pytest.raises(auth.SignInError, match="locked for 15 more minute"):  # locked out all the same
        auth.sign_in(engine, "staff@example.org", PASSWORD, client="10.0.0.2")


def test_wrong_keys_lock_the_client_out(world):
    engine, delays = world
    good = admin.issue_key(engine, CLI, "a").key
    for _attempt in range(auth.LOCK_AFTER):
        with pytest.raises(auth.SignInError, match="not valid"):
            auth.sign_in_with_key(engine, "guess", client="10.0.0.9")
    with pytest.raises(auth.SignInError, match="Too many wrong attempts"):
        auth.sign_in_with_key(engine, good, client="10.0.0.9")
    assert auth.sign_in_with_key(engine, good, client="10.0.0.10").role == "team"  # another client is not locked


def test_a_disabled_account_cannot_sign_in_and_is_signed_out(world):
    engine, _delays = world
    actor = auth.sign_in(engine, "staff@example.org", PASSWORD)
    admin.add_account(engine, CLI, "other@example.org", "staff", PASSWORD)
    other = auth.sign_in(engine, "other@example.org", PASSWORD)
    with pytest.raises(CommandError, match="your own account"):
        admin.set_account_disabled(engine, actor, "staff@example.org", True)
    admin.set_account_disabled(engine, other, "staff@example.org", True)
    assert not auth.refresh(engine, actor).signed_in
    with pytest.raises(auth.SignInError):
        auth.sign_in(engine, "staff@example.org", PASSWORD)


def test_a_funder_reads_the_programmes_granted(world):
    engine, _delays = world
    admin.add_account(engine, CLI, "funder@example.org", "funder", PASSWORD, ["tiny"])
    funder = auth.sign_in(engine, "funder@example.org", PASSWORD)
    assert funder.role == "funder" and len(funder.programme_ids) == 1
    admin.set_programmes(engine, CLI, "funder@example.org", [])
    assert auth.refresh(engine, funder).programme_ids == frozenset()
    with pytest.raises(CommandError, match="staff read every programme"):
        admin.add_account(engine, CLI, "s2@example.org", "staff", PASSWORD, ["tiny"])


@pytest.mark.parametrize("email, role, password, message", [
    ("not-an-email", "staff", PASSWORD, "is not an email address"),
    ("x@example.org", "admin", PASSWORD, "role is one of: staff, funder"),
    ("x@example.org", "staff", "short", "at least 12 characters"),
    ("staff@example.org", "staff", PASSWORD, "already an account"),
])
def test_a_refused_account_says_why(world, email, role, password, message):
    with pytest.raises(CommandError, match=message):
        admin.add_account(world[0], CLI, email, role, password)


def test_the_first_staff_account_from_the_command_line(empty_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", empty_url)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["account", "add", "--email", "first@example.org", "--role", "staff", "--password-stdin"]) == 0
    assert "Added the staff account first@example.org." in capsys.readouterr().out
    assert main(["key", "issue", "--project", "nowhere"]) == 1
    assert capsys.readouterr().err.strip() == "There is no project 'nowhere'."
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["account", "password", "--email", "first@example.org", "--password-stdin"]) == 1
    assert "at least 12 characters" in capsys.readouterr().err
