"""Several processes writing at once, on both engines: every accepted write is stored with its audit entry, a
conflicting write is refused with a sentence, and no error reaches anyone as a traceback."""
import json
import subprocess
import sys
import threading

import pytest
from sqlalchemy import func, select

from impact.domain.access import STAFF, Actor
from impact.formats import loader, validate
from impact.store.models import AuditEntry, Project, ReachReading, StatusEvent
from tests.conftest import ROOT, TINY_PROGRAMME, load, url_of, write_folder
from tests.test_reach_daily import kept

WORKERS = 4
LOADS_PER_WORKER = 5
TIMEOUT_S = 120


def run_workers(engine, job: str) -> list[str]:
    """WORKERS processes of tests/concurrency_worker.py doing `job`, started at the same moment once every one is
    ready (connected): every outcome."""
    workers = [subprocess.Popen([sys.executable, "-m", "tests.concurrency_worker", url_of(engine), str(w),
                                 str(LOADS_PER_WORKER), job], cwd=ROOT, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True) for w in range(WORKERS)]
    outcomes = []
    try:
        for worker in workers:
            assert worker.stdout.readline() == "ready\n"  # (a worker that failed to get ready has ended: "")
        for worker in workers:  # the start, to all of them at once
            worker.stdin.write("go\n")
            worker.stdin.flush()
        for worker in workers:
            output, _ = worker.communicate(timeout=TIMEOUT_S)
            assert worker.returncode == 0
            outcomes += json.loads(output)
    finally:
        for worker in workers:
            worker.kill()
    return outcomes


def test_concurrent_writers(engine, tmp_path):
    projects = "programme,slug,name\ntiny,shared,Shared\n" + "".join(f"tiny,p{w},P{w}\n" for w in range(WORKERS))
    load(engine, tmp_path / "world", programmes__toml=TINY_PROGRAMME, projects__csv=projects,
         status_events__csv="project,status,effective_date\nshared,idea,2020-01-01\n")
    outcomes = run_workers(engine, "loads")

    assert [o for o in outcomes if o.startswith("error")] == []
    refused = [o for o in outcomes if o.startswith("refused")]
    # Only one worker may fund the shared project; the others are told it is funded already.
    assert len(refused) == WORKERS - 1
    assert all("A project that is funded cannot become funded" in o for o in refused)
    accepted = outcomes.count("accepted")
    assert accepted == WORKERS * LOADS_PER_WORKER - len(refused)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ReachReading)) == accepted
        assert conn.scalar(select(func.count()).select_from(AuditEntry)) == accepted + 1  # + the world
        funded = conn.scalar(select(func.count()).select_from(StatusEvent).join(Project).where(
            Project.slug == "shared", StatusEvent.status == "funded"))
    assert funded == 1
    assert kept(engine)  # the days of the readings the workers loaded, all on the same five dates, add up


def test_concurrent_team_submissions_to_one_project(engine, tmp_path):
    """Teams submitting to the same project at once: each submission either lands (in the history and the audit
    log) or is told the project changed; nothing else reaches them, and nothing is lost or doubled."""
    load(engine, tmp_path / "world", programmes__toml=TINY_PROGRAMME,
         projects__csv="programme,slug,name\ntiny,shared,S\n")
    outcomes = run_workers(engine, "updates")

    assert [o for o in outcomes if o.startswith("error")] == []
    assert all("changed since you opened it" in o for o in outcomes if o.startswith("refused"))
    accepted = outcomes.count("accepted")
    assert accepted >= 1
    with engine.connect() as conn:
        stored = conn.scalar(select(func.count()).select_from(ReachReading))
        audited = conn.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "reading"))
        revision = conn.scalar(select(Project.revision).where(Project.slug == "shared"))
    assert stored == audited == revision == accepted
    kept(engine)


def test_two_loads_that_touch_each_others_projects_both_go_through(engine, tmp_path, monkeypatch):
    """A locks p1 (a status change) and adds a reading to p2; B the other way round. Their row locks must not
    block each other's foreign-key checks (a deadlock on PostgreSQL before)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite runs one writer at a time")
    load(engine, tmp_path / "world", programmes__toml=TINY_PROGRAMME,
         projects__csv="programme,slug,name\ntiny,p1,P1\ntiny,p2,P2\n",
         status_events__csv="project,status,effective_date\np1,idea,2020-01-01\np2,idea,2020-01-01\n")
    both_locked = threading.Barrier(2, timeout=20)
    lock_and_wait = validate.stored_histories

    def stored_histories(session, projects):
        histories = lock_and_wait(session, projects)
        both_locked.wait()  # each load holds its lock before the other inserts
        return histories

    monkeypatch.setattr(validate, "stored_histories", stored_histories)
    outcomes = {}

    def run(name, funded, reading_for):
        folder = write_folder(tmp_path / name, status_events__csv=f"project,status,effective_date\n"
                                                                  f"{funded},funded,2020-02-01\n",
                              reach_readings__csv=f"project,metric,as_of,value\n{reading_for},people,2020-03-01,5\n")
        try:
            loader.load_folder(engine, folder, actor=Actor(STAFF, name))
            outcomes[name] = "accepted"
        except Exception as exc:  # noqa: BLE001  (the test reports whatever happened)
            outcomes[name] = repr(exc)

    threads = [threading.Thread(target=run, args=("a", "p1", "p2")),
               threading.Thread(target=run, args=("b", "p2", "p1"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT_S)
    assert outcomes == {"a": "accepted", "b": "accepted"}
