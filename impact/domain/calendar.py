"""A programme's reporting calendar: when each project's report is due, and whether it came in.

The rules, in plain Python so that the Silent page, the Update page and their tests ask the same ones:

- A calendar is either a cadence (monthly or quarterly, its first due date `start`) or an explicit list of due
  dates; a programme without one expects no reports (only its silence threshold applies). A cadence's due dates
  keep the day of the month of `start`, or the month's last day where the month is shorter (from 31 January:
  28 or 29 February, 31 March ...); a cadence started on a month's last day stays on month ends (from 30 April:
  31 May, 30 June ...).
- Each due date has a window of days on which the report counts: from the day after the previous due date's window
  closed, to the due date plus the grace days (`grace_days`, 7 unless the programme says otherwise, 0 for none).
  Windows follow each other without overlapping, so one entry is one report. The first due date's window opens as if
  the calendar had one more date before it: one period before it for a cadence, as long before it as the second
  date comes after it for a list (a list of one date: no beginning).
- A report is received when the project has an entry recorded (by the day of its recording, in UTC) in the
  window: a status change, a reach figure or a free-text update, approved or waiting for review. These are the
  entries the silent list counts as updates (impact.store.portfolio), with those waiting for review: a team that
  sent its report on time is not late because staff have not reviewed it yet; an entry returned to the team does
  not count.
- A due date counts for a project when, on that day, the project had been funded before it and was still alive
  (funded, in development or live): a project funded mid-way owes only the reports due after it was funded, a
  discontinued one none while it stays discontinued, and an idea none.
- At day D, a report is late when its due date counts, its window closed before D and it was not received. The
  next report due is the earliest counting due date whose window is still open on D and whose report has not come
  in (so inside the grace days a report not yet sent is still "due", not late); it is due soon within 14 days.
"""
from __future__ import annotations

import calendar as _months
import datetime as dt
from dataclasses import dataclass
from typing import Iterator, Optional, Sequence

from impact.i18n import _, format_date, ngettext

MONTHS = {"monthly": 1, "quarterly": 3}  # the cadences, by the months between two due dates
CADENCES: tuple[str, ...] = tuple(MONTHS)
GRACE_DAYS = 7
DUE_SOON_DAYS = 14
# How many due dates ahead the next one due is looked for (a cadence never ends, and a discontinued project owes
# none): 100 years of monthly reports.
LOOK_AHEAD = 1200


@dataclass(frozen=True)
class Calendar:
    """A programme's reporting calendar: a cadence (`every` and its first due date `start`) or `dates`."""

    every: Optional[str] = None
    start: Optional[dt.date] = None
    dates: tuple[dt.date, ...] = ()
    grace_days: int = GRACE_DAYS

    def __bool__(self) -> bool:
        return bool(self.dates) or (self.every in MONTHS and self.start is not None)

    def due_dates(self) -> Iterator[dt.date]:
        """Every due date from the first, in order (a cadence's never end)."""
        if self.dates:
            yield from sorted(set(self.dates))
        elif self:
            assert self.every is not None and self.start is not None
            step = 0
            while True:
                yield add_months(self.start, step * MONTHS[self.every])
                step += 1

    def opens(self) -> Optional[dt.date]:
        """The first day of the first due date's window (None: no beginning)."""
        if self.dates:
            first, *later = sorted(set(self.dates))
            if not later:
                return None
            before = first - (later[0] - first)
        elif self.every is not None and self.start is not None:
            before = add_months(self.start, -MONTHS[self.every])
        else:
            return None
        return self.closes(before) + dt.timedelta(days=1)

    def closes(self, due: dt.date) -> dt.date:
        """The last day of the due date's window."""
        return due + dt.timedelta(days=self.grace_days)

    def closing_days(self, day: dt.date) -> list[dt.date]:
        """The last days of the windows opened by `day`, in order: where a reader groups the entries recorded by
        then (the last one is open on `day`, or already closed when the calendar has no later date)."""
        found = []
        for due in self.due_dates():
            found.append(self.closes(due))
            if found[-1] >= day:
                break
        return found


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` months later (earlier if negative), the month's last day where it is shorter; a month's
    last day stays on month ends."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    last = _months.monthrange(year, month)[1]
    at_end = day.day == _months.monthrange(day.year, day.month)[1]
    return dt.date(year, month, last if at_end else min(day.day, last))


@dataclass(frozen=True)
class Reports:
    """Where a project stands with its reports at a day."""

    late: tuple[dt.date, ...]  # due dates whose reports were not received, in order
    next_due: Optional[dt.date]  # the next report due (None: none is expected)
    due_soon: bool  # the next report is due within DUE_SOON_DAYS days (or in its grace days)

    @property
    def late_since(self) -> Optional[dt.date]:
        return self.late[0] if self.late else None


NONE_DUE = Reports((), None, False)


def counts(due: dt.date, history: Sequence[tuple[dt.date, bool]]) -> bool:
    """Whether a due date counts for a project: funded before it and alive on it. `history` holds the project's
    counting status events from the earliest to the latest (as impact.domain.entries orders them), each as its
    effective date and whether it is funded-or-later (alive)."""
    funded = next((on for on, alive in history if alive), None)
    if funded is None or funded >= due:
        return False
    standing = [alive for on, alive in history if on <= due]
    return bool(standing) and standing[-1]


def reports(calendar: Calendar, day: dt.date, history: Sequence[tuple[dt.date, bool]],
            recorded: Sequence[dt.date]) -> Reports:
    """A project's reports at `day`: `history` as `counts` takes it, `recorded` the days its entries were recorded
    (only those on or before `day` are taken)."""
    if not calendar:
        return NONE_DUE
    days = sorted(d for d in recorded if d <= day)
    late: list[dt.date] = []
    opens, ahead = calendar.opens(), 0
    for due in calendar.due_dates():
        closes = calendar.closes(due)
        received = any((opens is None or d >= opens) and d <= closes for d in days)
        opens = closes + dt.timedelta(days=1)
        if closes >= day:
            ahead += 1
            if ahead > LOOK_AHEAD:
                break
        if not counts(due, history) or received:
            continue
        if closes < day:
            late.append(due)
        else:
            return Reports(tuple(late), due, (due - day).days <= DUE_SOON_DAYS)
    return Reports(tuple(late), None, False)


def describe(calendar: Calendar) -> str:
    """The calendar in a sentence or two, for the pages."""
    if not calendar:
        return _("No reporting calendar: only the silence threshold applies.")
    if calendar.dates:
        dates = ", ".join(format_date(d) for d in sorted(set(calendar.dates)))
        due = ngettext("A report is due on {dates}.", "Reports are due on {dates}.", len(set(calendar.dates)),
                       dates=dates)
    else:
        assert calendar.start is not None  # a cadence, since the calendar is set
        due = (_("A report is due every month, from {date} on.", date=format_date(calendar.start))
               if calendar.every == "monthly" else
               _("A report is due every quarter, from {date} on.", date=format_date(calendar.start)))
    if not calendar.grace_days:
        return due + " " + _("It counts when it arrives by its due date.")
    return due + " " + ngettext("It still counts when it arrives {n} day after its due date.",
                                "It still counts when it arrives up to {n} days after its due date.",
                                calendar.grace_days)
