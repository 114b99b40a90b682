"""`python -m impact`: the command line for staff. Errors are one sentence and a non-zero exit code."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from impact.backup import BackupError, backup, restore
from impact.db import ROOT, DatabaseUnavailable, describe, make_engine
from impact.i18n import _
from impact.loader import LoadError, load_folder
from impact.queries import data_version
from impact.schema import current_revision, ensure_schema, head_revision, known_revision, upgrade

DEMO_FOLDER = ROOT / "data" / "demo"


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m impact", description="The hackathon impact dashboard.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init", help="create the tables of a new, empty database")
    demo = commands.add_parser("demo", help="load the demo programmes into an empty database")
    demo.add_argument("--if-empty", action="store_true", help="do nothing (and succeed) if data are already there")
    load = commands.add_parser("load", help="load a data folder (see the README's 'Data formats')")
    load.add_argument("folder", type=Path)
    load.add_argument("--actor", default="cli", help="who is loading, for the audit log")
    db = commands.add_parser("db", help="the database: schema upgrades, backups").add_subparsers(
        dest="db_command", required=True)
    db.add_parser("upgrade", help="upgrade the schema to this version's (back up first)")
    db.add_parser("current", help="show the schema revision of the database and the one this version needs")
    db.add_parser("backup", help="write a backup of the database to FILE").add_argument("file", type=Path)
    db.add_parser("restore", help="restore FILE into an empty database").add_argument("file", type=Path)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        engine = make_engine()
        if args.command == "db":
            return _db(engine, args)
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
    except (DatabaseUnavailable, LoadError, BackupError) as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def _db(engine, args) -> int:
    if args.db_command == "upgrade":
        before = current_revision(engine)
        if before is not None and not known_revision(before):
            ensure_schema(engine)  # says that the database is newer than this version
        upgrade(engine)
        print(_("The database {db} is at schema revision {head} (it was at {before}).", db=describe(engine),
                head=head_revision(), before=before or _("none")))
    elif args.db_command == "current":
        print(_("The database {db} is at schema revision {current}; this version needs {head}.",
                db=describe(engine), current=current_revision(engine) or _("none"), head=head_revision()))
    elif args.db_command == "backup":
        backup(engine, args.file)
        print(_("Backed up {db} to {file}.", db=describe(engine), file=args.file))
    elif args.db_command == "restore":
        restore(engine, args.file)
        ensure_schema(engine)
        print(_("Restored {file} into {db}.", db=describe(engine), file=args.file))
    return 0


def _report(summary, where: str) -> None:
    print(_("Loaded into {db}: {programmes} programme(s), {projects} project(s), {events} status event(s), "
            "{readings} reach reading(s).", db=where, programmes=summary.programmes, projects=summary.projects,
            events=summary.status_events, readings=summary.reach_readings))
