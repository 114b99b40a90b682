"""Email through a real SMTP server (aiosmtpd on 127.0.0.1, in this process): reminders to silent teams with a
one-time sign-in link, review decisions, the staff digest, opting out, and nothing sent twice.

The world (programme "fr", country FR so its emails are French, silent after 30 days), as of today:
  quiet  funded 2020-02-01 (recorded 2020-02-02)  team@quiet.example   silent for years: reminded
  two    funded 2020-03-01 (recorded 2020-03-02)  two@example.org      silent for years: reminded
  busy   funded 2020-03-01, recorded when loaded  busy@example.org     updated today: not silent
  idea   idea 2020-01-10 (recorded 2020-01-10)    idea@example.org     silent but never funded: not reminded
  mute   funded 2020-02-01 (recorded 2020-02-02)  (none)               silent, no address: skipped, said so
"""
from __future__ import annotations

import datetime as dt
import email
import json
import os
import re
import socket
import subprocess
import sys
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from impact.cli import main
from impact.domain.access import STAFF, Actor, command_line
from impact.mail import links, outbox
from impact.mail.smtp import smtp_settings
from impact.mail.web import MailLinks
from impact.mail.web import routes as mail_routes
from impact.store import admin, commands, sessions
from impact.store.auth import SignInError, sign_in_with_key
from impact.store.models import MailMessage, Programme, Project, UpdateKey
from tests.conftest import ROOT, load, url_of

PROGRAMME = """
    [[programme]]
    slug = "fr"
    name = "Hackathon FR"
    country = "FR"
    silent_after_days = 30
"""
PROJECTS = """
    programme,slug,name,contact_email
    fr,quiet,Quiet <b>&,team@quiet.example
    fr,two,Two,two@example.org
    fr,busy,Busy,busy@example.org
    fr,idea,Idea,idea@example.org
    fr,mute,Mute,
"""
EVENTS = """
    project,status,effective_date,recorded_at
    quiet,funded,2020-02-01,2020-02-02T12:00:00Z
    two,funded,2020-03-01,2020-03-02T12:00:00Z
    busy,funded,2020-03-01,
    idea,idea,2020-01-10,2020-01-10T12:00:00Z
    mute,funded,2020-02-01,2020-02-02T12:00:00Z
"""
STAFF_ACTOR = Actor(STAFF, "test")


