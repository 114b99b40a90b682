"""Benchmark at portfolio scale: `python bench/run.py` (bench/README.md says what it measures and what it found).

Generates a synthetic data set (deterministic from a seed), loads it through the real import path, then measures
the pages cold and warm beside their queries alone and a naive peer, the read API's funnel and reach answers beside
the pages that show them, imports beside bare inserts, a liveness check of 1,000 projects' websites on a local
server, chart sizes and peak memory, in one run on one database (DATABASE_URL, or a new SQLite file). It writes
tables of ratios to bench/results/ (latest.md and a dated copy). `--scale 3x`/`10x` is the scale curve, `--stream`
the import's peak memory as one file grows.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import dataclasses
import datetime as dt
import os
import random
import resource
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
from sqlalchemy import bindparam, insert, select, text, update  # noqa: E402
from streamlit import config, logger  # noqa: E402

config.set_option("logger.level", "error")  # AppTest outside a server warns on every run (loggers to come)
logger.set_log_level("error")  # (and loggers already made)

from impact.domain.access import STAFF, Actor  # noqa: E402
from impact.domain.lifecycle import FUNDED_OR_LATER  # noqa: E402
from impact.formats.loader import load_folder  # noqa: E402
from impact.store import history, queries  # noqa: E402
from impact.store.compare import comparison  # noqa: E402
from impact.store.db import make_engine, writing  # noqa: E402
from impact.store.models import Project, ReachReading, StatusEvent  # noqa: E402
from impact.store.portfolio import portfolio  # noqa: E402
from impact.store.project import project_info, project_reach, timeline  # noqa: E402
from impact.store.schema import ensure_schema  # noqa: E402
from impact.store.signals import contradiction_frame  # noqa: E402
from impact.store.survival import funded_lifetimes, survival_curve  # noqa: E402
from impact.ui.session import ACTOR  # noqa: E402

SCALES = {
    "default": dict(projects=10_000, events=100_000, readings=1_000_000, programmes=5, metrics=3),
    "small": dict(projects=500, events=3_000, readings=10_000, programmes=2, metrics=2),
}
# The scale curve (issue #21): the steps of the database's size, in multiples of its base scale (--base), at which
# the same programme's pages are measured. Each step adds parts of the base's shape (other programmes), so that
# prog-0 stays exactly as it was at 1x.
CURVES = {"3x": (1, 3), "10x": (1, 3, 10)}
CURVE_GOAL = 1.3  # a programme's page at the last step within this of its time at 1x
CURVE_ACROSS = ("compare", "review")  # pages that show every programme (compare) or every pending entry (review)
AS_OF = dt.date(2026, 6, 30)
RESULTS = ROOT / "bench" / "results"
PAGES = ("overview", "reach", "portfolio", "project", "compare", "survival", "silent", "review")
WARM_REPEAT = 10  # a warm run takes milliseconds, less than the machine's noise: the fastest of this many counts
WARM_GOAL = 10  # a page's warm run within this many times the empty page's (issue #21)
API_ANSWERS = {"funnel": "overview", "reach": "reach"}  # a read API answer, and the page that shows its figures
BENCH_STAFF = Actor(STAFF, "bench")

# Why a target may be missed, as far as the measurements in bench/README.md explain it, for the report's last line.
# A missed target with no reason here (memory, chart size, the liveness check, the scale curve) is not expected.
REASONS = {
    "warm/empty": "Streamlit's own cost of drawing every element again, which the page's data no longer adds to",
    "warm/cold": "a light page's cold run is short, so its warm run is a larger share of it",
    "cold/limit": "the fixed cost of drawing a page beside queries of tens of milliseconds",
    "naive/cold": "below the default scale, reading whole tables costs the naive peer little",
    "import/bare": "the recount of each series and its days, checking the file, and the commit, which bare inserts "
                   "(rolled back) do not pay",
}


def missed_line(missed: list[str], reasons: dict[str, str]) -> str:
    """The report's last line: each missed target, grouped by the reason given for the kind of target it names
    (a key of `reasons` within its words), or that none was missed."""
    if not missed:
        return "Every goal met in this run."
    groups: dict[str, list[str]] = {}
    for target in missed:
        kind = next((kind for kind in reasons if kind in target), "")
        groups.setdefault(reasons.get(kind, ""), []).append(target)
    return "Missed in this run: " + "; ".join(
        ", ".join(targets) + (f" (why: {reason})" if reason else "") for reason, targets in groups.items()) + "."


# --- the data set ---------------------------------------------------------------------------------------


def generate(folder: Path, projects: int, events: int, readings: int, programmes: int, metrics: int,
             seed: int, first: int = 0) -> None:
    """Write a data folder: programmes with challenges and metrics, projects spread over them, valid status
    histories (about `events` in all) and cumulative readings (about `readings`), all dated 2020 to 2026.

    `first` > 0 makes the `first`-th part of a larger data set (the scale curve): programmes and projects numbered
    after the parts before it, from a seed of their own, so that adding parts leaves those before exactly as they
    were. Part 0 is the data set of a plain run."""
    rng = random.Random(seed if not first else f"{seed}/{first}")
    toml = []
    for p in range(first * programmes, (first + 1) * programmes):
        toml.append(f'[[programme]]\nslug = "prog-{p}"\nname = "Programme {p}"\nstarts_on = 2020-01-01\n'
                    f'[[programme.figure]]\nkey = "participants"\nlabel = "Participants"\nvalue = {20_000 + p}\n'
                    f'source = "synthetic"\n')
        toml += [f'[[programme.challenge]]\nslug = "c{c}"\nname = "Challenge {c}"\n' for c in range(40)]
        toml += [f'[[programme.metric]]\nslug = "m{m}"\nlabel = "Metric {m}"\nunit = "people"\n'
                 for m in range(metrics)]
    (folder / "programmes.toml").write_text("".join(toml))
    start = dt.date(2020, 1, 1)
    per_project_events = max(1, events // projects)
    with open(folder / "projects.csv", "w", newline="") as p_file, \
            open(folder / "status_events.csv", "w", newline="") as e_file:
        p_csv, e_csv = csv.writer(p_file), csv.writer(e_file)
        p_csv.writerow(["programme", "slug", "name", "challenge", "team"])
        e_csv.writerow(["project", "status", "effective_date", "recorded_at", "note"])
        for n in range(first * projects, (first + 1) * projects):
            slug = f"p{n:06d}"
            programme = first * programmes + (n - first * projects) % programmes
            p_csv.writerow([f"prog-{programme}", slug, f"Project {n}", f"c{rng.randrange(40)}", f"Team {n}"])
            day = start + dt.timedelta(days=rng.randrange(60))
            e_csv.writerow([slug, "idea", day, recorded(day, rng), ""])
            # funded -> in development -> launched -> discontinued -> in development (revived) -> ... until the
            # project's share of events is used up
            cycle = ["funded", "in_development", "launched", "discontinued", "in_development"]
            for k in range(per_project_events - 1):
                status = cycle[k] if k < len(cycle) else ("discontinued" if k % 2 else "in_development")
                day += dt.timedelta(days=rng.randint(5, 40))
                e_csv.writerow([slug, status, day, recorded(day, rng),
                                "synthetic" if status == "discontinued" or k >= 4 else ""])
    per_project_readings = max(1, readings // (projects * metrics))
    with open(folder / "reach_readings.csv", "w", newline="") as r_file:
        r_csv = csv.writer(r_file)
        r_csv.writerow(["project", "metric", "as_of", "value", "recorded_at"])
        for n in range(first * projects, (first + 1) * projects):
            for m in range(metrics):
                value, day = 0, start + dt.timedelta(days=rng.randrange(200))
                for _ in range(per_project_readings):
                    value += rng.randint(0, 50)
                    day += dt.timedelta(days=rng.randint(1, 7))
                    r_csv.writerow([f"p{n:06d}", f"m{m}", day, value, recorded(day, rng)])


def generate_top_up(folder: Path, projects: int, metrics: int, every: int = 10) -> int:
    """A later file with one new reading per metric for every `every`-th project (already loaded): the monthly
    update a programme imports. Its projects' stored series are recounted (impact.store.increments).
    Returns its rows."""
    with open(folder / "reach_readings.csv", "w", newline="") as r_file:
        r_csv = csv.writer(r_file)
        r_csv.writerow(["project", "metric", "as_of", "value", "recorded_at"])
        for n in range(0, projects, every):
            for m in range(metrics):
                r_csv.writerow([f"p{n:06d}", f"m{m}", "2026-06-01", 10_000_000, "2026-06-02T12:00:00Z"])
    return len(range(0, projects, every)) * metrics


def recorded(day: dt.date, rng: random.Random) -> str:
    """Entered a few days after it happened, as real updates are."""
    return f"{day + dt.timedelta(days=rng.randint(0, 10))}T12:00:00Z"


# --- measuring ------------------------------------------------------------------------------------------


def seconds(work: Callable[[], object], repeat: int = 3) -> float:
    """The fastest of `repeat` runs (the least disturbed by the rest of the machine)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def timed_load(url: str, folder: Path):
    """The summary of loading `folder` through the real import path, and the seconds it took."""
    started = time.perf_counter()
    summary = load_folder(make_engine(url), folder, BENCH_STAFF)
    return summary, time.perf_counter() - started


