"""The fields of programmes, projects and history entries, each read by one parser: the data folder, the spreadsheet
import, programmes.toml and staff's forms all ask these, so that whatever a file may hold a form saves unchanged,
and what a form refuses a file is refused too.

Each parser takes the value as the caller has it (stripped where the caller strips) and returns it as the database
holds it, or raises FieldError with the rest of a sentence about the field ("must start with http:// or
https://."), for the caller to say where: a file's row and column, or a form's field. The longest text a field
holds is its database column's (impact.store.models), read from the column.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy.orm import InstrumentedAttribute

from impact.domain.calendar import CADENCES, GRACE_DAYS, Calendar
from impact.domain.problems import too_long
from impact.domain.targets import plan_problem
from impact.domain.values import BIGGEST_DAYS, EMAIL, amount, date, whole
from impact.i18n import _, format_number
from impact.store.models import Milestone, Programme, Project

WEB = ("http://", "https://")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
_CURRENCY = re.compile(r"[A-Z]{3}")
# Control characters but tab and line breaks: no one types them, and PostgreSQL refuses NUL in text.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FieldError(ValueError):
    """What is wrong with a value, said as what follows the field's name; `column` when it is another column's fault
    (the currency of an amount)."""

    def __init__(self, message: str, column: Optional[str] = None):
        super().__init__(message)
        self.column = column


def longest(column: InstrumentedAttribute) -> Optional[int]:
    """The most characters the column holds (None: any)."""
    return getattr(column.type, "length", None)


def fits(value: str, most: Optional[int]) -> str:
    """Text of at most `most` characters (None: any), without control characters but tab and line breaks."""
    if most is not None and len(value) > most:
        raise FieldError(too_long(most))
    found = _CONTROL.search(value)
    if found:
        raise FieldError(control_character(found.group()))
    return value


def control_character(character: str) -> str:
    """What is wrong with a text holding this control character, said after its place."""
    return _("holds a control character (code {code}); remove it and save or import again.", code=ord(character))


def text(value: str, column: InstrumentedAttribute) -> str:
    """Text that fits the column."""
    return fits(value, longest(column))


# Read once: a file of a million rows asks these for every row.
_PROGRAMME_SLUG, _PROJECT_SLUG, _PROJECT_NAME = longest(Programme.slug), longest(Project.slug), longest(Project.name)
_MILESTONE_TITLE = longest(Milestone.title)


def slug(value: str, most: Optional[int]) -> str:
    """A link name (the address of a programme's or a project's page): lower-case letters, digits and dashes, not
    starting with a dash, of at most `most` characters. Challenges and metrics are named by keys (any text)."""
    fits(value, most)
    if not _SLUG.fullmatch(value):
        raise FieldError(_("must be lower-case letters, digits and dashes."))
    return value


def programme_slug(value: str) -> str:
    return slug(value, _PROGRAMME_SLUG)


def project_slug(value: str) -> str:
    return slug(value, _PROJECT_SLUG)


def project_name(value: str) -> str:
    if not value:
        raise FieldError(_("is empty; it is required."))
    return fits(value, _PROJECT_NAME)


def is_link(value: str) -> bool:
    """Whether the text is an http(s) address: a link that may be offered to click (never javascript: or data:)."""
    return value.lower().startswith(WEB)


def link(value: str) -> str:
    """A website or evidence link: empty, or an http(s) address."""
    if value and not is_link(value):
        raise FieldError(_("must start with http:// or https://."))
    return value


REPOSITORY = ("https://", "http://", "git://")


def repository(value: str) -> str:
    """A project's public source repository: empty, or an https, http or git:// address (never ssh, file or a
    local path: the check reads it from the server, impact.signals)."""
    if value and not value.lower().startswith(REPOSITORY):
        raise FieldError(_("must start with https://, http:// or git://."))
    return value


def email(value: str) -> str:
    """A contact email address, or empty."""
    if value and not EMAIL.fullmatch(value):
        raise FieldError(_("'{text}' is not an email address.", text=value))
    return value


def funding(value: Any, currency: str) -> tuple[Optional[Decimal], str]:
    """A funding amount (None when not given) and its currency: a three-letter code, required with an amount."""
    if currency and not _CURRENCY.fullmatch(currency):
        raise FieldError(_("give the currency of the amount as a three-letter code, for example EUR."),
                         "funding_currency")
    if value in ("", None):
        return None, currency
    number = amount(value)
    if number is None:
        raise FieldError(_("'{text}' is not an amount; write it with a dot and no thousands separator, for example "
                           "47500.00.", text=value), "funding_amount")
    if not currency:
        raise FieldError(_("give the currency of the amount as a three-letter code, for example EUR."),
                         "funding_currency")
    return number, currency


def silent_after_days(value: Any) -> int:
    """A programme's silence threshold: days without an approved update before a project counts as silent."""
    days = whole(value, least=1, most=BIGGEST_DAYS)
    if days is None:
        raise FieldError(_("must be a whole number of days from 1 to {most}.", most=format_number(BIGGEST_DAYS)))
    return days


