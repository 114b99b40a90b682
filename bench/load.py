"""Load test through the real server: `python bench/load.py` (bench/README.md, "Many visitors at once").

Loads the benchmark's synthetic data set (bench/run.py's `generate`, through `python -m impact load`) into an empty
database, starts the dashboard as a server runs it (`python -m impact serve`, one process or more, on 127.0.0.1)
and drives it over Streamlit's own protocol, as a browser does, without a browser: each visitor is one websocket
session on `/_stcore/stream`, signed in as staff through `/session/start` (the session cookie on the websocket's
handshake), that asks for page runs with protobuf messages (BackMsg `rerun_script`) and reads what the server sends
back (ForwardMsg) until the run's `script_finished`. A page's time runs from the request to that message.

The same visits are made one visitor at a time on one process, then by every visitor at once, spread over the
processes. Every error is counted: an exception drawn on a page, an error message or a refusal on it, a page not
found, another page run or another programme shown, a run that does not finish in time, a connection dropped, a
traceback in a server's log. The report (p50 and p95 per page, at once against alone) goes to bench/results/.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import math
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional
from urllib.parse import parse_qs, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import websockets  # noqa: E402
from streamlit.proto.Alert_pb2 import Alert  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ClientState_pb2 import ClientState, ContextInfo  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from websockets.typing import Subprotocol  # noqa: E402

from bench.run import BENCH_STAFF, SCALES, generate, missed_line  # noqa: E402
from impact.store import admin, auth, sessions  # noqa: E402
from impact.store.db import make_engine  # noqa: E402
from impact.store.queries import data_version  # noqa: E402
from impact.store.schema import ensure_schema  # noqa: E402
from impact.ui.web import START_PATH  # noqa: E402

PAGES = ("overview", "reach", "portfolio")  # what each visitor clicks through, in this order, `--clicks` times
GOAL = 3.0  # the p95 of the visitors at once within this many times one visitor's p95 alone on one process
# Why the goal is missed, as bench/README.md measures it ("Why the goal is out of reach as it is set").
REASONS = {"p95 at once": "visitors who click again at once queue for the server's CPU, one run at a time per "
                          "process, so each waits about as many runs as there are visitors per free core, however "
                          "cheap a run is"}
# Alone, a visitor clicks this long after the page before it finished, as a person would: the server has done the
# work that follows a run (Streamlit's full garbage collection after each run, runner.postScriptGC) before the next.
ALONE_PAUSE_S = 0.5
PAGE_TIMEOUT_S = 120.0  # a page run that has not finished by then is an error, and its visitor stops
START_TIMEOUT_S = 120.0  # for a server to answer its health check
EMAIL, PASSWORD = "load@example.org", "load-test-password"  # the staff account the visitors sign in as
REFUSALS = ("sign in", "not open to your account")  # a page's words when it refuses its visitor
RESULTS = ROOT / "bench" / "results"


# --- the servers ----------------------------------------------------------------------------------------


@dataclass
class Server:
    """A running dashboard process: its address, its process, the file its output goes to."""

    base: str
    process: subprocess.Popen
    log: Path

    def cpu_seconds(self) -> Optional[float]:
        """The process's CPU time so far (user and system), where /proc tells it (Linux)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def tracebacks(self) -> int:
        return self.log.read_text(errors="replace").count("Traceback (most recent call last)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def servers(url: str, count: int, logs: Path, options: tuple[str, ...] = ()) -> Iterator[list[Server]]:
    """`count` dashboard processes on DATABASE_URL `url`, each on a port of 127.0.0.1, started as a server starts
    them (`python -m impact serve`, with these further `streamlit run` options), their output kept in `logs`;
    stopped at the end."""
    started: list[Server] = []
    try:
        for n in range(count):
            port = free_port()
            log = logs / f"server-{n}.log"
            with open(log, "wb") as out:
                process = subprocess.Popen(
                    [sys.executable, "-m", "impact", "serve", "--address", "127.0.0.1", "--port", str(port),
                     "--server.headless", "true", *options],
                    cwd=ROOT, env={**os.environ, "DATABASE_URL": url}, stdout=out, stderr=subprocess.STDOUT)
            started.append(Server(f"http://127.0.0.1:{port}", process, log))
        deadline = time.monotonic() + START_TIMEOUT_S
        for server in started:
            while not healthy(server.base):
                if server.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start: {server.log.read_text()[-2000:]}")
                time.sleep(0.2)
        yield started
    finally:
        for server in started:
            server.process.terminate()
        for server in started:
            try:
                server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()


def healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def session_cookie(engine, base: str) -> str:
    """Sign in as the staff account and trade the session's one-time ticket at the server's /session/start, as
    the sidebar's form sends the browser to do; the cookie that answer sets."""
    started = sessions.start(engine, auth.sign_in(engine, EMAIL, PASSWORD))
    answer = httpx.get(base + START_PATH, params={"ticket": started.ticket, "next": "/overview"}, timeout=30)
    cookie = answer.cookies.get(sessions.COOKIE)
    if answer.status_code != 303 or not cookie:
        raise RuntimeError(f"{START_PATH} answered {answer.status_code} without a session cookie")
    return cookie


# --- the visitors ---------------------------------------------------------------------------------------


@dataclass
class Visitor:
    """One visitor: the server it visits, its session cookie and programme, and what its browser would keep: each
    page's script hash (from the navigation the server sends) and the messages the server marked cacheable."""

    number: int
    server: Server
    cookie: str
    programme: str
    hashes: dict[str, str] = field(default_factory=dict)
    cache: dict[str, ForwardMsg] = field(default_factory=dict)


@dataclass
class Run:
    """One page run as a visitor saw it: its seconds (None: it did not finish), the elements it drew, the errors."""

    visitor: int
    page: str
    seconds: Optional[float]
    elements: int = 0
    errors: list[str] = field(default_factory=list)


class Broken(Exception):
    """The visitor's connection failed or a run did not finish: the visitor stops."""


async def visit(visitor: Visitor, clicks: int, runs: list[Run], ready: Optional[asyncio.Queue] = None,
                start: Optional[asyncio.Event] = None, between: tuple[float, float] = (0.0, 0.0)) -> None:
    """Open the visitor's websocket session, say so on `ready` and wait for `start` (when given), then click
    through PAGES `clicks` times, waiting from `between[0]` to `between[1]` seconds (at random) between two clicks.
    Each run is appended to `runs` as it ends."""
    rng = random.Random(visitor.number)
    stream = visitor.server.base.replace("http://", "ws://", 1) + "/_stcore/stream"
    told = False
    try:
        async with websockets.connect(
                stream, subprotocols=[Subprotocol("streamlit")], max_size=None, open_timeout=PAGE_TIMEOUT_S,
                additional_headers={"Cookie": f"{sessions.COOKIE}={visitor.cookie}",
                                    "Origin": visitor.server.base}) as connection:
            if ready is not None and start is not None:
                told = True
                ready.put_nowait(visitor.number)
                await start.wait()
            for click in range(clicks * len(PAGES)):
                if click and between[1]:
                    await asyncio.sleep(rng.uniform(*between))
                runs.append(await page_run(connection, visitor, PAGES[click % len(PAGES)], first=not click))
    except (Broken, OSError, websockets.WebSocketException, TimeoutError) as exc:
        runs.append(Run(visitor.number, "(connection)", None, errors=[f"{type(exc).__name__}: {exc}"]))
    finally:
        if ready is not None and not told:
            ready.put_nowait(None)  # no session: the others need not wait for it


async def page_run(connection, visitor: Visitor, page: str, first: bool) -> Run:
    """Ask for `page` as the browser does: the first page by its address (`/overview?programme=...`), the next
    ones as a click in the menu (the page's script hash, no query string, the hashes of the cached messages); read
    the server's messages until the run finishes. The browser would also send the language picker's state; without
    it the language comes from the locale, English, the same."""
    state = ClientState(context_info=ContextInfo(timezone="UTC", timezone_offset=0, locale="en-US",
                                                 url=f"{visitor.server.base}/{page}", is_embedded=False,
                                                 color_scheme="light"))
    if first:
        state.page_name = page
        state.query_string = urlencode({"programme": visitor.programme})
    else:
        state.page_script_hash = visitor.hashes[page]
        state.cached_message_hashes.extend(visitor.cache)
    run = Run(visitor.number, page, None)
    shown, query = None, ""
    started = time.perf_counter()
    await connection.send(BackMsg(rerun_script=state).SerializeToString())
    while True:
        try:
            data = await asyncio.wait_for(connection.recv(), PAGE_TIMEOUT_S)
        except TimeoutError:
            raise Broken(f"{page}: no end of the run within {PAGE_TIMEOUT_S:.0f} s") from None
        message = ForwardMsg()
        message.ParseFromString(data)
        if message.HasField("ref_hash"):  # a message the browser holds already
            if message.ref_hash not in visitor.cache:
                raise Broken(f"{page}: the server referred to a message never sent")
            message = visitor.cache[message.ref_hash]
        elif message.metadata.cacheable:
            visitor.cache[message.hash] = message
        kind = message.WhichOneof("type")
        if kind == "navigation":
            pages = {p.page_script_hash: p.url_pathname for p in message.navigation.app_pages}
            visitor.hashes.update({path: hash_ for hash_, path in pages.items()})
            shown = pages.get(message.navigation.page_script_hash)
        elif kind == "page_info_changed":
            query = message.page_info_changed.query_string
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            run.elements += 1
            element = message.delta.new_element
            what = element.WhichOneof("type")
            if what == "exception":
                run.errors.append(f"{page}: exception {element.exception.type}: {element.exception.message[:200]}")
            elif what == "alert" and (element.alert.format == Alert.ERROR or (
                    element.alert.format == Alert.WARNING and any(words in element.alert.body for words in REFUSALS))):
                run.errors.append(f"{page}: {element.alert.body[:200]}")
        elif kind == "page_not_found":
            run.errors.append(f"{page}: page not found")
        elif kind == "auth_redirect":
            run.errors.append(f"{page}: sent the browser to {message.auth_redirect.url}")
        elif kind == "script_finished":
            if message.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                continue  # the page asked for a rerun (st.rerun, st.switch_page): its next run follows
            if message.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                run.errors.append(f"{page}: the script did not compile")
            break
    run.seconds = time.perf_counter() - started
    if shown != page:
        run.errors.append(f"{page}: the server ran {shown} instead")
    programme = parse_qs(query).get("programme", [None])[0]
    if programme != visitor.programme:
        run.errors.append(f"{page}: showed {programme} to a visitor of {visitor.programme}")
    return run


def run_visitors(visitors: list[Visitor], clicks: int, at_once: bool, between: tuple[float, float],
                 bound: float) -> list[Run]:
    """The visitors' runs: one visitor after another, or all at once (each session opened, then all start
    together). Stopped after `bound` seconds in all; the runs not made by then are counted as errors."""
    runs: list[Run] = []

    async def main() -> None:
        if at_once:
            ready: asyncio.Queue = asyncio.Queue()
            start = asyncio.Event()
            tasks = [asyncio.create_task(visit(v, clicks, runs, ready, start, between)) for v in visitors]
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(PAGE_TIMEOUT_S):
                    for _ in tasks:
                        await ready.get()
            start.set()  # every session is open (or failed, or took too long): all click together
            done, late = await asyncio.wait(tasks, timeout=bound)
        else:
            deadline, late = time.monotonic() + bound, set()
            for n, visitor in enumerate(visitors):
                if n and between[1]:
                    await asyncio.sleep(between[1])
                task = asyncio.create_task(visit(visitor, clicks, runs, between=between))
                done, late = await asyncio.wait([task], timeout=max(0.0, deadline - time.monotonic()))
                if late:
                    break
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)

    asyncio.run(main())
    wanted = len(visitors) * clicks * len(PAGES)
    made = sum(run.seconds is not None for run in runs)
    if made < wanted:
        runs.append(Run(-1, "(bound)", None, errors=[f"{wanted - made} of {wanted} page runs not made within "
                                                     f"{bound:.0f} s"]))
    return runs


