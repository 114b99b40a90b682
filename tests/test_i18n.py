"""French, German and English: every message in the code has a translation in each shipped catalogue (each plural
form of it too), counts take the plural each language gives them, numbers and dates are written per language (on
pages, charts and date inputs alike), and each page run in each language shows no English interface text."""
import datetime as dt
import functools
import re

import pandas as pd
import pytest
from babel.messages.extract import extract_from_dir

from impact.domain.problems import LoadError, Problem
from impact.formats import charts
from impact.i18n import (
    LANGUAGES,
    best_language,
    catalogue,
    format_date,
    format_number,
    format_percent,
    ngettext,
    plotly_date_format,
    plotly_separators,
    set_language,
    translations,
)
from impact.ui.language import date_format
from tests.apptest import run
from tests.conftest import ROOT

PLACEHOLDER = re.compile(r"{\w+}")
NBSP, NNBSP = "\u00a0", "\u202f"


@functools.cache  # reading every source file takes a second, and the code does not change during the run
def messages_with_plurals() -> dict[str, str | None]:
    """Every message the code passes to _(), N_() or ngettext(), found the way `make translations` finds them: the
    English message, and its plural where it has one (read once per test process: do not change the answer)."""
    method_map = [("dashboard.py", "python"), ("impact/**.py", "python"), ("pages/**.py", "python")]
    found: dict[str, str | None] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT, method_map, keywords={"_": None, "N_": None, "ngettext": (1, 2)}, comment_tags=()):
        singular, plural = message if isinstance(message, (list, tuple)) else (message, None)
        if isinstance(singular, str) and singular:
            found[singular] = plural
    return found


def messages_in_code() -> set[str]:
    return set(messages_with_plurals())


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_every_message_in_the_code_is_translated_with_its_placeholders(language):
    translated = catalogue(language)
    messages = messages_with_plurals()
    assert len(messages) > 400 and sum(plural is not None for plural in messages.values()) > 25
    forms = {m: [] if translated.get(m) is None or translated[m].fuzzy else
             list(translated[m].string) if plural else [translated[m].string] for m, plural in messages.items()}
    wanted = {m: translated.num_plurals if plural else 1 for m, plural in messages.items()}
    missing = sorted(m for m in messages if len(forms[m]) != wanted[m] or not all(forms[m]))
    assert missing == [], f"run `make translations` and translate these in impact/locale/{language}: {missing[:5]}"
    changed = [m for m, plural in messages.items() for form in forms[m]
               if set(PLACEHOLDER.findall(plural or m)) != set(PLACEHOLDER.findall(form))]
    assert changed == []


@pytest.mark.parametrize("language, one, two", [
    ("en", "Nothing was loaded; 1 problem to fix", "Nothing was loaded; 2 problems to fix"),
    ("de", "Es wurde nichts geladen; 1 Problem ist zu beheben", "Es wurde nichts geladen; 2 Probleme sind zu beheben"),
    ("fr", "Rien n'a été chargé ; 1 problème à corriger", "Rien n'a été chargé ; 2 problèmes à corriger"),
])
def test_a_count_takes_the_languages_plural(language, one, two):
    problem = Problem("projects.csv", 2, "slug", "is empty.")
    set_language(language)
    try:
        assert str(LoadError([problem])).startswith(one)
        assert str(LoadError([problem, problem])).startswith(two)
    finally:
        set_language("en")


@pytest.mark.parametrize("language, counted", [
    ("en", ["0 projects", "1 project", "2 projects", "1,500 projects"]),
    ("de", ["0 Projekte", "1 Projekt", "2 Projekte", "1.500 Projekte"]),
    ("fr", ["0 projet", "1 projet", "2 projets", f"1{NNBSP}500 projets"]),  # French counts none in the singular
])
def test_zero_one_and_more_per_language(language, counted):
    set_language(language)
    try:
        assert [ngettext("{n} project", "{n} projects", n) for n in (0, 1, 2, 1500)] == counted
    finally:
        set_language("en")


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