def grow(url: str, folder: Path, scale: dict, seed: int, parts: range) -> tuple[int, float, float]:
    """Generate and load `parts` of the curve's data set, one at a time (each the size of a plain run's data set,
    its folder removed once loaded, so that memory stays that of one part). Returns the rows loaded, the seconds
    the loads took (generating not counted), and this process's peak memory in MiB."""
    import shutil

    engine = make_engine(url)
    rows, load_s = 0, 0.0
    for part in parts:
        here = folder / f"part-{part}"
        here.mkdir()
        generate(here, seed=seed, first=part, **scale)
        started = time.perf_counter()
        summary = load_folder(engine, here, BENCH_STAFF)
        load_s += time.perf_counter() - started
        rows += summary.status_events + summary.reach_readings
        shutil.rmtree(here)
    engine.dispose()
    return rows, load_s, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


STREAM_PROJECTS = 10_000  # --stream: each file's projects (3 metrics each), whatever its size (--stream-projects)
STREAM_EVENTS = 10  # ... and a status event for every this many readings, as in the default scale


def stream(args, url: str, scratch: Path, stamp: dt.datetime) -> list[str]:
    """The import's memory as one file grows (--stream): for each size, a data folder of 10,000 new projects (or
    --stream-projects) with that many readings (and a tenth as many status events) in one reach_readings.csv,
    loaded through the real import path in a process of its own, whose peak memory (ru_maxrss) is the load's. Each
    size is a part of its own (other programmes and projects), loaded into the same database after the sizes before
    it."""
    done = []
    for part, size in enumerate(args.stream):
        folder = scratch / f"stream-{part}"
        folder.mkdir()
        generate(folder, projects=args.stream_projects, events=size // STREAM_EVENTS, readings=size, programmes=5,
                 metrics=3, seed=args.seed, first=part)
        megabytes = sum(f.stat().st_size for f in folder.iterdir()) / 2**20
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as child:
            summary, load_s, cpu_s, peak = child.submit(peak_load, url, folder).result()
        rows = summary.status_events + summary.reach_readings
        done.append((summary, megabytes, load_s, cpu_s, peak))
        print(f"{rows:,} rows in {load_s:.0f} s ({rows / load_s:,.0f} rows/s), peak {peak:,.0f} MiB",
              file=sys.stderr, flush=True)
        for file in folder.iterdir():
            file.unlink()
        folder.rmdir()
    lines = [f"# Import memory {dt.datetime.now():%Y-%m-%d %H:%M} (one data folder of {args.stream_projects:,} new "
             f"projects per size, {make_engine(url).dialect.name})", "",
             "| readings | status events | files MiB | load s | rows/s | loader's CPU s | rows/CPU s | "
             "loader's peak MiB |", "|---|---|---|---|---|---|---|---|"]
    for summary, megabytes, load_s, cpu_s, peak in done:
        rows = summary.status_events + summary.reach_readings
        lines.append(f"| {summary.reach_readings:,} | {summary.status_events:,} | {megabytes:,.0f} | {load_s:.1f} "
                     f"| {rows / load_s:,.0f} | {cpu_s:.1f} | {rows / cpu_s:,.0f} | {peak:,.0f} |")
    return lines


