"""The reporting calendar: due dates, windows, received, late and next due, on hand-computed cases (the rules of
impact.domain.calendar)."""
import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from impact.domain.access import command_line
from impact.domain.calendar import Calendar, Reports, add_months, counts, reports
from impact.domain.problems import LoadError
from impact.formats.dataset import dataset
from impact.formats.spreadsheets import Options, import_files
from impact.store import admin, auth, commands, editing
from impact.store.models import Project
from impact.store.queries import programme_info
from impact.store.reporting import project_reports, reports_at
from tests.apptest import metrics, run, shown
from tests.conftest import TINY_PROGRAMME, D, info, load

STAFF = command_line("tests")

FUNDED_JAN = [(D("2026-01-10"), True)]  # funded on 10 January 2026, alive since


def due(calendar: Calendar, n: int) -> list[dt.date]:
    return list(itertools.islice(calendar.due_dates(), n))


def test_months_keep_their_day_or_the_months_last():
    assert add_months(D("2026-01-31"), 1) == D("2026-02-28")
    assert add_months(D("2024-01-31"), 1) == D("2024-02-29")  # a leap year
    assert add_months(D("2026-01-30"), 1) == D("2026-02-28")
    assert add_months(D("2026-01-30"), 2) == D("2026-03-30")  # from the start, not from 28 February
    assert add_months(D("2026-04-30"), 1) == D("2026-05-31")  # a month's last day stays on month ends
    assert add_months(D("2023-11-30"), 3) == D("2024-02-29")
    assert add_months(D("2026-01-15"), -1) == D("2025-12-15")
    assert add_months(D("2026-11-15"), 3) == D("2027-02-15")


def test_a_cadence_gives_month_ends_and_quarter_ends():
    assert due(Calendar("monthly", D("2024-01-31")), 4) == [D("2024-01-31"), D("2024-02-29"), D("2024-03-31"),
                                                            D("2024-04-30")]
    assert due(Calendar("quarterly", D("2024-03-31")), 5) == [D("2024-03-31"), D("2024-06-30"), D("2024-09-30"),
                                                              D("2024-12-31"), D("2025-03-31")]
    assert due(Calendar("monthly", D("2026-01-15")), 2) == [D("2026-01-15"), D("2026-02-15")]
    listed = Calendar(dates=(D("2026-06-30"), D("2026-03-31"), D("2026-06-30")))
    assert list(listed.due_dates()) == [D("2026-03-31"), D("2026-06-30")]  # in order, once each
    assert not Calendar() and not Calendar("monthly") and listed and Calendar("quarterly", D("2026-03-31"))


def test_a_report_in_the_grace_days_counts_for_the_date_before():
    # Quarterly from 31 March 2026, 7 grace days: the first window opens one quarter earlier, after that quarter's
    # grace (31 December + 7 days, so from 8 January) and closes on 7 April; the second runs 8 April to 7 July.
    quarterly = Calendar("quarterly", D("2026-03-31"))
    assert quarterly.opens() == D("2026-01-08")
    assert quarterly.closing_days(D("2026-07-08")) == [D("2026-04-07"), D("2026-07-07"), D("2026-10-07")]
    sent = [D("2026-04-05")]
    assert reports(quarterly, D("2026-04-06"), FUNDED_JAN, sent).next_due == D("2026-06-30")  # the first came in
    in_grace = reports(quarterly, D("2026-07-07"), FUNDED_JAN, sent)
    assert (in_grace.late, in_grace.next_due, in_grace.due_soon) == ((), D("2026-06-30"), True)
    late = reports(quarterly, D("2026-07-08"), FUNDED_JAN, sent)
    assert (late.late, late.late_since, late.next_due, late.due_soon) == ((D("2026-06-30"),), D("2026-06-30"),
                                                                          D("2026-09-30"), False)  # 84 days ahead
    soon = reports(quarterly, D("2026-09-16"), FUNDED_JAN, sent)
    assert (soon.next_due, soon.due_soon) == (D("2026-09-30"), True)  # 14 days ahead
    assert not reports(quarterly, D("2026-09-15"), FUNDED_JAN, sent).due_soon  # 15 days ahead
    # Recorded on 7 January, before the first window opened: the first report is late once its window closed.
    assert reports(quarterly, D("2026-04-08"), FUNDED_JAN, [D("2026-01-07")]).late == (D("2026-03-31"),)
    # An entry recorded after the day is not known on it.
    assert reports(quarterly, D("2026-04-08"), FUNDED_JAN, [D("2026-04-09")]).late == (D("2026-03-31"),)


