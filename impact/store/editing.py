"""Staff's edits of programmes and single projects: the same checks as the files, one transaction with its audit
entry (before and after), and visible on every page at once (the audit entry moves the data version).

A programme is given as the table programmes.toml holds (see the README's data formats). Challenges and metrics can
be added and renamed, and removed only while nothing refers to them; a project keeps its programme.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional

from sqlalchemy import Engine, exists, select
from sqlalchemy.orm import Session

from impact.domain import fields
from impact.domain.access import Actor, check_may_see_contacts, check_staff, check_still_holds
from impact.domain.fields import FieldError
from impact.domain.problems import Problem
from impact.domain.values import SILENT_AFTER_DAYS
from impact.formats.dataset import OPTIONAL_TEXTS, programme_tables
from impact.formats.programmes_file import check_programme
from impact.i18n import _
from impact.store.commands import CommandError, audit
from impact.store.db import write_session
from impact.store.models import Challenge, Metric, Programme, ProgrammeFigure, Project, ReachReading

# Each field a programme table may hold, with its value when left out.
PROGRAMME_FIELDS = {"name": "", "country": None, "starts_on": None, "ends_on": None, "description": "",
                    "illustrative_note": "", "public": False, "silent_after_days": SILENT_AFTER_DAYS,
                    "name_de": "", "name_fr": "", "description_de": "", "description_fr": ""}
PROJECT_FIELDS = ("name", "team", "summary", "website", "repository", "contact_email", "funding_amount",
                  "funding_currency", "funder")


def save_programme(engine: Engine, actor: Actor, programme: dict[str, Any], create: bool = False) -> None:
    """Change the programme with this slug to read exactly as given; with `create`, make a new one (refused if the
    slug is taken, so that a new programme never overwrites another)."""
    check_staff(actor)
    programme = {key: value for key, value in programme.items() if value is not None}
    _refuse(check_programme(_("The programme"), programme))
    with write_session(engine) as session, session.begin():
        check_still_holds(session, actor)
        row = session.scalar(select(Programme).where(Programme.slug == programme["slug"]).with_for_update())
        if create and row is not None:
            raise CommandError(_("There is already a programme '{slug}'; give the new one another link name.",
                                 slug=programme["slug"]))
        before = _programme_record(session, row) if row else None
        if row is None:
            row = Programme(slug=programme["slug"])
            session.add(row)
        for field, default in PROGRAMME_FIELDS.items():
            setattr(row, field, programme.get(field, default))
        for field, value in fields.calendar_columns(fields.programme_calendar(programme)).items():
            setattr(row, field, value)
        session.flush()
        _replace(session, ProgrammeFigure, row.id, "key", programme.get("figure", []), None)
        _replace(session, Challenge, row.id, "slug", programme.get("challenge", []), Project.challenge_id)
        _replace(session, Metric, row.id, "slug", programme.get("metric", []), ReachReading.metric_id)
        session.flush()
        audit(session, actor, "programme saved", f"programme {row.slug}", before, _programme_record(session, row))


def save_project(engine: Engine, actor: Actor, programme_slug: str, slug: str, challenge: str = "",
                 create: bool = False, **fields: Any) -> None:
    """Change the details (PROJECT_FIELDS) of the project with this slug; with `create`, add a new project to the
    programme (refused if the slug is taken)."""
    check_staff(actor)
    values = _project_values(slug, fields)
    with write_session(engine) as session, session.begin():
        check_still_holds(session, actor)
        programme = session.scalar(select(Programme).where(Programme.slug == programme_slug))
        if programme is None:
            raise CommandError(_("There is no programme '{slug}'.", slug=programme_slug))
        challenge_id = None
        if challenge:
            challenge_id = session.scalar(select(Challenge.id).where(Challenge.programme_id == programme.id,
                                                                     Challenge.slug == challenge))
            if challenge_id is None:
                raise CommandError(_("{programme} has no challenge '{challenge}'.", programme=programme.name,
                                     challenge=challenge))
        row = session.scalar(select(Project).where(Project.slug == slug).with_for_update())
        if create and row is not None:
            raise CommandError(_("There is already a project '{slug}'; give the new one another link name.",
                                 slug=slug))
        if row is not None and row.programme_id != programme.id:
            raise CommandError(_("The project '{slug}' belongs to another programme; a project keeps its programme.",
                                 slug=slug))
        before = _project_record(row) if row else None
        if row is None:
            row = Project(slug=slug, programme_id=programme.id)
            session.add(row)
        else:
            row.revision += 1  # a team's open form shows the new details before it submits
        row.challenge_id = challenge_id
        for field, value in values.items():
            setattr(row, field, value)
        session.flush()
        audit(session, actor, "project saved", f"project {slug}", before, _project_record(row))


def programme_table(engine: Engine, slug: str) -> Optional[dict]:
    """The programme as save_programme takes it (dates as dates; its targets, which save_programme leaves as they
    are, too), for a form to start from; None if unknown."""
    with Session(engine) as session:
        row = session.scalar(select(Programme).where(Programme.slug == slug))
        return _programme_record(session, row) if row else None


def project_details(engine: Engine, actor: Actor, slug: str) -> Optional[dict]:
    """The project's PROJECT_FIELDS and its challenge's slug, for a form to start from; None if unknown. They hold
    the team's contact email: staff only."""
    check_may_see_contacts(actor)
    with Session(engine) as session:
        row = session.scalar(select(Project).where(Project.slug == slug))
        if row is None:
            return None
        challenge = session.scalar(select(Challenge.slug).where(Challenge.id == row.challenge_id))
        return {field: getattr(row, field) for field in PROJECT_FIELDS} | {"challenge": challenge or ""}


