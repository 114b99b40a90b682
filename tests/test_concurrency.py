"""Several processes writing at once, on both engines: every accepted write is stored with its audit entry, a
conflicting write is refused with a sentence, and no error reaches anyone as a traceback."""
import multiprocessing
import tempfile
import time
import traceback
from pathlib import Path

from sqlalchemy import func, select

from impact.db import make_engine
from impact.loader import load_folder
from impact.models import AuditEntry, Project, ReachReading, StatusEvent
from impact.problems import LoadError
from tests.conftest import TINY_PROGRAMME, load, url_of, write_folder

WORKERS = 4
LOADS_PER_WORKER = 5
TIMEOUT_S = 120
START_DELAY_S = 5  # time for the spawned workers to start and connect


def writer(url: str, worker: int, start_at: float) -> list[str]:
    """Load readings for this worker's own project, and try to fund the shared project: outcomes, one per load.

    All workers start at the same moment, so that their first loads race for the shared project."""
    engine = make_engine(url)
    with engine.connect():
        pass  # connected before the start, so that the race is not decided by who connects first
    outcomes = []
    time.sleep(max(0.0, start_at - time.time()))
    with tempfile.TemporaryDirectory() as folder:
        for n in range(LOADS_PER_WORKER):
            files = {"reach_readings__csv": f"project,metric,as_of,value\np{worker},people,2020-01-{n + 1:02d},{n}\n"}
            if n == 0:
                files["status_events__csv"] = "project,status,effective_date\nshared,funded,2020-02-01\n"
            try:
                load_folder(engine, write_folder(Path(folder) / str(n), **files), actor=f"worker {worker}")
                outcomes.append("accepted")
            except LoadError as exc:
                outcomes.append(f"refused: {exc}")
            except Exception:  # what a user must never see
                outcomes.append(f"error: {traceback.format_exc()}")
    engine.dispose()
    return outcomes


def test_concurrent_writers(engine, tmp_path):
    projects = "programme,slug,name\ntiny,shared,Shared\n" + "".join(f"tiny,p{w},P{w}\n" for w in range(WORKERS))
    load(engine, tmp_path / "world", programmes__toml=TINY_PROGRAMME, projects__csv=projects,
         status_events__csv="project,status,effective_date\nshared,idea,2020-01-01\n")
    with multiprocessing.get_context("spawn").Pool(WORKERS) as pool:
        start_at = time.time() + START_DELAY_S
        results = pool.starmap_async(writer, [(url_of(engine), w, start_at) for w in range(WORKERS)]).get(TIMEOUT_S)
    outcomes = [o for worker in results for o in worker]

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
