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
    programme,slug,name,challenge,team,summary,funding_amount,funding_currency
    tiny,a,<b>Project A</b>,c1,Team A,Reaches people,10000,EUR
    tiny,b,Project B,c1,,,5000,EUR
    tiny,c,Project C,c2,,,,
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
    # Dates and numbers are never broken across lines (white-space: nowrap); a narrow table wraps the names instead.
    assert '<td class="w">2020-03-01</td>' in document and '<td class="n">250</td>' in document
    assert re.search(r"td\.n, td\.w \{ white-space: nowrap; \}", document)
    assert "0 entries waiting for review" in text
    assert "<b>Project A</b>" not in document
    assert "Plotly.newPlot" in document and not re.search(r"<script[^>]*\bsrc=", document)  # works offline


def test_the_first_page_sums_up_reach_money_and_what_changed(tiny):
    document = report.report_html(tiny, command_line("t"), info(tiny, "tiny"), D("2020-06-30"), since=D("2020-01-31"))
    summary = text_of("</style>" + document.split('<section class="summary">')[1].split("</section>")[0])
    # 3 ideas, 2 funded (a, b), 1 launched (a, still live).
    assert "2 of the 3 ideas were funded (1 in 1.5). Of those, 1 launched (1 in 2): 1 is live, 0 have stopped since." \
        in summary
    # People reached: 250 (a) + 40 (b) = 290 on 30 June; nothing by 31 January.
    assert "People reached: 290, 2 projects reporting; +290 since 2020-01-31." in summary
    # a and b state 10,000 + 5,000 EUR: 15,000 EUR for 290 people, 51.72 EUR each.
    assert "€15,000 of funding stated for 2 funded projects." in summary
    assert "People reached: €51.72 of funding per unit (290 people reached by the 2 funded projects that state an " \
           "amount)." in summary
    assert "2 projects newly funded 1 new launch 0 projects discontinued" in summary
    assert "&lt;b&gt;Project A&lt;/b&gt; · Challenge one · Live since 2020-03-01 Reaches people" in summary
    later = text_of(report.report_html(tiny, command_line("t"), info(tiny, "tiny"), D("2020-06-30"),
                                       since=D("2020-03-31")))
    assert "+190 since 2020-03-31" in later  # a had 100 on 31 March
    assert "0 projects newly funded 0 new launches" in later and "No project launched between" in later


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="pdftoppm (poppler-utils) is not installed")
@pytest.mark.parametrize("paper, size", [("A4", "(A4)"), ("Letter", "(letter)")])
def test_the_pdf_report_has_numbered_pages_on_the_paper_asked_for(tiny, tmp_path, browser, paper, size):
    document = report.report_html(tiny, command_line("t"), info(tiny, "tiny"), D("2020-06-30"), paper=paper)
    pdf = report.report_pdf(document, CHROMIUM)
    assert pdf.startswith(b"%PDF")
    (tmp_path / "r.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(tmp_path / "r.pdf"), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 3  # the summary alone on the first page
    info_text = subprocess.run(["pdfinfo", str(tmp_path / "r.pdf")], capture_output=True, text=True).stdout
    assert re.search(rf"Page size: .* pts {re.escape(size)}", info_text)
    words = subprocess.run(["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"], capture_output=True,
                           text=True).stdout
    first, second = words.split("\f")[:2]
    assert re.search(rf"\b1\s*/\s*{len(pages)}\b", first) and re.search(rf"\b2\s*/\s*{len(pages)}\b", second)
    assert "Summary" in first and "From ideas to launches" not in first


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
