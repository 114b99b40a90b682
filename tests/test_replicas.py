"""Production on PostgreSQL. Several app processes on one database show the same data: a write made by another
process is seen by each of them on the next page run, without a restart (the caches key on the data version). The
app's connections run without JIT."""
import datetime as dt
import os
import subprocess
import sys

from playwright.sync_api import expect
from sqlalchemy import insert, select

from impact.store.db import make_engine
from impact.store.models import Programme, Project, StatusEvent
from impact.store.schema import ensure_schema
from impact.store.survival import funded_lifetimes
from tests.conftest import ROOT, TINY_PROGRAMME, load, write_folder
from tests.servers import streamlit_server

SEEN_WITHIN_MS = 10_000


def test_a_write_shows_in_every_replica(postgres, page, second_page, tmp_path):
    url = postgres.create()
    engine = make_engine(url)
    ensure_schema(engine)
    public = TINY_PROGRAMME.replace("starts_on", "public = true\n    starts_on")
    load(engine, tmp_path / "world", programmes__toml=public,
         projects__csv="programme,slug,name\ntiny,a,A\n",
         status_events__csv="project,status,effective_date\na,idea,2020-01-10\n")
    engine.dispose()
    with streamlit_server(url) as first, streamlit_server(url) as second:
        pages = [page, second_page]  # a visitor of each replica
        for tab, base in zip(pages, (first, second)):
            tab.goto(f"{base}/?programme=tiny")
            expect(tab.get_by_test_id("stMetricValue")).to_have_text(["100", "1", "0", "0"])

        folder = write_folder(tmp_path / "update", status_events__csv="project,status,effective_date\n"
                                                                      "a,funded,2020-02-01\n")
        subprocess.run([sys.executable, "-m", "impact", "load", str(folder)], cwd=ROOT, check=True,
                       env={**os.environ, "DATABASE_URL": url}, capture_output=True, timeout=60)

        for tab in pages:
            tab.reload()
            expect(tab.get_by_test_id("stMetricValue")).to_have_text(["100", "1", "1", "0"], timeout=SEEN_WITHIN_MS)


def test_queries_run_without_jit(postgres):
    """JIT compiled the survival page's query for 0.7 s before running it for 0.1 s (bench/); the app turns it off."""
    url = postgres.create()
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
    engine.dispose()
    postgres.drop(url)



def test_a_programmes_lifetimes_among_many_are_its_own(postgres):
    """20 programmes of 250 projects with 6 status events each (30,000 in all): the survival page's lifetimes of one
    programme are its 250 projects, however many others the database holds (its query names the programme in its
    outer join too, so that PostgreSQL need not read every programme's projects: bench/README.md, the scale curve)."""
    url = postgres.create()
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(insert(Programme), [dict(slug=f"prog-{n}", name=f"Programme {n}", starts_on=dt.date(2020, 1, 1))
                                         for n in range(20)])
        ids = conn.execute(select(Programme.id).order_by(Programme.id)).scalars().all()
        conn.execute(insert(Project), [dict(slug=f"p{n}", programme_id=ids[n % 20], name=f"Project {n}")
                                       for n in range(5_000)])
        statuses = ["idea", "funded", "in_development", "launched", "discontinued", "in_development"]
        conn.execute(insert(StatusEvent), [
            dict(project_id=project, status=status, effective_date=dt.date(2020, 1, 1) + dt.timedelta(days=30 * k),
                 recorded_by="test") for project in conn.execute(select(Project.id)).scalars()
            for k, status in enumerate(statuses)])
        programme_id = ids[1]
    # prog-1: 250 projects, all funded on 2020-01-31 (the second
    # event, 30 days in), launched on 2020-03-31 and discontinued on 2020-04-30 (2020 a leap year).
    lifetimes = funded_lifetimes(engine, programme_id, dt.date(2026, 6, 30))
    assert len(lifetimes) == 250 and set(lifetimes["project"]) == {f"Project {n}" for n in range(1, 5_000, 20)}
    assert set(lifetimes["funded_on"]) == {dt.date(2020, 1, 31)}
    assert set(lifetimes["ended_on"]) == {dt.date(2020, 4, 30)}
    engine.dispose()
    postgres.drop(url)