def test_without_grace_the_day_after_a_due_date_counts_for_the_next():
    quarterly = Calendar("quarterly", D("2026-03-31"), grace_days=0)
    found = reports(quarterly, D("2026-07-01"), FUNDED_JAN, [D("2026-04-01")])
    assert (found.late, found.next_due) == ((D("2026-03-31"),), D("2026-09-30"))  # 1 April answered June's
    on_the_day = reports(quarterly, D("2026-03-31"), FUNDED_JAN, [])
    assert (on_the_day.late, on_the_day.next_due, on_the_day.due_soon) == ((), D("2026-03-31"), True)


def test_a_lists_first_window_opens_as_long_before_as_the_second_date_comes_after():
    listed = Calendar(dates=(D("2026-03-31"), D("2026-06-30")), grace_days=0)
    assert listed.opens() == D("2025-12-31")  # 91 days before 31 March is 30 December, the day after it
    found = reports(listed, D("2026-07-01"), FUNDED_JAN, [D("2025-12-30"), D("2025-12-31")])
    assert (found.late, found.next_due) == ((D("2026-06-30"),), None)  # after the last date none is due
    assert reports(listed, D("2026-07-01"), FUNDED_JAN, [D("2025-12-30")]).late == (D("2026-03-31"),
                                                                                    D("2026-06-30"))
    single = Calendar(dates=(D("2026-03-31"),), grace_days=7)
    assert single.opens() is None and reports(single, D("2026-04-08"), FUNDED_JAN, [D("2020-01-01")]).late == ()


def test_a_project_funded_mid_way_owes_the_reports_due_after():
    monthly = Calendar("monthly", D("2026-01-31"), grace_days=0)
    mid_march = [(D("2025-12-01"), False), (D("2026-03-15"), True)]  # an idea, funded on 15 March
    assert reports(monthly, D("2026-05-01"), mid_march, []).late == (D("2026-03-31"), D("2026-04-30"))
    on_the_day = [(D("2026-03-31"), True)]  # funded on a due date: that one is not owed
    assert reports(monthly, D("2026-05-01"), on_the_day, []).late == (D("2026-04-30"),)
    assert reports(monthly, D("2026-03-20"), mid_march, []).next_due == D("2026-03-31")


def test_a_discontinued_project_owes_nothing_until_revived_and_an_idea_nothing():
    monthly = Calendar("monthly", D("2026-01-31"), grace_days=0)
    history = [(D("2026-01-05"), True), (D("2026-04-10"), False), (D("2026-06-05"), True)]
    assert [counts(d, history) for d in due(monthly, 6)] == [True, True, True, False, False, True]
    found = reports(monthly, D("2026-07-01"), history, [D("2026-02-10")])
    assert found.late == (D("2026-01-31"), D("2026-03-31"), D("2026-06-30"))  # 10 Feb answered February's
    stopped = [(D("2026-01-05"), True), (D("2026-04-10"), False)]
    assert reports(monthly, D("2026-07-01"), stopped, []).next_due is None  # the cadence never ends; the search does
    assert reports(monthly, D("2026-07-01"), [(D("2025-01-01"), False)], []) == reports(Calendar(), D("2026-07-01"),
                                                                                         FUNDED_JAN, [])


# --- read from the store, on both engines ----------------------------------------------------------------------------

