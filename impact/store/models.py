"""The data model: programmes, their challenges and metrics, projects, and their append-only history.

Nothing here stores a project's *current* status or reach: both are derived from the history by
`impact.store.queries`, so that the dashboard can answer "as it stood on any date" exactly.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar, Optional

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from impact.domain.calendar import CADENCES, GRACE_DAYS, Calendar
from impact.domain.lifecycle import REVIEW_STATES, STATUSES, ReviewState
from impact.domain.values import SILENT_AFTER_DAYS

ACCOUNT_ROLES: tuple[str, ...] = ("staff", "funder")

# One naming convention for every constraint, so that migrations can name what they change.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # Every model here is mapped to a Table (DeclarativeBase types __table__ as any FromClause, which Core's
    # insert() and update() do not take): the narrower type SQLAlchemy's maintainers suggest for such mappings.
    __table__: ClassVar[Table]


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"  # the values, not the enum members


class DueDates(TypeDecorator):
    """Dates kept as one text, ISO dates in order separated by ", " (a programme's report dates): a short list,
    always read whole, that programmes.toml writes as an array of dates and a workbook as one cell."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return ", ".join(day.isoformat() for day in sorted(set(value or ())))

    def process_result_value(self, value, dialect):
        return [dt.date.fromisoformat(part) for part in (value or "").split(", ") if part]


class Programme(Base):
    """A hackathon and its follow-up programme."""

    __tablename__ = "programmes"
    __table_args__ = (CheckConstraint(_in("report_every", CADENCES), name="report_every"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[Optional[str]] = mapped_column(String(2))
    starts_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    ends_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    # The name and description in German and French, shown to visitors in that language where given.
    name_de: Mapped[str] = mapped_column(String(200), default="", server_default="")
    name_fr: Mapped[str] = mapped_column(String(200), default="", server_default="")
    description_de: Mapped[str] = mapped_column(Text, default="", server_default="")
    description_fr: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Said plainly in the UI: the programme's records are partly invented (demo data).
    illustrative_note: Mapped[str] = mapped_column(Text, default="")
    # Shown to visitors who are not signed in (approved figures only); nothing is public by default.
    public: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A project with no approved update for this many days counts as silent.
    silent_after_days: Mapped[int] = mapped_column(default=SILENT_AFTER_DAYS,
                                                   server_default=text(str(SILENT_AFTER_DAYS)))
    # The reporting calendar (impact.domain.calendar): a cadence from its first due date, or a list of due dates
    # (neither: no reports are due), and the grace days after each due date.
    report_every: Mapped[Optional[str]] = mapped_column(String(10))
    report_from: Mapped[Optional[dt.date]] = mapped_column(Date)
    report_dates: Mapped[list[dt.date]] = mapped_column(DueDates, default=list, server_default="")
    report_grace_days: Mapped[int] = mapped_column(default=GRACE_DAYS, server_default=text(str(GRACE_DAYS)))

    @staticmethod
    def calendar_of(row) -> Calendar:
        """The reporting calendar of a programme, or of a row read with its four report_ columns."""
        return Calendar(row.report_every, row.report_from, tuple(row.report_dates), row.report_grace_days)

    figures: Mapped[list[ProgrammeFigure]] = relationship(back_populates="programme")
    challenges: Mapped[list[Challenge]] = relationship(back_populates="programme")
    metrics: Mapped[list[Metric]] = relationship(back_populates="programme")


class ProgrammeFigure(Base):
    """A headline figure the programme declares (participants, ideas submitted ...), with its source."""

    __tablename__ = "programme_figures"
    __table_args__ = (UniqueConstraint("programme_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"))
    key: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(200))
    label_de: Mapped[str] = mapped_column(String(200), default="", server_default="")
    label_fr: Mapped[str] = mapped_column(String(200), default="", server_default="")
    value: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")

    programme: Mapped[Programme] = relationship(back_populates="figures")


class Challenge(Base):
    """A theme of the hackathon that projects answer."""

    __tablename__ = "challenges"
    __table_args__ = (UniqueConstraint("programme_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"))
    slug: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(300))

    programme: Mapped[Programme] = relationship(back_populates="challenges")


class Metric(Base):
    """A reach metric of a programme (pupils, tutors, people reached ...). Metrics are never added together."""

    __tablename__ = "metrics"
    __table_args__ = (UniqueConstraint("programme_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"))
    slug: Mapped[str] = mapped_column(String(80))
    label: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(80))
    # What exactly is counted (who counts as reached, how often), shown beside the figures.
    definition: Mapped[str] = mapped_column(Text, default="", server_default="")
    label_de: Mapped[str] = mapped_column(String(200), default="", server_default="")
    label_fr: Mapped[str] = mapped_column(String(200), default="", server_default="")
    definition_de: Mapped[str] = mapped_column(Text, default="", server_default="")
    definition_fr: Mapped[str] = mapped_column(Text, default="", server_default="")

    programme: Mapped[Programme] = relationship(back_populates="metrics")


