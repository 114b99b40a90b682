"""Every user-facing string goes through `_()`; numbers, percentages and dates through the format functions.

English is the source language. Catalogues for other languages go in impact/locale/<lang>/LC_MESSAGES/impact.mo
(gettext); a language without a catalogue falls back to English.
"""
from __future__ import annotations

import datetime as dt
import gettext
from contextvars import ContextVar
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "impact"
_language: ContextVar[str] = ContextVar("language", default="en")


def set_language(language: str) -> None:
    _language.set(language)


@cache
def _catalogue(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def _(message: str, **values: object) -> str:
    """The message in the current language, with `{name}` placeholders filled from `values`."""
    text = _catalogue(_language.get()).gettext(message)
    return text.format(**values) if values else text


def N_(message: str) -> str:
    """Marks a string for translation where it is defined; `_()` translates it where it is shown."""
    return message


def format_number(value: float | int) -> str:
    return f"{value:,.0f}"


def format_percent(share: float) -> str:
    """A share (0.087) as a percentage with enough digits to tell small shares apart (8.7%, 0.12%)."""
    percent = share * 100
    return f"{percent:.1f}%" if percent >= 1 or percent == 0 else f"{percent:.2g}%"


def format_date(day: dt.date) -> str:
    return day.isoformat()
