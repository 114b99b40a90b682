"""Security: each point replayed as an attacker would, on both databases.

- Every door of the domain checks who is asking: the export, contacts, the audit log, the report, loads and imports
  refuse the roles that may not; the command line acts as `cli:<user>`; and inside each write's transaction the
  account or key is read again, so that one revoked or disabled after its page was opened writes nothing.
- No internals to the public: the page shown when the database cannot be used names the database (host, user,
  name, file) to staff only.
- Numbers out of range are refused with a sentence by the domain, not by an overflow in the database.

The world: programme "tiny" (not public) with projects
  a: idea 2020-01-10, funded 2020-02-01; people reached 100 as of 2020-03-31; contact a@example.org
  b: idea 2020-01-10
and programme "open" (public) without projects.
"""
import datetime as dt
import getpass
import io
import threading
from decimal import Decimal

import openpyxl
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, make_url, select, update

from impact.cli import main
from impact.domain.access import FUNDER, PUBLIC, STAFF, TEAM, Actor, NotAllowed, command_line
from impact.domain.problems import LoadError
from impact.formats import dataset, report
from impact.formats.loader import load_folder
from impact.formats.spreadsheets import Options, import_files
from impact.store import admin, auth, commands, editing, history
from impact.store.commands import CommandError
from impact.store.db import describe
from impact.store.models import (
    Account,
    AuditEntry,
    Programme,
    ProgrammeFigure,
    Project,
    ProjectNote,
    ReachReading,
    StatusEvent,
    UpdateKey,
    utcnow,
)
from impact.store.queries import programme_info
from impact.store.schema import _config, downgrade, head_revision
from tests.apptest import run
from tests.conftest import TINY_PROGRAMME, D, load, url_of, write_folder

CLI = command_line("tests")
TODAY = D("2020-06-30")
PROJECTS = """
    programme,slug,name,challenge,contact_email
    tiny,a,Project A,c1,a@example.org
    tiny,b,Project B,c2,
"""
EVENTS = """
    project,status,effective_date
    a,idea,2020-01-10
    a,funded,2020-02-01
    b,idea,2020-01-10
"""
READINGS = """
    project,metric,as_of,value
    a,people,2020-03-31,100
"""
OPEN = '\n[[programme]]\nslug = "open"\nname = "Open hackathon"\npublic = true\n'


@pytest.fixture
def world(engine, tmp_path):
    load(engine, tmp_path / "tiny", programmes__toml=TINY_PROGRAMME + OPEN, projects__csv=PROJECTS,
         status_events__csv=EVENTS, reach_readings__csv=READINGS)
    return engine


def project_id(engine, slug: str) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(Project.id).where(Project.slug == slug))


def account(engine, email: str, role: str, programmes=()) -> Actor:
    """The actor of a new account, as signing in makes it."""
    actor = auth.account_actor(engine, admin.add_account(engine, CLI, email, role, None, programmes))
    assert actor is not None
    return actor


def team(engine, slug: str, expires_on=None, today=None) -> Actor:
    """The actor of a new update key for the project, as the update page makes it."""
    issued = admin.issue_key(engine, CLI, slug, expires_on=expires_on, today=today)
    actor = auth.key_actor(engine, auth.key_hash(issued.key), today=today)
    assert actor is not None
    return actor


def everything(engine) -> tuple[int, ...]:
    """How many rows each written table holds: a refused write leaves all of them as they were."""
    with engine.connect() as conn:
        return tuple(conn.scalar(select(func.count()).select_from(model)) for model in (
            Programme, ProgrammeFigure, Project, StatusEvent, ReachReading, ProjectNote, Account, UpdateKey,
            AuditEntry))


def audit_actors(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(AuditEntry.actor).order_by(AuditEntry.id)))


# --- 6. every door checks who is asking ----------------------------------------------------------------------------


def outsiders(engine) -> list[Actor]:
    """A funder granted the programme, a funder of another one, a team of one of its projects, and anyone."""
    return [account(engine, "funder@example.org", "funder", ["tiny"]),
            account(engine, "other@example.org", "funder", ["open"]), team(engine, "a"), PUBLIC]


def test_only_staff_export_the_data_set_and_the_grants(world):
    exported = dataset.dataset(world, CLI)
    assert exported.projects.set_index("slug").loc["a", "contact_email"] == "a@example.org"
    assert len(dataset.grants_360(world, CLI, "360G-tiny", "XI-EXAMPLE-1", "Tiny Foundation")) == 0  # no amounts
    for actor in outsiders(world):
        with pytest.raises(NotAllowed, match="Only programme staff may export data"):
            dataset.dataset(world, actor)
        with pytest.raises(NotAllowed, match="Only programme staff may export data"):
            dataset.grants_360(world, actor, "360G-tiny", "XI-EXAMPLE-1", "Tiny Foundation")


