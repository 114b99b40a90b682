"""Each page run with Streamlit's AppTest: the demo figures appear, bad links and bad databases get a sentence."""
import json

import pytest

from tests.apptest import chart_texts, metrics, run
from tests.conftest import D, load, url_of


@pytest.fixture
def demo_db(demo_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_url)


def test_overview_shows_the_wirvsvirus_funnel(demo_db):
    at = run("pages/overview.py")
    assert not at.exception
    assert metrics(at) == {"Participants": "28,000", "Ideas submitted": "1,500", "Funded": "130", "Launched": "30"}
    captions = [c.value for c in at.caption]
    assert "1 in 11.5 ideas funded" in captions and "1 in 4.3 funded launched" in captions
    # The flow: 1,500 ideas, 130 of them funded, 30 of those launched (1,500 / 130 = 11.5; 130 / 30 = 4.3).
    assert {"Ideas submitted: 1,500", "Not funded: 1,370", "Funded: 130", "Launched: 30",
            "Not launched: 100"} <= set(chart_texts(at))
    assert any("partly illustrative" in w.value for w in at.warning)
    assert at.query_params["programme"] == "wirvsvirus-2020"


def test_the_entry_point_opens_on_the_overview_and_navigates_to_reach(demo_db):
    at = run("dashboard.py")
    assert not at.exception
    assert metrics(at)["Launched"] == "30"
    at.switch_page("pages/reach.py").run()
    assert not at.exception
    assert metrics(at)["Pupils"] == "20,000"


def test_overview_as_it_stood_on_an_earlier_date(demo_db):
    at = run("pages/overview.py", programme="wirvsvirus-2020", as_of="2020-06-10")
    assert not at.exception
    assert metrics(at)["Funded"] == "111"
    assert at.date_input(key="as_of").value.isoformat() == "2020-06-10"


def test_moving_the_date_back_in_the_sidebar_changes_the_funnel(demo_db):
    at = run("pages/overview.py")
    at.date_input(key="as_of").set_value(D("2020-04-01")).run()
    assert not at.exception
    assert metrics(at)["Funded"] == "0"
    assert at.query_params["as_of"] == "2020-04-01"


def test_an_unknown_programme_in_the_link_is_explained(demo_db):
    at = run("pages/overview.py", programme="no-such-hackathon")
    assert not at.exception
    assert "There is no programme called “no\\-such\\-hackathon”" in at.error[0].value
    assert metrics(at)["Participants"] == "28,000"  # the first programme is shown instead


@pytest.mark.parametrize("as_of", ["30/04/2021", "1899-12-31", "2021-02-30"])
def test_a_bad_date_in_the_link_is_explained(demo_db, as_of):
    at = run("pages/overview.py", as_of=as_of)
    assert not at.exception
    assert "is not a date" in at.warning[0].value
    assert at.date_input(key="as_of").value == D("2021-01-01").today()


def test_a_date_before_the_programme_started(demo_db):
    at = run("pages/overview.py", programme="wirvsvirus-2020", as_of="2020-01-01")
    assert not at.exception
    assert "nothing had happened yet" in " ".join(i.value for i in at.info)


def test_reach_shows_corona_schools_published_figures(demo_db):
    at = run("pages/reach.py", programme="wirvsvirus-2020", as_of="2021-04-30")
    assert not at.exception
    assert metrics(at)["Pupils"] == "20,000"
    assert metrics(at)["Volunteer tutors"] == "14,000"
    # The page opens on the metric most projects report (people reached); pupils are Corona School's alone.
    assert at.radio(key="metric").value == "people_reached"
    at.radio(key="metric").set_value("pupils").run()
    names = [trace.get("name") for c in at.get("plotly_chart") for trace in json.loads(c.proto.spec)["data"]]
    assert "Corona School" in names


def test_reach_by_challenge_and_another_metric(demo_db):
    at = run("pages/reach.py", programme="wirvsvirus-2020")
    at.radio(key="metric").set_value("people_reached").run()
    at.radio(key="reach_by").set_value("challenge").run()
    assert not at.exception
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert titles == ["People reached: programme total", "People reached per challenge"]


def test_a_programme_without_reach_data(demo_db):
    at = run("pages/reach.py", programme="hackathon-covid-2021")
    assert not at.exception
    assert "No reach figures were recorded" in at.info[0].value
    assert not at.get("plotly_chart")


