"""`python -m impact`: the command line for staff. Errors are one sentence and a non-zero exit code.

It acts as the staff actor `cli:<user>` (impact.domain.access.command_line), the user who runs it, and the audit log
names it so: whoever runs it on the server holds the database already."""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import getpass
import os
import sys
from pathlib import Path

from tqdm import tqdm

from impact.domain.access import Actor, NotAllowed, command_line
from impact.domain.values import date
from impact.formats import dataset, report, spreadsheets
from impact.formats.cells import csv_bytes, excel_bytes
from impact.formats.loader import LoadError, load_folder
from impact.i18n import _, best_language, format_number, ngettext, set_language
from impact.mail import cli as mail_cli
from impact.mail.smtp import MailNotConfigured
from impact.store import admin, tokens
from impact.store.auth import MIN_PASSWORD_LENGTH
from impact.store.backup import BackupError, backup, restore
from impact.store.commands import CommandError
from impact.store.db import ROOT, DatabaseUnavailable, describe, make_engine
from impact.store.models import ACCOUNT_ROLES
from impact.store.queries import data_version, programme_info
from impact.store.schema import current_revision, ensure_schema, head_revision, known_revision, upgrade

DEMO_FOLDER = ROOT / "data" / "demo"
IMPORTED = (".csv", ".txt", ".tsv", ".xlsx", ".ods", ".toml", ".zip")  # the files of a folder `import` reads


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m impact", description="The hackathon impact dashboard.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init", help="create the tables of a new, empty database")
    serve = commands.add_parser("serve", help="serve the dashboard (what `make run` does); other options go to "
                                              "`streamlit run`")
    serve.add_argument("--address", default="localhost", help="the address to listen on (default: localhost)")
    serve.add_argument("--port", type=int, default=8501, help="default: 8501")
    demo = commands.add_parser("demo", help="load the demo programmes into an empty database")
    demo.add_argument("--if-empty", action="store_true", help="do nothing (and succeed) if data are already there")
    load = commands.add_parser("load", help="load a data folder, or the .zip of one (see the README's 'Data "
                                           "formats')")
    load.add_argument("folder", type=Path)
    load.add_argument("--recorded-by", "--actor", dest="recorded_by", metavar="NAME",
                      help="who recorded the rows that do not say (default: cli:<you>); the audit log names cli:<you>")
    db = commands.add_parser("db", help="the database: schema upgrades, backups").add_subparsers(
        dest="db_command", required=True)
    db.add_parser("upgrade", help="upgrade the schema to this version's (back up first)")
    db.add_parser("current", help="show the schema revision of the database and the one this version needs")
    db.add_parser("backup", help="write a backup of the database to FILE").add_argument("file", type=Path)
    db.add_parser("restore", help="restore FILE into an empty database").add_argument("file", type=Path)
    imports = commands.add_parser("import", help="import spreadsheets (CSV, .xlsx or .ods: projects, status events, "
                                                 "reach readings, targets, milestones, or a Devpost export; or an "
                                                 "export of the dashboard: its folder, .zip, workbook or "
                                                 "programmes.toml), all or nothing")
    imports.add_argument("files", type=Path, nargs="+", help="files, or folders of them")
    imports.add_argument("--dry-run", action="store_true", help="say what would change, write nothing")
    imports.add_argument("--programme", help="the programme a Devpost export's projects join")
    imports.add_argument("--encoding", choices=["utf-8", "utf-16", "cp1252"], help="default: detected")
    imports.add_argument("--delimiter", choices=[";", ",", "tab"], help="default: detected")
    imports.add_argument("--dates", choices=["day-first", "month-first"],
                         help="how 03/04/2021 reads (default: decided per column from its dates, a number above 12 "
                              "settling it; a column that nothing settles is refused until you choose)")
    imports.add_argument("--drafts", action="store_true", help="import a Devpost export's drafts too")
    imports.add_argument("--challenge-column", metavar="COLUMN",
                         help="the Devpost column that holds the challenge number (default: the project's title)")
    imports.add_argument("--recorded-by", "--actor", dest="recorded_by", metavar="NAME",
                         help="who recorded the rows that do not say (default: cli:<you>); the audit log names "
                              "cli:<you>")
    export = commands.add_parser("export", help="export the data set: a folder `load` takes back, a .zip of it, an "
                                                ".xlsx workbook or an .ods spreadsheet")
    export.add_argument("path", type=Path)
    export.add_argument("--programme", action="append", default=[], help="only this programme (repeatable)")
    grants = commands.add_parser("grants", help="funded projects as a 360Giving grants file (.csv or .xlsx)")
    grants.add_argument("path", type=Path)
    grants.add_argument("--prefix", required=True, help="your registered 360Giving prefix, e.g. 360G-example")
    grants.add_argument("--funder-id", required=True, help="the funding organisation's org-id, e.g. GB-CHC-1234567")
    grants.add_argument("--funder-name", required=True)
    grants.add_argument("--programme", action="append", default=[], help="only this programme (repeatable)")
    report_command = commands.add_parser("report", help="the funder report of a programme as of a date")
    report_command.add_argument("path", type=Path, help="the file to write (.html or .pdf)")
    report_command.add_argument("--programme", required=True, help="the programme's slug")
    report_command.add_argument("--as-of", type=_day, default=dt.date.today(), help="YYYY-MM-DD (default: today)")
    report_command.add_argument("--since", type=_day, default=None,
                                help="what changed is counted from this day, YYYY-MM-DD (default: 3 months before)")
    report_command.add_argument("--paper", choices=report.PAPERS, default="A4", help="the PDF's paper (default A4)")
    account = commands.add_parser("account", help="staff and funder accounts").add_subparsers(
        dest="account_command", required=True)
    add = account.add_parser("add", help="add an account; asks for its password (or reads it from stdin)")
    add.add_argument("--email", required=True)
    add.add_argument("--role", choices=ACCOUNT_ROLES, required=True)
    add.add_argument("--programme", action="append", default=[], help="a programme a funder reads (repeatable)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    add.add_argument("--no-password", action="store_true", help="the account signs in only through OIDC")
    for name, text in (("disable", "disable an account (it is signed out at once)"), ("enable", "enable it again")):
        account.add_parser(name, help=text).add_argument("--email", required=True)
    password = account.add_parser("password", help="set an account's password")
    password.add_argument("--email", required=True)
    password.add_argument("--password-stdin", action="store_true")
    account.add_parser("signout", help="end every session of an account, in every browser").add_argument(
        "--email", required=True)
    account.add_parser("list", help="list the accounts")
    key = commands.add_parser("key", help="teams' update keys").add_subparsers(dest="key_command", required=True)
    issue = key.add_parser("issue", help="issue a key for a project's team; prints it once")
    issue.add_argument("--project", required=True, help="the project's slug")
    issue.add_argument("--expires", type=_day, help="last day the key works (YYYY-MM-DD)")
    key.add_parser("revoke", help="revoke a key by its number (see `key list`)").add_argument("id", type=int)
    key.add_parser("list", help="list the keys issued")
    check = commands.add_parser("check", help="check the projects' websites and repositories (liveness signals)")
    check.add_argument("--programme", help="only this programme's projects")
    check.add_argument("--project", help="only this project")
    check.add_argument("--concurrency", type=int, help="projects checked at once (default: SIGNALS_CONCURRENCY, 16)")
    mail_cli.add_commands(commands)
    token = commands.add_parser("token", help="API tokens of staff and funder accounts").add_subparsers(
        dest="token_command", required=True)
    issue_token = token.add_parser("issue", help="issue an API token for an account; prints it once")
    issue_token.add_argument("--email", required=True)
    issue_token.add_argument("--expires", type=_day, help="YYYY-MM-DD (default: in 90 days; at most a year ahead)")
    token.add_parser("revoke", help="revoke a token by its number (see `token list`)").add_argument("id", type=int)
    token.add_parser("list", help="list the tokens issued")
    return parser


@contextlib.contextmanager
def stages(description: str, names: tuple[str, ...]):
    """A progress bar on stderr (only when it is a terminal) that moves on as each named stage starts; yields the
    callback that the long-running function calls with the stage's name."""
    with tqdm(total=len(names), desc=description, unit=_("step"), file=sys.stderr, disable=None, leave=False) as bar:
        def step(name: str) -> None:
            bar.set_postfix_str(name)
            bar.update(max(0, names.index(name) - bar.n) if name in names else 0)
        yield step
        bar.update(bar.total - bar.n)


def _actor() -> Actor:
    """The command line's actor: staff, named after the user who runs it."""
    return command_line(getpass.getuser())


def _day(text: str) -> dt.date:
    day = date(text)
    if day is None:
        raise argparse.ArgumentTypeError(_("'{text}' is not a date written YYYY-MM-DD", text=text))
    return day


def _password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(ngettext("Password (at least {n} character): ", "Password (at least {n} characters): ",
                                     MIN_PASSWORD_LENGTH))
    if getpass.getpass(_("The same password again: ")) != first:
        raise CommandError(_("The two passwords differ; nothing was changed."))
    return first


def _import(engine, args) -> None:
    files = []
    for path in args.files:
        if path.is_dir():  # an exported folder: its files
            files += [(f"{path.name}/{p.name}", p.read_bytes()) for p in sorted(path.iterdir())
                      if p.suffix.lower() in IMPORTED and p.is_file()]
        elif path.is_file():
            files.append((path.name, path.read_bytes()))
        else:
            raise CommandError(_("{path} is not a file.", path=path))
    delimiter = "\t" if args.delimiter == "tab" else args.delimiter
    options = spreadsheets.Options(encoding=args.encoding, delimiter=delimiter, programme=args.programme,
                                   drafts=args.drafts, challenge_column=args.challenge_column,
                                   day_first=None if args.dates is None else args.dates == "day-first")
    with stages(_("Importing"), ("reading", "checking", "writing")) as step:
        summary = spreadsheets.import_files(engine, files, options, _actor(), dry_run=args.dry_run, progress=step,
                                            recorded_by=args.recorded_by)
    for note in summary.notes:
        print(note)
    print((_("Dry run, nothing written. It would add:") if args.dry_run else _("Added:")) + " " +
          _("{programmes}, {projects}, {events}, {readings}; {updated}, {unchanged}.",
            **_counted(summary.programmes, summary.projects, summary.status_events, summary.reach_readings),
            updated=ngettext("{n} project updated", "{n} projects updated", summary.updated),
            unchanged=ngettext("{n} row already there", "{n} rows already there", summary.unchanged))
          + _plans(summary.targets, summary.milestones, summary.programme_targets))


def _plans(targets: int, milestones: int, programme_targets: int = 0) -> str:
    """The projects' targets and milestones and the programmes' targets counted, as sentences to add to a count of
    the rest ("" when there are none)."""
    said = ""
    if targets or milestones:
        said += " " + _("Targets and milestones: {targets}, {milestones}.",
                        targets=ngettext("{n} target", "{n} targets", targets),
                        milestones=ngettext("{n} milestone", "{n} milestones", milestones))
    if programme_targets:
        said += " " + _("Programme targets: {targets}.",
                        targets=ngettext("{n} target", "{n} targets", programme_targets))
    return said


def _counted(programmes: int, projects: int, events: int, readings: int) -> dict[str, str]:
    """Each count with its noun in the form the language uses for it ("1 project", "2 projects"), for a sentence
    that lists them."""
    return {"programmes": ngettext("{n} programme", "{n} programmes", programmes),
            "projects": ngettext("{n} project", "{n} projects", projects),
            "events": ngettext("{n} status event", "{n} status events", events),
            "readings": ngettext("{n} reach reading", "{n} reach readings", readings)}


def _report_file(engine, args) -> None:
    path: Path = args.path
    if path.suffix not in (".html", ".pdf"):
        raise CommandError(_("Name the report file .html or .pdf."))
    if path.exists():
        raise CommandError(_("{path} already exists; name a new file.", path=path))
    programme = programme_info(engine, args.programme)
    if programme is None:
        raise CommandError(_("There is no programme '{slug}'.", slug=args.programme))
    document = report.report_html(engine, _actor(), programme, args.as_of, args.since, args.paper)
    path.write_bytes(report.report_pdf(document) if path.suffix == ".pdf" else document.encode("utf-8"))
    print(_("Wrote the report of {programme} as of {as_of} to {path}.", programme=programme.name,
            as_of=args.as_of.isoformat(), path=path))


def _export(engine, args) -> None:
    path: Path = args.path
    if path.exists() and (path.is_file() or any(path.iterdir())):
        raise CommandError(_("{path} already exists; name a new file or an empty folder.", path=path))
    if args.command == "grants":
        grants = dataset.grants_360(engine, _actor(), args.prefix, args.funder_id, args.funder_name, args.programme)
        path.write_bytes(excel_bytes(grants, "grants") if path.suffix == ".xlsx" else csv_bytes(grants, bom=False))
        print(ngettext("Wrote {n} grant to {path}.", "Wrote {n} grants to {path}.", len(grants), path=path))
        return
    data = dataset.dataset(engine, _actor(), args.programme)
    if path.suffix == ".xlsx":
        path.write_bytes(data.workbook_bytes())
    elif path.suffix == ".ods":
        path.write_bytes(data.workbook_bytes("odf"))
    elif path.suffix == ".zip":
        path.write_bytes(data.zip_bytes())
    else:
        data.write_folder(path)
    print(_("Exported {programmes}, {projects}, {events} and {readings} to {path}.", path=path,
            **_counted(len(data.programmes), len(data.projects), len(data.status_events), len(data.reach_readings)))
          + _plans(len(data.targets), len(data.milestones), sum(len(p["target"]) for p in data.programmes)))


def _accounts(engine, args) -> None:
    actor = _actor()
    if args.account_command == "add":
        secret = None if args.no_password else _password(args)
        admin.add_account(engine, actor, args.email, args.role, secret, args.programme)
        print(_("Added the {role} account {email}.", role=args.role, email=args.email.strip().lower()))
    elif args.account_command in ("disable", "enable"):
        disabled = args.account_command == "disable"
        admin.set_account_disabled(engine, actor, args.email, disabled)
        print(_("The account {email} is disabled.", email=args.email) if disabled
              else _("The account {email} is enabled.", email=args.email))
    elif args.account_command == "password":
        admin.set_password(engine, actor, args.email, _password(args))
        print(_("The password of {email} is set.", email=args.email))
    elif args.account_command == "signout":
        ended = admin.sign_out_everywhere(engine, actor, args.email)
        print(ngettext("Ended {n} session of {email}.", "Ended {n} sessions of {email}.", ended, email=args.email))
    else:
        print(admin.accounts(engine, actor).to_string(index=False))


def _keys(engine, args) -> None:
    actor = _actor()
    if args.key_command == "issue":
        issued = admin.issue_key(engine, actor, args.project, args.expires)
        print(_("Update key for {project} (shown only this once; give it to the team, or the link "
                "https://<your dashboard>/update?key=<key>):", project=issued.project_slug))
        print(issued.key)
    elif args.key_command == "revoke":
        admin.revoke_key(engine, actor, args.id)
        print(_("Key {id} is revoked.", id=args.id))
    else:
        print(admin.update_keys(engine, actor).to_string(index=False))


def _tokens(engine, args) -> None:
    actor = _actor()
    if args.token_command == "issue":
        issued = tokens.issue_token(engine, actor, args.email, args.expires)
        print(_("API token for {email}, valid until {day} (shown only this once; send it as the header "
                "`Authorization: Bearer <token>`):", email=issued.email, day=issued.expires_on.isoformat()))
        print(issued.token)
    elif args.token_command == "revoke":
        tokens.revoke_token(engine, actor, args.id)
        print(_("API token {id} is revoked.", id=args.id))
    else:
        print(tokens.api_tokens(engine, actor).to_string(index=False))


def main(argv: list[str] | None = None) -> int:
    set_language(best_language(os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG")))
    args, rest = parser().parse_known_args(argv)
    if rest and args.command != "serve":
        parser().parse_args(argv)  # says what is not understood, and exits
    if args.command == "serve":
        from impact.ui import web  # Streamlit and Starlette, which no other command needs

        web.serve(args.address, args.port, rest)
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
            with stages(_("Loading the demo"), ("checking", "writing")) as step:
                _report(load_folder(engine, DEMO_FOLDER, _actor(), progress=step), describe(engine))
        elif args.command == "load":
            with stages(_("Loading"), ("checking", "writing")) as step:
                _report(load_folder(engine, args.folder, _actor(), progress=step, recorded_by=args.recorded_by),
                        describe(engine))
        elif args.command == "import":
            _import(engine, args)
        elif args.command == "report":
            _report_file(engine, args)
        elif args.command in ("export", "grants"):
            _export(engine, args)
        elif args.command == "account":
            _accounts(engine, args)
        elif args.command == "key":
            _keys(engine, args)
        elif args.command == "check":
            _check(engine, args)
        elif args.command in ("remind", "digest", "mail"):
            return mail_cli.run(engine, args, _actor())
        elif args.command == "token":
            _tokens(engine, args)
    except (DatabaseUnavailable, LoadError, BackupError, CommandError, NotAllowed, report.ReportError,
            MailNotConfigured) as exc:
        print(exc, file=sys.stderr)
        return 1
    except OSError as exc:  # a file or folder that cannot be read or written
        print(_("{path}: {reason}. Check the path and its permissions.", path=exc.filename or "",
                reason=exc.strerror or exc), file=sys.stderr)
        return 1
    return 0


def _check(engine, args) -> None:
    import dataclasses

    from impact.signals import run
    from impact.signals.settings import CheckSettings

    settings = CheckSettings.from_settings()
    if args.concurrency is not None:
        settings = dataclasses.replace(settings, concurrency=max(1, args.concurrency))
    with tqdm(desc=_("Checking"), unit=_("project"), file=sys.stderr, disable=None) as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)
        summary = run.check(engine, _actor(), args.programme, args.project, settings, progress)
    print(ngettext("Checked {n} project: {checks}, {up} answering.", "Checked {n} projects: {checks}, {up} answering.",
                   summary.projects, checks=ngettext("{n} check", "{n} checks", summary.checks),
                   up=format_number(summary.up)))


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
    print(_("Loaded into {db}: {programmes}, {projects}, {events}, {readings}.", db=where,
            **_counted(summary.programmes, summary.projects, summary.status_events, summary.reach_readings))
          + _plans(summary.targets, summary.milestones, summary.programme_targets))
