"""Every user-facing string goes through `_()` (or `ngettext()` where it holds a count); numbers, percentages,
dates and times through the format functions here, the one home of formatting: pages, tables, charts and the report
all use them.

English is the source language. The translations live in gettext catalogues a translator edits without reading
Python: impact/locale/<language>/LC_MESSAGES/impact.po (read with Babel and served by gettext, plural rules
included; `make translations` refreshes them from the code). Numbers and dates are written by Babel from the CLDR
conventions of each language's locale (28,000 / 28 000 / 28.000); nothing here keeps a table of separators or
date patterns. The language is per page run (a context variable), so that sessions in different languages never mix.
"""
from __future__ import annotations

import datetime as dt
import gettext
import re
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Optional

from babel import Locale
from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, get_decimal_symbol, get_group_symbol

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "impact"
LANGUAGES = {"en": "English", "fr": "Français", "de": "Deutsch"}
# The CLDR locale whose conventions each language writes numbers and dates in. English is read on both sides of the
# Atlantic, so it takes Canadian English's: numbers as in all English (28,000.5) and dates in ISO order
# (2021-04-23), which neither an American nor a British reader can misread.
LOCALES = {"en": "en_CA", "fr": "fr_FR", "de": "de_DE"}
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
def catalogue(language: str) -> Catalog:
    """The language's catalogue as its translators wrote it (empty for English, or a language without one)."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return Catalog(locale=language)
    with path.open("rb") as file:
        return read_po(file, locale=language)


@cache
def translations(language: str) -> gettext.NullTranslations:
    """gettext's translations of the language's catalogue, with its plural rule (English's where it has none)."""
    if not len(catalogue(language)):
        return gettext.NullTranslations()
    compiled = BytesIO()
    write_mo(compiled, catalogue(language))  # leaves out fuzzy and untranslated messages
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def _(message: str, **values: object) -> str:
    """The message in the current language, with `{name}` placeholders filled from `values`."""
    text = translations(language()).gettext(message)
    return text.format(**values) if values else text


def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
    """The form of the message that the current language uses for `n` things ("1 problem", "2 problems"; French
    and German have their own rules), with `{n}` written as a number of the language and the other placeholders
    filled from `values`."""
    text = translations(language()).ngettext(singular, plural, int(n))  # a count from numpy or pandas, too
    return text.format(**{"n": format_number(n), **values})


def N_(message: str) -> str:
    """Marks a string for translation where it is defined; `_()` translates it where it is shown."""
    return message


def locale() -> Locale:
    """The CLDR locale of the current language."""
    return _locale(language())


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(LOCALES[language])


def format_number(value: float | int, decimals: int = 0) -> str:
    """A number as the language writes it (28,000 / 28 000 / 28.000), rounded to at most `decimals` places."""
    pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
    return format_decimal(round(value, decimals), format=pattern, locale=locale())


def format_percent(share: float) -> str:
    """A share (0.087) as a percentage with enough digits to tell small shares apart (8.7%, 0.12%), written as
    the language writes percentages (8,7 % in French)."""
    percent = share * 100
    decimals = "0.0" if percent >= 1 or percent == 0 else "0.0##"
    pattern = locale().percent_formats[None].pattern.replace("#,##0", "#,##" + decimals, 1)
    return format_decimal(share, format=pattern, locale=locale())


def percent_affixes() -> tuple[str, str]:
    """What the language writes before and after a percentage's digits ("", "%" in English; "", " %" in French), for
    charts that write percentages themselves."""
    pattern = locale().percent_formats[None]
    return pattern.prefix[0], pattern.suffix[0]


def date_pattern() -> str:
    """How the language writes a date in digits, with the whole year (CLDR's short date: 2021-04-23, 23/04/2021,
    23.04.2021)."""
    return re.sub(r"y+", "yyyy", locale().date_formats["short"].pattern)


def format_money(amount: float, currency: str, decimals: int = 0) -> str:
    """An amount in a currency as the language writes it (€80,000 / 80.000 € / 80 000 €); a bare number where the
    currency is not stated."""
    if not currency:
        return format_number(amount, decimals)
    pattern = locale().currency_formats["standard"].pattern
    if not decimals:
        pattern = pattern.replace(".00", "")
    return format_currency(round(amount, decimals), currency, format=pattern, locale=locale(),
                           currency_digits=False)


def format_date(day: dt.date) -> str:
    return babel_date(day, date_pattern(), locale=locale())


def format_datetime(moment: dt.datetime, seconds: bool = False) -> str:
    """A moment in UTC as the language writes it: its date (format_date's) and the time of day in CLDR's short
    pattern, or medium with `seconds` (2021-04-23, 3:04 p.m. / 23/04/2021 15:04 / 23.04.2021, 15:04). A naive
    moment is taken to be in UTC, as SQLite gives back the UTC moments the store writes."""
    time = locale().time_formats["medium" if seconds else "short"].pattern
    pattern = locale().datetime_formats["short"].format(time, date_pattern())  # "{1}, {0}": {1} date, {0} time
    return babel_datetime(moment, pattern, tzinfo=dt.timezone.utc, locale=locale())


def plotly_date_format() -> str:
    """The language's date as a plotly (d3) format, for date axes and hover texts: %d/%m/%Y."""
    fields = {"d": "%-d", "dd": "%d", "M": "%-m", "MM": "%m", "yyyy": "%Y"}
    return re.sub(r"([dMy])\1*", lambda field: fields.get(field.group(), field.group()), date_pattern())


def plotly_separators() -> str:
    """The language's decimal mark and thousands separator, as plotly's `separators` takes them (",." in German)."""
    return get_decimal_symbol(locale()) + get_group_symbol(locale())