# Monthly on month ends from 31 January 2021, no grace days: January's window opens on 1 January.
CALENDAR = TINY_PROGRAMME.replace('starts_on = 2020-01-01', 'starts_on = 2020-01-01\n    report_every = "monthly"\n'
                                  '    report_from = 2021-01-31\n    report_grace_days = 0')
PROJECTS = "programme,slug,name\ntiny,a,Project A\ntiny,b,Project B\ntiny,c,Project C\ntiny,d,Project D\n"
EVENTS = """
    project,status,effective_date,recorded_at
    a,funded,2020-12-01,2020-12-01T10:00:00Z
    b,idea,2020-12-01,2020-12-01T10:00:00Z
    c,funded,2021-02-15,2021-02-15T08:00:00Z
    d,funded,2021-04-05,2021-04-05T10:00:00Z
"""
READINGS = """
    project,metric,as_of,value,recorded_at
    a,people,2021-02-01,10,2021-02-10T09:00:00Z
    a,people,2021-03-31,20,2021-03-31T23:30:00Z
"""


@pytest.fixture
def world(engine, tmp_path):
    load(engine, tmp_path / "tiny", programmes__toml=CALENDAR, projects__csv=PROJECTS, status_events__csv=EVENTS,
         reach_readings__csv=READINGS)
    return engine


def test_reports_due_and_late_per_project(world):
    programme = info(world, "tiny")
    assert programme.calendar == Calendar("monthly", D("2021-01-31"), (), 0)
    found = reports_at(world, programme.id, programme.calendar, D("2021-04-10")).set_index("slug")
    # a: funded in December, recorded before January's window opened, so January's report is late; February's
    # came on 10 February, March's at 23:30 UTC on 31 March; April's is due in 20 days.
    # b: an idea owes none. c: funded on 15 February, recorded then (February's); March's is late.
    # d: funded on 5 April, recorded then: that entry is April's report, so May's is next.
    assert found.to_dict("index") == {
        "a": {"next_due": D("2021-04-30"), "due_soon": False, "late_reports": 1, "late_since": D("2021-01-31")},
        "b": {"next_due": None, "due_soon": False, "late_reports": 0, "late_since": None},
        "c": {"next_due": D("2021-04-30"), "due_soon": False, "late_reports": 1, "late_since": D("2021-03-31")},
        "d": {"next_due": D("2021-05-31"), "due_soon": False, "late_reports": 0, "late_since": None},
    }
    assert reports_at(world, programme.id, programme.calendar, D("2021-04-20")).set_index("slug").loc[
        "a", "due_soon"]  # 10 days ahead
    a = int(portfolio_ids(world)["a"])
    assert project_reports(world, programme.calendar, a, D("2021-04-10")) == Reports((D("2021-01-31"),),
                                                                                      D("2021-04-30"), False)
    assert reports_at(world, programme.id, Calendar(), D("2021-04-10")).empty


def test_a_report_waiting_for_review_counts_and_a_returned_one_not(world):
    today = dt.date.today()
    programme = info(world, "tiny")
    # Due in 5 and 35 days: the first window opens 25 days before today (a gap of 30 days before the first).
    soon = Calendar(dates=(today + dt.timedelta(days=5), today + dt.timedelta(days=35)), grace_days=0)
    a = int(portfolio_ids(world)["a"])
    assert project_reports(world, soon, a, today).next_due == today + dt.timedelta(days=5)
    team = auth.sign_in_with_key(world, admin.issue_key(world, STAFF, "a").key)
    sent = commands.record_update(world, team, a, "We taught 40 more pupils.")
    assert sent.review_state == "pending"
    assert project_reports(world, soon, a, today) == Reports((), today + dt.timedelta(days=35), False)  # received
    commands.review(world, STAFF, "update", sent.id, approve=False, note="Give the number as a reach figure.")
    assert project_reports(world, soon, a, today).next_due == today + dt.timedelta(days=5)
    assert reports_at(world, programme.id, soon, today).set_index("slug").loc["a", "due_soon"]


