"""Tables in the visitor's language: numbers, percentages, dates and times as German and French write them, and an
empty cell as "—" (never None, nan, NaT or <NA>), on the pages' tables and under every chart."""
import datetime as dt

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from impact.i18n import format_datetime, set_language
from impact.ui.tables import columns_that_fit
from tests.apptest import TIMEOUT, run, shown
from tests.conftest import TINY_PROGRAMME, load, url_of

NBSP, NNBSP = "\xa0", "\u202f"  # CLDR's spaces: before "%" in both languages, between thousands in French
NOT_SHOWN = ["None", "nan", "NaN", "NaT", "<NA>", ""]


@pytest.fixture
def demo_db(demo_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_url)


def every_cell_reads(at) -> None:
    """No table of the page shows an empty cell as a program's word for nothing."""
    for index in range(len(at.dataframe)):
        cells = shown(at, index)
        assert not cells.isin(NOT_SHOWN).any().any(), (index, cells[cells.isin(NOT_SHOWN).any(axis=1)])


def row_of(cells: pd.DataFrame, column: str, value: str) -> dict:
    rows = cells[cells[column] == value]
    assert len(rows) == 1, (value, cells.head())
    return rows.iloc[0].to_dict()


@pytest.mark.parametrize("language, written", [
    ("en", [f"2021-04-23, 3:04{NNBSP}p.m.", f"2021-04-23, 3:04:05{NNBSP}p.m."]),
    ("de", ["23.04.2021, 15:04", "23.04.2021, 15:04:05"]),
    ("fr", ["23/04/2021 15:04", "23/04/2021 15:04:05"]),
])
def test_a_moment_is_written_in_utc_as_the_language_writes_it(language, written):
    set_language(language)
    try:
        naive = dt.datetime(2021, 4, 23, 15, 4, 5)  # as SQLite gives a stored UTC moment back
        paris = dt.datetime(2021, 4, 23, 17, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))  # 15:04:05 UTC
        assert [format_datetime(naive), format_datetime(paris, seconds=True)] == written
    finally:
        set_language("en")


def a_table_with_gaps():
    """A page with one table whose every kind of column has an empty cell (run by AppTest)."""
    import datetime as dt

    import pandas as pd
    import streamlit as st

    from impact.i18n import set_language
    from impact.ui.tables import show_table

    set_language(st.query_params.get("lang", "en"))
    show_table(
        pd.DataFrame({"file": ["a.csv", "b.csv"], "row": [1234, None], "column": [None, ""], "share": [0.5, None],
                      "on": [None, dt.date(2020, 6, 3)], "at": [pd.Timestamp("2020-06-10 18:00", tz="UTC"), None],
                      "link": ["https://example.org", None], "done": [True, False]}),
        numbers=["row"], percents=["share"], dates=["on"], datetimes=["at"],
        column_config={"link": st.column_config.LinkColumn("Link", display_text="open")})


@pytest.mark.parametrize("language, filled", [
    ("de", {"row": "1.234", "share": f"50,0{NBSP}%", "on": "03.06.2020", "at": "10.06.2020, 18:00"}),
    ("fr", {"row": f"1{NNBSP}234", "share": f"50,0{NBSP}%", "on": "03/06/2020", "at": "10/06/2020 18:00"}),
])
def test_every_kind_of_empty_cell_reads_as_a_dash(language, filled):
    at = AppTest.from_function(a_table_with_gaps, default_timeout=TIMEOUT)
    at.query_params["lang"] = language
    at.run()
    assert not at.exception
    cells = shown(at).to_dict("records")
    assert cells[0] == {"file": "a.csv", "row": filled["row"], "column": "—", "share": filled["share"], "on": "—",
                        "at": filled["at"], "link": "open", "done": "True"}
    assert cells[1] == {"file": "b.csv", "row": "—", "column": "—", "share": "—", "on": filled["on"], "at": "—",
                        "link": "—", "done": "False"}
    values = at.dataframe[0].value
    assert list(values["link"]) == ["https://example.org", ""]  # no link to "—"; the grid would draw a null "None"
    assert values["row"].iloc[1] < values["row"].iloc[0]  # an empty number sorts before every real one
    assert list(values["done"]) == [True, False]  # ticks stay ticks


@pytest.mark.parametrize("language, history, pupils", [
    ("de", [("Idee", "22.03.2020", "02.04.2020, 16:00"), ("Gefördert, noch nicht begonnen", "03.06.2020",
                                                           "06.06.2020, 13:00"),
            ("In Betrieb", "03.06.2020", "10.06.2020, 18:00")],
     [("31.03.2020", "550"), ("13.05.2020", "10.000"), ("30.04.2021", "20.000")]),
    ("fr", [("Idée", "22/03/2020", "02/04/2020 16:00"), ("Financé, non démarré", "03/06/2020", "06/06/2020 13:00"),
            ("En service", "03/06/2020", "10/06/2020 18:00")],
     [("31/03/2020", "550"), ("13/05/2020", f"10{NNBSP}000"), ("30/04/2021", f"20{NNBSP}000")]),
])
def test_a_projects_history_and_reach_in_the_language(demo_db, language, history, pupils):
    # data/demo: Corona School's status events (effective date, recorded at in UTC) and its pupils readings
    at = run("pages/project.py", lang=language, project="corona-school", as_of="2021-04-30")
    assert not at.exception
    cells = shown(at, 0)
    assert list(zip(cells["status"], cells["effective_date"], cells["recorded_at"])) == history
    assert set(cells["evidence_url"]) == {"—"}  # no evidence link was given
    reach = shown(at, 1)  # the data of the first reach chart, pupils
    assert list(zip(reach["as_of"], reach["value"])) == pupils
    every_cell_reads(at)