def peak_load(url: str, folder: Path):
    """`timed_load`, the processor seconds it took (user and system: on a shared machine, steadier than the
    seconds on the clock), and this process's peak memory in MiB (run it in a process of its own)."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    summary, load_s = timed_load(url, folder)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu_s = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return summary, load_s, cpu_s, after.ru_maxrss / 1024


def counts(text: str) -> list[int]:
    """Sizes such as "1M,3M,10M" or "50000,200k"."""
    return [int(float(n[:-1]) * {"k": 1_000, "m": 1_000_000}[n[-1].lower()]) if n[-1].lower() in "km" else int(n)
            for n in text.split(",")]


THIS = sys.modules[__name__]


@contextlib.contextmanager
def own_main():
    """This script as __main__ again while it is in force: an AppTest run takes over the __main__ module, by which
    a spawned process finds the function it is to run."""
    taken = sys.modules["__main__"]
    sys.modules["__main__"] = THIS
    try:
        yield
    finally:
        sys.modules["__main__"] = taken


def holdings(engine, programme: str) -> tuple[int, ...]:
    """The programmes, projects, status events and readings in the database, and the projects, status events and
    readings of `programme`."""
    sql = ("SELECT (SELECT count(*) FROM programmes), (SELECT count(*) FROM projects), "
           "(SELECT count(*) FROM status_events), (SELECT count(*) FROM reach_readings), "
           "(SELECT count(*) FROM projects p JOIN programmes g ON g.id = p.programme_id WHERE g.slug = :s), "
           "(SELECT count(*) FROM status_events e JOIN projects p ON p.id = e.project_id "
           " JOIN programmes g ON g.id = p.programme_id WHERE g.slug = :s), "
           "(SELECT count(*) FROM reach_readings r JOIN projects p ON p.id = r.project_id "
           " JOIN programmes g ON g.id = p.programme_id WHERE g.slug = :s)")
    with engine.connect() as conn:
        return tuple(conn.execute(text(sql), {"s": programme}).one())


def curve(args, url: str, engine, scratch: Path, stamp: dt.datetime) -> list[str]:
    """The scale curve: prog-0's pages cold at each step of CURVES[args.scale], the database grown between steps
    by other programmes, in one run. Returns the report's lines; the report so far is written after each step (a
    run stopped during a long step keeps the steps before it)."""
    scale, steps = SCALES[args.base], CURVES[args.scale]
    server = Server()
    cold: dict[str, list[float]] = {name: [] for name in PAGES}
    done: list[tuple] = []  # per step: the step, holdings, (rows loaded, load s, loader's peak MiB), pages' peak
    loaded = 0
    # Loading runs in another process (as in a plain run): the peak memory here is the pages' alone.
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as child:
        for step in steps:
            started = time.perf_counter()
            with own_main():
                load = child.submit(grow, url, scratch, scale, args.seed, range(loaded, step)).result()
            loaded = step
            size = holdings(engine, "prog-0")
            print(f"{step}x: {size[3]:,} readings; loaded {load[0]:,} rows in {load[1]:.0f} s "
                  f"({load[0] / load[1]:,.0f} rows/s; {time.perf_counter() - started:.0f} s with generating)",
                  file=sys.stderr, flush=True)
            for name, (path, params, _limit) in pages(engine, "prog-0", "p000000").items():
                server.session(path, params)  # the server has run the page's code once at this size
                cold[name].append(cold_run(server, path, params, args.repeat)[0])
            done.append((step, size, load, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
            lines = curve_report(args, engine.dialect.name, done, cold)
            if step != steps[-1]:
                write_report(lines, args, stamp, quiet=True)
    return lines


def curve_report(args, dialect: str, done: list[tuple], cold: dict[str, list[float]]) -> list[str]:
    steps = CURVES[args.scale]
    measured = [step for step, *_ in done]
    lines = [f"# Scale curve {dt.datetime.now():%Y-%m-%d %H:%M} ({args.scale} of {args.base}: the same prog-0 at "
             f"{', '.join(f'{step}x' for step in steps)}; {dialect})", ""]
    if measured != list(steps):
        lines += [f"So far: measured at {', '.join(f'{step}x' for step in measured)} only.", ""]
    lines += ["| step | programmes | projects | status events | readings | prog-0 projects | prog-0 status events | "
              "prog-0 readings | rows loaded | load s | load rows/s | loader's peak MiB | pages' peak MiB |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for step, size, (rows, load_s, loader_mib), peak in done:
        lines.append(f"| {step}x | " + " | ".join(f"{n:,}" for n in size)
                     + f" | {rows:,} | {load_s:.1f} | {rows / load_s:,.0f} | {loader_mib:,.0f} | {peak:,.0f} |")
    last = f"{measured[-1]}x/1x"
    lines += ["", f"| page (prog-0) | {' cold s | '.join(f'{step}x' for step in measured)} cold s | {last} |",
              "|---|" + "---|" * (len(measured) + 1)]
    missed = []
    for name in PAGES:
        ratio = cold[name][-1] / cold[name][0]
        note = " (every programme)" if name == "compare" else " (every pending entry)" if name == "review" else ""
        lines.append(f"| {name}{note} | " + " | ".join(f"{s:.3f}" for s in cold[name]) + f" | {ratio:.2f}x |")
        if ratio > CURVE_GOAL and name not in CURVE_ACROSS:
            missed.append(f"{name} {last}")
    missed += ["peak memory"] * (done[-1][3] >= 1024)
    lines += ["", f"Goal: prog-0's pages at {steps[-1]}x within {CURVE_GOAL}x of their 1x time (compare, which "
              "shows every programme, and review, every pending entry, are shown but not held to it); the pages' "
              "peak memory under 1024 MiB.",
              missed_line(missed, {})]
    return lines


def bare_insert_seconds(url: str, folder: Path) -> tuple[float, int]:
    """Insert the folder's events and readings again with bare executemany, in a transaction rolled back."""
    engine = make_engine(url)
    with engine.connect() as conn:
        ids = dict(conn.execute(select(Project.slug, Project.id)).all())
        metric_ids = dict(conn.execute(text("SELECT m.slug || '/' || p.slug, m.id FROM metrics m "
                                            "JOIN programmes p ON p.id = m.programme_id")).all())
        programme_of = dict(conn.execute(text("SELECT pr.slug, p.slug FROM projects pr "
                                              "JOIN programmes p ON p.id = pr.programme_id")).all())
    now = dt.datetime.now(dt.timezone.utc)
    events = []
    if (folder / "status_events.csv").exists():
        with open(folder / "status_events.csv") as handle:
            events = [dict(project_id=ids[r["project"]], status=r["status"],
                           effective_date=dt.date.fromisoformat(r["effective_date"]), recorded_at=now,
                           recorded_by="bench", note=r["note"], evidence_url="", review_state="approved")
                      for r in csv.DictReader(handle)]
    with open(folder / "reach_readings.csv") as handle:
        readings = [dict(project_id=ids[r["project"]],
                         metric_id=metric_ids[f"{r['metric']}/{programme_of[r['project']]}"],
                         as_of=dt.date.fromisoformat(r["as_of"]), value=int(r["value"]), recorded_at=now,
                         recorded_by="bench", note="", evidence_url="", review_state="approved")
                    for r in csv.DictReader(handle)]
    started = time.perf_counter()
    with writing(engine).connect() as conn:
        transaction = conn.begin()
        if events:
            conn.execute(insert(StatusEvent), events)
        conn.execute(insert(ReachReading), readings)
        elapsed = time.perf_counter() - started
        transaction.rollback()
    return elapsed, len(events) + len(readings)


