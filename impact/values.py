"""Reading cell values written by people: booleans, whole numbers, dates, timestamps, email addresses.

Each returns None for text it does not accept, so that the caller can say where and what to write instead.
"""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Optional

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
COUNTRY = re.compile(r"[A-Z]{2}")
_DIGITS = re.compile(r"[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def boolean(text: str) -> Optional[bool]:
    """true/false, yes/no, 1/0 in any case; empty is false; anything else None."""
    return {"": False, "false": False, "no": False, "0": False, "true": True, "yes": True, "1": True}.get(text.lower())


BIGGEST_WHOLE_NUMBER = 2**63 - 1  # what a database BIGINT holds


def whole_number(text: str) -> Optional[int]:
    """A whole number >= 0 written in digits (no sign, no separators) that the database can hold, or None."""
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if value <= BIGGEST_WHOLE_NUMBER else None


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
