"""The signals table (impact.signals): which projects to check, storing each check with its audit entry, a
project's signals, and where they contradict the reported status."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Optional

import pandas as pd
from sqlalchemy import Engine, and_, func, insert, or_, select

from impact.domain.access import Actor, check_staff, check_still_holds
from impact.i18n import _
from impact.signals.contradictions import Contradiction, Repository, Website, contradictions
from impact.signals.result import Checked
from impact.store.commands import CommandError, audit
from impact.store.db import read_frame, write_session
from impact.store.models import Programme, Project, Signal
from impact.store.queries import status_at


@dataclass(frozen=True)
class Target:
    project_id: int
    slug: str
    website: str
    repository: str


def targets(engine: Engine, programme: Optional[str] = None, project: Optional[str] = None) -> list[Target]:
    """The projects to check (of one programme, or one project, or all) that have a website or a repository.
    An unknown programme or project is refused with a sentence."""
    stmt = select(Project.id, Project.slug, Project.website, Project.repository).order_by(Project.id)
    with engine.connect() as conn:
        if programme is not None:
            programme_id = conn.scalar(select(Programme.id).where(Programme.slug == programme))
            if programme_id is None:
                raise CommandError(_("There is no programme '{slug}'.", slug=programme))
            stmt = stmt.where(Project.programme_id == programme_id)
        if project is not None:
            if conn.scalar(select(Project.id).where(Project.slug == project)) is None:
                raise CommandError(_("There is no project '{slug}'.", slug=project))
            stmt = stmt.where(Project.slug == project)
        rows = conn.execute(stmt.where(or_(Project.website != "", Project.repository != ""))).all()
    return [Target(*row) for row in rows]


def record(engine: Engine, actor: Actor, checked: Iterable[tuple[int, Checked]], subject: str) -> int:
    """Store checks (project id, outcome) in one transaction with its audit entry; how many were stored."""
    check_staff(actor)
    rows = [{"project_id": project_id, **outcome.row()} for project_id, outcome in checked]
    if not rows:
        return 0
    with write_session(engine) as session, session.begin():
        check_still_holds(session, actor)
        session.execute(insert(Signal), rows)
        audit(session, actor, "signals checked", subject, None,
              {"checks": len(rows), "projects": len({row["project_id"] for row in rows})})
    return len(rows)


SIGNAL_COLUMNS = ["kind", "url", "checked_at", "ok", "http_status", "final_url", "tls_valid", "tls_expires_at",
                  "response_ms", "parked", "last_commit_at", "detail"]


def history(engine: Engine, project_id: int, limit: int = 200) -> pd.DataFrame:
    """A project's checks, newest first."""
    return read_frame(engine, select(*(getattr(Signal, c) for c in SIGNAL_COLUMNS))
                      .where(Signal.project_id == project_id)
                      .order_by(Signal.checked_at.desc(), Signal.id.desc()).limit(limit), SIGNAL_COLUMNS)


def _up():
    return and_(Signal.ok, ~Signal.parked)


def states(engine: Engine, project_ids) -> tuple[dict[int, Website], dict[int, Repository]]:
    """Each project's website state (up now, down since) and repository state (its latest commit read)."""
    web = Signal.kind == "website"
    last = (select(Signal.project_id, func.max(Signal.checked_at).label("last_check"),
                   func.max(Signal.checked_at).filter(_up()).label("last_up"))
            .where(web, Signal.project_id.in_(project_ids)).group_by(Signal.project_id).subquery())
    down = (select(last.c.project_id, func.min(Signal.checked_at).label("down_since"))
            .join(Signal, and_(Signal.project_id == last.c.project_id, web,
                               or_(last.c.last_up.is_(None), Signal.checked_at > last.c.last_up)))
            .group_by(last.c.project_id).subquery())
    ranked = (select(Signal.project_id, Signal.last_commit_at,
                     func.row_number().over(partition_by=Signal.project_id,
                                            order_by=(Signal.checked_at.desc(), Signal.id.desc())).label("rn"))
              .where(Signal.kind == "repository", Signal.ok, Signal.project_id.in_(project_ids)).subquery())
    with engine.connect() as conn:
        websites = {row.project_id: Website(up=row.last_up is not None and row.last_up == row.last_check,
                                            down_since=_aware(row.down_since))
                    for row in conn.execute(select(last.c.project_id, last.c.last_check, last.c.last_up,
                                                   down.c.down_since)
                                            .outerjoin(down, down.c.project_id == last.c.project_id))}
        repositories = {row.project_id: Repository(_aware(row.last_commit_at))
                        for row in conn.execute(select(ranked.c.project_id, ranked.c.last_commit_at)
                                                .where(ranked.c.rn == 1))}
    return websites, repositories


def _aware(value: Optional[dt.datetime]) -> Optional[dt.datetime]:
    """SQLite gives back naive datetimes (stored as UTC)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value


def project_contradictions(engine: Engine, project_id: int, today: dt.date) -> list[Contradiction]:
    frame = contradiction_frame(engine, select(Project.id).where(Project.id == project_id), today)
    return [Contradiction(code, since) for code, since in zip(frame["code"], frame["since"])]


def contradiction_frame(engine: Engine, projects, today: dt.date) -> pd.DataFrame:
    """Every contradiction of the projects (a select of ids) as of today: project_id, slug, name, programme,
    status, code, since (a date)."""
    status = status_at(today, projects)
    rows = read_frame(engine, select(Project.id, Project.slug, Project.name, Programme.slug, status.c.status,
                                     status.c.since)
                      .join(Programme, Programme.id == Project.programme_id)
                      .join(status, status.c.project_id == Project.id)
                      .where(Project.id.in_(projects)).order_by(Project.id),
                      ["project_id", "slug", "name", "programme", "status", "status_since"])
    websites, repositories = states(engine, projects)
    found = []
    for row in rows.itertuples(index=False):
        since = None if pd.isna(row.status_since) else pd.Timestamp(row.status_since).date()
        for contradiction in contradictions(row.status, since, websites.get(row.project_id),
                                            repositories.get(row.project_id), today):
            found.append((row.project_id, row.slug, row.name, row.programme, row.status, contradiction.code,
                          contradiction.since))
    return pd.DataFrame(found, columns=["project_id", "slug", "name", "programme", "status", "code", "since"])