# --- liveness signals -----------------------------------------------------------------------------------


SIGNAL_PROJECTS = 1_000  # projects whose websites the check visits (--signals)
SIGNAL_HOSTS = 250  # their websites' hosts, 127.0.0.1 to 127.0.0.250: four projects a host at 1,000
SIGNAL_BOUND = 120.0  # seconds: a check still running then is stopped, and the run says so
SIGNAL_TARGET = 30.0  # seconds for the check; the pacing alone (4 requests a host, 1 s apart) takes 3


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A website as teams have them: /ok-N answers, /moved-N redirects to /ok-N, /missing-N is a 404, /parked-N a
    parked domain's page."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        path = head.split(b" ", 2)[1].decode("ascii", errors="replace")
        kind, _, number = path.strip("/").partition("-")
        status, extra, body = "200 OK", "", b"<html><h1>Our project</h1><p>Welcome.</p></html>"
        if kind == "moved":
            status, extra, body = "301 Moved Permanently", f"Location: /ok-{number}\r\n", b""
        elif kind == "missing":
            status, body = "404 Not Found", b"<h1>Not found</h1>"
        elif kind == "parked":
            body = b"<html><h1>This domain is for sale</h1><p>Buy this domain today.</p></html>"
        writer.write(f"HTTP/1.1 {status}\r\nContent-Type: text/html\r\nContent-Length: {len(body)}\r\n{extra}"
                     "Connection: close\r\n\r\n".encode() + body)
        await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, IndexError):
        pass
    finally:
        writer.close()