# --- the report -----------------------------------------------------------------------------------------


def p95(values: list[float]) -> float:
    """The 95th percentile by nearest rank: the smallest value that at least 95% of the values do not exceed."""
    ordered = sorted(values)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def times(runs: list[Run], page: Optional[str] = None) -> list[float]:
    return [run.seconds for run in runs if run.seconds is not None and page in (None, run.page)]


def report(args, dialect: str, scale: dict, alone: list[Run], together: list[Run], warm: list[Run], phases: dict,
           tracebacks: int, loads: tuple) -> list[str]:
    programmes = min(args.visitors, args.programmes)
    lines = [f"# Load test {dt.datetime.now():%Y-%m-%d %H:%M} ({args.scale}: {scale['projects']:,} projects, "
             f"{dialect}, {args.processes} process{'es' * (args.processes > 1)}"
             + "".join(f", {option}" for option in args.serve_option) + ")", "",
             f"{args.visitors} visitors, each one websocket session signed in as staff, clicking through "
             f"{', '.join(PAGES)} {args.clicks} time{'s' * (args.clicks > 1)} "
             + (f"(visitor n looks at prog-(n mod {programmes}), as of today); " if programmes > 1 else
                "(all of them prog-0, as of today); ")
             + (f"up to {args.think:g} s (at random) between two clicks. " if args.think else
                "each click as soon as the page before it has finished. ")
             + f"Alone: the same visits one visitor at a time on one process, {ALONE_PAUSE_S:g} s between two clicks. "
             "At once: every visitor's session "
             f"opened, then all clicking together, spread over {args.processes} process"
             f"{'es' * (args.processes > 1)}. A page's time: from the request to the server's end of the run "
             "(script_finished). Every page had run once per programme on each process before (a warm server).", "",
             "| page | runs alone | runs at once | elements drawn | alone p50 s | alone p95 s | at once p50 s | "
             "at once p95 s | at once p95 / alone p95 | errors |", "|---|---|---|---|---|---|---|---|---|---|"]
    missed: list[str] = []
    for page in (*PAGES, None):
        a, t = times(alone, page), times(together, page)
        errors = sum(len(run.errors) for run in alone + together if page in (None, run.page))
        drawn = [run.elements for run in alone + together if run.seconds is not None and page in (None, run.page)]
        name = page or "all pages"
        if not a or not t:
            lines.append(f"| {name} | {len(a)} | {len(t)} | | | | | | | {errors} |")
            missed.append(f"{name} measured nothing")
            continue
        ratio = p95(t) / p95(a)
        lines.append(f"| {name} | {len(a)} | {len(t)} | {min(drawn)} to {max(drawn)} | {statistics.median(a):.3f} "
                     f"| {p95(a):.3f} | {statistics.median(t):.3f} | {p95(t):.3f} | {ratio:.1f}x | {errors} |")
        if ratio > GOAL:
            missed.append(f"{name} p95 at once {ratio:.1f}x alone")
    errors = [error for run in warm + alone + together for error in run.errors]
    lines += ["", "| phase | wall s | page runs | runs/s | servers' CPU s | servers' CPU s per run | "
              "load client's CPU s |", "|---|---|---|---|---|---|---|"]
    for name, (wall, made, cpu, client_cpu) in phases.items():
        per_run = f"{cpu / made:.3f}" if cpu is not None and made else ""
        lines.append(f"| {name} | {wall:.1f} | {made} | {made / wall:.1f} | "
                     f"{'' if cpu is None else f'{cpu:.1f}'} | {per_run} | {client_cpu:.1f} |")
    lines += ["", f"Errors: {len(errors)} on the pages, {tracebacks} tracebacks in the servers' logs."]
    lines += [f"- {error}" for error in sorted(set(errors))[:20]]
    lines += ["", f"Machine: {os.cpu_count()} cores; load average {loads[0]:.1f} before the visits, {loads[1]:.1f} "
              "after.", "",
              f"Goal: every page's p95 at once within {GOAL:g}x of its p95 alone (one visitor on one process), and "
              "no error.",
              missed_line(missed + ["errors"] * bool(errors or tracebacks), REASONS)]
    return lines


