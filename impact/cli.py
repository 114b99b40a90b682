"""`python -m impact`: the command line for staff. Errors are one sentence and a non-zero exit code."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from impact.db import DatabaseUnavailable, ROOT, describe, ensure_schema, make_engine
from impact.i18n import _
from impact.loader import LoadError, load_folder
from impact.queries import data_version

DEMO_FOLDER = ROOT / "data" / "demo"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m impact", description="The hackathon impact dashboard.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init", help="create the database's tables if they are missing")
    demo = commands.add_parser("demo", help="load the demo programmes into an empty database")
    demo.add_argument("--if-empty", action="store_true", help="do nothing (and succeed) if data are already there")
    load = commands.add_parser("load", help="load a data folder (see the README's 'Data formats')")
    load.add_argument("folder", type=Path)
    load.add_argument("--actor", default="cli", help="who is loading, for the audit log")
    args = parser.parse_args(argv)

    engine = make_engine()
    try:
        ensure_schema(engine)
        if args.command == "init":
            print(_("The database {db} is ready.", db=describe(engine)))
        elif args.command == "demo":
            if data_version(engine):
                if args.if_empty:
                    return 0
                print(_("The database already holds data; the demo loads only into an empty database."),
                      file=sys.stderr)
                return 1
            _report(load_folder(engine, DEMO_FOLDER, actor="demo"), describe(engine))
        elif args.command == "load":
            _report(load_folder(engine, args.folder, actor=args.actor), describe(engine))
    except (DatabaseUnavailable, LoadError) as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def _report(summary, where: str) -> None:
    print(_("Loaded into {db}: {programmes} programme(s), {projects} project(s), {events} status event(s), "
            "{readings} reach reading(s).", db=where, programmes=summary.programmes, projects=summary.projects,
            events=summary.status_events, readings=summary.reach_readings))