class Websites:
    """That server, on one port of each of `hosts` loopback addresses (127.0.0.1, 127.0.0.2, ...), in a thread of
    its own. Where only 127.0.0.1 can be bound (macOS), on that one: `hosts` says how many it got."""

    def __init__(self, hosts: int):
        self.loop = asyncio.new_event_loop()
        self.servers: list[asyncio.Server] = []
        self.port = 0
        started = threading.Event()
        threading.Thread(target=self._serve, args=(hosts, started), daemon=True).start()
        if not started.wait(30) or not self.servers:
            raise RuntimeError("the benchmark's website server did not start")
        self.hosts = len(self.servers)

    def _serve(self, hosts: int, started: threading.Event) -> None:
        async def listen() -> None:
            first = await asyncio.start_server(_answer, "127.0.0.1", 0)
            self.servers.append(first)
            self.port = first.sockets[0].getsockname()[1]
            for n in range(2, hosts + 1):
                try:
                    self.servers.append(await asyncio.start_server(_answer, f"127.0.0.{n}", self.port))
                except OSError:  # not every system routes all of 127.0.0.0/8 to the loopback interface
                    break

        try:
            self.loop.run_until_complete(listen())
        finally:
            started.set()
        self.loop.run_forever()

    @staticmethod
    def kind(n: int) -> str:
        """The nth project's website: one in 20 parked, one in 10 missing (404), one in 10 moved, the rest fine."""
        return "parked" if n % 20 == 0 else "missing" if n % 10 == 5 else "moved" if n % 10 == 3 else "ok"

    def website(self, n: int) -> str:
        return f"http://127.0.0.{1 + n % self.hosts}:{self.port}/{self.kind(n)}-{n}"

    def close(self) -> None:
        async def stop() -> None:
            for server in self.servers:
                server.close()
        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)


class TooSlow(Exception):
    pass


def timed_signals(url: str, projects: int) -> tuple[int, int, int, int, float, bool]:
    """Give the first `projects` projects a website on the local server, check them as `python -m impact check`
    does on a server (its settings: 16 projects at once, one request per host per second, 10 s timeouts, retries),
    with SIGNALS_ALLOW naming the loopback network, and store their signals. Returns the projects checked, the
    hosts, the checks, those answering, the seconds, and whether it finished within SIGNAL_BOUND."""
    from impact.signals import run
    from impact.signals.settings import CheckSettings

    engine = make_engine(url)
    server = Websites(SIGNAL_HOSTS)
    try:
        with writing(engine).begin() as conn:
            slugs = conn.scalars(select(Project.slug).order_by(Project.slug).limit(projects)).all()
            conn.execute(update(Project).where(Project.slug == bindparam("s")).values(website=bindparam("w")),
                         [{"s": slug, "w": server.website(n)} for n, slug in enumerate(slugs)])
        os.environ["SIGNALS_ALLOW"] = "127.0.0.0/8"
        settings = CheckSettings.from_settings()
        if server.hosts == 1:  # one host only: one request a second would make it a 17-minute run
            settings = dataclasses.replace(settings, host_interval=0.0)
        checked = [0]
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            checked[0] = done
            if time.perf_counter() - started > SIGNAL_BOUND:
                raise TooSlow()

        try:
            summary = run.check(engine, BENCH_STAFF, settings=settings, progress=progress)
        except TooSlow:
            return checked[0], server.hosts, checked[0], 0, time.perf_counter() - started, False
        return (summary.projects, server.hosts, summary.checks, summary.up, time.perf_counter() - started, True)
    finally:
        server.close()
        engine.dispose()


# --- pages, their limit and their naive peer ------------------------------------------------------------


def pages(engine, programme: str, project: str) -> dict[str, tuple[str, dict, Callable[[], object]]]:
    """Each page: its file, its link parameters, and the same figures from the queries alone (the limit)."""
    info = queries.programme_info(engine, programme)
    everything = [queries.programme_info(engine, slug) for slug in queries.programmes(engine)["slug"]]
    project_id = project_info(engine, project).id
    first_metric = queries.metrics(engine, info.id)["slug"].iloc[0]
    return {
        "overview": ("pages/overview.py", {"programme": programme, "as_of": str(AS_OF)}, lambda: (
            queries.funnel_at(engine, info, AS_OF), queries.funded_status_at(engine, info.id, AS_OF),
            queries.challenge_funnel_at(engine, info, AS_OF))),
        "reach": ("pages/reach.py", {"programme": programme, "as_of": str(AS_OF)}, lambda: (
            queries.reach_reporting(engine, info.id, AS_OF), queries.reach_totals(engine, info.id, AS_OF),
            queries.reach_by(engine, info.id, AS_OF, first_metric, "project"))),
        "portfolio": ("pages/portfolio.py", {"programme": programme, "as_of": str(AS_OF)}, lambda: (
            portfolio(engine, [info.id], AS_OF),  # and, for staff, the contradictions of today
            contradiction_frame(engine, select(Project.id).where(Project.programme_id == info.id),
                                dt.date.today()))),
        "project": ("pages/project.py", {"project": project, "as_of": str(AS_OF)}, lambda: (
            timeline(engine, project_id), project_reach(engine, project_id, AS_OF))),
        "compare": ("pages/compare.py", {"programme": programme, "as_of": str(AS_OF)}, lambda: (
            comparison(engine, everything, AS_OF))),
        "survival": ("pages/survival.py", {"programme": programme, "as_of": str(AS_OF)}, lambda: (
            survival_curve(funded_lifetimes(engine, info.id, AS_OF)))),
        "silent": ("pages/silent.py", {"programme": programme, "as_of": str(AS_OF)}, lambda: (
            portfolio(engine, [info.id], AS_OF), history.contacts(engine, BENCH_STAFF, info.id))),
        "review": ("pages/review.py", {}, lambda: history.review_queue(engine)),
    }


