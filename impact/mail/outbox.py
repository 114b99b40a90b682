"""What is sent to whom: every email is recorded (pending) before it is sent, then delivered once.

Deciding: `plan_reminders` (silent projects' contacts), `queue_decision` (inside staff's review transaction) and
`plan_digest` (staff) record pending messages. Deciding is serialised across processes (PostgreSQL: an advisory
transaction lock; SQLite: the write lock every write transaction takes at its start), and each message has a
unique `dedupe` name, so two runs at once decide each message once. A project reminded within REMIND_EVERY_DAYS
(14) is skipped.

Delivering: `deliver` claims one pending message at a time (state `sending`, in its own transaction; PostgreSQL
skips rows another run holds), hands it to the server, and records the answer: `sent`; 4xx or a dropped
connection, tried again after a backoff, then left pending for the next run; 5xx `failed`, recorded on the contact.
A message a dead run left `sending` is marked `uncertain` and never sent again: nothing goes out twice, and a run
that dies halfway leaves the rest pending for the next.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Optional, Sequence

import pandas as pd
from sqlalchemy import Engine, func, or_, select, update
from sqlalchemy.orm import Session

from impact.domain.access import Actor, check_staff
from impact.domain.lifecycle import FUNDED_OR_LATER, ReviewState
from impact.domain.values import EMAIL, aware
from impact.i18n import LANGUAGES, _, format_date
from impact.mail import compose
from impact.mail.smtp import Mailer, Outcome, SmtpSettings
from impact.settings import days, setting
from impact.store.commands import KINDS, CommandError, audit
from impact.store.db import read_frame, write_session
from impact.store.models import (
    Account,
    MailContact,
    MailLink,
    MailMessage,
    MailProgramme,
    Programme,
    Project,
    utcnow,
)
from impact.store.portfolio import portfolio, select_projects
from impact.store.reporting import reports_at, with_reports

RETRY_DELAYS_S: tuple[float, ...] = (2.0, 8.0, 30.0)  # a 4xx answer is tried again after each of these, in one run
LATER = dt.timedelta(minutes=30)  # then the message waits this long for a later run
SENDING_TIMEOUT = dt.timedelta(minutes=15)  # a message claimed longer ago than this belongs to a run that died
PLAN_LOCK = 1_820_018  # PostgreSQL advisory lock held while messages are decided
COUNTRY_LANGUAGES = {"DE": "de", "AT": "de", "LI": "de", "FR": "fr", "MC": "fr", "LU": "fr"}
TOKEN_BYTES = 24


def remind_every() -> dt.timedelta:
    """A project reminded within this many days is not reminded again (REMIND_EVERY_DAYS, default 14)."""
    return days("REMIND_EVERY_DAYS", 14)


def link_lifetime() -> dt.timedelta:
    """How long a sign-in link in an email works (MAIL_LINK_DAYS, default 14)."""
    return days("MAIL_LINK_DAYS", 14)


def mail_enabled() -> bool:
    """Mail is on once SMTP_HOST is set; without it review decisions queue nothing."""
    return bool((setting("SMTP_HOST") or "").strip())


def _mail_domain() -> str:
    return (setting("MAIL_FROM") or "").rpartition("@")[2].strip(" >") or "localhost"


def addresses(text: Optional[str]) -> tuple[list[str], list[str]]:
    """A contact field's addresses (several may be separated by commas, semicolons or spaces), lower-case: the valid
    ones and the rest."""
    words = [word.strip().strip("<>").lower() for word in re.split(r"[,;\s]+", text or "") if word.strip()]
    valid = list(dict.fromkeys(word for word in words if EMAIL.fullmatch(word)))
    return valid, [word for word in words if not EMAIL.fullmatch(word)]


def default_language(country: Optional[str]) -> str:
    return COUNTRY_LANGUAGES.get((country or "").upper(), "en")


@dataclass(frozen=True)
class Planned:
    """One line of a plan: a message to send (`reason` empty), or one not sent and why."""

    programme: str
    slug: str
    project: str
    address: str
    language: str
    kind: str
    reason: str = ""

    @property
    def send(self) -> bool:
        return not self.reason


# --- settings per programme and per contact ------------------------------------------------------------------------


def switches(session: Session, programme: Programme) -> MailProgramme:
    """The programme's mail settings (the defaults, not stored, where it has none)."""
    stored = session.get(MailProgramme, programme.id)
    return stored or MailProgramme(programme_id=programme.id, language=default_language(programme.country),
                                   reminders=True, decisions=True, digest=True)