def portfolio_ids(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(select(Project.slug, Project.id)).all())


# --- the pages ------------------------------------------------------------------------------------------------------


@pytest.fixture
def pages(world, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", world.url.render_as_string(hide_password=False))
    return world


def test_the_silent_page_lists_late_reports_and_the_next_due(pages):
    at = run("pages/silent.py", programme="tiny", as_of="2021-04-10")
    assert not at.exception
    # Alive: a, c, d (b is an idea). Silent for more than 90 days: none; late: a (since January), c (since March).
    assert metrics(at) == {"Projects with a late report": "2", "Reports due within 14 days": "0", "Late reports": "2"}
    assert "A report is due every month, from 2021-01-31 on. It counts when it arrives by its due date." in [
        c.value for c in at.caption]
    table = shown(at)
    assert table[["project", "next_due", "late_reports", "late_since"]].values.tolist() == [
        ["Project A", "2021-04-30", "1", "2021-01-31"], ["Project C", "2021-04-30", "1", "2021-03-31"]]
    at.number_input(key="silent_days").set_value(3).run()  # d, silent for 5 days, joins at the end
    assert list(shown(at)["project"]) == ["Project A", "Project C", "Project D"]
    assert shown(at)["late_since"].iloc[2] == "—"
    at.toggle(key="silent_late_only").set_value(True).run()
    assert not at.exception
    assert list(shown(at)["project"]) == ["Project A", "Project C"]
    assert "2 of 4 projects of Tiny hackathon had a late report on 2021-04-10." in [c.value for c in at.caption]
    assert at.multiselect(key="silent_mail_projects").options == ["Project A", "Project C"]


def test_the_silent_page_without_a_calendar_is_as_before(pages):
    programme = editing.programme_table(pages, "tiny")
    assert programme is not None
    editing.save_programme(pages, STAFF, programme | {"report_every": None, "report_from": None})
    at = run("pages/silent.py", programme="tiny", as_of="2021-04-10")
    assert not at.exception
    assert not at.metric and not [t for t in at.toggle if t.key == "silent_late_only"]
    assert "next_due" not in shown(at).columns
    assert "No reporting calendar: only the silence threshold applies." in [c.value for c in at.caption]


def test_the_team_sees_its_next_report_and_a_late_one(pages):
    today = dt.date.today()
    programme = editing.programme_table(pages, "tiny")
    assert programme is not None
    # Due 10 days ago and in 20: the first window opened 39 days ago (a gap of 30 days), after a's last entry.
    editing.save_programme(pages, STAFF, programme | {"report_every": None, "report_from": None, "report_dates": [
        today - dt.timedelta(days=10), today + dt.timedelta(days=20)]})
    team = auth.sign_in_with_key(pages, admin.issue_key(pages, STAFF, "a").key)
    at = run("pages/update.py", actor=team)
    assert not at.exception
    late = (today - dt.timedelta(days=10)).isoformat()
    assert [w.value for w in at.warning] == [f"Late: the report due on {late} was not received."]
    due = (today + dt.timedelta(days=20)).isoformat()
    assert [i.value for i in at.info] == [f"Next report due on {due} (in 20 days)."]
    at.text_area(key="update_text").set_value("We reached 40 more pupils.")
    at.button(key="FormSubmitter:update_form-Send update").click().run()
    assert not at.exception
    assert not at.info  # the update, waiting for review, is the report due in 20 days
    assert [w.value for w in at.warning] == [f"Late: the report due on {late} was not received."]


def test_staff_set_the_calendar_on_the_programmes_page(pages):
    at = run("pages/programmes.py")
    at.selectbox(key="edit_programme").set_value("tiny").run()
    assert at.selectbox(key="report_every_tiny").value == "monthly"
    at.selectbox(key="report_every_tiny").set_value("quarterly")
    at.number_input(key="report_grace_days_tiny").set_value(10)
    at.button(key="FormSubmitter:programme_form_tiny-Save programme").click().run()
    assert not at.exception and at.success[0].value == "Programme saved."
    assert info(pages, "tiny").calendar == Calendar("quarterly", D("2021-01-31"), (), 10)
    # A cadence and a list at once: refused with a sentence, nothing saved.
    at.text_input(key="report_dates_tiny").set_value("2021-06-30, 2021-12-31")
    at.button(key="FormSubmitter:programme_form_tiny-Save programme").click().run()
    assert not at.exception
    assert "give either a cadence (report_every) or a list of due dates (report_dates), not both" in at.error[0].value
    at.selectbox(key="report_every_tiny").set_value("")
    at.text_input(key="report_dates_tiny").set_value("2021-06-30, 31.12.2021")
    at.button(key="FormSubmitter:programme_form_tiny-Save programme").click().run()
    assert "'31.12.2021' is not a date" in at.error[0].value
    assert info(pages, "tiny").calendar == Calendar("quarterly", D("2021-01-31"), (), 10)
    at.date_input(key="report_from_tiny").set_value(None)
    at.text_input(key="report_dates_tiny").set_value("2021-12-31 2021-06-30")
    at.button(key="FormSubmitter:programme_form_tiny-Save programme").click().run()
    assert info(pages, "tiny").calendar == Calendar(None, None, (D("2021-06-30"), D("2021-12-31")), 10)


# --- the files ------------------------------------------------------------------------------------------------------


def test_the_calendar_goes_out_and_back_in_the_data_folder_and_the_workbook(world, tmp_path, request):
    listed = editing.programme_table(world, "tiny")
    assert listed is not None
    editing.save_programme(world, STAFF, listed | {"report_every": None, "report_from": None,
                                                   "report_dates": "2021-12-31; 2021-06-30", "report_grace_days": 3})
    exported = dataset(world, STAFF)
    (programme,) = exported.programmes
    assert {k: v for k, v in programme.items() if k.startswith("report_")} == {
        "report_dates": [D("2021-06-30"), D("2021-12-31")], "report_grace_days": 3}
    assert 'report_dates = [\n    2021-06-30,\n    2021-12-31,\n]' in exported.files()["programmes.toml"].decode()
    # Loaded again, unchanged: the same programme, nothing to change.
    assert import_files(world, [("impact-data.xlsx", exported.workbook_bytes())], Options(),
                        actor=STAFF).changes == 0
    from tests.test_dataset import empty_copy_of
    for name, content in (("impact-data.xlsx", exported.workbook_bytes()), ("impact-data.zip", exported.zip_bytes())):
        (tmp_path / name).mkdir()
        copy = empty_copy_of(world, tmp_path / name, request)
        import_files(copy, [(name, content)], Options(), actor=STAFF)
        assert info(copy, "tiny").calendar == Calendar(None, None, (D("2021-06-30"), D("2021-12-31")), 3)
        copy.dispose()


def test_a_calendar_that_cannot_be_is_refused_with_its_field(engine, tmp_path):
    for wrong, message in (
        ('report_every = "weekly"', "column 'report_every': must be monthly or quarterly"),
        ('report_every = "monthly"', "column 'report_from': give the first due date of the cadence"),
        ('report_from = 2021-01-31', "column 'report_every': give the cadence"),
        ('report_every = "monthly"\n    report_from = 2021-01-31\n    report_dates = [2021-06-30]',
         "column 'report_dates': give either a cadence"),
        ('report_dates = ["30.06.2021"]', "'30.06.2021' is not a date"),
        ('report_grace_days = 400', "column 'report_grace_days': must be a whole number of days from 0 to 365"),
    ):
        with pytest.raises(LoadError, match=message):
            load(engine, tmp_path / "bad", programmes__toml=TINY_PROGRAMME.replace(
                'starts_on = 2020-01-01', 'starts_on = 2020-01-01\n    ' + wrong))
    assert programme_info(engine, "tiny") is None  # nothing was written