def naive_seconds(url: str, page: str, programme: str, project: str) -> float:
    engine = make_engine(url)
    return seconds(lambda: naive(engine, page, programme, project), 1)


def naive(engine, page: str, programme: str, project: str) -> object:
    """What a typical Streamlit tutorial app does: read whole tables into pandas and compute there."""
    tables = {name: pd.read_sql_table(name, engine) for name in
              ("programmes", "projects", "status_events", "reach_readings", "metrics")}
    if page == "review":
        return [tables[name][tables[name]["review_state"] == "pending"] for name in ("status_events", "reach_readings")]
    programme_id = tables["programmes"].set_index("slug").loc[programme, "id"]
    projects = tables["projects"]
    events = tables["status_events"].merge(projects[["id", "programme_id"]], left_on="project_id", right_on="id")
    as_of = pd.Timestamp(AS_OF)
    events = events[(events["review_state"] == "approved") & (pd.to_datetime(events["effective_date"]) <= as_of)]
    readings = tables["reach_readings"][pd.to_datetime(tables["reach_readings"]["as_of"]) <= as_of]
    if page == "project":
        project_id = projects.set_index("slug").loc[project, "id"]
        return events[events["project_id"] == project_id], readings[readings["project_id"] == project_id]
    mine = events[events["programme_id"] == programme_id].sort_values(["effective_date", "recorded_at", "id_x"])
    current = mine.groupby("project_id")["status"].last()
    funded = mine[mine["status"].isin(FUNDED_OR_LATER)].groupby("project_id")["effective_date"].min()
    launched = mine[mine["status"] == "launched"].groupby("project_id")["effective_date"].min()
    if page in ("overview", "compare", "survival"):
        return len(funded), len(launched), current[current.index.isin(funded.index)].value_counts()
    mine_readings = readings[readings["project_id"].isin(projects[projects["programme_id"] == programme_id]["id"])]
    latest = mine_readings.sort_values(["as_of", "recorded_at"]).groupby(["project_id", "metric_id"]).last()
    if page in ("portfolio", "silent"):
        return current, latest, mine.groupby("project_id")["recorded_at"].max()
    # reach: every project's latest reading carried forward to every date, summed per metric
    wide = mine_readings.pivot_table(index="as_of", columns=["metric_id", "project_id"], values="value",
                                     aggfunc="last").sort_index().ffill()
    return wide.T.groupby(level="metric_id").sum().T


def api_seconds(engine, programme: str, repeat: int) -> dict[str, tuple[float, float]]:
    """For each of API_ANSWERS at AS_OF: the read API's answer time, read with a staff member's token (the whole
    request: rate limit, token, data version and ETag, the queries, the JSON, handled in this process by Starlette's
    test client, without the network; each address asked once before it is timed, as a running server has), and
    the time of the queries that answer runs, alone."""
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from impact.api.routes import routes
    from impact.store import admin, tokens

    admin.add_account(engine, BENCH_STAFF, "bench@example.org", "staff")
    headers = {"Authorization": f"Bearer {tokens.issue_token(engine, BENCH_STAFF, 'bench@example.org').token}"}
    info = queries.programme_info(engine, programme)
    alone = {"funnel": lambda: queries.funnel_at(engine, info, AS_OF),
             "reach": lambda: (queries.metrics(engine, info.id), queries.reach_totals(engine, info.id, AS_OF))}
    timed = {}
    with TestClient(Starlette(routes=routes())) as client:
        for name in API_ANSWERS:
            path = f"/api/v1/programmes/{programme}/{name}?as_of={AS_OF}"

            def get(path: str = path) -> None:
                answer = client.get(path, headers=headers)
                if answer.status_code != 200:
                    raise RuntimeError(f"{path} answered {answer.status_code}: {answer.text[:300]}")

            get()
            timed[name] = (seconds(get, repeat), seconds(alone[name], repeat))
    return timed


# --- the run --------------------------------------------------------------------------------------------