# --- the run --------------------------------------------------------------------------------------------


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=SCALES, default="default")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--visitors", type=int, default=20)
    parser.add_argument("--clicks", type=int, default=2, help="times each visitor clicks through the pages")
    parser.add_argument("--processes", type=int, default=1, help="server processes the visitors are spread over")
    parser.add_argument("--programmes", type=int, default=1,
                        help="programmes the visitors are spread over (visitor n looks at prog-(n mod this))")
    parser.add_argument("--think", type=float, default=0.0,
                        help="up to this many seconds (at random) between a visitor's clicks (default: none)")
    parser.add_argument("--serve-option", action="append", default=[], metavar="--OPTION=VALUE",
                        help="a further `streamlit run` option for every server, as an experiment (repeatable)")
    parser.add_argument("--bound", type=float, default=600.0, help="seconds each of the two phases may take")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    stamp = dt.datetime.now()
    scale = SCALES[args.scale]
    if not 1 <= args.programmes <= scale["programmes"]:
        parser.error(f"--programmes: 1 to {scale['programmes']} at this scale")
    with tempfile.TemporaryDirectory() as scratch:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{scratch}/load.sqlite3"
        engine = make_engine(url)
        ensure_schema(engine)
        if data_version(engine):
            print("The load test needs an empty database; DATABASE_URL holds data.", file=sys.stderr)
            return 1
        folder = Path(scratch) / "data"
        folder.mkdir()
        generate(folder, seed=args.seed, **scale)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "impact", "load", str(folder)], cwd=ROOT, check=True,
                       env={**os.environ, "DATABASE_URL": url}, stdout=subprocess.DEVNULL)
        print(f"loaded in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
        admin.add_account(engine, BENCH_STAFF, EMAIL, "staff", PASSWORD)
        with servers(url, args.processes, Path(scratch), tuple(args.serve_option)) as running:
            visitors = [Visitor(n, running[n % len(running)], session_cookie(engine, running[n % len(running)].base),
                                f"prog-{n % args.programmes}") for n in range(args.visitors)]
            # A warm server: each process has run every page once for each programme the visitors look at.
            warm = [Visitor(-1, server, visitors[0].cookie, programme) for server in running
                    for programme in sorted({v.programme for v in visitors})]
            warm_runs = run_visitors(warm, 1, at_once=False, between=(ALONE_PAUSE_S, ALONE_PAUSE_S), bound=args.bound)
            alone_visitors = [Visitor(v.number, running[0], v.cookie, v.programme) for v in visitors]
            phases = {}
            loads = [os.getloadavg()[0]]
            alone = measured(phases, "alone (one process)", running[:1], lambda: run_visitors(
                alone_visitors, args.clicks, at_once=False, between=(ALONE_PAUSE_S, ALONE_PAUSE_S), bound=args.bound))
            together = measured(phases, f"at once ({len(running)} process{'es' * (len(running) > 1)})", running,
                                lambda: run_visitors(visitors, args.clicks, at_once=True, between=(0.0, args.think),
                                                     bound=args.bound))
            loads.append(os.getloadavg()[0])
            tracebacks = sum(server.tracebacks() for server in running)
        lines = report(args, engine.dialect.name, scale, alone, together, warm_runs, phases, tracebacks,
                       tuple(loads))
        engine.dispose()
    return write_report(lines, args, stamp)


def measured(phases: dict, name: str, running: list[Server], visits) -> list[Run]:
    """Run `visits`, noting its wall time, page runs made, the servers' and this process's CPU seconds."""
    cpu_before = [server.cpu_seconds() for server in running]
    client_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    runs = visits()
    wall = time.perf_counter() - started
    client_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu_after = [server.cpu_seconds() for server in running]
    cpu = None if None in cpu_before + cpu_after else sum(cpu_after) - sum(cpu_before)
    client_cpu = (client_after.ru_utime + client_after.ru_stime) - (client_before.ru_utime + client_before.ru_stime)
    phases[name] = (wall, sum(run.seconds is not None for run in runs), cpu, client_cpu)
    return runs


def write_report(lines: list[str], args, stamp: dt.datetime) -> int:
    """Print the report and write it to load-latest.md and a copy dated `stamp` in --out."""
    report = "\n".join(lines) + "\n"
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "load-latest.md").write_text(report)
    (args.out / f"{stamp:%Y%m%d-%H%M%S}-load-{args.scale}-{args.processes}p.md").write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