@pytest.mark.parametrize("language, corona_school", [
    ("de", {"status": "In Betrieb", "last_update": "10.06.2020", "days_silent": "324"}),
    ("fr", {"status": "En service", "last_update": "10/06/2020", "days_silent": "324"}),
])
def test_silent_projects_in_the_language(demo_db, language, corona_school):
    # Corona School's last approved entry is its launch, recorded on 10 June 2020: 20 days of June, then 304 more
    # to 30 April 2021. The demo gives no contact email, so there is none to write to either.
    at = run("pages/silent.py", lang=language, programme="wirvsvirus-2020", as_of="2021-04-30")
    assert not at.exception
    assert row_of(shown(at), "project", "Corona School") == {
        "project": "Corona School", **corona_school, "contact_email": "—", "remind": "—"}
    every_cell_reads(at)


@pytest.mark.parametrize("language, wirvsvirus, french", [
    ("de", ["28.000", "1.500", "130", "30", "113", f"8,7{NBSP}%", f"23,1{NBSP}%", f"86,9{NBSP}%"],
     ["170", "15", "0", "0", "0", f"0,0{NBSP}%", "—", "—"]),
    ("fr", [f"28{NNBSP}000", f"1{NNBSP}500", "130", "30", "113", f"8,7{NBSP}%", f"23,1{NBSP}%", f"86,9{NBSP}%"],
     ["170", "15", "0", "0", "0", f"0,0{NBSP}%", "—", "—"]),
])
def test_programmes_compared_in_the_language(demo_db, language, wirvsvirus, french):
    # On 30 April 2021: 130 of 1,500 ideas funded (8.67%), 30 of them launched (23.08%), 17 discontinued, so 113
    # alive (86.92%); the French hackathon of 23 April had funded none yet, so its later rates have no base.
    at = run("pages/compare.py", lang=language, as_of="2021-04-30")
    assert not at.exception
    cells = shown(at)
    columns = ["participants", "ideas", "funded", "launched", "alive", "funded_per_idea", "launched_per_funded",
               "alive_share"]
    assert list(row_of(cells, "programme", "#WirVsVirus 2020")[c] for c in columns) == wirvsvirus
    assert list(row_of(cells, "programme", "Hackathon contre le Covid 2021")[c] for c in columns) == french
    every_cell_reads(at)


@pytest.fixture
def reached(engine, tmp_path, monkeypatch):
    """Two projects' people reached: A 1,500 on 15 January 2020 and 2,500 on 1 March; B 40,000 on 1 February."""
    load(engine, tmp_path / "reach", programmes__toml=TINY_PROGRAMME,
         projects__csv="programme,slug,name,challenge\ntiny,a,A,c1\ntiny,b,B,c2\n",
         reach_readings__csv="project,metric,as_of,value\na,people,2020-01-15,1500\nb,people,2020-02-01,40000\n"
                             "a,people,2020-03-01,2500\n")
    monkeypatch.setenv("DATABASE_URL", url_of(engine))


@pytest.mark.parametrize("language, totals, per_project", [
    ("de", [("15.01.2020", "1.500"), ("01.02.2020", "41.500"), ("01.03.2020", "42.500"), ("30.06.2020", "42.500")],
     [("B", "40.000"), ("A", "2.500")]),
    ("fr", [("15/01/2020", f"1{NNBSP}500"), ("01/02/2020", f"41{NNBSP}500"), ("01/03/2020", f"42{NNBSP}500"),
            ("30/06/2020", f"42{NNBSP}500")],
     [("B", f"40{NNBSP}000"), ("A", f"2{NNBSP}500")]),
])
def test_reach_tables_in_the_language(reached, language, totals, per_project):
    at = run("pages/reach.py", lang=language, programme="tiny", as_of="2020-06-30")
    assert not at.exception
    total = shown(at, 0)  # the programme total's chart data: the sum after each reading, and on the date shown
    assert list(zip(total["as_of"], total["value"])) == totals
    latest = shown(at, 1)  # the breakdown as a table: each project's latest reading
    assert sorted(zip(latest["group"], latest["value"])) == sorted(per_project)
    every_cell_reads(at)


@pytest.mark.parametrize("language, first, approved", [
    ("de", ["Registrations", "30.000", "12.07.2021", "30.07.2021, 15:00"], "freigegeben"),
    ("fr", ["Registrations", f"30{NNBSP}000", "12/07/2021", "30/07/2021 15:00"], "validé"),
])
def test_everything_recorded_for_a_project_in_the_language(demo_db, language, first, approved):
    # data/demo: Corona School's latest reading, 30,000 registrations on 12 July 2021, recorded 30 July 15:00 UTC;
    # its status events have no value. Every demo entry is approved.
    at = run("pages/update.py", lang=language, project="corona-school")
    assert not at.exception
    cells = shown(at)
    assert list(cells[["what", "value", "effective", "recorded_at"]].iloc[0]) == first
    assert set(cells["review_state"]) == {approved}
    assert set(cells[cells["what"].isin(["Idee", "Idée"])]["value"]) == {"—"}
    every_cell_reads(at)


def test_a_table_shows_its_optional_columns_while_they_fit_the_most_wanted_first():
    widths = {"name": 100, "since": 50, "signals": 60, "days": 30}
    # name stays (100); then signals (160) and days (190) fit in 200, since (240) would not; shown in their order.
    assert columns_that_fit(["name", "since", "signals", "days"], widths, optional=["signals", "days", "since"],
                            room=200) == ["name", "signals", "days"]
    assert columns_that_fit(["name", "since", "signals", "days"], widths, optional=["since", "signals", "days"],
                            room=200) == ["name", "since", "days"]  # since first: 150, signals 210 no, days 180
    assert columns_that_fit(["name", "days"], widths, optional=["signals", "days"], room=100) == ["name"]