def contact(session: Session, address: str) -> MailContact:
    """The contact row of an address, made (with its opt-out token) where it is missing."""
    address = address.strip().lower()
    row = session.get(MailContact, address, with_for_update=True)
    if row is None:
        row = MailContact(address=address, unsubscribe_token=secrets.token_urlsafe(TOKEN_BYTES), failure="")
        session.add(row)
        session.flush()
    return row


def set_programme_mail(engine: Engine, actor: Actor, slug: str, language: Optional[str] = None,
                       reminders: Optional[bool] = None, decisions: Optional[bool] = None,
                       digest: Optional[bool] = None) -> MailProgramme:
    """Change a programme's mail language or switches (staff); what is not given stays."""
    check_staff(actor)
    if language is not None and language not in LANGUAGES:
        raise CommandError(_("“{language}” is not a language of the dashboard; use en, fr or de.", language=language))
    with write_session(engine) as session, session.begin():
        programme = session.scalar(select(Programme).where(Programme.slug == slug))
        if programme is None:
            raise CommandError(_("There is no programme “{slug}”.", slug=slug))
        current = switches(session, programme)
        before = _switch_record(current)
        current.language = language or current.language
        for name, value in (("reminders", reminders), ("decisions", decisions), ("digest", digest)):
            if value is not None:
                setattr(current, name, value)
        session.merge(current)
        audit(session, actor, "mail settings", f"programme {slug}", before, _switch_record(current))
        return current


def _switch_record(row: MailProgramme) -> dict:
    return {"language": row.language, "reminders": row.reminders, "decisions": row.decisions, "digest": row.digest}


def set_contact_language(engine: Engine, actor: Actor, address: str, language: Optional[str]) -> None:
    """The language an address gets its emails in (None: its programme's). Staff."""
    check_staff(actor)
    if language is not None and language not in LANGUAGES:
        raise CommandError(_("“{language}” is not a language of the dashboard; use en, fr or de.", language=language))
    valid, _rest = addresses(address)
    if len(valid) != 1:
        raise CommandError(_("“{email}” is not an email address.", email=address))
    with write_session(engine) as session, session.begin():
        row = contact(session, valid[0])
        before = {"language": row.language}
        row.language = language
        audit(session, actor, "mail contact", f"contact {row.address}", before, {"language": language})


# --- deciding -------------------------------------------------------------------------------------------------------


def _serialise(session: Session) -> None:
    """One process decides messages at a time (SQLite: the write transaction already holds the database's lock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(PLAN_LOCK)))


def _record(session: Session, actor: Actor, kind: str, project_id: Optional[int], address: str, dedupe: str,
            detail: dict) -> bool:
    """A pending message, unless one with the same name exists (then False)."""
    if session.scalar(select(MailMessage.id).where(MailMessage.dedupe == dedupe)) is not None:
        return False
    session.add(MailMessage(kind=kind, project_id=project_id, address=address, dedupe=dedupe,
                            detail=json.dumps(detail, ensure_ascii=False), state="pending", attempts=0, error="",
                            message_id=compose.new_message_id(f"x@{_mail_domain()}"), created_by=actor.name))
    session.flush()
    return True


def last_reminded(session: Session, project_id: int) -> Optional[dt.datetime]:
    """When the project's latest reminder was decided (one refused for good does not count)."""
    stamp = session.scalar(select(func.max(MailMessage.created_at)).where(
        MailMessage.project_id == project_id, MailMessage.kind == "reminder", MailMessage.state != "failed"))
    return aware(stamp) if stamp else None