class Server:
    """Page runs by AppTest as on one running server: each session is a new AppTest, the components Streamlit
    discovers at a server's start (a scan of every installed package) are discovered once, not on every session as
    AppTest alone would, and each page's code is compiled once (a server keeps it in its ScriptCache; AppTest makes
    a new cache on every run, and compiling a page with Streamlit's "magic" took 3 ms for pages/portfolio.py and 23
    ms for pages/project.py, against 0.04 ms for the empty page)."""

    def __init__(self):
        from streamlit.runtime.scriptrunner.script_cache import ScriptCache
        from streamlit.testing.v1 import app_test, local_script_runner

        self.components = None
        compiled = ScriptCache()
        app_test.ScriptCache = local_script_runner.ScriptCache = lambda: compiled  # AppTest's two makers of caches

    def session(self, path: str, params: dict):
        """A new visitor's first run of the page, as a staff member (who may open every page and sees every
        programme)."""
        from streamlit.testing.v1 import AppTest

        at = AppTest.from_file(str(ROOT / path), default_timeout=600)
        at._bidi_component_manager = self.components  # AppTest's own slot for it; None makes it scan
        at.session_state[ACTOR] = BENCH_STAFF
        for key, value in params.items():
            at.query_params[key] = value
        rerun(at)
        self.components = at._bidi_component_manager
        return at


def cold_run(server: Server, path: str, params: dict, repeat: int):
    """The fastest of `repeat` first runs of a new session with the data and figure caches empty, and its AppTest."""
    from impact.ui import data

    best, at = float("inf"), None
    for _ in range(repeat):
        data.forget()
        started = time.perf_counter()
        at = server.session(path, params)
        best = min(best, time.perf_counter() - started)
    return best, at