class Project(Base):
    """A project born in a programme. Its slug is unique across programmes (it is the shareable link)."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    challenge_id: Mapped[Optional[int]] = mapped_column(ForeignKey("challenges.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    team: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(Text, default="")
    # The project's public source repository (https, http or git), whose latest commit is a liveness signal.
    repository: Mapped[str] = mapped_column(Text, default="", server_default="")
    source: Mapped[str] = mapped_column(Text, default="")
    illustrative: Mapped[bool] = mapped_column(default=False)
    contact_email: Mapped[str] = mapped_column(Text, default="", server_default="")
    funding_amount: Mapped[Optional[Decimal]] = mapped_column(Numeric(14, 2))
    funding_currency: Mapped[str] = mapped_column(String(3), default="", server_default="")
    funder: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Raised by every write to the project's history or review: a form that saw an older revision is refused.
    revision: Mapped[int] = mapped_column(default=0, server_default=text("0"))


class _HistoryEntry:
    """Fields every history entry carries: when it happened, when and by whom it was entered, and its review."""

    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    evidence_url: Mapped[str] = mapped_column(Text, default="")
    review_state: Mapped[str] = mapped_column(String(20), default=ReviewState.APPROVED)
    # Staff's decision on a team's submission; a returned entry's note is shown to the team.
    review_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    reviewed_by: Mapped[Optional[str]] = mapped_column(String(200))
    reviewed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))


def _pending_index(table: str) -> Index:
    """The review queue's index: only the few pending entries, not the millions of approved ones."""
    pending = text(f"review_state = '{ReviewState.PENDING}'")
    return Index(f"ix_{table}_pending", "id", sqlite_where=pending, postgresql_where=pending)


def _updates_index(table: str) -> Index:
    """A project's latest approved entry recorded by a date, in one seek (the portfolio's last update)."""
    return Index(f"ix_{table}_updates", "project_id", "review_state", "recorded_at")