def plan_reminders(engine: Engine, actor: Actor, programme: Optional[str] = None,
                   projects: Optional[Sequence[str]] = None, dry_run: bool = False,
                   today: Optional[dt.date] = None, now: Optional[dt.datetime] = None) -> list[Planned]:
    """Record a reminder for each contact of each silent project (funded or later, no approved update for longer
    than its programme's threshold, or a report late by its programme's calendar), of one programme or all, or only
    of the given projects; the dry run records nothing. Returns every line, sent or skipped with the reason."""
    check_staff(actor)
    today, now = today or dt.date.today(), now or utcnow()
    with engine.connect() as conn:
        query = select(Programme.id, Programme.slug).order_by(Programme.name)
        chosen = conn.execute(query.where(Programme.slug == programme) if programme else query).all()
    if programme and not chosen:
        raise CommandError(_("There is no programme “{slug}”.", slug=programme))
    silent_rows: dict[int, pd.DataFrame] = {}
    for programme_id, _slug in chosen:
        with engine.connect() as conn:
            row = conn.execute(select(Programme.silent_after_days, Programme.report_every, Programme.report_from,
                                      Programme.report_dates, Programme.report_grace_days)
                               .where(Programme.id == programme_id)).one()
        table = with_reports(portfolio(engine, [programme_id], today),
                             reports_at(engine, programme_id, Programme.calendar_of(row), today))
        table = select_projects(table, FUNDED_OR_LATER, silent_for_more_than=row.silent_after_days)
        silent_rows[programme_id] = table[table["slug"].isin(projects)] if projects is not None else table
    plan: list[Planned] = []
    with write_session(engine) as session, session.begin():
        _serialise(session)
        for programme_id, _slug in chosen:
            prog = session.get_one(Programme, programme_id)
            mail = switches(session, prog)
            for row in silent_rows[programme_id].itertuples():
                project = session.scalar(select(Project).where(Project.slug == row.slug))
                if project is None:
                    continue
                days_silent = None if pd.isna(row.days_silent) else int(row.days_silent)
                late_reports = getattr(row, "late_reports", None)
                late = ({"late_reports": int(late_reports),
                         "late_since": pd.Timestamp(row.late_since).date().isoformat()}
                        if late_reports is not None and not pd.isna(late_reports) and late_reports > 0 else {})
                plan.extend(_remind(session, actor, prog, mail, project, {"days_silent": days_silent, **late}, now,
                                    dry_run))
        sent = sum(line.send for line in plan)
        if dry_run:
            session.rollback()
        elif sent:
            audit(session, actor, "mail reminders", f"programme {programme}" if programme else "all programmes",
                  None, {"messages": sent})
    return plan


def _remind(session: Session, actor: Actor, programme: Programme, mail: MailProgramme, project: Project,
            detail: dict, now: dt.datetime, dry_run: bool) -> list[Planned]:
    """The lines of one project's reminder; `detail` (days_silent, and late_reports and late_since where a report is
    late) is kept with each message for its text."""
    def line(address: str = "", language: str = "", reason: str = "") -> Planned:
        return Planned(programme.name, project.slug, project.name, address, language or mail.language, "reminder",
                       reason)

    if not mail.reminders:
        return [line(reason=_("reminders are switched off for {programme}", programme=programme.name))]
    last = last_reminded(session, project.id)
    if last is not None and last > now - remind_every():
        return [line(reason=_("reminded on {date}", date=format_date(last.date())))]
    valid, invalid = addresses(project.contact_email)
    lines = [line(bad, reason=_("“{email}” is not an email address", email=bad)) for bad in invalid]
    if not valid and not invalid:
        lines.append(line(reason=_("no contact address")))
    for address in valid:
        row = contact(session, address)
        language = row.language or mail.language
        if row.opted_out_at is not None:
            lines.append(line(address, language, _("opted out of emails")))
        elif row.failed_at is not None:
            lines.append(line(address, language, _("delivery failed before: {error}", error=row.failure)))
        elif dry_run or _record(session, actor, "reminder", project.id, address,
                                f"reminder:{project.id}:{address}:{now.date().isoformat()}", detail):
            lines.append(line(address, language))
        else:
            lines.append(line(address, language, _("already decided today")))
    return lines