class Recorder:
    """An aiosmtpd handler keeping what it accepted; `answers` are said to the next DATA commands in turn (None:
    accept, "drop": close the connection), `refuse` recipients get 550."""

    def __init__(self):
        self.received: list[EmailMessage] = []
        self.answers: list[str | None] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        answer = self.answers.pop(0) if self.answers else None
        if answer == "drop":
            server.transport.close()
            return "421 4.3.0 closing"
        if answer:
            return answer
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        message["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        self.received.append(message)  # type: ignore[arg-type]
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(monkeypatch):
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_SECURITY": "none",
                        "MAIL_FROM": "dashboard@impact.example", "PUBLIC_URL": "https://impact.example",
                        "SMTP_TIMEOUT": "10"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(outbox, "RETRY_DELAYS_S", (0.05, 0.05))
    yield recorder
    controller.stop()


@pytest.fixture
def world(engine, tmp_path, monkeypatch):
    load(engine, tmp_path / "fr", programmes__toml=PROGRAMME, projects__csv=PROJECTS, status_events__csv=EVENTS)
    monkeypatch.setenv("DATABASE_URL", url_of(engine))
    return engine


def messages(engine) -> list[MailMessage]:
    with engine.connect() as conn:
        return list(conn.execute(select(MailMessage).order_by(MailMessage.id)).all())


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


def link_in(message) -> str:
    return re.search(r"https://impact\.example/update\?link=([\w-]+)", text_of(message)).group(1)


def by_recipient(smtp) -> dict[str, list]:
    found: dict[str, list] = {}
    for message in smtp.received:
        found.setdefault(message["To"], []).append(message)
    return found


# --- reminders ---------------------------------------------------------------------------------------------------


def test_the_dry_run_lists_who_would_get_what_and_sends_nothing(world, smtp, capsys):
    assert main(["remind", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would send: reminder [fr] quiet <team@quiet.example>" in out
    assert "would send: reminder [fr] two <two@example.org>" in out
    assert "skipped: reminder mute: no contact address" in out
    assert "busy" not in out and "idea" not in out
    assert "2 messages would be sent." in out
    assert smtp.received == [] and messages(world) == []


def test_silent_teams_get_one_reminder_in_the_programme_language(world, smtp, capsys):
    assert main(["remind", "--programme", "fr"]) == 0
    received = by_recipient(smtp)
    assert sorted(received) == ["team@quiet.example", "two@example.org"]
    quiet = received["team@quiet.example"][0]
    assert quiet["Subject"].startswith("Où en est Quiet <b>&")  # French, the project's name as it is
    assert quiet["From"] == "dashboard@impact.example" and quiet["Content-Language"] == "fr"
    assert quiet["Date"] and quiet["List-Unsubscribe"].startswith("<https://impact.example/mail/unsubscribe?token=")
    assert quiet["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = link_in(quiet)
    assert f'href="https://impact.example/update?link={token}"' in html_of(quiet)
    assert "Quiet &lt;b&gt;&amp;" in html_of(quiet)  # escaped in HTML, plain in text
    assert "Quiet <b>&" in text_of(quiet)
    recorded = {m.address: m for m in messages(world)}
    assert recorded["team@quiet.example"].message_id == quiet["Message-ID"]
    assert {m.state for m in recorded.values()} == {"sent"} and {m.kind for m in recorded.values()} == {"reminder"}
    # Run again at once: each project was reminded within 14 days, so nothing more is sent.
    capsys.readouterr()
    assert main(["remind"]) == 0
    assert len(smtp.received) == 2
    assert "skipped: reminder quiet: reminded on" in capsys.readouterr().out


def test_a_reminder_names_the_first_report_that_did_not_come_in(world, smtp):
    # Reports due 2020-06-30 and 2020-09-30 (7 grace days): the first window opens 2020-03-31, as far before the
    # first date as the second comes after it. Quiet (funded 2020-02-01) sent nothing in either: two late reports.
    # Busy recorded everything today, after both windows closed: late too, and so reminded although not silent.
    with world.begin() as conn:
        conn.execute(Programme.__table__.update().values(report_dates=[dt.date(2020, 6, 30), dt.date(2020, 9, 30)]))
    assert main(["remind", "--programme", "fr"]) == 0
    received = by_recipient(smtp)
    assert sorted(received) == ["busy@example.org", "team@quiet.example", "two@example.org"]
    assert "2 rapports ne sont pas arrivés, le premier attendu le 30/06/2020." in text_of(
        received["team@quiet.example"][0])


def test_a_contact_language_overrides_the_programme(world, smtp):
    outbox.set_contact_language(world, STAFF_ACTOR, "two@example.org", "de")
    assert main(["remind"]) == 0
    two = by_recipient(smtp)["two@example.org"][0]
    assert two["Content-Language"] == "de"
    assert "Two" in two["Subject"] and not two["Subject"].startswith("Où")


def test_the_link_signs_the_team_in_once_and_expires(world, smtp):
    assert main(["remind"]) == 0
    received = by_recipient(smtp)
    app = Starlette(routes=[Route("/update", lambda request: PlainTextResponse("page"))],
                    middleware=[Middleware(MailLinks)])
    client = TestClient(app, base_url="https://impact.example", follow_redirects=False)
    token = link_in(received["team@quiet.example"][0])
    first = client.get(f"/update?link={token}")
    assert first.status_code == 303 and first.headers["location"] == "/update"
    actor = sessions.actor_of(world, first.cookies[sessions.COOKIE])
    with world.connect() as conn:
        quiet_id = conn.scalar(select(Project.id).where(Project.slug == "quiet"))
        key = conn.execute(select(UpdateKey).where(UpdateKey.id == actor.key_id)).one()
    assert actor.role == "team" and actor.project_id == quiet_id
    assert key.hint == "mail" and key.expires_on == dt.date.today() + dt.timedelta(days=1)  # not the team's key
    again = client.get(f"/update?link={token}")
    assert again.headers["location"] == "/update?refused=link" and sessions.COOKIE not in again.cookies
    with pytest.raises(SignInError):  # the link's token is no key: typed on the key form it opens nothing
        sign_in_with_key(world, token)
    # The other link, unused, expires after 14 days.
    other = link_in(received["two@example.org"][0])
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=14, minutes=1)
    assert links.redeem(world, other, now=later) is None
    assert links.redeem(world, other) is not None  # still good before


# --- failures and retries ------------------------------------------------------------------------------------------


def test_a_temporary_refusal_is_tried_again_and_sent_once(world, smtp):
    smtp.answers = ["451 4.3.0 Try again later"]
    assert main(["remind"]) == 0
    assert sorted(by_recipient(smtp)) == ["team@quiet.example", "two@example.org"]
    assert len(smtp.received) == 2
    assert [m.state for m in messages(world)] == ["sent", "sent"]


def test_a_refusal_that_lasts_waits_for_a_later_run(world, smtp):
    smtp.answers = ["451 4.3.0 Try again later"] * 3  # the first message: its try and both retries
    assert main(["remind"]) == 0
    first, second = messages(world)
    assert (first.state, first.error) == ("pending", "451 4.3.0 Try again later") and second.state == "sent"
    assert main(["mail", "send"]) == 0  # not due yet (30 minutes)
    assert len(smtp.received) == 1


def test_a_permanent_refusal_is_recorded_on_the_contact_and_shown_to_staff(world, smtp, capsys):
    smtp.refuse = {"team@quiet.example"}
    assert main(["remind"]) == 0
    assert sorted(by_recipient(smtp)) == ["two@example.org"]
    failed = {m.address: m for m in messages(world)}["team@quiet.example"]
    assert failed.state == "failed" and failed.error.startswith("550")
    shown = outbox.failures(world, STAFF_ACTOR)
    assert shown[["address", "what"]].values.tolist() == [["team@quiet.example", "delivery failed"]]
    assert shown["why"].iloc[0].startswith("550 5.1.1")
    capsys.readouterr()
    assert main(["remind", "--dry-run"]) == 0
    assert "skipped: reminder quiet <team@quiet.example>: delivery failed before: 550" in capsys.readouterr().out


def test_a_dropped_connection_is_tried_again(world, smtp):
    smtp.answers = ["drop"]
    assert main(["remind"]) == 0
    assert sorted(by_recipient(smtp)) == ["team@quiet.example", "two@example.org"]
    assert [m.state for m in messages(world)] == ["sent", "sent"]


def test_a_run_that_dies_halfway_sends_the_rest_next_time_and_nothing_twice(world, smtp):
    outbox.plan_reminders(world, STAFF_ACTOR)
    outbox.deliver(world, smtp_settings(), limit=1)  # the run stops after one message
    assert len(smtp.received) == 1
    assert main(["mail", "send"]) == 0
    assert sorted(by_recipient(smtp)) == ["team@quiet.example", "two@example.org"] and len(smtp.received) == 2


def test_a_message_a_dead_run_was_sending_is_never_sent_again(world, smtp):
    outbox.plan_reminders(world, STAFF_ACTOR)
    claimed = outbox._claim(world, smtp_settings(), ())  # claimed, then the run died before the server answered
    assert claimed is not None
    assert main(["mail", "send"]) == 0  # the other one
    later = dt.datetime.now(dt.timezone.utc) + outbox.SENDING_TIMEOUT + dt.timedelta(minutes=1)
    assert outbox.abandon(world, now=later) == 1
    assert main(["mail", "send"]) == 0
    assert len(smtp.received) == 1
    states = {m.id: m.state for m in messages(world)}
    assert states[claimed.id] == "uncertain"
    assert "perhaps not sent" in outbox.failures(world, STAFF_ACTOR)["what"].tolist()


def test_two_runs_at_once_send_each_message_once(world, smtp, tmp_path):
    # Ten more silent projects, then two `remind` processes started together.
    more = "programme,slug,name,contact_email\n" + "".join(f"fr,p{i},P{i},p{i}@example.org\n" for i in range(10))
    events = "project,status,effective_date,recorded_at\n" + "".join(
        f"p{i},funded,2020-02-01,2020-02-02T12:00:00Z\n" for i in range(10))
    load(world, tmp_path / "more", projects__csv=more, status_events__csv=events)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = [subprocess.Popen([sys.executable, "-m", "impact", "remind"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE) for _ in range(2)]
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err.decode()
    received = by_recipient(smtp)
    assert len(smtp.received) == 12 and all(len(copies) == 1 for copies in received.values())
    assert sorted(received) == sorted(["team@quiet.example", "two@example.org",
                                       *(f"p{i}@example.org" for i in range(10))])
    assert [m.state for m in messages(world)] == ["sent"] * 12


# --- decisions, digest, switches, opting out ---------------------------------------------------------------------


def team_update(engine, slug: str, text: str) -> int:
    key = admin.issue_key(engine, command_line("t"), slug).key
    team = sign_in_with_key(engine, key)
    with engine.connect() as conn:
        project_id = conn.scalar(select(Project.id).where(Project.slug == slug))
    return commands.record_update(engine, team, project_id, text).id


def test_a_returned_entry_reaches_the_team_with_the_note(world, smtp):
    entry = team_update(world, "busy", "We reached <many> people")
    commands.review(world, STAFF_ACTOR, "update", entry, approve=False, note="Which people? Say how you counted.")
    assert main(["mail", "send"]) == 0
    [returned] = smtp.received
    assert returned["To"] == "busy@example.org" and returned["Content-Language"] == "fr"
    assert "Busy" in returned["Subject"]
    assert "> Which people? Say how you counted." in text_of(returned)
    assert "We reached <many> people" in text_of(returned)
    assert "We reached &lt;many&gt; people" in html_of(returned)
    assert "/update?link=" in text_of(returned)  # to change it at once
    entry2 = team_update(world, "busy", "Second try")
    commands.review(world, STAFF_ACTOR, "update", entry2, approve=True)
    assert main(["mail", "send"]) == 0
    approved = smtp.received[1]
    assert "/update?link=" not in text_of(approved)
    assert [json.loads(m.detail)["entry_id"] for m in messages(world)] == [entry, entry2]
    assert [m.kind for m in messages(world)] == ["returned", "approved"]


def test_switches_per_programme(world, smtp, capsys):
    assert main(["mail", "programme", "fr", "--decisions", "off", "--reminders", "off"]) == 0
    entry = team_update(world, "busy", "An update")
    commands.review(world, STAFF_ACTOR, "update", entry, approve=True)
    assert messages(world) == []
    capsys.readouterr()
    assert main(["remind"]) == 0
    assert "reminders are switched off for Hackathon FR" in capsys.readouterr().out
    assert smtp.received == []


def test_the_digest_tells_staff_what_waits_once_a_day(world, smtp):
    admin.add_account(world, command_line("t"), "staff@impact.example", "staff", "a long enough password")
    team_update(world, "busy", "One")
    team_update(world, "two", "Two")
    assert main(["digest"]) == 0
    [digest] = smtp.received
    assert digest["To"] == "staff@impact.example" and digest["Subject"] == "2 entries wait for review"
    assert "Hackathon FR: 2 entries, the oldest waiting since" in text_of(digest)
    assert "https://impact.example/review" in html_of(digest)
    assert main(["digest"]) == 0
    assert len(smtp.received) == 1


def test_opting_out_by_the_link(world, smtp, capsys):
    assert main(["remind"]) == 0
    quiet = by_recipient(smtp)["team@quiet.example"][0]
    url = quiet["List-Unsubscribe"].strip("<>")
    app = Starlette(routes=mail_routes())
    client = TestClient(app, base_url="https://impact.example")
    page = client.get(url.removeprefix("https://impact.example"))
    assert page.status_code == 200 and "<button" in page.text
    assert outbox.failures(world, STAFF_ACTOR).empty  # looking at the page opts no one out
    token = url.split("token=")[1]
    done = client.post("/mail/unsubscribe", data={"List-Unsubscribe": "One-Click", "token": token})
    assert done.status_code == 200 and "team@quiet.example" in done.text
    assert client.post("/mail/unsubscribe", data={"token": "nonsense"}).status_code == 404
    entry = team_update(world, "quiet", "An update")
    commands.review(world, STAFF_ACTOR, "update", entry, approve=True)
    assert [m.address for m in messages(world) if m.kind == "approved"] == []


def test_settings_missing_or_wrong_are_one_sentence(world, monkeypatch, capsys):
    for name in ("SMTP_HOST", "MAIL_FROM", "PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    assert main(["remind"]) == 1
    assert "SMTP_HOST is not set" in capsys.readouterr().err
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MAIL_FROM", "a@b.example")
    monkeypatch.setenv("PUBLIC_URL", "https://x.example")
    monkeypatch.setenv("SMTP_PORT", "lots")
    assert main(["remind"]) == 1
    err = capsys.readouterr().err
    assert "SMTP_PORT is “lots”" in err and "Traceback" not in err
    assert messages(world) == []  # a run refused at the start records nothing


def test_staff_send_from_the_silent_page_after_a_preview(world, smtp):
    from tests.apptest import run

    at = run("pages/silent.py", programme="fr")
    assert not at.exception
    at.multiselect(key="silent_mail_projects").set_value(["quiet", "mute"]).run()
    at.button(key="silent_mail_preview").click().run()
    preview = at.dataframe[-1].value
    assert preview[["project", "address", "what"]].values.tolist() == [  # by name, as the portfolio
        ["Mute", "", "no contact address"], ["Quiet <b>&", "team@quiet.example", "send"]]
    assert smtp.received == []  # the preview sends nothing
    at.button(key="silent_mail_send").click().run()
    assert not at.exception
    assert [m["To"] for m in smtp.received] == ["team@quiet.example"]
    assert "The reminders were sent" in at.success[0].value
