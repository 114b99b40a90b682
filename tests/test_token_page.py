"""API tokens on the Accounts page (AppTest), tried over real HTTP against `python -m impact serve`: staff issue a
funder's token, see it once, the API answers it with the funder's programme; staff revoke it and the API refuses it.
"""
import datetime as dt
import json

import httpx
import pytest
from sqlalchemy import func, select

from impact.domain.access import command_line
from impact.store import admin, auth, tokens
from impact.store.commands import CommandError
from impact.store.models import ApiToken, AuditEntry
from tests.apptest import run
from tests.conftest import TINY_PROGRAMME, load, url_of
from tests.servers import streamlit_server

CLI = command_line("tests")
STAFF, FUNDER, GONE = "staff@example.org", "funder@example.org", "gone@example.org"
PASSWORD = "a token page password"


@pytest.fixture
def world(engine, tmp_path, monkeypatch):
    """Programme "tiny" (not public, so anonymous callers see nothing of it), a staff member signed in, a funder
    granted "tiny" and a disabled funder; the page reads this database. Yields (engine, the staff actor)."""
    load(engine, tmp_path / "tiny", programmes__toml=TINY_PROGRAMME, projects__csv="programme,slug,name\ntiny,a,A\n")
    admin.add_account(engine, CLI, STAFF, "staff", PASSWORD)
    admin.add_account(engine, CLI, FUNDER, "funder", PASSWORD, ["tiny"])
    admin.add_account(engine, CLI, GONE, "funder", PASSWORD)
    admin.set_account_disabled(engine, CLI, GONE, True)
    monkeypatch.setenv("DATABASE_URL", url_of(engine))
    return engine, auth.sign_in(engine, STAFF, PASSWORD)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_issued_on_the_page_is_shown_once_reads_the_api_and_stops_when_revoked(world):
    engine, staff = world
    today = dt.date.today()
    at = run("pages/people.py", actor=staff)
    assert not at.exception
    # Only enabled accounts are offered; the expiry starts at 90 days.
    assert at.selectbox(key="token_account").options == [FUNDER, STAFF]
    assert at.date_input(key="token_expires").value == today + dt.timedelta(days=90)
    at.selectbox(key="token_account").set_value(FUNDER)
    at.button(key="FormSubmitter:issue_token-Issue token").click().run()
    assert not at.exception and not at.error
    notice = [s.value for s in at.success if "API token for" in s.value]
    assert notice == [f"The API token for {FUNDER}, valid until {today + dt.timedelta(days=90):%Y-%m-%d}, is below. "
                      "Copy it now: it will not be shown again."]
    token = at.code[0].value
    assert len(at.code) == 1 and len(token) >= 32

    # Stored as its hash only, with its audit entry; listed by its first characters.
    with engine.connect() as conn:
        row = conn.execute(select(ApiToken.id, ApiToken.token_hash, ApiToken.hint, ApiToken.expires_on)).one()
        entry = conn.execute(select(AuditEntry.actor, AuditEntry.subject, AuditEntry.after)
                             .where(AuditEntry.action == "api token issued")).one()
    assert (row.token_hash, row.hint, row.expires_on) == (auth.key_hash(token), token[:6], today + dt.timedelta(90))
    assert (entry.actor, entry.subject) == (STAFF, f"account {FUNDER}")
    assert json.loads(entry.after) == {"token": token[:6], "expires_on": (today + dt.timedelta(90)).isoformat()}
    listed = at.dataframe[-1].value
    assert list(listed["account"]) == [FUNDER] and list(listed["hint"]) == [token[:6] + "…"]
    assert list(listed["state"]) == ["active"]

    at.run()
    assert not at.code  # shown once: gone at the next run

    with streamlit_server(url_of(engine)) as base, httpx.Client(base_url=base, timeout=60) as api:
        assert api.get("/api/v1/programmes").json() == {"programmes": []}  # "tiny" is not public
        answer = api.get("/api/v1/programmes", headers=bearer(token))
        assert answer.status_code == 200
        assert [p["slug"] for p in answer.json()["programmes"]] == ["tiny"]
        assert api.get("/api/v1/programmes/tiny/funnel", headers=bearer(token)).status_code == 200

        at.selectbox(key="revoke_token_id").set_value(row.id)
        at.button(key="FormSubmitter:revoke_token-Revoke").click().run()
        assert not at.exception and not at.error
        assert "API token revoked; the API refuses it now." in [s.value for s in at.success]
        assert list(at.dataframe[-1].value["state"]) == ["revoked"]

        refused = api.get("/api/v1/programmes", headers=bearer(token))
        assert refused.status_code == 401 and "revoked" in refused.json()["message"]
    with engine.connect() as conn:
        assert conn.scalar(select(AuditEntry.before).where(AuditEntry.action == "api token revoked")) == json.dumps(
            {"token": token[:6]})


def test_the_expiry_picked_is_kept_and_more_than_a_year_is_never_issued(world):
    engine, staff = world
    today = dt.date.today()
    at = run("pages/people.py", actor=staff)
    widget = at.date_input(key="token_expires")
    assert (widget.min, widget.max) == (today, today + dt.timedelta(days=366))  # the picker offers at most a year
    widget.set_value(today + dt.timedelta(days=30))
    at.button(key="FormSubmitter:issue_token-Issue token").click().run()
    # A browser that sends a day beyond the picker's range anyway: Streamlit drops it for the default, 90 days.
    at.date_input(key="token_expires").set_value(today + dt.timedelta(days=400))
    at.button(key="FormSubmitter:issue_token-Issue token").click().run()
    assert not at.exception and not at.error
    with engine.connect() as conn:
        assert list(conn.scalars(select(ApiToken.expires_on).order_by(ApiToken.id))) == [
            today + dt.timedelta(days=30), today + dt.timedelta(days=90)]
    # The store refuses it in any case, with a sentence, writing nothing.
    with pytest.raises(CommandError) as refused:
        tokens.issue_token(engine, staff, FUNDER, today + dt.timedelta(days=367))
    assert str(refused.value) == (f"A token lives at most 366 days; pick an expiry date on or before "
                                  f"{today + dt.timedelta(days=366)}.")
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ApiToken)) == 2
        assert conn.scalar(select(func.count()).where(AuditEntry.action == "api token issued")) == 2