def queue_decision(session: Session, actor: Actor, project: Project, kind: str, entry_id: int, what: str,
                   approved: bool, note: str) -> int:
    """Inside staff's review transaction: record the email telling the team's contacts of the decision (unless mail
    is off, or decisions are switched off for the programme). Returns how many were recorded."""
    if not mail_enabled():
        return 0
    programme = session.get_one(Programme, project.programme_id)
    if not switches(session, programme).decisions:
        return 0
    valid, _rest = addresses(project.contact_email)
    recorded = 0
    for address in valid:
        row = contact(session, address)
        if row.opted_out_at is None and row.failed_at is None:
            recorded += _record(session, actor, "approved" if approved else "returned", project.id, address,
                                f"decision:{kind}:{entry_id}:{address}",
                                {"entry_kind": kind, "entry_id": entry_id, "what": what, "note": note})
    return recorded


def plan_digest(engine: Engine, actor: Actor, today: Optional[dt.date] = None,
                dry_run: bool = False) -> list[Planned]:
    """Record today's digest for each active staff account, where entries wait for review in programmes whose
    digest is on. Once a day per address."""
    check_staff(actor)
    today = today or dt.date.today()
    plan: list[Planned] = []
    with write_session(engine) as session, session.begin():
        _serialise(session)
        waiting = []
        for prog in session.scalars(select(Programme).order_by(Programme.name)):
            if not switches(session, prog).digest:
                continue
            count, oldest = 0, None
            for model in KINDS.values():  # every kind of entry staff review
                n, first = session.execute(
                    select(func.count(), func.min(model.recorded_at)).join(Project, Project.id == model.project_id)
                    .where(Project.programme_id == prog.id, model.review_state == ReviewState.PENDING)).one()
                count += n
                if first is not None:
                    oldest = min(oldest, aware(first)) if oldest else aware(first)
            if count and oldest is not None:
                waiting.append([prog.name, count, oldest.date().isoformat()])
        if not waiting:
            return []
        staff = session.scalars(select(Account.email).where(Account.role == "staff", Account.disabled.is_(False))
                                .order_by(Account.email))
        for address in list(staff):
            row = contact(session, address)
            language = row.language or "en"
            if row.opted_out_at is not None:
                plan.append(Planned("", "", "", address, language, "digest", _("opted out of emails")))
            elif dry_run or _record(session, actor, "digest", None, address, f"digest:{address}:{today.isoformat()}",
                                    {"waiting": waiting}):
                plan.append(Planned("", "", "", address, language, "digest"))
            else:
                plan.append(Planned("", "", "", address, language, "digest", _("already decided today")))
        if dry_run:
            session.rollback()
    return plan


# --- delivering -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivered:
    """One message a run handed to the server, and the answer."""

    id: int
    kind: str
    address: str
    state: str  # sent, failed, pending (tried again later), or skipped (opted out since)
    answer: str


@dataclass(frozen=True)
class _Claimed:
    id: int
    kind: str
    address: str
    email: object  # an EmailMessage, or None where the message is not sent after all (opted out)


