"""The lockout cannot be raced: attempts sent at the same moment are counted before any secret is checked, so at
most LOCK_AFTER of them are checked, and a right secret among them lifts nothing. On SQLite and PostgreSQL."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from impact.domain.access import command_line
from impact.store import admin, auth
from impact.store.models import SignInFailure
from tests.conftest import DEFAULT_HASHER, TINY_PROGRAMME, load

CLI = command_line("tests")
PASSWORD = "correct horse battery"
ATTEMPTS = 12  # 11 wrong and the right one, all at once


@pytest.fixture
def world(engine, tmp_path, monkeypatch):
    monkeypatch.setattr(auth, "HASHER", DEFAULT_HASHER)  # a check takes as long as in the dashboard, the race too
    load(engine, tmp_path / "tiny", programmes__toml=TINY_PROGRAMME, projects__csv="programme,slug,name\ntiny,a,A\n")
    admin.add_account(engine, CLI, "staff@example.org", "staff", PASSWORD)
    monkeypatch.setattr(auth.time, "sleep", lambda seconds: None)  # the delays are tested in test_accounts
    return engine


def all_at_once(attempt, secrets: list[str]) -> list[str]:
    """Run `attempt(secret)` for every secret in its own thread, released together; each outcome: 'signed in',
    'wrong' (checked and refused) or 'locked' (refused unchecked)."""
    start = threading.Barrier(len(secrets))

    def one(secret: str) -> str:
        start.wait()
        try:
            attempt(secret)
        except auth.Locked:
            return "locked"
        except auth.SignInError:
            return "wrong"
        return "signed in"

    with ThreadPoolExecutor(len(secrets)) as pool:
        return list(pool.map(one, secrets))


def assert_raced_and_locked(outcomes: list[str]) -> None:
    """At most LOCK_AFTER wrong secrets were checked. The right one may be checked beside them only when it was
    counted first and alone: a lone right attempt is taken back (signing in often locks nobody out), so the guesses
    after it still get their five, and not one more."""
    assert len(outcomes) == ATTEMPTS
    assert outcomes.count("wrong") <= auth.LOCK_AFTER, outcomes
    assert outcomes.count("signed in") <= 1
    assert outcomes.count("locked") >= ATTEMPTS - auth.LOCK_AFTER - outcomes.count("signed in"), outcomes


def test_a_burst_of_passwords_checks_at_most_five_and_leaves_the_account_locked(world):
    secrets = ["wrong password!"] * (ATTEMPTS - 1) + [PASSWORD]
    outcomes = all_at_once(lambda secret: auth.sign_in(world, "staff@example.org", secret, client="203.0.113.7"),
                           secrets)
    assert_raced_and_locked(outcomes)
    with world.connect() as conn:
        counts = dict(conn.execute(select(SignInFailure.scope, SignInFailure.failures)).all())
    # Every attempt counted, the right one included, unless it was counted first and alone: then it was checked, it
    # signed in and it was taken back before the others were counted (a lone right attempt is, see above).
    taken_back = outcomes.count("signed in")
    assert counts["account:staff@example.org"] in {ATTEMPTS, ATTEMPTS - taken_back}, outcomes
    with pytest.raises(auth.Locked):  # still locked, even for the right password from elsewhere
        auth.sign_in(world, "staff@example.org", PASSWORD, client="198.51.100.1")


def test_a_burst_of_keys_checks_at_most_five_and_leaves_the_client_locked(world):
    good = admin.issue_key(world, CLI, "a").key
    secrets = [f"guess-{n}" for n in range(ATTEMPTS - 1)] + [good]
    outcomes = all_at_once(lambda secret: auth.sign_in_with_key(world, secret, client="203.0.113.8"), secrets)
    assert_raced_and_locked(outcomes)
    with pytest.raises(auth.Locked):
        auth.sign_in_with_key(world, good, client="203.0.113.8")
    assert auth.sign_in_with_key(world, good, client="203.0.113.9").role == "team"  # another visitor is not locked


def test_a_right_password_after_wrong_ones_does_not_wipe_them(world):
    for _attempt in range(auth.LOCK_AFTER - 2):
        with pytest.raises(auth.SignInError):
            auth.sign_in(world, "staff@example.org", "wrong password!", client="203.0.113.7")
    assert auth.sign_in(world, "staff@example.org", PASSWORD, client="203.0.113.7").role == "staff"
    with pytest.raises(auth.SignInError, match="do not match"):  # the fifth attempt in 15 minutes locks
        auth.sign_in(world, "staff@example.org", "wrong password!", client="203.0.113.7")
    with pytest.raises(auth.Locked):
        auth.sign_in(world, "staff@example.org", PASSWORD, client="203.0.113.7")


def test_signing_in_often_locks_nobody_out(world):
    for _attempt in range(3 * auth.LOCK_AFTER):
        assert auth.sign_in(world, "staff@example.org", PASSWORD, client="203.0.113.7").role == "staff"


def test_an_empty_key_is_not_an_attempt(world):
    for _attempt in range(auth.LOCK_AFTER + 1):
        with pytest.raises(auth.SignInError, match="Enter the update key"):
            auth.sign_in_with_key(world, "  ", client="203.0.113.7")
    with world.connect() as conn:
        assert conn.scalar(select(SignInFailure.failures)) is None