class StatusEvent(_HistoryEntry, Base):
    """A project's status from its effective date on. Append-only; a correction supersedes, never edits."""

    __tablename__ = "status_events"
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("review_state", REVIEW_STATES), name="review_state"),
        Index("ix_status_events_project_effective", "project_id", "effective_date"),
        _pending_index("status_events"),
        _updates_index("status_events"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    status: Mapped[str] = mapped_column(String(20))
    effective_date: Mapped[dt.date] = mapped_column(Date)
    supersedes_id: Mapped[Optional[int]] = mapped_column(ForeignKey("status_events.id"), index=True)


class ReachReading(_HistoryEntry, Base):
    """A cumulative total of one metric for one project as of a date (not an increment)."""

    __tablename__ = "reach_readings"
    __table_args__ = (
        CheckConstraint("value >= 0", name="value_not_negative"),
        CheckConstraint(_in("review_state", REVIEW_STATES), name="review_state"),
        Index("ix_reach_readings_project_metric_as_of", "project_id", "metric_id", "as_of"),
        # Holds everything the reach pages sum, so that they read the index alone (see impact.store.increments).
        Index("ix_reach_readings_counted", "metric_id", "as_of", "project_id", "counted_increment"),
        _pending_index("reach_readings"),
        _updates_index("reach_readings"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    metric_id: Mapped[int] = mapped_column(ForeignKey("metrics.id"))
    as_of: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[int] = mapped_column(BigInteger)
    supersedes_id: Mapped[Optional[int]] = mapped_column(ForeignKey("reach_readings.id"), index=True)
    # Derived, kept by impact.store.increments: the value minus the previous counting reading's of the same project and
    # metric while this reading counts (approved, not superseded by an approved correction); NULL otherwise.
    counted_increment: Mapped[Optional[int]] = mapped_column(BigInteger)


class ReachDaily(Base):
    """A metric's counting readings of one day, summed (derived, kept by impact.store.increments in the transaction
    of every write that changes a stored increment): a programme's reach over time is a running sum of its
    metrics' days. A day is here while at least one of its readings counts, even if their increments sum to 0
    (the reach chart marks every date with a reading)."""

    __tablename__ = "reach_daily"

    metric_id: Mapped[int] = mapped_column(ForeignKey("metrics.id"), primary_key=True)
    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    increment: Mapped[int] = mapped_column(BigInteger)  # the sum of the day's counted increments
    readings: Mapped[int] = mapped_column(Integer)  # the day's counting readings (at least 1)
    new_projects: Mapped[int] = mapped_column(Integer)  # projects whose first counting reading of it is this day


class ProjectNote(_HistoryEntry, Base):
    """A free-text update from a team or staff (its text is `note`), reviewed like the figures."""

    __tablename__ = "project_notes"
    __table_args__ = (
        CheckConstraint(_in("review_state", REVIEW_STATES), name="review_state"),
        _pending_index("project_notes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)


SIGNAL_KINDS: tuple[str, ...] = ("website", "repository")


class Signal(Base):
    """One automatic check of a project's website or repository, kept with its time (impact.signals): a signal has a
    history ("down since 3 March"). Append-only, like the reported history it is set beside."""

    __tablename__ = "signals"
    __table_args__ = (
        CheckConstraint(_in("kind", SIGNAL_KINDS), name="kind"),
        Index("ix_signals_project_kind_checked", "project_id", "kind", "checked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    kind: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(Text)
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The website answered (any HTTP status), or the repository's latest commit was read.
    ok: Mapped[bool] = mapped_column(default=False)
    http_status: Mapped[Optional[int]] = mapped_column(Integer)
    final_url: Mapped[str] = mapped_column(Text, default="")
    tls_valid: Mapped[Optional[bool]] = mapped_column()
    tls_expires_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))
    response_ms: Mapped[Optional[int]] = mapped_column(Integer)
    parked: Mapped[bool] = mapped_column(default=False)
    last_commit_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))
    # Why it failed ("refused: a private address", "timed out"), or the repository's default branch.
    detail: Mapped[str] = mapped_column(Text, default="")


class Target(_HistoryEntry, Base):
    """A project's plan for one metric: `value` by `due_on`, from `baseline_value` on `baseline_on`, as it stood
    from `set_on` (impact.domain.targets). A changed target is a new entry with a note, never an overwrite."""

    __tablename__ = "targets"
    __table_args__ = (
        CheckConstraint("value >= 0 AND baseline_value >= 0", name="values_not_negative"),
        CheckConstraint("baseline_on < due_on", name="baseline_before_due"),
        CheckConstraint(_in("review_state", REVIEW_STATES), name="review_state"),
        Index("ix_targets_project_metric", "project_id", "metric_id", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    metric_id: Mapped[int] = mapped_column(ForeignKey("metrics.id"))
    set_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[int] = mapped_column(BigInteger)
    baseline_on: Mapped[dt.date] = mapped_column(Date)
    baseline_value: Mapped[int] = mapped_column(BigInteger, default=0)


# What a programme's target counts besides its reach metrics: its funnel's stages (impact.store.queries.funnel_at).
FUNNEL_MEASURES: tuple[str, ...] = ("funded", "launched")


class ProgrammeTarget(_HistoryEntry, Base):
    """A programme's plan for its total reach of one metric (`metric_id`) or for a stage of its funnel (`stage`:
    projects funded, launched): `value` by `due_on`, from `baseline_value` on `baseline_on`, as it stood from
    `set_on`. Set by staff; a change is a new entry with a note, as for a project's targets."""

    __tablename__ = "programme_targets"
    __table_args__ = (
        CheckConstraint("value >= 0 AND baseline_value >= 0", name="values_not_negative"),
        CheckConstraint("baseline_on < due_on", name="baseline_before_due"),
        CheckConstraint(_in("review_state", REVIEW_STATES), name="review_state"),
        CheckConstraint(f"(metric_id IS NULL AND {_in('stage', FUNNEL_MEASURES)}) OR "
                        "(metric_id IS NOT NULL AND stage IS NULL)", name="metric_or_stage"),
        Index("ix_programme_targets_programme", "programme_id", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"))
    metric_id: Mapped[Optional[int]] = mapped_column(ForeignKey("metrics.id"), index=True)
    stage: Mapped[Optional[str]] = mapped_column(String(20))
    set_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[int] = mapped_column(BigInteger)
    baseline_on: Mapped[dt.date] = mapped_column(Date)
    baseline_value: Mapped[int] = mapped_column(BigInteger, default=0)


class Milestone(_HistoryEntry, Base):
    """A dated step a project plans (`planned_on`) and, once done, reports (`done_on`, with its evidence link). A
    change (done, moved) is a new entry that supersedes the one before."""

    __tablename__ = "milestones"
    __table_args__ = (CheckConstraint(_in("review_state", REVIEW_STATES), name="review_state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    planned_on: Mapped[dt.date] = mapped_column(Date)
    done_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    supersedes_id: Mapped[Optional[int]] = mapped_column(ForeignKey("milestones.id"), index=True)


class Account(Base):
    """A staff member or funder who signs in with an email and a password (or through the OIDC provider)."""

    __tablename__ = "accounts"
    __table_args__ = (CheckConstraint(_in("role", ACCOUNT_ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-case
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[Optional[str]] = mapped_column(Text)  # argon2; None: signs in through OIDC only
    disabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class Grant(Base):
    """A programme a funder account may read."""

    __tablename__ = "grants"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), primary_key=True)


class UpdateKey(Base):
    """A team's key to update one project. Only its SHA-256 is kept: the key itself is shown once, when issued."""

    __tablename__ = "update_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(12))  # the key's first characters, to tell keys apart in lists
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    expires_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    revoked_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    """A staff member's or funder's token for the read API (impact.api): it reads what the account may read, until
    it expires or is revoked. Only its SHA-256 is kept: the token itself is shown once, when issued."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(12))  # the token's first characters, to tell tokens apart in lists
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    expires_on: Mapped[dt.date] = mapped_column(Date)
    revoked_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))


class SignInFailure(Base):
    """Recent wrong passwords or keys, per account and per client, shared by every replica."""

    __tablename__ = "sign_in_failures"

    scope: Mapped[str] = mapped_column(String(400), primary_key=True)  # "account:<email>" or "client:<address>"
    failures: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    locked_until: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))


class WebSession(Base):
    """A signed-in browser: only the SHA-256 of its cookie's token is kept, so a copy of the database signs no one
    in. Ending a session deletes its row, which every replica sees at the visitor's next click."""

    __tablename__ = "web_sessions"
    __table_args__ = (CheckConstraint("(account_id IS NULL) <> (key_id IS NULL)", name="one_way_in"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # A one-time ticket the browser exchanges for the cookie (impact.ui.web), so the token never sits in an address.
    ticket_hash: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    ticket_expires_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))
    account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("accounts.id"), index=True)
    key_id: Mapped[Optional[int]] = mapped_column(ForeignKey("update_keys.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEntry(Base):
    """One entry per write: who, when, what. Its highest id is the data version the caches key on."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(Text)
    before: Mapped[Optional[str]] = mapped_column(Text)
    after: Mapped[Optional[str]] = mapped_column(Text)


# --- mail (impact.mail) -----------------------------------------------------------------------------------------

MAIL_KINDS: tuple[str, ...] = ("reminder", "approved", "returned", "digest")
MAIL_STATES: tuple[str, ...] = ("pending", "sending", "sent", "failed", "uncertain")


class MailProgramme(Base):
    """A programme's mail: the language its emails are written in, and which kinds are sent (all by default: a
    programme without a row sends every kind, in the language of its country)."""

    __tablename__ = "mail_programmes"
    __table_args__ = (CheckConstraint(_in("language", ("en", "fr", "de")), name="language"),)

    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), primary_key=True)
    language: Mapped[str] = mapped_column(String(2))
    reminders: Mapped[bool] = mapped_column(default=True)
    decisions: Mapped[bool] = mapped_column(default=True)
    digest: Mapped[bool] = mapped_column(default=True)


class MailContact(Base):
    """What is known about an address mail goes to: its language (None: the programme's), whether it opted out (by
    the link in every email, whose token this row keeps), and a permanent delivery failure, shown to staff."""

    __tablename__ = "mail_contacts"

    address: Mapped[str] = mapped_column(String(320), primary_key=True)  # lower-case
    language: Mapped[Optional[str]] = mapped_column(String(2))
    unsubscribe_token: Mapped[str] = mapped_column(String(64), unique=True)
    opted_out_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))
    failed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))
    failure: Mapped[str] = mapped_column(Text, default="", server_default="")


class MailMessage(Base):
    """Every email, from the moment it is decided (pending) to its end: sent, failed (refused for good), or
    uncertain (a run died while handing it to the server: never sent again). `dedupe` names the message so that
    deciding it twice is impossible."""

    __tablename__ = "mail_messages"
    __table_args__ = (
        CheckConstraint(_in("kind", MAIL_KINDS), name="kind"),
        CheckConstraint(_in("state", MAIL_STATES), name="state"),
        Index("ix_mail_messages_state", "state", "next_attempt_at"),
        Index("ix_mail_messages_project_kind", "project_id", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    project_id: Mapped[Optional[int]] = mapped_column(ForeignKey("projects.id"))
    address: Mapped[str] = mapped_column(String(320))
    dedupe: Mapped[str] = mapped_column(String(400), unique=True)
    detail: Mapped[str] = mapped_column(Text, default="{}")  # JSON: what the template needs (the entry, the note)
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))
    error: Mapped[str] = mapped_column(Text, default="")


class MailLink(Base):
    """A one-time sign-in link sent by email: only the SHA-256 of its token is kept. Used once (`used_at`), it
    starts a team session on a short key made for it (`key_id`); it expires unused at `expires_at`."""

    __tablename__ = "mail_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    message_id: Mapped[Optional[int]] = mapped_column(ForeignKey("mail_messages.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))
    key_id: Mapped[Optional[int]] = mapped_column(ForeignKey("update_keys.id"))
