"""The funder report: the expected numbers in a self-contained HTML file, data shown as text, a PDF whose pages
are images of the same report, and the ways to get it (command line, overview page)."""
import re
import shutil
import subprocess

import pytest

from impact.cli import main
from impact.domain.access import Actor, command_line
from impact.formats import report
from impact.store.editing import programme_table, save_programme
from tests.apptest import run
from tests.conftest import CHROMIUM, TINY_PROGRAMME, D, info, load

PROJECTS = """
    programme,slug,name,challenge,team
    tiny,a,<b>Project A</b>,c1,Team A
    tiny,b,Project B,c1,
    tiny,c,Project C,c2,
"""
EVENTS = """
    project,status,effective_date
    a,idea,2020-01-10
    a,funded,2020-02-01
    a,launched,2020-03-01
    b,idea,2020-01-10
    b,funded,2020-02-15
    c,idea,2020-01-10
"""
READINGS = """
    project,metric,as_of,value
    a,people,2020-03-31,100
    a,people,2020-05-31,250
    b,people,2020-04-30,40
"""


@pytest.fixture
def tiny(engine, tmp_path):
    load(engine, tmp_path / "tiny", programmes__toml=TINY_PROGRAMME, projects__csv=PROJECTS,
         status_events__csv=EVENTS, reach_readings__csv=READINGS)
    return engine


def text_of(document: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", document.split("</style>", 1)[1]))


def test_the_report_holds_the_funnel_reach_highlights_and_methodology(tiny):
    document = report.report_html(tiny, command_line("t"), info(tiny, "tiny"), D("2020-06-30"))
    text = text_of(document)
    assert "Participants 100 the organisers" in text
    assert "Ideas submitted 3 3.0% project records" in text
    assert "Funded 2 66.7% status history" in text and "Launched 1 50.0% status history" in text
    assert "People reached 290 2" in text  # 250 (a's latest) + 40 (b)
    assert "&lt;b&gt;Project A&lt;/b&gt; 250 Project B 40" in text  # top projects, the name shown as text
    assert "&lt;b&gt;Project A&lt;/b&gt; Challenge one 2020-03-01" in text  # recent launches
    assert "0 entries waiting for review" in text
    assert "<b>Project A</b>" not in document
    assert "Plotly.newPlot" in document and not re.search(r"<script[^>]*\bsrc=", document)  # works offline


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="pdftoppm (poppler-utils) is not installed")
def test_the_pdf_report_has_pages_with_the_charts(tiny, tmp_path, browser):
    pdf = report.report_pdf(report.report_html(tiny, command_line("t"), info(tiny, "tiny"), D("2020-06-30")), CHROMIUM)
    assert pdf.startswith(b"%PDF")
    (tmp_path / "r.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(tmp_path / "r.pdf"), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 2


def test_without_chromium_the_pdf_is_refused_with_a_sentence(monkeypatch):
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.setattr(report.shutil, "which", lambda name: None)
    with pytest.raises(report.ReportError, match="needs Chromium"):
        report.report_pdf("<html></html>")


def test_the_command_line_writes_the_report(tiny, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", tiny.url.render_as_string(hide_password=False))
    assert main(["report", str(tmp_path / "r.html"), "--programme", "tiny", "--as-of", "2020-06-30"]) == 0
    assert "Launched 1 50.0%" in text_of((tmp_path / "r.html").read_text())
    assert main(["report", str(tmp_path / "r.doc"), "--programme", "tiny"]) == 1
    assert "Name the report file .html or .pdf." in capsys.readouterr().err
    assert main(["report", str(tmp_path / "x.html"), "--programme", "nope"]) == 1
    assert "There is no programme 'nope'." in capsys.readouterr().err


def test_funders_and_staff_get_the_report_on_the_overview_and_the_public_does_not(tiny, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", tiny.url.render_as_string(hide_password=False))
    staff = run("pages/overview.py", programme="tiny")
    assert not staff.exception
    assert [b.label for b in staff.get("download_button")] == ["Download the report (HTML, works offline)"]
    save_programme(tiny, command_line("t"), programme_table(tiny, "tiny") | {"public": True})
    anonymous = run("pages/overview.py", actor=Actor("public", "anonymous"), programme="tiny")
    assert anonymous.metric and not anonymous.get("download_button")