def rerun(at):
    """The session's next run (what a click does), checked: a page that failed or refused its visitor measured
    nothing."""
    at.run()
    if at.exception:
        raise RuntimeError(f"{at._script_path} failed: {at.exception[0].message}")
    if any("sign in" in w.value or "not open to your account" in w.value for w in at.warning):
        raise RuntimeError(f"{at._script_path} refused the benchmark's staff visitor; nothing was measured")
    return at


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=[*SCALES, *CURVES], default="default",
                        help="3x and 10x: the scale curve, the same programme measured as the database grows")
    parser.add_argument("--base", choices=SCALES, default="default",
                        help="the curve's 1x (small: a quick run of the curve)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the fastest counts")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--signals", type=int, default=SIGNAL_PROJECTS,
                        help="projects whose websites the liveness check visits on a local server (0: none)")
    parser.add_argument("--stream", type=counts, metavar="N,N,...",
                        help="only the import's peak memory and rate, of a file of each many readings (1M,3M,10M)")
    parser.add_argument("--stream-projects", type=int, default=STREAM_PROJECTS, metavar="N",
                        help="--stream: the projects of each file (3 metrics each)")
    args = parser.parse_args(argv)
    stamp = dt.datetime.now()
    with tempfile.TemporaryDirectory() as scratch:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{scratch}/bench.sqlite3"
        os.environ["DATABASE_URL"] = url
        engine = make_engine(url)
        ensure_schema(engine)
        if queries.data_version(engine):
            print("The benchmark needs an empty database; DATABASE_URL holds data.", file=sys.stderr)
            return 1
        if args.stream:
            lines = stream(args, url, Path(scratch), stamp)
            engine.dispose()
            return write_report(lines, args, stamp)
        if args.scale in CURVES:
            lines = curve(args, url, engine, Path(scratch), stamp)
            engine.dispose()
            return write_report(lines, args, stamp)
        scale = SCALES[args.scale]
        folder = Path(scratch) / "data"
        folder.mkdir()
        generate(folder, seed=args.seed, **scale)
        top_up = Path(scratch) / "top-up"
        top_up.mkdir()
        generate_top_up(top_up, scale["projects"], scale["metrics"])
        # Loading and the naive peer run in other processes, so that the peak memory measured here is that of
        # the pages alone, as a server's would be.
        # (All of it before the first AppTest run, which takes over the __main__ module that spawning relies on.)
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as child:
            summary, import_s = child.submit(timed_load, url, folder).result()
            bare_s, bare_rows = child.submit(bare_insert_seconds, url, folder).result()
            top_up_summary, top_up_s = child.submit(timed_load, url, top_up).result()
            top_up_bare_s, top_up_bare_rows = child.submit(bare_insert_seconds, url, top_up).result()
            signal_projects = max(0, min(args.signals, scale["projects"]))
            # Before the pages, which then read its signals (the portfolio's contradictions).
            signals = child.submit(timed_signals, url, signal_projects).result() if signal_projects else None
            child.submit(naive_seconds, url, "overview", "prog-0", "p000000").result()  # its first-call costs, untimed
            naive_s = {name: child.submit(naive_seconds, url, name, "prog-0", "p000000").result() for name in PAGES}
        rows = summary.status_events + summary.reach_readings
        lines = [f"# Benchmark {dt.datetime.now():%Y-%m-%d %H:%M} ({args.scale}: {scale['projects']:,} projects, "
                 f"{summary.status_events:,} status events, {summary.reach_readings:,} readings, "
                 f"{engine.dialect.name})", "",
                 "| page | cold s | warm ms | warm/empty | warm/cold | queries alone s | cold/limit | naive peer s | "
                 "naive/cold | largest chart KB |", "|---|---|---|---|---|---|---|---|---|---|"]
        server = Server()
        missed = []
        measured = {}
        # The floor first: every row's warm run is set beside it.
        floor_cold, at = cold_run(server, "bench/empty_page.py", {}, args.repeat)
        floor_warm = seconds(lambda: rerun(at), max(args.repeat, WARM_REPEAT))
        for name, (path, params, limit) in pages(engine, "prog-0", "p000000").items():
            server.session(path, params)  # the server has run the page's code once (imports, plotly's validators)
            cold_s, at = cold_run(server, path, params, args.repeat)
            warm_s = seconds(lambda at=at: rerun(at), max(args.repeat, WARM_REPEAT))
            limit_s = seconds(limit, args.repeat)
            chart_kb = max((len(c.proto.spec) / 1024 for c in at.get("plotly_chart")), default=0)
            measured[name] = (cold_s, warm_s, limit_s)
            lines.append(f"| {name} | {cold_s:.3f} | {warm_s * 1000:.1f} | {warm_s / floor_warm:.1f}x | "
                         f"{warm_s / cold_s:.0%} | {limit_s:.3f} | {cold_s / limit_s:.2f}x | {naive_s[name]:.3f} | "
                         f"{naive_s[name] / cold_s:.1f}x | {chart_kb:.0f} |")
            missed += [f"{name} {what}" for what, bad in (
                ("warm/empty", warm_s / floor_warm > WARM_GOAL), ("warm/cold", warm_s / cold_s > 0.05),
                ("cold/limit", cold_s / limit_s > 1.5), ("naive/cold", naive_s[name] / cold_s < 10),
                ("chart size", chart_kb > 500)) if bad]
        lines.append(f"| (an empty page: Streamlit's own cost) | {floor_cold:.3f} | {floor_warm * 1000:.1f} | 1.0x | "
                     "| | | | | |")
        api_s = api_seconds(engine, "prog-0", args.repeat)
        lines += ["", "| read API answer (staff token, no network) | API s | its queries alone s | API/its queries | "
                  "page | page cold s | API/page cold | page warm s | API/page warm |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for name, page in API_ANSWERS.items():
            (answer_s, alone_s), (cold_s, warm_s, _limit_s) = api_s[name], measured[page]
            lines.append(f"| API {name} | {answer_s:.3f} | {alone_s:.3f} | {answer_s / alone_s:.2f}x | {page} | "
                         f"{cold_s:.3f} | {answer_s / cold_s:.2f}x | {warm_s:.3f} | {answer_s / warm_s:.2f}x |")
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        import_share = (rows / import_s) / (bare_rows / bare_s)
        top_up_rows = top_up_summary.reach_readings
        top_up_share = (top_up_rows / top_up_s) / (top_up_bare_rows / top_up_bare_s)
        missed += (["import/bare"] * (import_share < 0.5) + ["top-up import/bare"] * (top_up_share < 0.5)
                   + ["peak memory"] * (peak_mib >= 1024))
        signal_lines = []
        if signals is not None:
            checked, hosts, checks, up, signal_s, finished = signals
            answering = sum(Websites.kind(n) in ("ok", "moved") for n in range(signal_projects))
            pacing = "one request per host per second" if hosts > 1 else "per-host pacing off (one host)"
            signal_lines = [
                "", "| liveness check (`python -m impact check`) | projects | hosts | checks | answering (expected) | "
                "s | projects/s |", "|---|---|---|---|---|---|---|",
                f"| websites on a local server (SIGNALS_ALLOW=127.0.0.0/8; 16 at once, {pacing}) | {checked:,} | "
                f"{hosts} | {checks:,} | {up:,} ({answering:,}) | {signal_s:.1f} | {checked / signal_s:,.0f} |"]
            if not finished:
                signal_lines.append(f"The check was stopped after {SIGNAL_BOUND:.0f} s, {checked:,} of "
                                    f"{signal_projects:,} projects checked.")
            missed += (["liveness check time"] * (not finished or signal_s > SIGNAL_TARGET * signal_projects / 1000)
                       + ["liveness check answers"] * (finished and up != answering))
        lines += ["", "| import | rows | rows/s | bare executemany rows/s | import/bare |", "|---|---|---|---|---|",
                  f"| status events and readings | {rows:,} | {rows / import_s:,.0f} | {bare_rows / bare_s:,.0f} | "
                  f"{import_share:.0%} |",
                  f"| a top-up: a reading per metric for every 10th project | {top_up_rows:,} | "
                  f"{top_up_rows / top_up_s:,.0f} | {top_up_bare_rows / top_up_bare_s:,.0f} | {top_up_share:.0%} |",
                  *signal_lines,
                  "", f"Peak memory of the process that ran the pages (a server's share): {peak_mib:,.0f} MiB.",
                  "",
                  f"Targets at the default scale: cold/limit <= 1.5x; naive/cold >= 10x; warm <= {WARM_GOAL:.0f}x "
                  "the empty page's and <= 5% of cold; "
                  "charts <= 500 KB; import/bare >= 50%; peak memory < 1024 MiB; a liveness check of 1,000 "
                  f"projects within {SIGNAL_TARGET:.0f} s.",
                  missed_line(missed, REASONS)]
        engine.dispose()
    return write_report(lines, args, stamp)


def write_report(lines: list[str], args, stamp: dt.datetime, quiet: bool = False) -> int:
    """Print the report (unless `quiet`) and write it to latest.md and a copy dated `stamp` in --out."""
    report = "\n".join(lines) + "\n"
    if not quiet:
        print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.md").write_text(report)
    name = "stream" if args.stream else args.scale if args.scale in SCALES else f"{args.scale}-{args.base}"
    (args.out / f"{stamp:%Y%m%d-%H%M%S}-{name}.md").write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
