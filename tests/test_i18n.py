"""French, German and English: every message in the code has a translation in each shipped catalogue, numbers and
dates are written per language, and each page run in each language shows no English interface text."""
import datetime as dt
import re

import pytest
from babel.messages.extract import extract_from_dir

from impact.i18n import LANGUAGES, best_language, catalogue, format_date, format_number, format_percent, set_language
from tests.apptest import run
from tests.conftest import ROOT

PLACEHOLDER = re.compile(r"{\w+}")
NBSP, NNBSP = "\u00a0", "\u202f"


def messages_in_code() -> set[str]:
    """Every message the code passes to _() or N_(), found the way `make translations` finds them."""
    method_map = [("dashboard.py", "python"), ("impact/**.py", "python"), ("pages/**.py", "python")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT, method_map, keywords={"_": None, "N_": None}, comment_tags=()):
        first = message[0] if isinstance(message, (list, tuple)) else message
        if isinstance(first, str) and first:
            found.add(first)
    return found


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_every_message_in_the_code_is_translated_with_its_placeholders(language):
    translations = catalogue(language)
    messages = messages_in_code()
    assert len(messages) > 400
    missing = sorted(m for m in messages if m not in translations)
    assert missing == [], f"run `make translations` and translate these in impact/locale/{language}: {missing[:5]}"
    changed = [m for m in messages if set(PLACEHOLDER.findall(m)) != set(PLACEHOLDER.findall(translations[m]))]
    assert changed == []


@pytest.mark.parametrize("language, number, percent, small, day", [
    ("en", "28,000", "8.7%", "0.12%", "2021-04-23"),
    ("fr", f"28{NNBSP}000", f"8,7{NBSP}%", f"0,12{NBSP}%", "23/04/2021"),
    ("de", "28.000", f"8,7{NBSP}%", f"0,12{NBSP}%", "23.04.2021"),
])
def test_numbers_and_dates_per_language(language, number, percent, small, day):
    set_language(language)
    try:
        assert (format_number(28_000), format_percent(0.087), format_percent(0.0012),
                format_date(dt.date(2021, 4, 23))) == (number, percent, small, day)
    finally:
        set_language("en")


@pytest.mark.parametrize("accepted, expected", [
    ("fr-FR", "fr"), ("de_DE.UTF-8", "de"), ("es-ES,fr;q=0.8", "fr"), ("es-DE", "en"), ("C.UTF-8", "en"), (None, "en"),
])
def test_the_language_from_the_browser_or_the_environment(accepted, expected):
    assert best_language(accepted) == expected


def english_interface_texts() -> set[str]:
    """Messages without placeholders whose French and German differ from the English: seeing one on a French
    or German page means something was left untranslated."""
    return {m for m in messages_in_code() if not PLACEHOLDER.search(m) and len(m) > 3
            and all(catalogue(code).get(m, m) != m for code in ("fr", "de"))}


def shown_texts(at) -> list[str]:
    texts = [e.value for kind in ("title", "header", "subheader", "caption", "markdown", "info", "warning", "error",
                                  "success") for e in at.get(kind)]
    texts += [m.label for m in at.metric] + [b.label for b in at.button]
    texts += [w.label for kind in ("selectbox", "multiselect", "date_input", "text_input", "number_input", "toggle",
                                   "radio") for w in at.get(kind)]
    return texts


@pytest.fixture
def demo_db(demo_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_url)


PAGES = ["overview", "reach", "portfolio", "project", "compare", "survival", "update", "review", "silent",
         "programmes", "files", "people", "audit"]


@pytest.mark.parametrize("language", ["fr", "de"])
@pytest.mark.parametrize("page", PAGES)
def test_each_page_in_each_language(demo_db, page, language):
    at = run(f"pages/{page}.py", lang=language, programme="wirvsvirus-2020", project="corona-school",
             as_of="2021-04-30")
    assert not at.exception
    english = english_interface_texts()
    left = [t for t in shown_texts(at) if t.replace("\\", "").strip("*: ") in english]
    assert left == []
    if page == "overview":
        values = [m.value for m in at.metric]
        assert values == ([f"28{NNBSP}000", f"1{NNBSP}500", "130", "30"] if language == "fr"
                          else ["28.000", "1.500", "130", "30"])
