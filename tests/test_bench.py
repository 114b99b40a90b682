"""The benchmark runs end to end at a small scale (a smoke test: it measures, it asserts no timing)."""
import os
import subprocess
import sys

from tests.conftest import ROOT
from tests.databases import sqlite_url


def test_the_benchmark_runs_at_a_small_scale(empty_url, tmp_path):
    result = subprocess.run(
        [sys.executable, "bench/run.py", "--scale", "small", "--repeat", "1", "--signals", "100",
         "--out", str(tmp_path)],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": empty_url}, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    report = (tmp_path / "latest.md").read_text()
    for page in ("overview", "reach", "portfolio", "project", "compare", "survival"):
        assert f"| {page} |" in report
    assert "| status events and readings |" in report
    # The liveness check of the first 100 projects' websites on the local server's 250 hosts: one in 20 parked (5),
    # one in 10 a 404 (10), the other 85 answering (those redirected included), every signal stored before the pages.
    (check,) = [line for line in report.splitlines() if line.startswith("| websites on a local server")]
    assert "| 100 | 250 | 100 | 85 (85) |" in check
    assert "liveness check answers" not in report.split("Missed in this run:")[-1]  # no timing asserted
    assert "| API funnel |" in report and "| API reach |" in report  # the read API beside its pages
    assert len(list(tmp_path.glob("*-small.md"))) == 1


def test_the_scale_curve_measures_the_same_programme_as_the_database_grows(empty_url, tmp_path):
    result = subprocess.run(
        [sys.executable, "bench/run.py", "--scale", "3x", "--base", "small", "--repeat", "1", "--out", str(tmp_path)],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": empty_url}, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    report = (tmp_path / "latest.md").read_text()
    # The small scale (500 projects over 2 programmes, 6 status events and 2 metrics x 10 readings a project) is
    # 1x; 3x adds two more parts of its shape, 4 programmes of other projects, leaving prog-0's 250 projects,
    # 1,500 status events and 5,000 readings as they were.
    (one,) = [line for line in report.splitlines() if line.startswith("| 1x |")]
    (three,) = [line for line in report.splitlines() if line.startswith("| 3x |")]
    assert one.startswith("| 1x | 2 | 500 | 3,000 | 10,000 | 250 | 1,500 | 5,000 | 13,000 |")
    assert three.startswith("| 3x | 6 | 1,500 | 9,000 | 30,000 | 250 | 1,500 | 5,000 | 26,000 |")
    assert "| page (prog-0) | 1x cold s | 3x cold s | 3x/1x |" in report
    for page in ("overview", "reach", "portfolio", "project", "survival", "silent"):
        assert len([line for line in report.splitlines() if line.startswith(f"| {page} | ")]) == 1
    assert report.splitlines()[-1].startswith(("Missed in this run:", "Every goal met in this run."))
    assert len(list(tmp_path.glob("*-3x-small.md"))) == 1


def test_the_import_memory_run_loads_one_folder_per_size(empty_url, tmp_path):
    result = subprocess.run(
        [sys.executable, "bench/run.py", "--stream", "3k,6k", "--stream-projects", "500", "--out", str(tmp_path)],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": empty_url}, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    report = (tmp_path / "latest.md").read_text()
    # 500 projects with 3 metrics: 3,000 readings are two a series, 6,000 four; a status event for every 10 readings
    # is 300 and 600, under two a project, so each project gets one (its idea): 500 both times.
    assert "(one data folder of 500 new projects per size," in report
    rows = [line for line in report.splitlines() if line.startswith("| 3,000 |") or line.startswith("| 6,000 |")]
    assert [row.split(" | ")[:2] for row in rows] == [["| 3,000", "500"], ["| 6,000", "500"]]
    assert len(list(tmp_path.glob("*-stream.md"))) == 1


def test_the_load_test_drives_the_pages_through_a_real_server(tmp_path):
    (tmp_path / "out").mkdir()
    result = subprocess.run(
        [sys.executable, "bench/load.py", "--scale", "small", "--visitors", "3", "--clicks", "1", "--bound", "300",
         "--out", str(tmp_path / "out")],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": sqlite_url(tmp_path)}, capture_output=True, text=True,
        timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    report = (tmp_path / "out" / "load-latest.md").read_text()
    # Each of the 3 visitors ran each page once alone and once with the others, signed in as staff (the portfolio
    # refuses anyone else, which would count as an error), on the page and the programme it asked for, with no
    # error, each run drawing elements and taking time.
    for page in ("overview", "reach", "portfolio", "all pages"):
        (line,) = [line for line in report.splitlines() if line.startswith(f"| {page} | ")]
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        runs = 9 if page == "all pages" else 3
        assert cells[1:3] == [str(runs), str(runs)], line
        assert int(cells[3].split(" to ")[0]) > 0, line  # the fewest elements a run drew
        assert all(float(cell) > 0 for cell in cells[4:8]), line  # p50 and p95, alone and at once
        assert cells[-1] == "0", line  # errors
    assert "Errors: 0 on the pages, 0 tracebacks in the servers' logs." in report
    assert report.splitlines()[-1].startswith(("Missed in this run:", "Every goal met in this run."))
    assert len(list((tmp_path / "out").glob("*-load-small-1p.md"))) == 1
