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

from impact.domain.problems import too_long
from impact.domain.values import BIGGEST_DAYS, BIGGEST_WHOLE_NUMBER, EMAIL, amount, whole
from impact.i18n import _, format_date, format_number
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


def target(value: Any, baseline_value: Any, baseline_on: dt.date, due_on: dt.date) -> None:
    """A target's plan as the database holds it (impact.store.models.Target): the value and the baseline whole
    numbers of 0 or more, the baseline's date before the due date. The form (impact.store.commands.set_target) and
    the files (impact.formats.rows) ask this; FieldError's `column` names the file's column at fault."""
    for column, number in (("value", value), ("baseline_value", baseline_value)):
        if whole(number) is None:
            raise FieldError(_("A target and its baseline are whole numbers of 0 or more, at most {most}.",
                               most=format_number(BIGGEST_WHOLE_NUMBER)), column)
    if baseline_on >= due_on:
        raise FieldError(_("The baseline's date ({baseline}) must come before the target's ({due}).",
                           baseline=format_date(baseline_on), due=format_date(due_on)), "baseline_on")


def milestone_title(value: str) -> str:
    """A milestone's name: not empty, as long as its column holds."""
    if not value:
        raise FieldError(_("is empty; it is required."))
    return fits(value, _MILESTONE_TITLE)
