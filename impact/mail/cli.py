"""The mail commands of `python -m impact`: remind, digest, and mail (send, status, programme, contact)."""
from __future__ import annotations

import argparse

from impact.domain.access import Actor
from impact.i18n import LANGUAGES, _, ngettext
from impact.mail import outbox
from impact.mail.smtp import SmtpSettings, smtp_settings

SWITCH = {"on": True, "off": False}


def add_commands(commands) -> None:
    remind = commands.add_parser("remind", help="email each silent project's contacts a reminder with a one-time "
                                                "sign-in link (see the README's 'Mail')")
    remind.add_argument("--dry-run", action="store_true", help="list who would get what; send and record nothing")
    remind.add_argument("--programme", metavar="SLUG", help="only this programme")
    digest = commands.add_parser("digest", help="email staff the entries waiting for review (once a day)")
    digest.add_argument("--dry-run", action="store_true", help="list who would get it; send and record nothing")
    mail = commands.add_parser("mail", help="mail: send what waits, failures, settings").add_subparsers(
        dest="mail_command", required=True)
    mail.add_parser("send", help="send every message waiting (review decisions, retries)")
    mail.add_parser("status", help="addresses mail could not reach or that opted out, and uncertain messages")
    programme = mail.add_parser("programme", help="a programme's mail language and which kinds it sends")
    programme.add_argument("slug")
    programme.add_argument("--language", choices=sorted(LANGUAGES))
    for name in ("reminders", "decisions", "digest"):
        programme.add_argument(f"--{name}", choices=sorted(SWITCH))
    contact = mail.add_parser("contact", help="an address's language, or mail to it again after a failure")
    contact.add_argument("address")
    contact.add_argument("--language", choices=[*sorted(LANGUAGES), "programme"],
                         help="the language of its emails (programme: its programme's)")
    contact.add_argument("--clear-failure", action="store_true", help="send to it again")


def run(engine, args: argparse.Namespace, actor: Actor) -> int:
    if args.command == "remind":
        settings = None if args.dry_run else smtp_settings()
        plan = outbox.plan_reminders(engine, actor, args.programme, dry_run=args.dry_run)
        _print_plan(plan, args.dry_run)
        return _send(engine, settings) if settings else 0
    if args.command == "digest":
        settings = None if args.dry_run else smtp_settings()
        _print_plan(outbox.plan_digest(engine, actor, dry_run=args.dry_run), args.dry_run)
        return _send(engine, settings) if settings else 0
    if args.mail_command == "send":
        return _send(engine, smtp_settings())
    if args.mail_command == "status":
        table = outbox.failures(engine, actor)
        print(table.to_string(index=False) if len(table) else _("Every address mail went to was reached."))
    elif args.mail_command == "programme":
        row = outbox.set_programme_mail(engine, actor, args.slug, args.language,
                                        *(SWITCH.get(getattr(args, n) or "") for n in ("reminders", "decisions",
                                                                                       "digest")))
        print(_("{slug}: emails in {language}; reminders {reminders}, decisions {decisions}, digest {digest}.",
                slug=args.slug, language=row.language, reminders=_on(row.reminders), decisions=_on(row.decisions),
                digest=_on(row.digest)))
    elif args.mail_command == "contact":
        if args.language:
            outbox.set_contact_language(engine, actor, args.address,
                                        None if args.language == "programme" else args.language)
        if args.clear_failure:
            outbox.clear_failure(engine, actor, args.address)
        print(_("{email} is updated.", email=args.address))
    return 0


def _on(value: bool) -> str:
    return _("on") if value else _("off")


def _print_plan(plan: list[outbox.Planned], dry_run: bool) -> None:
    for line in plan:
        who = f"{line.slug} <{line.address}>" if line.slug else f"<{line.address}>"
        if line.send:
            print((_("would send") if dry_run else _("to send")) + f": {line.kind} [{line.language}] {who}")
        else:
            print(_("skipped") + f": {line.kind} {who.replace(' <>', '')}: {line.reason}")
    sending = sum(line.send for line in plan)
    print(ngettext("{n} message would be sent.", "{n} messages would be sent.", sending) if dry_run else
          ngettext("{n} message recorded to send.", "{n} messages recorded to send.", sending))


def _send(engine, settings: SmtpSettings) -> int:
    results = outbox.deliver(engine, settings)
    for result in results:
        if result.state != "sent":
            print(f"{result.state}: {result.kind} <{result.address}> {result.answer}")
    sent = sum(result.state == "sent" for result in results)
    later = sum(result.state == "pending" for result in results)
    failed = sum(result.state == "failed" for result in results)
    print(ngettext("{n} email sent", "{n} emails sent", sent) + "; "
          + ngettext("{n} to try again later", "{n} to try again later", later) + "; "
          + ngettext("{n} refused for good (see `python -m impact mail status`).",
                     "{n} refused for good (see `python -m impact mail status`).", failed))
    return 0
