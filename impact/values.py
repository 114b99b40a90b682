"""Reading cell values written by people: booleans, whole numbers, timestamps, email addresses."""
from __future__ import annotations

import datetime as dt
import re
from typing import Optional

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def boolean(text: str) -> Optional[bool]:
    """true/false, yes/no, 1/0 in any case; empty is false; anything else None."""
    return {"": False, "false": False, "no": False, "0": False, "true": True, "yes": True, "1": True}.get(text.lower())


BIGGEST_WHOLE_NUMBER = 2**63 - 1  # what a database BIGINT holds


def whole_number(text: str) -> Optional[int]:
    """A whole number >= 0 that the database can hold, or None."""
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        return None
    return value if 0 <= value <= BIGGEST_WHOLE_NUMBER else None


def timestamp(text: str) -> Optional[dt.datetime]:
    try:
        stamp = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return aware(stamp)


def aware(stamp: dt.datetime) -> dt.datetime:
    """SQLite hands back naive timestamps; every stamp this project writes is UTC."""
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)