# --- checks --------------------------------------------------------------------------------------------------


def _project_values(slug: str, given: dict[str, Any]) -> dict[str, Any]:
    """The project's fields as stored, each read by its parser in impact.domain.fields (as the files' are)."""
    unknown = set(given) - set(PROJECT_FIELDS)
    if unknown:
        raise CommandError(_("A project has no field {fields}.", fields=", ".join(sorted(unknown))))
    values = {field: (given.get(field) or "") for field in PROJECT_FIELDS}
    values = {field: value.strip() if isinstance(value, str) else value for field, value in values.items()}
    where = _("The project")
    problems = []
    for field, parse, value in (("slug", fields.project_slug, slug or ""),
                                ("name", fields.project_name, values["name"]),
                                ("website", fields.link, values["website"]),
                                ("repository", fields.repository, values["repository"]),
                                ("contact_email", fields.email, values["contact_email"])):
        try:
            parse(value)
        except FieldError as exc:
            problems.append(Problem(where, None, field, str(exc)))
    try:
        values["funding_amount"], values["funding_currency"] = fields.funding(values["funding_amount"],
                                                                              values["funding_currency"])
    except FieldError as exc:
        problems.append(Problem(where, None, exc.column, str(exc)))
    _refuse(problems)
    return values


def _refuse(problems: list[Problem]) -> None:
    if problems:
        raise CommandError(_("Nothing was saved; fix these and save again:") + "".join(f"\n- {p}" for p in problems))


def _replace(session: Session, model, programme_id: int, key: str, tables: list[dict], used_by) -> None:
    """Make the programme's figures, challenges or metrics read as given: update by key, add, remove the rest
    unless something refers to them."""
    existing = {getattr(row, key): row for row in session.scalars(select(model).where(
        model.programme_id == programme_id))}
    for table in tables:
        row = existing.pop(table[key], None)
        if row is None:
            row = model(programme_id=programme_id)
            session.add(row)
        for column, value in ({c: "" for c in OPTIONAL_TEXTS} | table).items():
            if column in model.__table__.c and column not in ("id", "programme_id"):
                setattr(row, column, value)
    for name, row in existing.items():
        if used_by is not None and session.scalar(select(exists().where(used_by == row.id))):
            raise CommandError(_("'{name}' is in use (projects or reach figures refer to it), so it cannot be "
                                 "removed; rename it instead.", name=name))
        session.delete(row)


def _programme_record(session: Session, row: Programme) -> dict:
    """The programme as programmes.toml holds it (the export's reading, its targets included); the audit entry
    writes its dates as text (impact.store.commands.audit)."""
    (record,) = programme_tables(session.connection(), select(Programme.id).where(Programme.id == row.id))
    return record


def _project_record(row: Project) -> dict:
    record = {field: getattr(row, field) for field in ("slug", "challenge_id") + PROJECT_FIELDS}
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in record.items()}
