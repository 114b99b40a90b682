"""Starts dashboard servers for the tests by forking a process that has imported the libraries once.

A server started as `python -m impact serve` spends about 2.5 s of processor time importing Streamlit, pandas,
plotly, SQLAlchemy and Alembic before it answers; the suite starts dozens. This process (`python -m tests.forker`,
one per test process, see tests/servers.py) imports those libraries once, then reads requests from its standard
input, one JSON line each: `{"argv": [...], "env": {...}, "cwd": "path", "log": "path"}`. For each it forks a child
that takes that environment and folder, writes its output to the log, and runs what `python -m impact serve ARGV`
runs: `streamlit` with `impact.ui.web.streamlit_arguments`, as after the `exec` there. It answers with the child's
process id. The project's own modules are imported by each child, after its environment is set, so that settings
read at import come from the test's environment.
"""
from __future__ import annotations

import json
import os
import signal
import sys

import alembic.runtime.migration  # noqa: F401
import babel.dates  # noqa: F401
import pandas  # noqa: F401
import plotly.graph_objects  # noqa: F401
import sqlalchemy.orm  # noqa: F401
import streamlit.web.bootstrap  # noqa: F401
import streamlit.web.cli


def serve(argv: list[str]) -> None:
    """Run what `python -m impact serve ...argv` runs, in this process."""
    from impact import cli
    from impact.ui import web

    args, rest = cli.parser().parse_known_args(argv)
    sys.argv = ["streamlit"]
    streamlit.web.cli.main(web.streamlit_arguments(args.address, args.port, rest), prog_name="streamlit")


def child(request: dict) -> None:
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    try:
        serve(request["argv"])
        code = 0
    except SystemExit as end:
        code = end.code if isinstance(end.code, int) else (0 if end.code is None else 1)
    except BaseException:  # said in the log, which the test shows if the server does not start
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main() -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the servers that end
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            child(request)
        print(pid, flush=True)


if __name__ == "__main__":
    main()
