"""The demo data set: loads through the loader and reads 28,000 -> 1,500 -> 130 -> 30 for #WirVsVirus."""
import datetime as dt
import importlib.util

import pytest
from sqlalchemy import create_engine

from impact.store.queries import funded_status_at, funnel_at, programme_info, reach_latest
from impact.store.targets import project_milestones, project_progress
from tests.conftest import DEMO, D


@pytest.fixture(scope="module")
def demo(demo_url):
    engine = create_engine(demo_url)
    yield engine
    engine.dispose()


def stages(engine, slug, day):
    frame = funnel_at(engine, programme_info(engine, slug), day)
    return frame["projects"].tolist()


def test_wirvsvirus_funnel_today(demo):
    assert stages(demo, "wirvsvirus-2020", dt.date.today()) == [28_000, 1_500, 130, 30]


def test_wirvsvirus_funnel_a_year_after_and_during_the_programme(demo):
    assert stages(demo, "wirvsvirus-2020", D("2021-04-30")) == [28_000, 1_500, 130, 30]
    # 111 of the 130 were funded by 10 June 2020 (Bundestag, Drucksache 19/19674).
    assert stages(demo, "wirvsvirus-2020", D("2020-06-10"))[2] == 111


def test_wirvsvirus_figures_keep_their_sources(demo):
    programme = programme_info(demo, "wirvsvirus-2020")
    assert programme.figure("participants").source == "kfw-stiftung.de; prototypefund.de; de.wikipedia.org"
    assert all(f.source for f in programme.figures)
    assert (programme.project_count, programme.illustrative_project_count) == (1500, 1471)


def test_corona_school_published_reach(demo):
    programme = programme_info(demo, "wirvsvirus-2020")

    def reach(day):
        latest = reach_latest(demo, programme.id, D(day))
        return dict(zip(latest["metric"], latest["value"]))

    assert (reach("2020-05-13")["pupils"], reach("2020-05-13")["tutors"]) == (10_000, 7_500)  # schule21.blog
    assert (reach("2021-04-30")["pupils"], reach("2021-04-30")["tutors"]) == (20_000, 14_000)  # rp-online.de
    assert reach("2021-07-12")["registrations"] == 30_000  # lern-fair.de


def test_french_hackathon(demo):
    assert stages(demo, "hackathon-covid-2021", dt.date.today()) == [170, 15, 3, 1]
    programme = programme_info(demo, "hackathon-covid-2021")
    assert reach_latest(demo, programme.id, dt.date.today()).empty
    assert funded_status_at(demo, programme.id, dt.date.today())["projects"].tolist() == [1, 0, 1, 1]


def test_the_committed_csv_files_are_what_build_py_writes(tmp_path):
    spec = importlib.util.spec_from_file_location("demo_build", DEMO / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    build.write(tmp_path)
    for name in ("projects.csv", "status_events.csv", "reach_readings.csv", "targets.csv", "milestones.csv"):
        assert (tmp_path / name).read_text() == (DEMO / name).read_text(), f"run python data/demo/build.py ({name})"


def test_corona_school_illustrative_plan_against_its_published_reach(demo):
    """No published source gives Corona School's goals: its targets and milestones are illustrative, and say so."""
    from sqlalchemy import select

    from impact.store.models import Milestone, Project, Target
    with demo.connect() as conn:
        project = conn.scalar(select(Project.id).where(Project.slug == "corona-school"))
        notes = set(conn.scalars(select(Target.note))) | set(conn.scalars(select(Milestone.note)))
    assert notes and all("Illustrative" in note and "(demo data)" in note for note in notes)

    def plan(day):
        frame = project_progress(demo, project, D(day))
        return {r.metric: (r.actual, r.target, round(r.share, 4), round(r.expected), r.on_track)
                for r in frame.itertuples()}

    # 30 April 2021: 20,000 pupils (rp-online.de) of the 25,000 due by the end of 2021, above the line from 10,000
    # on 13 May 2020: 10,000 + 15,000 x 352/597 = 18,844. 14,000 tutors of 12,000 (the line: 7,500 + 4,500 x
    # 352/597 = 10,153): met. Registrations have no target, so no percentage.
    assert plan("2021-04-30") == {"pupils": (20_000, 25_000, 0.8, 18_844, True),
                                  "tutors": (14_000, 12_000, 1.1667, 10_153, True)}
    # The pupils' target was raised to 30,000 on 15 May 2021; after the due date the line is the target itself.
    assert plan("2022-06-01")["pupils"] == (20_000, 30_000, 0.6667, 30_000, False)
    milestones = project_milestones(demo, project, D("2026-01-01"))
    assert milestones["state"].tolist() == ["done", "done", "overdue", "planned"]
