"""Production on PostgreSQL. Several app processes on one database show the same data: a write made by another
process is seen by each of them on the next page run, without a restart (the caches key on the data version). The
app's connections run without JIT."""
import os
import subprocess
import sys

from playwright.sync_api import expect

from impact.store.db import make_engine
from impact.store.schema import ensure_schema
from tests.conftest import ROOT, TINY_PROGRAMME, load, write_folder
from tests.servers import streamlit_server

SEEN_WITHIN_MS = 10_000


def test_a_write_shows_in_every_replica(postgres, browser, tmp_path):
    url = postgres.create()
    engine = make_engine(url)
    ensure_schema(engine)
    public = TINY_PROGRAMME.replace("starts_on", "public = true\n    starts_on")
    load(engine, tmp_path / "world", programmes__toml=public,
         projects__csv="programme,slug,name\ntiny,a,A\n",
         status_events__csv="project,status,effective_date\na,idea,2020-01-10\n")
    engine.dispose()
    with streamlit_server(url) as first, streamlit_server(url) as second:
        pages = []
        for base in (first, second):
            page = browser.new_context().new_page()
            page.goto(f"{base}/?programme=tiny")
            expect(page.get_by_test_id("stMetricValue")).to_have_text(["100", "1", "0", "0"])
            pages.append(page)

        folder = write_folder(tmp_path / "update", status_events__csv="project,status,effective_date\n"
                                                                      "a,funded,2020-02-01\n")
        subprocess.run([sys.executable, "-m", "impact", "load", str(folder)], cwd=ROOT, check=True,
                       env={**os.environ, "DATABASE_URL": url}, capture_output=True, timeout=60)

        for page in pages:
            page.reload()
            expect(page.get_by_test_id("stMetricValue")).to_have_text(["100", "1", "1", "0"],
                                                                      timeout=SEEN_WITHIN_MS)
            page.context.close()


def test_queries_run_without_jit(postgres):
    """JIT compiled the survival page's query for 0.7 s before running it for 0.1 s (bench/); the app turns it off."""
    url = postgres.create()
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
    engine.dispose()
    postgres.drop(url)