def deliver(engine: Engine, settings: SmtpSettings, retry_delays: Optional[Sequence[float]] = None,
            sleep: Callable[[float], None] = time.sleep, limit: Optional[int] = None) -> list[Delivered]:
    """Send every pending message that is due, each once; at most `limit` messages."""
    retry_delays = RETRY_DELAYS_S if retry_delays is None else retry_delays
    abandon(engine)
    results: list[Delivered] = []
    handled: set[int] = set()
    with Mailer(settings) as mailer:
        while limit is None or len(results) < limit:
            claimed = _claim(engine, settings, handled)
            if claimed is None:
                break
            handled.add(claimed.id)
            if claimed.email is None:
                results.append(Delivered(claimed.id, claimed.kind, claimed.address, "skipped", ""))
                continue
            outcome = mailer.send(claimed.email, claimed.address)  # type: ignore[arg-type]
            for delay in retry_delays:
                if outcome.sent or outcome.permanent:
                    break
                sleep(delay)
                outcome = mailer.send(claimed.email, claimed.address)  # type: ignore[arg-type]
            results.append(_finish(engine, claimed, outcome))
    return results


def abandon(engine: Engine, now: Optional[dt.datetime] = None) -> int:
    """Messages a run claimed and never finished (it died while sending): `uncertain`, never sent again."""
    now = now or utcnow()
    with write_session(engine) as session, session.begin():
        result = session.execute(update(MailMessage).where(
            MailMessage.state == "sending", MailMessage.claimed_at < now - SENDING_TIMEOUT)
            .values(state="uncertain", error="the run sending it stopped before the server answered"))
        return int(getattr(result, "rowcount", 0) or 0)


def _claim(engine: Engine, settings: SmtpSettings, handled: Iterable[int]) -> Optional[_Claimed]:
    now = utcnow()
    with write_session(engine) as session, session.begin():
        message = session.scalar(
            select(MailMessage).where(MailMessage.state == "pending",
                                      or_(MailMessage.next_attempt_at.is_(None), MailMessage.next_attempt_at <= now),
                                      MailMessage.id.not_in(list(handled)))
            .order_by(MailMessage.id).limit(1).with_for_update(skip_locked=True))
        if message is None:
            return None
        person = contact(session, message.address)
        if person.opted_out_at is not None:
            message.state, message.error = "failed", "opted out before it was sent"
            return _Claimed(message.id, message.kind, message.address, None)
        message.state, message.claimed_at, message.attempts = "sending", now, message.attempts + 1
        return _Claimed(message.id, message.kind, message.address, _compose(session, settings, message, person, now))


def _compose(session: Session, settings: SmtpSettings, message: MailMessage, person: MailContact,
             now: dt.datetime):
    detail = json.loads(message.detail or "{}")
    unsubscribe = f"{settings.public_url}/mail/unsubscribe?token={person.unsubscribe_token}"
    if message.kind == "digest":
        waiting = [(name, int(n), dt.date.fromisoformat(oldest)) for name, n, oldest in detail.get("waiting", [])]
        content = compose.digest(person.language or "en", waiting, f"{settings.public_url}/review", unsubscribe)
    else:
        project = session.get_one(Project, message.project_id)
        programme = session.get_one(Programme, project.programme_id)
        language = person.language or switches(session, programme).language
        link, expires = None, None
        if message.kind in ("reminder", "returned"):
            link, expires = _new_link(session, project.id, message.id, now), (now + link_lifetime()).date()
            link = f"{settings.public_url}/update?link={link}"
        name = _name_in(programme, language)
        if message.kind == "reminder":
            assert link is not None and expires is not None
            late = ((detail["late_reports"], dt.date.fromisoformat(detail["late_since"]))
                    if detail.get("late_reports") else None)
            content = compose.reminder(language, project.name, name, detail.get("days_silent"), link, expires,
                                       unsubscribe, late)
        else:
            content = compose.decision(language, message.kind == "approved", project.name, name,
                                       detail.get("entry_kind", "update"), detail.get("what", ""),
                                       detail.get("note", ""), link, expires, unsubscribe)
    return compose.build(content, settings.sender, message.address, message.message_id, now)


def _name_in(programme: Programme, language: str) -> str:
    return {"de": programme.name_de, "fr": programme.name_fr}.get(language) or programme.name