def test_only_staff_read_contacts_the_audit_log_and_who_may_sign_in(world):
    tiny = programme_info(world, "tiny")
    assert history.contacts(world, CLI, tiny.id).set_index("slug")["contact_email"].to_dict() == {
        "a": "a@example.org", "b": ""}
    assert editing.project_details(world, CLI, "a")["contact_email"] == "a@example.org"
    assert history.audit_log(world, CLI, who="test")["action"].tolist() == ["import"]
    assert history.audit_actions(world, CLI) == ["import"]
    for actor in outsiders(world):
        with pytest.raises(NotAllowed, match="Contact details are for programme staff only"):
            history.contacts(world, actor, tiny.id)
        with pytest.raises(NotAllowed, match="Contact details are for programme staff only"):
            editing.project_details(world, actor, "a")
        for read in (history.audit_log, history.audit_actions, admin.accounts, admin.update_keys):
            with pytest.raises(NotAllowed, match="Only programme staff may do this"):
                read(world, actor)


def test_the_report_is_for_staff_and_the_funders_of_its_programme(world):
    tiny, public = programme_info(world, "tiny"), programme_info(world, "open")
    granted, other, team_a, anyone = outsiders(world)
    for reader in (CLI, granted):
        assert "Tiny hackathon" in report.report_html(world, reader, tiny, TODAY)
    for reader in (other, team_a, anyone):
        with pytest.raises(NotAllowed, match="report of this programme is for programme staff and the funders"):
            report.report_html(world, reader, tiny, TODAY)
    # A public programme's report holds more than its public pages: funders and staff, not anyone or a team.
    assert "Open hackathon" in report.report_html(world, other, public, TODAY)
    for reader in (team_a, anyone):
        with pytest.raises(NotAllowed):
            report.report_html_in("en", world, reader, public, TODAY)


def test_only_staff_load_and_import(world, tmp_path):
    folder = write_folder(tmp_path / "more", projects__csv="programme,slug,name\ntiny,c,Project C\n")
    actors = outsiders(world)
    before = everything(world)
    for actor in actors:
        with pytest.raises(NotAllowed, match="Only programme staff may do this"):
            load_folder(world, folder, actor)
        with pytest.raises(NotAllowed, match="Only programme staff may do this"):
            import_files(world, [("projects.csv", b"programme,slug,name\ntiny,c,Project C\n")], Options(), actor)
        with pytest.raises(NotAllowed):  # not even a dry run says what is in the database
            import_files(world, [("projects.csv", b"programme,slug,name\ntiny,c,Project C\n")], Options(), actor,
                         dry_run=True)
    assert everything(world) == before
    assert load_folder(world, folder, CLI).projects == 1


