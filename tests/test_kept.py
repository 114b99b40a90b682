"""What a page run keeps for the next (impact.ui.data's reads, a page's own work and built figures, impact.ui.tables'
written tables): kept until the data change, each caller with its own copy, and a table or figure written again
wherever anything it shows differs."""
import datetime as dt
import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from impact.domain.access import command_line
from impact.store import commands
from impact.store.project import project_info
from impact.ui import tables
from impact.ui.data import Source, cached
from tests.apptest import TIMEOUT, run, shown
from tests.conftest import TINY_PROGRAMME, D, load, url_of

STAFF = command_line("tests")
AS_OF = "2020-06-30"


@pytest.fixture
def two_funded(engine, tmp_path, monkeypatch):
    """Projects A (challenge one) and B (challenge two), both ideas from 10 January 2020 and funded from 1 February."""
    load(engine, tmp_path / "two", programmes__toml=TINY_PROGRAMME,
         projects__csv="programme,slug,name,challenge\ntiny,a,A,c1\ntiny,b,B,c2\n",
         status_events__csv="project,status,effective_date\na,idea,2020-01-10\na,funded,2020-02-01\n"
                            "b,idea,2020-01-10\nb,funded,2020-02-01\n")
    monkeypatch.setenv("DATABASE_URL", url_of(engine))
    return engine


def start_a(engine) -> None:
    """A write: A in development from 1 March 2020."""
    commands.record_status_change(engine, STAFF, project_info(engine, "a").id, "in_development", D("2020-03-01"))


def statuses_of(frame: pd.DataFrame) -> dict[str, str]:
    return dict(zip(frame["project"], frame["status"]))


def test_a_read_is_kept_until_a_write_makes_a_new_data_version(two_funded):
    source = Source.current(url_of(two_funded))
    programme = source.programme_info("tiny")
    assert statuses_of(source.portfolio((programme.id,), D(AS_OF))) == {"A": "funded", "B": "funded"}
    start_a(two_funded)
    # The source a page run began with reads the data version it began at, kept as read then; the next run's sees
    # the write.
    assert statuses_of(source.portfolio((programme.id,), D(AS_OF))) == {"A": "funded", "B": "funded"}
    after = Source.current(url_of(two_funded))
    assert after.version > source.version
    assert statuses_of(after.portfolio((programme.id,), D(AS_OF))) == {"A": "in_development", "B": "funded"}


def test_each_caller_gets_a_copy_of_its_own(two_funded):
    source = Source.current(url_of(two_funded))
    programme = source.programme_info("tiny")
    first = source.portfolio((programme.id,), D(AS_OF))
    first.loc[:, "status"] = "discontinued"  # a page changing what it got
    assert statuses_of(source.portfolio((programme.id,), D(AS_OF))) == {"A": "funded", "B": "funded"}


def test_a_pages_own_work_is_kept_like_a_read(two_funded):
    made = []

    @cached
    def funded_by(source: Source, programme_id: int, as_of: dt.date) -> int:
        made.append(as_of)
        return int(source.portfolio((programme_id,), as_of)["funded"].sum())

    source = Source.current(url_of(two_funded))
    programme = source.programme_info("tiny")
    assert [funded_by(source, programme.id, D(AS_OF)) for _ in range(3)] == [2, 2, 2]
    assert made == [D(AS_OF)]  # made once for these arguments at this data version
    assert funded_by(source, programme.id, D("2020-01-31")) == 0  # the day before both were funded
    assert made == [D(AS_OF), D("2020-01-31")]
    start_a(two_funded)
    assert funded_by(Source.current(url_of(two_funded)), programme.id, D(AS_OF)) == 2
    assert made == [D(AS_OF), D("2020-01-31"), D(AS_OF)]  # made again at the new data version


def test_the_portfolio_shows_a_write_on_its_next_run(two_funded):
    at = run("pages/portfolio.py", programme="tiny", as_of=AS_OF)
    assert not at.exception
    assert statuses_of(shown(at)) == {"A": "Funded, not started", "B": "Funded, not started"}
    at.run()  # a warm run shows what the first showed
    assert statuses_of(shown(at)) == {"A": "Funded, not started", "B": "Funded, not started"}
    start_a(two_funded)
    at.run()
    assert not at.exception
    assert statuses_of(shown(at)) == {"A": "In development", "B": "Funded, not started"}


def status_bars(at) -> dict[str, str]:
    """The overview's chart of what became of the funded projects: each bar's status and text."""
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if spec["layout"]["title"]["text"].startswith("Status of the"):
            (bars,) = spec["data"]
            return dict(zip(bars["y"], bars["text"]))
    raise AssertionError("no status chart")


def test_the_overviews_figures_follow_a_write(two_funded):
    at = run("pages/overview.py", programme="tiny", as_of=AS_OF)
    assert not at.exception
    # Both funded projects still funded, then one of the two in development.
    before = {"Funded, not started": "2 (100.0%)", "In development": "0 (0.0%)", "Live": "0 (0.0%)",
              "Discontinued": "0 (0.0%)"}
    assert status_bars(at) == before
    at.run()
    assert status_bars(at) == before
    start_a(two_funded)
    at.run()
    assert not at.exception
    assert status_bars(at) == {**before, "Funded, not started": "1 (50.0%)", "In development": "1 (50.0%)"}


def a_table_of_the_link():
    """A page with one table: a project called as the link says (?name=, or none where it says "none"), its count
    of ideas (?ideas=), in the link's language (?lang=)."""
    import pandas as pd
    import streamlit as st

    from impact.i18n import set_language
    from impact.ui.tables import show_table

    set_language(st.query_params.get("lang", "en"))
    name = st.query_params.get("name", "none")
    show_table(pd.DataFrame({"project": [None if name == "none" else name], "ideas": [int(st.query_params["ideas"])]}),
               numbers=["ideas"])


def table_run(**params: str) -> AppTest:
    at = AppTest.from_function(a_table_of_the_link, default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    return at


def test_a_table_is_written_once_and_shown_alike_again():
    first = table_run(name="Corona School", ideas="12345", lang="de")
    kept = len(tables._tables)
    again = table_run(name="Corona School", ideas="12345", lang="de")
    assert len(tables._tables) == kept  # the second took what the first wrote
    assert again.dataframe[0].proto.arrow_data.styler == first.dataframe[0].proto.arrow_data.styler
    assert shown(again).to_dict("records") == shown(first).to_dict("records") == [
        {"project": "Corona School", "ideas": "12.345"}]
    assert again.dataframe[0].value["ideas"].tolist() == [12345]  # the values under the words, for sorting


@pytest.mark.parametrize("first, then, written", [
    ({"lang": "de"}, {"lang": "fr"}, "12\u202f345"),  # the same table in another language
    ({"ideas": "12345"}, {"ideas": "12346"}, "12,346"),  # one cell differs
])
def test_a_table_that_differs_anywhere_is_written_anew(first, then, written):
    table_run(**{"name": "A", "ideas": "12345", "lang": "en", **first})
    assert shown(table_run(**{"name": "A", "ideas": "12345", "lang": "en", **then}))["ideas"].tolist() == [written]


def test_a_missing_name_and_a_name_written_none_are_two_tables():
    # Both are "None" as text; an empty cell reads "—", a project called None reads as it is called.
    assert shown(table_run(name="none", ideas="1"))["project"].tolist() == ["—"]
    assert shown(table_run(name="None", ideas="1"))["project"].tolist() == ["None"]