def test_an_empty_database_says_how_to_load_data(empty_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", empty_url)
    for page in ("pages/overview.py", "pages/reach.py"):
        at = run(page)
        assert not at.exception
        assert "python -m impact demo" in at.info[0].value


def test_an_empty_programme(engine, tmp_path, monkeypatch):
    load(engine, tmp_path / "f", programmes__toml='[[programme]]\nslug = "new"\nname = "New hackathon"\n')
    monkeypatch.setenv("DATABASE_URL", url_of(engine))
    at = run("pages/overview.py")
    assert not at.exception
    assert metrics(at) == {"Ideas submitted": "0", "Funded": "0", "Launched": "0"}
    at = run("pages/reach.py")
    assert not at.exception
    assert "No reach figures were recorded" in at.info[0].value
    for page in ("pages/portfolio.py", "pages/silent.py", "pages/project.py"):
        at = run(page, programme="new")
        assert not at.exception, page
    assert "New hackathon has no projects yet." in at.info[0].value


@pytest.mark.parametrize("url,message", [
    ("sqlite:////nonexistent-folder/impact.sqlite3", "cannot be opened"),
    ("postgresql+psycopg://nobody@127.0.0.1:1/none", "cannot be opened"),
    ("nonsense", "DATABASE_URL is not a database address"),
])
def test_a_database_that_cannot_be_opened(monkeypatch, url, message):
    monkeypatch.setenv("DATABASE_URL", url)
    for page in ("pages/overview.py", "pages/reach.py", "dashboard.py"):
        at = run(page)
        assert not at.exception
        assert message in at.error[0].value
        assert "DATABASE_URL" in at.error[0].value


def test_new_data_show_without_a_restart(engine, tmp_path, monkeypatch):
    programme = '[[programme]]\nslug = "live"\nname = "Live hackathon"\nstarts_on = 2020-01-01\n'
    load(engine, tmp_path / "one", programmes__toml=programme,
         projects__csv="programme,slug,name\nlive,a,A\n",
         status_events__csv="project,status,effective_date\na,idea,2020-01-10\n")
    monkeypatch.setenv("DATABASE_URL", url_of(engine))
    at = run("pages/overview.py")
    assert metrics(at)["Funded"] == "0"
    load(engine, tmp_path / "two", status_events__csv="project,status,effective_date\na,funded,2020-02-01\n")
    at.run()
    assert metrics(at)["Funded"] == "1"
    assert "Funded: 1" in chart_texts(at)  # the chart too, not the figure built before


def test_a_chart_is_built_again_for_other_data_or_another_language():
    """Built figures are kept for every session, written once as what plotly sends, keyed on every cell of their data
    and on the language."""
    import pandas as pd
    import plotly.graph_objects as go

    from impact.ui.data import figure

    def statuses(funded: int) -> pd.DataFrame:  # 60,000 rows, where Streamlit's own hash would sample
        frame = pd.DataFrame({"status": ["funded"] * 60_000, "projects": [0] * 60_000})
        frame.loc[59_999, "projects"] = funded
        return frame

    def funded_figure(frame: pd.DataFrame) -> go.Figure:  # one bar: the pages' charts would label 60,000 (seconds)
        return go.Figure(go.Bar(x=["funded"], y=[int(frame["projects"].sum())]))

    build = funded_figure.__qualname__
    first = figure(funded_figure, build, "en", (statuses(1),))
    assert figure(funded_figure, build, "en", (statuses(1),)) is first
    assert figure(funded_figure, build, "en", (statuses(7),)).to_dict()["data"][0]["y"] == [7]
    assert figure(funded_figure, build, "fr", (statuses(1),)) is not first


def test_a_link_cannot_inject_markdown(demo_db):
    at = run("pages/overview.py", programme="![tracker](http://evil.example/t.png)")
    assert not at.exception
    assert "\\!\\[tracker\\]\\(http\\:" in at.error[0].value


def test_names_in_charts_are_inert(engine, tmp_path, monkeypatch):
    load(engine, tmp_path / "x", programmes__toml=(
        '[[programme]]\nslug = "x"\nname = "X"\n[[programme.metric]]\nslug = "m"\nlabel = "<b>M</b>"\nunit = "u"\n'),
        projects__csv='programme,slug,name\nx,a,"<a href=""http://evil.example"">A</a>"\n',
        reach_readings__csv="project,metric,as_of,value\na,m,2020-01-01,5\n")
    monkeypatch.setenv("DATABASE_URL", url_of(engine))
    at = run("pages/reach.py", programme="x")
    assert not at.exception
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    titles = [f["layout"]["title"]["text"] for f in figures]
    names = [trace.get("name") for f in figures for trace in f["data"]]
    assert titles == ["&lt;b&gt;M&lt;/b&gt;: programme total", "&lt;b&gt;M&lt;/b&gt; per project"]
    assert '&lt;a href="http://evil.example"&gt;A&lt;/a&gt;' in names


def test_the_programme_and_date_of_the_link_go_on_to_the_next_page(demo_db):
    # The second programme by name, and a date, from a shared link; then a pick in the page menu, whose links carry
    # no query string: the next page shows the same programme at the same date, not the first programme today.
    at = run("dashboard.py", programme="hackathon-covid-2021", as_of="2021-06-30")
    assert at.selectbox(key="programme").value == "hackathon-covid-2021"
    at.switch_page("pages/reach.py")
    at.query_params.clear()
    at.run()
    assert not at.exception
    assert at.selectbox(key="programme").value == "hackathon-covid-2021"
    assert at.date_input(key="as_of").value.isoformat() == "2021-06-30"
    assert at.query_params["programme"] == "hackathon-covid-2021" and at.query_params["as_of"] == "2021-06-30"