@pytest.mark.parametrize("language, written, separators, plotly_date, date_input", [
    ("en", "1,234,567.5", ".,", "%Y-%m-%d", "YYYY-MM-DD"),
    ("fr", f"1{NNBSP}234{NNBSP}567,5", f",{NNBSP}", "%d/%m/%Y", "DD/MM/YYYY"),  # a narrow no-break space, as CLDR
    ("de", "1.234.567,5", ",.", "%d.%m.%Y", "DD.MM.YYYY"),
])
def test_charts_and_date_inputs_write_as_the_pages_do(language, written, separators, plotly_date, date_input):
    set_language(language)
    try:
        assert format_number(1_234_567.5, decimals=1) == written
        assert (plotly_separators(), plotly_date_format(), date_format()) == (separators, plotly_date, date_input)
        # plotly writes 1234567.5 with these separators on the axes; its dates with the same pattern as the pages
        reach = charts.reach_figure(pd.DataFrame({"as_of": pd.to_datetime(["2021-04-23"]), "value": [1_234_567],
                                                  "reading": [True]}), "Reach", "people")
        assert reach.layout.separators == separators and reach.layout.xaxis.tickformat == plotly_date
        assert reach.data[0].hovertemplate.startswith("%{x|" + plotly_date + "}: ")
    finally:
        set_language("en")


@pytest.mark.parametrize("language, one, two", [
    ("en", "Status of the 1 funded project", "Status of the 2 funded projects"),
    ("de", "Status des 1 geförderten Projekts", "Status der 2 geförderten Projekte"),
    ("fr", "Statut du 1 projet financé", "Statut des 2 projets financés"),
])
def test_a_chart_title_counts_in_the_language(language, one, two):
    set_language(language)
    try:
        titles = [charts.status_figure(pd.DataFrame({"status": ["funded"], "projects": [n]})).layout.title.text
                  for n in (1, 2)]
        assert titles == [one, two]
    finally:
        set_language("en")


@pytest.mark.parametrize("accepted, expected", [
    ("fr-FR", "fr"), ("de_DE.UTF-8", "de"), ("es-ES,fr;q=0.8", "fr"), ("es-DE", "en"), ("C.UTF-8", "en"), (None, "en"),
])
def test_the_language_from_the_browser_or_the_environment(accepted, expected):
    assert best_language(accepted) == expected


@functools.cache
def english_interface_texts() -> frozenset[str]:
    """Messages without placeholders whose French and German differ from the English: seeing one on a French
    or German page means something was left untranslated."""
    return frozenset(m for m in messages_in_code() if not PLACEHOLDER.search(m) and len(m) > 3
                     and all(translations(code).gettext(m) != m for code in ("fr", "de")))


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


@pytest.mark.parametrize("language, caption", [
    ("en", "1,500 of 1,500 projects."), ("de", "1.500 von 1.500 Projekten."),
    ("fr", f"1{NNBSP}500 sur 1{NNBSP}500 projets."),
])
def test_the_portfolio_counts_its_projects_in_the_language(demo_db, language, caption):
    at = run("pages/portfolio.py", lang=language, programme="wirvsvirus-2020")
    at.toggle(key="portfolio_funded_only").set_value(False).run()  # the ideas too
    assert not at.exception
    assert caption in [c.value for c in at.caption]


@pytest.mark.parametrize("language, label, definition, title", [
    ("de", "Erreichte Menschen", "Was gezählt wird: Menschen, die ein Angebot des Projekts mindestens einmal genutzt "
     "haben, wie vom Team gemeldet \\(laufende Summe\\)\\.", "Der Hackathon der Bundesregierung"),
    ("fr", "Personnes atteintes", "Ce qui est compté : Personnes ayant utilisé au moins une fois le service d’un "
     "projet, selon son équipe \\(total cumulé\\)\\.", "Le hackathon fédéral allemand"),
])
def test_programme_texts_and_metrics_speak_the_visitors_language(demo_db, language, label, definition, title):
    """The demo programme gives German and French names and definitions for its metrics, and its description."""
    at = run("pages/reach.py", lang=language, programme="wirvsvirus-2020")
    assert not at.exception
    assert label in [m.label for m in at.metric]
    assert definition in [c.value for c in at.caption]
    overview = run("pages/overview.py", lang=language, programme="wirvsvirus-2020")
    assert overview.caption[0].value.startswith(title)


def test_the_project_feed_names_metrics_in_the_visitors_language(demo_db):
    at = run("pages/project.py", lang="de", project="corona-school", as_of="2021-04-30")
    assert not at.exception
    feed = [m.value.split("  \n")[0] for m in at.markdown if m.value.startswith("**30.04.2021**")]
    assert feed == ["**30.04.2021** · **Schüler\\:innen\\: 20\\.000**",  # markdown-escaped, as any data
                    "**30.04.2021** · **Ehrenamtliche Tutor\\:innen\\: 14\\.000**"]