def test_the_command_line_acts_as_cli_and_its_user(world, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", url_of(world))
    me = f"cli:{getpass.getuser()}"
    logged = len(audit_actors(world))
    folder = write_folder(tmp_path / "more", status_events__csv="project,status,effective_date\nb,funded,2020-02-01\n")
    assert main(["load", str(folder)]) == 0
    sheet = tmp_path / "readings.csv"
    sheet.write_text("project,metric,as_of,value\nb,people,2020-03-01,7\n")
    assert main(["import", str(sheet), "--recorded-by", "x" * 201]) == 1
    assert "recorded_by: is longer than 200 characters" in capsys.readouterr().err
    assert main(["import", str(sheet), "--recorded-by", "the jury"]) == 0
    assert main(["account", "add", "--role", "staff", "--email", "new@example.org", "--no-password"]) == 0
    assert main(["key", "issue", "--project", "a"]) == 0
    for command in (["export", str(tmp_path / "export.zip")], ["report", str(tmp_path / "r.html"), "--programme",
                                                                "tiny", "--as-of", "2020-06-30"]):
        assert main(command) == 0, capsys.readouterr().err
    assert audit_actors(world)[logged:] == [me] * 4
    with world.connect() as conn:
        b = project_id(world, "b")
        assert conn.scalar(select(StatusEvent.recorded_by).where(StatusEvent.status == "funded",
                                                                 StatusEvent.project_id == b)) == me
        assert conn.scalar(select(ReachReading.recorded_by).where(ReachReading.value == 7)) == "the jury"
        assert conn.scalar(select(Account.created_by).where(Account.email == "new@example.org")) == me


# --- 6. the account or key is read again inside each write ---------------------------------------------------------


def test_a_key_revoked_after_its_page_was_opened_writes_nothing(world):
    a = project_id(world, "a")
    actor = team(world, "a")  # the update page is open
    seen = commands.project_revision(world, a)
    admin.revoke_key(world, CLI, actor.key_id)  # meanwhile, staff revoke the key
    before, log = everything(world), audit_actors(world)
    for write in (
        lambda: commands.record_status_change(world, actor, a, "in_development", D("2020-03-01"),
                                              seen_revision=seen, today=TODAY),
        lambda: commands.record_reach_reading(world, actor, a, "people", D("2020-04-30"), 150, seen_revision=seen,
                                              today=TODAY),
        lambda: commands.record_update(world, actor, a, "We launched!", seen_revision=seen),
    ):
        with pytest.raises(NotAllowed, match="update key was revoked or has expired, so nothing was saved"):
            write()
    assert everything(world) == before and audit_actors(world) == log


def test_a_revocation_saved_while_a_write_waits_is_seen_by_it(world):
    """Staff revoke the key (on another replica) at the moment the team submits: the submission waits for the
    revocation's lock and then reads the key as revoked (PostgreSQL: the key's row; SQLite: the write lock)."""
    a = project_id(world, "a")
    actor = team(world, "a")
    before = everything(world)
    outcome = []

    def submit():
        try:
            commands.record_update(world, actor, a, "Racing the revocation.")
            outcome.append("saved")
        except NotAllowed as exc:
            outcome.append(str(exc))

    with world.connect() as conn:
        revoking = conn.begin()
        conn.execute(update(UpdateKey).where(UpdateKey.id == actor.key_id).values(revoked_at=utcnow()))
        submission = threading.Thread(target=submit)
        submission.start()
        submission.join(2)
        assert submission.is_alive()  # waiting for the revocation to end
        revoking.commit()
    submission.join(30)
    assert len(outcome) == 1 and "revoked or has expired" in outcome[0]
    assert everything(world) == before

def test_a_key_that_expired_after_its_page_was_opened_writes_nothing(world):
    a = project_id(world, "a")
    actor = team(world, "a", expires_on=TODAY, today=TODAY)  # opened on its last day
    before = everything(world)
    with pytest.raises(NotAllowed, match="revoked or has expired"):
        commands.record_update(world, actor, a, "A day late.")  # today is years later
    with pytest.raises(NotAllowed, match="revoked or has expired"):
        commands.record_status_change(world, actor, a, "in_development", D("2020-06-30"),
                                      today=TODAY + dt.timedelta(days=1))
    assert everything(world) == before
    assert commands.record_status_change(world, actor, a, "in_development", D("2020-06-30"),
                                         today=TODAY).review_state == "pending"  # on its last day it still works


def test_a_key_does_not_work_for_another_project_or_as_a_made_up_actor(world):
    """Actors the web never makes: a key of project b claiming project a, a team or a funder without a key or
    account behind them."""
    a = project_id(world, "a")
    team_b = team(world, "b")
    before = everything(world)
    for actor in (Actor(TEAM, team_b.name, key_id=team_b.key_id, project_id=a), Actor(TEAM, "team a", project_id=a)):
        with pytest.raises(NotAllowed):
            commands.record_update(world, actor, a, "Not ours.")
    with pytest.raises(NotAllowed):
        admin.set_password(world, Actor(FUNDER, "nobody@example.org"), "nobody@example.org", "a long password!")
    assert everything(world) == before


def test_an_account_disabled_after_its_page_was_opened_writes_nothing(world, tmp_path):
    a = project_id(world, "a")
    staff = account(world, "staff@example.org", "staff")  # signed in, the pages open
    pending = commands.record_update(world, team(world, "a"), a, "Please approve.")
    admin.set_account_disabled(world, CLI, "staff@example.org", True)  # meanwhile, another staff member disables it
    before, log = everything(world), audit_actors(world)
    folder = write_folder(tmp_path / "more", projects__csv="programme,slug,name\ntiny,c,Project C\n")
    for write in (
        lambda: commands.record_status_change(world, staff, a, "in_development", D("2020-03-01"), today=TODAY),
        lambda: commands.record_reach_reading(world, staff, a, "people", D("2020-04-30"), 150, today=TODAY),
        lambda: commands.record_update(world, staff, a, "Staff note."),
        lambda: commands.review(world, staff, "update", pending.id, approve=True),
        lambda: admin.add_account(world, staff, "friend@example.org", "staff", None),
        lambda: admin.set_account_disabled(world, staff, "funder@example.org", True),
        lambda: admin.set_password(world, staff, "staff@example.org", "a new long password"),
        lambda: admin.set_programmes(world, staff, "staff@example.org", []),
        lambda: admin.issue_key(world, staff, "a"),
        lambda: admin.revoke_key(world, staff, 1),
        lambda: editing.save_project(world, staff, "tiny", "c", create=True, name="Project C"),
        lambda: editing.save_programme(world, staff, editing.programme_table(world, "tiny") | {"public": True}),
        lambda: load_folder(world, folder, staff),
        lambda: import_files(world, [("projects.csv", b"programme,slug,name\ntiny,c,Project C\n")], Options(), staff),
    ):
        with pytest.raises(NotAllowed, match="account was disabled or changed after this page was opened"):
            write()
    assert everything(world) == before and audit_actors(world) == log
    admin.set_account_disabled(world, CLI, "staff@example.org", False)  # enabled again, the same page works
    assert commands.record_update(world, staff, a, "Back.").review_state == "approved"


def test_a_funder_whose_programmes_changed_writes_nothing_on_the_old_page(world):
    funder = account(world, "funder@example.org", "funder", ["tiny"])
    admin.set_password(world, funder, "funder@example.org", "my own long password")  # a funder's one write
    admin.set_programmes(world, CLI, "funder@example.org", ["open"])
    before = everything(world)
    with pytest.raises(NotAllowed, match="disabled or changed"):
        admin.set_password(world, funder, "funder@example.org", "another long password")
    assert everything(world) == before


# --- 7. no internals to the public ---------------------------------------------------------------------------------


def parts_of_the_address(url: str) -> list[str]:
    """What the public must not read: the file of a SQLite database; the host, user and name of a PostgreSQL one."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return [parsed.database, parsed.database.rsplit("/", 1)[-1]]
    return [parsed.host, parsed.username, parsed.database]


def test_the_schema_behind_page_names_the_database_to_staff_only(world, monkeypatch):
    url = url_of(world)
    staff = account(world, "staff@example.org", "staff")
    funder = account(world, "funder@example.org", "funder", ["tiny"])
    # The code is newer than the database: an upgrade is due.
    downgrade(world, ScriptDirectory.from_config(_config()).get_revision(head_revision()).down_revision)
    monkeypatch.setenv("DATABASE_URL", url)
    for visitor in (PUBLIC, funder):
        for page in ("pages/overview.py", "pages/audit.py", "dashboard.py"):
            at = run(page, actor=visitor)
            assert not at.exception
            shown = " ".join(e.value for e in at.error)
            assert "do not match (an upgrade is under way or needed)" in shown
            for part in parts_of_the_address(url) + [describe(world), "schema revision"]:
                assert part not in shown, (page, visitor.name, part)
    at = run("pages/overview.py", actor=staff)
    assert not at.exception
    assert describe(world) in at.error[0].value and "python -m impact db upgrade" in at.error[0].value


@pytest.mark.parametrize("url", ["sqlite:////nonexistent-folder/secret-name.sqlite3",
                                 "postgresql+psycopg://secret-user@127.0.0.1:1/secret-db"])
def test_a_database_that_cannot_be_opened_is_not_named_on_the_web(monkeypatch, url):
    """Who is visiting cannot be known then, so nobody on the web reads the address (the server's log does)."""
    monkeypatch.setenv("DATABASE_URL", url)
    for visitor in (PUBLIC, Actor(STAFF, "staff@example.org", account_id=1)):
        at = run("pages/overview.py", actor=visitor)
        assert not at.exception
        shown = at.error[0].value
        assert "cannot be opened right now" in shown
        for part in ("nonexistent-folder", "secret-name", "secret-user", "127.0.0.1", "secret-db"):
            assert part not in shown


# --- 8. numbers out of range ---------------------------------------------------------------------------------------

BIGINT = 2**63 - 1
INTEGER = 2**31 - 1


def test_reach_figures_out_of_range_are_refused_with_a_sentence(world):
    a = project_id(world, "a")
    before = everything(world)
    for value in (2**63, -1, 2**64, True):
        with pytest.raises(CommandError, match="A reach figure is a whole number of 0 or more, at most "
                                               "9,223,372,036,854,775,807"):
            commands.record_reach_reading(world, CLI, a, "people", D("2020-04-30"), value, today=TODAY)
    assert everything(world) == before
    recorded = commands.record_reach_reading(world, CLI, a, "people", D("2020-04-30"), BIGINT, today=TODAY)
    with world.connect() as conn:
        assert conn.execute(select(ReachReading.value, ReachReading.counted_increment)
                            .where(ReachReading.id == recorded.id)).one() == (BIGINT, BIGINT - 100)


def test_ids_out_of_range_are_no_such_row(world):
    a = project_id(world, "a")
    before = everything(world)
    for attempt, message in (
        (lambda: commands.record_update(world, CLI, 2**63, "Who?"), "There is no such project."),
        (lambda: commands.record_status_change(world, CLI, a, "funded", D("2020-02-01"), note="wrong",
                                               supersedes_id=2**63, today=TODAY), "not one of this project's"),
        (lambda: commands.review(world, CLI, "reading", 2**63, approve=True), "There is no such entry"),
        (lambda: admin.revoke_key(world, CLI, 2**63), "There is no such update key."),
    ):
        with pytest.raises(CommandError, match=message):
            attempt()
    assert everything(world) == before


def programme(**changes) -> dict:
    return {"slug": "civic", "name": "Civic", "figure": [{"key": "participants", "label": "Participants",
                                                          "value": 240, "source": "the organisers"}]} | changes


def figure(value) -> list[dict]:
    return [{"key": "participants", "label": "Participants", "value": value, "source": "the organisers"}]


def test_programme_figures_and_silence_out_of_range_are_refused_with_a_sentence(world):
    before = everything(world)
    for value in (2**63, -1):
        with pytest.raises(CommandError, match="must be a whole number >= 0 and at most 9,223,372,036,854,775,807"):
            editing.save_programme(world, CLI, programme(figure=figure(value)), create=True)
    for days in (2**31, 0, -1, 2**63):  # an INTEGER column
        with pytest.raises(CommandError, match="whole number of days from 1 to 2,147,483,647"):
            editing.save_programme(world, CLI, programme(silent_after_days=days), create=True)
    assert everything(world) == before
    editing.save_programme(world, CLI, programme(figure=figure(BIGINT), silent_after_days=INTEGER), create=True)
    stored = editing.programme_table(world, "civic")
    assert (stored["figure"][0]["value"], stored["silent_after_days"]) == (BIGINT, INTEGER)


def test_funding_amounts_out_of_range_are_refused_with_a_sentence(world):
    before = everything(world)
    for amount in ("1000000000000", "-1", "999999999999.995", "1e400", "NaN"):  # NUMERIC(14, 2)
        with pytest.raises(CommandError, match="is not an amount"):
            editing.save_project(world, CLI, "tiny", "b", name="Project B", funding_amount=amount,
                                 funding_currency="EUR")
    assert everything(world) == before
    editing.save_project(world, CLI, "tiny", "b", name="Project B", funding_amount="999999999999.99",
                         funding_currency="EUR")
    with world.connect() as conn:
        assert conn.scalar(select(Project.funding_amount).where(Project.slug == "b")) == Decimal("999999999999.99")


def test_files_with_numbers_out_of_range_are_refused_with_their_row(world, tmp_path):
    before = everything(world)
    cases = [
        ({"reach_readings__csv": "project,metric,as_of,value\na,people,2020-04-30,9223372036854775808\n"},
         "reach_readings.csv, row 2, column 'value': '9223372036854775808' is not a whole number"),
        ({"projects__csv": "programme,slug,name,funding_amount,funding_currency\ntiny,b,B,999999999999.995,EUR\n"},
         "projects.csv, row 2, column 'funding_amount': '999999999999.995' is not an amount"),
        ({"programmes__toml": '[[programme]]\nslug = "x"\nname = "X"\nsilent_after_days = 2147483648\n'},
         "column 'silent_after_days': must be a whole number of days from 1 to 2,147,483,647"),
    ]
    for number, (files, message) in enumerate(cases):
        with pytest.raises(LoadError) as refused:
            load(world, tmp_path / str(number), **files)
        assert message in str(refused.value)
    # A workbook's programme sheet with a number no whole number can be.
    book = openpyxl.Workbook()
    book.active.title = "programmes"
    book.active.append(["slug", "name", "silent_after_days"])
    book.active.append(["x", "X", "1e400"])
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(LoadError, match="cannot be read as the dashboard's programme sheets"):
        import_files(world, [("book.xlsx", buffer.getvalue())], Options(), CLI)
    assert everything(world) == before
    load(world, tmp_path / "largest", reach_readings__csv=f"project,metric,as_of,value\na,people,2020-04-30,{BIGINT}\n")
    with world.connect() as conn:
        assert conn.scalar(select(func.max(ReachReading.value))) == BIGINT

