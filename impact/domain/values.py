"""Reading values written by people: booleans, whole numbers, amounts, dates, timestamps, email addresses.

Each returns None for a value it does not accept, so that the caller can say where and what to write instead. The
ranges are the database columns': every write (the forms' and the files') asks these, so that a number too large is
refused with a sentence, never by an overflow in the database.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Optional

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
COUNTRY = re.compile(r"[A-Z]{2}")
_DIGITS = re.compile(r"[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def boolean(text: str) -> Optional[bool]:
    """true/false, yes/no, 1/0 in any case; empty is false; anything else None."""
    return {"": False, "false": False, "no": False, "0": False, "true": True, "yes": True, "1": True}.get(text.lower())


BIGGEST_WHOLE_NUMBER = 2**63 - 1  # what a database BIGINT holds: reach figures, programme figures, row ids
BIGGEST_DAYS = 2**31 - 1  # what an INTEGER holds: a programme's silent_after_days
SILENT_AFTER_DAYS = 90  # a programme's silence threshold when it does not give one
AMOUNT_LIMIT = Decimal(10) ** 12  # a NUMERIC(14, 2) funding amount stays below this
_CENT = Decimal("0.01")


def whole(value: object, least: int = 0, most: int = BIGGEST_WHOLE_NUMBER) -> Optional[int]:
    """The value if it is a whole number (an int, not a bool) from `least` to `most`, else None."""
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
        return None
    return value


def whole_number(text: str) -> Optional[int]:
    """A whole number >= 0 written in digits (no sign, no separators) that the database can hold, or None."""
    if not _DIGITS.fullmatch(text):
        return None
    return whole(int(text))


def row_id(value: object) -> Optional[int]:
    """A database id as a caller gives one (a project's, an entry's, a key's), or None where it cannot be one: such a
    row does not exist, and looking for it would overflow the driver."""
    return whole(value, least=1)


def amount(value: object) -> Optional[Decimal]:
    """A funding amount (47500.00: digits, a dot for the cents, no thousands separator), rounded to the cent, that
    the database holds (>= 0, below 10^12); None if it is not one."""
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or number < 0 or number >= AMOUNT_LIMIT:
        return None
    number = number.quantize(_CENT)  # 999999999999.999 rounds up to 10^12, which the column cannot hold
    return number if number < AMOUNT_LIMIT else None


# Cached: a file of a million readings repeats its few thousand dates (dates and times are immutable).
@lru_cache(maxsize=65536)
def date(text: str) -> Optional[dt.date]:
    """A date written 2020-03-22, or None."""
    if not _DATE.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:  # 2020-02-30
        return None


@lru_cache(maxsize=65536)
def timestamp(text: str) -> Optional[dt.datetime]:
    """A date and time such as 2020-03-22T18:00:00Z or 2020-03-22T20:00:00+02:00, in UTC; None if not one."""
    if not _DATE.match(text):
        return None
    try:
        stamp = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return stamp.astimezone(dt.timezone.utc) if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)


def aware(stamp: dt.datetime) -> dt.datetime:
    """SQLite hands back naive timestamps; every stamp this project writes is UTC."""
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)