# --- the reporting calendar (impact.domain.calendar) ----------------------------------------------------------------

MOST_GRACE_DAYS = 365
_DATES_APART = re.compile(r"[\s,;]+")


def report_every(value: Any) -> Optional[str]:
    """A reporting cadence: monthly or quarterly; empty (or None) for none."""
    if value in ("", None):
        return None
    if not isinstance(value, str) or value.strip().lower() not in CADENCES:
        raise FieldError(_("must be monthly or quarterly, or left empty for no cadence."))
    return value.strip().lower()


def a_date(value: Any) -> Optional[dt.date]:
    """A date as a file or a form gives it (a date, or text written 2026-03-31); empty (or None) for none."""
    if value in ("", None):
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    day = date(value.strip()) if isinstance(value, str) else None
    if day is None:
        raise FieldError(_("must be a date written as 2026-03-31."))
    return day


def report_dates(value: Any) -> list[dt.date]:
    """A programme's list of report due dates: dates (programmes.toml's array), or a text of dates written
    2026-03-31 and separated by commas, semicolons or spaces (a form, a workbook's cell); in order, once each."""
    if value in ("", None):
        return []
    parts = [p for p in _DATES_APART.split(value.strip()) if p] if isinstance(value, str) else value
    if not isinstance(parts, (list, tuple)):
        raise FieldError(_("must be a list of dates written as 2026-03-31."))
    days = set()
    for part in parts:
        try:
            days.add(a_date(part))
        except FieldError:
            raise FieldError(_("'{text}' is not a date; write the due dates as 2026-03-31, separated by commas.",
                               text=part)) from None
    return sorted(d for d in days if d is not None)


def report_grace_days(value: Any) -> int:
    """Days after a due date on which its report still counts (0 for none)."""
    days = whole(value, least=0, most=MOST_GRACE_DAYS)
    if days is None:
        raise FieldError(_("must be a whole number of days from 0 to {most}.", most=format_number(MOST_GRACE_DAYS)))
    return days


def report_calendar(every: Any, start: Any, dates: Any, grace_days: Any = GRACE_DAYS) -> Calendar:
    """A programme's reporting calendar from its four fields: a cadence with its first due date, or a list of due
    dates, or neither. The FieldError's column names the field to change."""
    parsed: dict[str, Any] = {}
    for column, parse, value in (("report_every", report_every, every), ("report_from", a_date, start),
                                 ("report_dates", report_dates, dates),
                                 ("report_grace_days", report_grace_days, grace_days)):
        try:
            parsed[column] = parse(value)
        except FieldError as exc:
            raise FieldError(str(exc), column) from None
    if parsed["report_every"] and parsed["report_dates"]:
        raise FieldError(_("give either a cadence (report_every) or a list of due dates (report_dates), not both."),
                         "report_dates")
    if parsed["report_every"] and parsed["report_from"] is None:
        raise FieldError(_("give the first due date of the cadence (report_from)."), "report_from")
    if parsed["report_from"] is not None and not parsed["report_every"]:
        raise FieldError(_("give the cadence (report_every: monthly or quarterly) that starts on report_from, or "
                           "leave report_from empty."), "report_every")
    return Calendar(parsed["report_every"], parsed["report_from"], tuple(parsed["report_dates"]),
                    parsed["report_grace_days"])


def calendar_columns(calendar: Calendar) -> dict[str, Any]:
    """The calendar as the programme's columns hold it."""
    return {"report_every": calendar.every, "report_from": calendar.start, "report_dates": list(calendar.dates),
            "report_grace_days": calendar.grace_days}


def programme_calendar(programme: dict[str, Any]) -> Calendar:
    """The reporting calendar of a programme table (programmes.toml's, a workbook's, a form's)."""
    return report_calendar(programme.get("report_every"), programme.get("report_from"),
                           programme.get("report_dates"), programme.get("report_grace_days", GRACE_DAYS))


# --- plans: targets and milestones ---------------------------------------------------------------------------------

def target(value: Any, baseline_value: Any, baseline_on: dt.date, due_on: dt.date) -> None:
    """A target's plan as the database can hold it (the rule is impact.domain.targets.plan_problem), for the files'
    rows; FieldError's `column` names the column at fault."""
    problem = plan_problem(value, baseline_value, baseline_on, due_on)
    if problem is not None:
        raise FieldError(problem[1], problem[0])


def milestone_title(value: str) -> str:
    """A milestone's name: not empty, as long as its column holds."""
    if not value:
        raise FieldError(_("is empty; it is required."))
    return fits(value, _MILESTONE_TITLE)