def _new_link(session: Session, project_id: int, message_id: int, now: dt.datetime) -> str:
    """A one-time sign-in link's token; only its hash is kept."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(MailLink(token_hash=hashlib.sha256(token.encode()).hexdigest(), project_id=project_id,
                         message_id=message_id, created_at=now, expires_at=now + link_lifetime()))
    return token


def _finish(engine: Engine, claimed: _Claimed, outcome: Outcome) -> Delivered:
    now = utcnow()
    with write_session(engine) as session, session.begin():
        message = session.get_one(MailMessage, claimed.id, with_for_update=True)
        if outcome.sent:
            message.state, message.sent_at, message.error = "sent", now, ""
        elif outcome.permanent:
            message.state, message.error = "failed", outcome.text
            person = contact(session, message.address)
            person.failed_at, person.failure = now, outcome.text
        else:
            message.state, message.next_attempt_at, message.error = "pending", now + LATER, outcome.text
        return Delivered(message.id, message.kind, message.address, message.state, outcome.text)


# --- what staff see -------------------------------------------------------------------------------------------------


def reminders_of(engine: Engine, actor: Actor, programme_id: int) -> pd.DataFrame:
    """Per project of the programme: when it was last reminded (slug, last_reminded)."""
    check_staff(actor)
    m = MailMessage
    return read_frame(engine, select(Project.slug, func.max(m.created_at).label("last_reminded"))
                      .join(m, m.project_id == Project.id)
                      .where(Project.programme_id == programme_id, m.kind == "reminder", m.state != "failed")
                      .group_by(Project.slug))


def failures(engine: Engine, actor: Actor) -> pd.DataFrame:
    """Addresses mail could not reach (refused for good) or that opted out, and messages whose fate is uncertain:
    address, what, when, why."""
    check_staff(actor)
    c, m = MailContact, MailMessage
    contacts = read_frame(engine, select(c.address, c.failed_at, c.failure, c.opted_out_at)
                          .where(or_(c.failed_at.is_not(None), c.opted_out_at.is_not(None))))
    uncertain = read_frame(engine, select(m.address, m.kind, m.claimed_at, m.error).where(m.state == "uncertain"))
    rows = [{"address": r.address, "what": _("delivery failed"), "when": r.failed_at, "why": r.failure}
            for r in contacts.itertuples() if r.failed_at is not None and not pd.isna(r.failed_at)]
    rows += [{"address": r.address, "what": _("opted out"), "when": r.opted_out_at, "why": ""}
             for r in contacts.itertuples() if r.opted_out_at is not None and not pd.isna(r.opted_out_at)]
    rows += [{"address": r.address, "what": _("perhaps not sent"), "when": r.claimed_at,
              "why": _("the run sending it stopped before the server answered; it is not sent again")}
             for r in uncertain.itertuples()]
    return pd.DataFrame(rows, columns=["address", "what", "when", "why"])


def clear_failure(engine: Engine, actor: Actor, address: str) -> None:
    """Staff fixed an address (or the server): mail goes to it again."""
    check_staff(actor)
    with write_session(engine) as session, session.begin():
        row = session.get(MailContact, address.strip().lower(), with_for_update=True)
        if row is None or row.failed_at is None:
            raise CommandError(_("Mail to “{email}” has not failed.", email=address))
        before = {"failed_at": row.failed_at.isoformat(), "failure": row.failure}
        row.failed_at, row.failure = None, ""
        audit(session, actor, "mail contact", f"contact {row.address}", before, {"failed_at": None})


def send_reminders(engine: Engine, actor: Actor, programme: str, projects: Sequence[str]) -> list[Delivered]:
    """Staff's "send" on the Silent page: record the chosen projects' reminders (the same rules as `remind`), then
    deliver what waits. CommandError, saying what to set, where mail is not configured."""
    from impact.mail.smtp import MailNotConfigured, smtp_settings

    try:
        settings = smtp_settings()
    except MailNotConfigured as exc:
        raise CommandError(str(exc)) from None
    plan_reminders(engine, actor, programme, projects=projects)
    return deliver(engine, settings)
