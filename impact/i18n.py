"""Every user-facing string goes through `_()`; numbers, percentages and dates through the format functions.

English is the source language. The translations live in gettext catalogues a translator edits without reading
Python: impact/locale/<language>/LC_MESSAGES/impact.po (read with Babel; `make translations` refreshes them from the
code). Numbers and dates follow the language's conventions through Babel (28,000 / 28 000 / 28.000). The language is
per page run (a context variable), so that sessions in different languages never mix.
"""
from __future__ import annotations

import datetime as dt
import re
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Optional

from babel import Locale
from babel.dates import format_date as babel_date
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "impact"
LANGUAGES = {"en": "English", "fr": "Français", "de": "Deutsch"}
# How each language writes a date: 2021-04-23, 23/04/2021, 23.04.2021.
DATE_PATTERNS = {"en": "yyyy-MM-dd", "fr": "dd/MM/yyyy", "de": "dd.MM.yyyy"}
_language: ContextVar[str] = ContextVar("language", default="en")


def set_language(language: str) -> None:
    _language.set(language if language in LANGUAGES else "en")


def language() -> str:
    return _language.get()


def best_language(accepted: Optional[str]) -> str:
    """The first supported language in a browser locale ("fr-FR"), an Accept-Language list or $LANG ("de_DE.UTF-8");
    English when none is supported."""
    for entry in re.split(r"[,:]", accepted or ""):  # a list ("es-ES,fr;q=0.8") or $LANGUAGE ("de:en")
        code = re.split(r"[-_.;@]", entry.strip())[0].lower()  # the language, never the region ("es-DE")
        if code in LANGUAGES:
            return code
    return "en"


@cache
def catalogue(language: str) -> dict[str, str]:
    """The language's translations by English message (empty for English, or a language without a catalogue)."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return {}
    with path.open("rb") as file:
        # Only singular messages (the code has no plurals): their id and translation are text.
        return {m.id: m.string for m in read_po(file)
                if isinstance(m.id, str) and isinstance(m.string, str) and m.id and m.string and not m.fuzzy}


def _(message: str, **values: object) -> str:
    """The message in the current language, with `{name}` placeholders filled from `values`."""
    text = catalogue(language()).get(message, message)
    return text.format(**values) if values else text


def N_(message: str) -> str:
    """Marks a string for translation where it is defined; `_()` translates it where it is shown."""
    return message


def format_number(value: float | int) -> str:
    return format_decimal(round(value), format="#,##0", locale=language())


def format_ratio(value: float) -> str:
    """A ratio such as the 11.5 of "1 in 11.5", with one decimal at most (11,5 in French and German)."""
    return format_decimal(round(value, 1), format="#,##0.#", locale=language())


def format_percent(share: float) -> str:
    """A share (0.087) as a percentage with enough digits to tell small shares apart (8.7%, 0.12%), written as
    the language writes percentages (8,7 % in French)."""
    percent = share * 100
    decimals = "0.0" if percent >= 1 or percent == 0 else "0.0##"
    pattern = _percent_pattern(language()).replace("#,##0", "#,##" + decimals, 1)
    return format_decimal(share, format=pattern, locale=language())


@cache
def _percent_pattern(language: str) -> str:
    return Locale.parse(language).percent_formats[None].pattern


def format_date(day: dt.date) -> str:
    return babel_date(day, DATE_PATTERNS[language()], locale=language())
