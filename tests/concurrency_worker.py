"""One writer process of tests/test_concurrency.py: `python -m tests.concurrency_worker URL WORKER N loads|updates`
gets ready (connected, signed in), prints `ready`, waits for a line on its standard input (the start, given to
every worker at the same moment), then prints the outcome of each of its N writes as JSON."""
import datetime as dt
import json
import sys
import tempfile
import traceback
from pathlib import Path

from sqlalchemy import select

from impact.domain.access import STAFF, Actor, command_line
from impact.domain.problems import LoadError
from impact.formats.loader import load_folder
from impact.store import admin, auth, commands
from impact.store.db import make_engine
from impact.store.models import Project
from tests.conftest import write_folder


def wait_for_the_start() -> None:
    print("ready", flush=True)
    sys.stdin.readline()


def writer(url: str, worker: int, loads: int) -> list[str]:
    """Load readings for this worker's own project, and try to fund the shared project: outcomes, one per load.

    All workers start at the same moment, so that their first loads race for the shared project."""
    engine = make_engine(url)
    with engine.connect():
        pass  # connected before the start, so that the race is not decided by who connects first
    outcomes = []
    wait_for_the_start()
    with tempfile.TemporaryDirectory() as folder:
        for n in range(loads):
            files = {"reach_readings__csv": f"project,metric,as_of,value\np{worker},people,2020-01-{n + 1:02d},{n}\n"}
            if n == 0:
                files["status_events__csv"] = f"project,status,effective_date\nshared,funded,2020-02-{worker + 1:02d}\n"
            try:
                load_folder(engine, write_folder(Path(folder) / str(n), **files),
                            actor=Actor(STAFF, f"worker {worker}"))
                outcomes.append("accepted")
            except LoadError as exc:
                outcomes.append(f"refused: {exc}")
            except Exception:  # what a user must never see
                outcomes.append(f"error: {traceback.format_exc()}")
    engine.dispose()
    return outcomes


def updater(url: str, worker: int, updates: int) -> list[str]:
    """Submit readings for the shared project as its team, each on the revision just read (as a form would), so
    that racing submissions are refused as stale: outcomes, one per submission."""
    engine = make_engine(url)
    with engine.connect() as conn:
        project_id = conn.scalar(select(Project.id).where(Project.slug == "shared"))
    # Each worker's team signs in with a key of its own, issued before the start.
    team = auth.sign_in_with_key(engine, admin.issue_key(engine, command_line(f"worker {worker}"), "shared").key)
    outcomes = []
    wait_for_the_start()
    for n in range(updates):
        seen = commands.project_revision(engine, project_id)
        try:
            commands.record_reach_reading(engine, team, project_id, "people", dt.date(2020, 3, 1), 1000 * worker + n,
                                          note=f"worker {worker}", seen_revision=seen)
            outcomes.append("accepted")
        except commands.CommandError as exc:
            outcomes.append(f"refused: {exc}")
        except Exception:  # what a user must never see
            outcomes.append(f"error: {traceback.format_exc()}")
    engine.dispose()
    return outcomes


if __name__ == "__main__":
    url, worker, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    job = updater if sys.argv[4] == "updates" else writer
    print(json.dumps(job(url, worker, count)))
