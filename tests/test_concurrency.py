"""Several processes writing at once, on both engines: every accepted write is stored with its audit entry, a
conflicting write is refused with a sentence, and no error reaches anyone as a traceback."""
import json
import subprocess
import sys
import time

from sqlalchemy import func, select

from impact.models import AuditEntry, Project, ReachReading, StatusEvent
from tests.conftest import ROOT, TINY_PROGRAMME, load, url_of

WORKERS = 4
LOADS_PER_WORKER = 5
TIMEOUT_S = 120
START_DELAY_S = 8  # time for the worker processes to start and connect


def test_concurrent_writers(engine, tmp_path):
    projects = "programme,slug,name\ntiny,shared,Shared\n" + "".join(f"tiny,p{w},P{w}\n" for w in range(WORKERS))
    load(engine, tmp_path / "world", programmes__toml=TINY_PROGRAMME, projects__csv=projects,
         status_events__csv="project,status,effective_date\nshared,idea,2020-01-01\n")
    start_at = time.time() + START_DELAY_S
    workers = [subprocess.Popen([sys.executable, "-m", "tests.concurrency_worker", url_of(engine), str(w),
                                 str(start_at), str(LOADS_PER_WORKER)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
               for w in range(WORKERS)]
    outcomes = []
    try:
        for worker in workers:
            output, _ = worker.communicate(timeout=TIMEOUT_S)
            assert worker.returncode == 0
            outcomes += json.loads(output)
    finally:
        for worker in workers:
            worker.kill()

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
