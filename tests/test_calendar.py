"""The reporting calendar: due dates, windows, received, late and next due, on hand-computed cases (the rules of
impact.domain.calendar)."""
import datetime as dt
import itertools

from impact.domain.calendar import Calendar, add_months, counts, reports
from tests.conftest import D

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


def test_a_list_counts_everything_before_its_first_date():
    listed = Calendar(dates=(D("2026-03-31"), D("2026-06-30")), grace_days=0)
    assert listed.opens() is None
    found = reports(listed, D("2026-07-01"), FUNDED_JAN, [D("2025-01-01")])
    assert (found.late, found.next_due) == ((D("2026-06-30"),), None)  # after the last date none is due


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
