"""One writer process of tests/test_concurrency.py: `python -m tests.concurrency_worker URL WORKER START_AT LOADS`
prints the outcome of each of its loads as JSON."""
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path

from impact.db import make_engine
from impact.loader import load_folder
from impact.problems import LoadError
from tests.conftest import write_folder


def writer(url: str, worker: int, start_at: float, loads: int) -> list[str]:
    """Load readings for this worker's own project, and try to fund the shared project: outcomes, one per load.

    All workers start at the same moment, so that their first loads race for the shared project."""
    engine = make_engine(url)
    with engine.connect():
        pass  # connected before the start, so that the race is not decided by who connects first
    outcomes = []
    time.sleep(max(0.0, start_at - time.time()))
    with tempfile.TemporaryDirectory() as folder:
        for n in range(loads):
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


if __name__ == "__main__":
    url, worker, start_at, loads = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    print(json.dumps(writer(url, worker, start_at, loads)))
