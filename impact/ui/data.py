"""The one road from the pages to the data: `Source`, the database at one data version.

Pages get their Source from `guard_page` (impact/ui/page.py) and call its methods; no page holds an engine. Reads
are cached by `cached`, the one caching decorator, keyed on the database and its data version: every write leaves
an audit entry, so a write in any process makes a new version and the next page run reads afresh. Files (exports,
the funder report, imports) are made when asked for; writes go through `write`, which impact.ui.writes.run_write
calls. `shared_engine` makes the process's one engine per database, for the pages and impact.ui.web alike.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import pickle
import threading
from dataclasses import dataclass
from typing import Any, Callable, Literal, MutableMapping, Optional, Sequence

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from sqlalchemy import Engine, select

from impact.domain.access import Actor
from impact.domain.calendar import Reports
from impact.domain.problems import LoadError
from impact.formats import dataset, report, spreadsheets
from impact.formats.dataset import Dataset
from impact.i18n import language
from impact.mail import outbox
from impact.signals.contradictions import Contradiction
from impact.store import (
    admin,
    commands,
    compare,
    editing,
    history,
    portfolio,
    project,
    queries,
    reporting,
    signals,
    survival,
    targets,
    tokens,
)
from impact.store.db import make_engine
from impact.store.models import Project
from impact.store.project import ProjectInfo
from impact.store.queries import ProgrammeInfo
from impact.store.schema import ensure_schema
from impact.ui import tables
from impact.ui.memo import Kept, digest

_engines: dict[str, Engine] = {}
_schema_checked: set[str] = set()
_engines_lock = threading.Lock()


def shared_engine(url: str, check_schema: bool = True) -> Engine:
    """This process's one engine for the database at `url`, shared by every page run and impact.ui.web's routes.
    Its schema is made or checked at its first use (unless `check_schema` is False); until that succeeds this
    raises (DatabaseUnavailable, SQLAlchemyError) and the next call tries again."""
    with _engines_lock:
        if url not in _engines:
            _engines[url] = make_engine(url)
        engine = _engines[url]
        if check_schema and url not in _schema_checked:
            ensure_schema(engine)
            _schema_checked.add(url)
    return engine


_reads: Kept[bytes] = Kept(512)  # every read of Source this process keeps, pickled


def cached(read: Callable[..., Any]) -> Any:
    """A read of Source kept for this process, keyed on the database, its data version and the language
    (Source.cache_key) and on the read's arguments as Python compares them (each with its type): a write anywhere
    makes a new data version, so the next page run reads afresh. Every call gets a copy of its own (the result is
    kept pickled, as st.cache_data keeps it), so a page may change what it got.

    A page keeps its own work on its reads the same way: a function of the page whose first argument is the Source,
    decorated with `cached`, that depends on nothing but its arguments and the reads it makes (it is keyed on its
    file and code, not on the page's other variables).

    Not st.cache_data: that hashes every argument on every call by walking it (a ProgrammeInfo as a dict of its
    fields, a tuple of them item by item), which cost a warm page run more than its reads' copies (bench/README.md).
    The arguments here are hashable values (ids, dates, slugs, frozen dataclasses, tuples of them)."""
    name = (read.__code__.co_filename, read.__qualname__, read.__code__)

    @functools.wraps(read)
    def kept(self: Source, *args: Any, **kwargs: Any) -> Any:
        key = (name, self.cache_key(), tuple((type(arg), arg) for arg in args),
               tuple(sorted((word, type(arg), arg) for word, arg in kwargs.items())))
        value = _reads.get(key)
        if value is None:
            value = pickle.dumps(read(self, *args, **kwargs), pickle.HIGHEST_PROTOCOL)
            _reads.put(key, value)
        return pickle.loads(value)

    return kept  # typed Any, as the reads were under st.cache_data: the pages take their results as they come


@dataclass(frozen=True)
class Source:
    """A database at one data version: what the pages read and write through."""

    engine: Engine
    version: int

    @classmethod
    def current(cls, url: str) -> Source:
        """The database at `url` (the process's shared engine), at its data version now."""
        engine = shared_engine(url)
        return cls(engine, queries.data_version(engine))

    def cache_key(self) -> tuple[str, int, str]:
        """What a cached read depends on besides its arguments: the database, its data version, and the language
        (programme texts and metric names come in the visitor's language where the data give one)."""
        return self.engine.url.render_as_string(hide_password=False), self.version, language()

    # --- programmes, the funnel and reach (impact.store.queries) ---------------------------------------------

    @cached
    def programmes(self) -> pd.DataFrame:
        return queries.programmes(self.engine)

    @cached
    def programme_info(self, slug: str) -> Optional[ProgrammeInfo]:
        return queries.programme_info(self.engine, slug)

    @cached
    def funnel(self, programme: ProgrammeInfo, as_of: dt.date, pending: bool = False) -> pd.DataFrame:
        return queries.funnel_at(self.engine, programme, as_of, pending)

    @cached
    def funded_outcomes(self, programme_id: int, as_of: dt.date, pending: bool = False) -> pd.DataFrame:
        return queries.funded_outcomes_at(self.engine, programme_id, as_of, pending)

    @cached
    def challenge_funnel(self, programme: ProgrammeInfo, as_of: dt.date, pending: bool = False) -> pd.DataFrame:
        return queries.challenge_funnel_at(self.engine, programme, as_of, pending)

    @cached
    def metrics(self, programme_id: int) -> pd.DataFrame:
        return queries.metrics(self.engine, programme_id)

    @cached
    def reach_totals(self, programme_id: int, as_of: dt.date, pending: bool = False) -> pd.DataFrame:
        return queries.reach_totals(self.engine, programme_id, as_of, pending)

    @cached
    def reach_latest(self, programme_id: int, as_of: dt.date, pending: bool = False) -> pd.DataFrame:
        # From the cached totals: one pass over the readings serves both.
        return queries.latest_reach(self.reach_totals(programme_id, as_of, pending),
                                    queries.reach_reporting(self.engine, programme_id, as_of, pending))

    @cached
    def reach_by(self, programme_id: int, as_of: dt.date, metric: str, by: Literal["project", "challenge"],
                 limit: int, pending: bool = False) -> pd.DataFrame:
        return queries.reach_by(self.engine, programme_id, as_of, metric, by, limit, pending)

    # --- the portfolio, one project, comparison, survival ----------------------------------------------------

    @cached
    def portfolio(self, programme_ids: tuple[int, ...], as_of: dt.date) -> pd.DataFrame:
        return portfolio.portfolio(self.engine, list(programme_ids), as_of)

    @cached
    def project_info(self, slug: str | int) -> Optional[ProjectInfo]:
        return project.project_info(self.engine, slug)

    @cached
    def timeline(self, project_id: int) -> pd.DataFrame:
        return project.timeline(self.engine, project_id)

    @cached
    def project_status(self, project_id: int, as_of: dt.date) -> Optional[tuple[str, dt.date]]:
        return project.project_status_at(self.engine, project_id, as_of)

    @cached
    def project_feed(self, project_id: int, as_of: dt.date) -> pd.DataFrame:
        return history.project_feed(self.engine, project_id, as_of)

    @cached
    def project_progress(self, project_id: int, as_of: dt.date) -> pd.DataFrame:
        return targets.project_progress(self.engine, project_id, as_of)

    @cached
    def project_milestones(self, project_id: int, as_of: dt.date) -> pd.DataFrame:
        return targets.project_milestones(self.engine, project_id, as_of)

    @cached
    def overdue_milestones(self, programme_id: int, as_of: dt.date) -> pd.DataFrame:
        return targets.overdue_milestones(self.engine, programme_id, as_of)

    @cached
    def targets_of_projects(self, programme_ids: tuple[int, ...], as_of: dt.date) -> pd.DataFrame:
        return targets.programme_progress(self.engine, list(programme_ids), as_of)

    @cached
    def programme_targets(self, programme: ProgrammeInfo, as_of: dt.date, pending: bool = False) -> pd.DataFrame:
        return targets.programme_target_progress(self.engine, programme, as_of, pending)

    @cached
    def programme_target_entries(self, programme_id: int) -> pd.DataFrame:
        return targets.programme_target_entries(self.engine, programme_id)

    @cached
    def project_reach(self, project_id: int, as_of: dt.date) -> pd.DataFrame:
        return project.project_reach(self.engine, project_id, as_of)

    # --- the reporting calendar (impact.store.reporting) ---------------------------------------------------------

    @cached
    def reports_due(self, programme: ProgrammeInfo, as_of: dt.date) -> pd.DataFrame:
        return reporting.reports_at(self.engine, programme.id, programme.calendar, as_of)

    @cached
    def project_reports(self, programme: ProgrammeInfo, project_id: int, as_of: dt.date) -> Reports:
        return reporting.project_reports(self.engine, programme.calendar, project_id, as_of)

    # --- liveness signals (impact.store.signals) ---------------------------------------------------------------

    @cached
    def signal_history(self, project_id: int) -> pd.DataFrame:
        return signals.history(self.engine, project_id)

    @cached
    def project_contradictions(self, project_id: int, today: dt.date) -> list[Contradiction]:
        return signals.project_contradictions(self.engine, project_id, today)

    @cached
    def contradictions(self, programme_ids: tuple[int, ...], today: dt.date) -> pd.DataFrame:
        return signals.contradiction_frame(self.engine, select(Project.id).where(
            Project.programme_id.in_(programme_ids)), today)

    @cached
    def comparison(self, programmes: tuple[ProgrammeInfo, ...], as_of: dt.date) -> pd.DataFrame:
        return compare.comparison(self.engine, list(programmes), as_of)

    @cached
    def target_comparison(self, programmes: tuple[ProgrammeInfo, ...], as_of: dt.date) -> pd.DataFrame:
        return compare.target_comparison(self.engine, list(programmes), as_of)

    @cached
    def funded_lifetimes(self, programme_id: int, as_of: dt.date) -> pd.DataFrame:
        return survival.funded_lifetimes(self.engine, programme_id, as_of)

    # --- what teams and staff write, and its review (the reads that check who asks refuse as they do) ----------

    @cached
    def waiting_for_review(self) -> int:
        return history.waiting_for_review(self.engine)

    @cached
    def review_queue(self) -> pd.DataFrame:
        return history.review_queue(self.engine)

    @cached
    def project_history(self, project_id: int) -> pd.DataFrame:
        return history.project_history(self.engine, project_id)

    @cached
    def status_choice(self, project_id: int) -> commands.StatusChoice:
        return commands.status_choice(self.engine, project_id)

    def project_revision(self, project_id: int) -> Optional[int]:
        """Not cached: the revision a form sends back is compared with the database's as it is now."""
        return commands.project_revision(self.engine, project_id)

    @cached
    def contacts(self, actor: Actor, programme_id: int) -> pd.DataFrame:
        return history.contacts(self.engine, actor, programme_id)

    def reminder_preview(self, actor: Actor, programme: str, projects: tuple[str, ...]) -> list[outbox.Planned]:
        """Not cached: who would get a reminder now (a dry run of impact.mail.outbox.plan_reminders)."""
        return outbox.plan_reminders(self.engine, actor, programme, projects=projects, dry_run=True)

    def reminders_of(self, actor: Actor, programme_id: int) -> pd.DataFrame:
        """Not cached: sending mail writes no audit entry, so the data version does not follow it."""
        return outbox.reminders_of(self.engine, actor, programme_id)

    def mail_failures(self, actor: Actor) -> pd.DataFrame:
        """Not cached, as `reminders_of`."""
        return outbox.failures(self.engine, actor)

    @cached
    def audit_actions(self, actor: Actor) -> list[str]:
        return history.audit_actions(self.engine, actor)

    @cached
    def audit_log(self, actor: Actor, who: str, action: str, subject: str, since: Optional[dt.date],
                  until: Optional[dt.date], limit: int) -> pd.DataFrame:
        return history.audit_log(self.engine, actor, who, action, subject, since, until, limit)

    @cached
    def accounts(self, actor: Actor) -> pd.DataFrame:
        return admin.accounts(self.engine, actor)

    @cached
    def update_keys(self, actor: Actor, today: dt.date) -> pd.DataFrame:
        return admin.update_keys(self.engine, actor, today)

    @cached
    def api_tokens(self, actor: Actor, today: dt.date) -> pd.DataFrame:
        return tokens.api_tokens(self.engine, actor, today)

    @cached
    def programme_table(self, slug: str) -> Optional[dict]:
        return editing.programme_table(self.engine, slug)

    @cached
    def project_details(self, actor: Actor, slug: str) -> Optional[dict]:
        return editing.project_details(self.engine, actor, slug)

    # --- files, made when asked for (not cached) -------------------------------------------------------------

    def dataset(self, actor: Actor) -> Dataset:
        return dataset.dataset(self.engine, actor)

    def grants_360(self, actor: Actor, prefix: str, funder_id: str, funder_name: str) -> pd.DataFrame:
        return dataset.grants_360(self.engine, actor, prefix, funder_id, funder_name)

    def report_html(self, actor: Actor, programme: ProgrammeInfo, as_of: dt.date, since: dt.date,
                    paper: str) -> str:
        return report.report_html(self.engine, actor, programme, as_of, since, paper)

    def report_html_in(self, language_code: str, actor: Actor, programme: ProgrammeInfo, as_of: dt.date,
                       since: dt.date, paper: str) -> str:
        """The report in that language, for a download made after this page run (which set the language)."""
        return report.report_html_in(language_code, self.engine, actor, programme, as_of, since, paper)

    def import_files(self, files: Sequence[tuple[str, bytes]], options: spreadsheets.Options, actor: Actor,
                     dry_run: bool = False) -> spreadsheets.ImportSummary:
        return spreadsheets.import_files(self.engine, list(files), options, actor, dry_run=dry_run)

    # --- writes ----------------------------------------------------------------------------------------------

    def write(self, action: Callable[..., Any], *args: Any, **values: Any) -> Any:
        """`action(engine, *args, **values)`: a write of impact.store.commands, admin or editing, each one
        transaction with its audit entry (and so a new data version)."""
        return action(self.engine, *args, **values)


class Drawn(go.Figure):
    """A built figure, written once as the dict plotly sends: st.plotly_chart asks a figure for it on every run, and
    plotly's `to_dict` copies the whole figure and converts every array each time, though a built figure never
    changes."""

    def __init__(self, written: dict):
        super().__init__()
        self._written = written

    def to_dict(self) -> dict:
        return self._written


_figures: Kept[Drawn] = Kept(256)  # every figure built in this process, by its data and language


def figure(build: Callable[..., go.Figure], name: str, lang: str, args: tuple) -> go.Figure:
    """The figure of `name` (its builder `build`) for these data, in this language, shared by every session:
    building a figure costs plotly far more than sending a built one, and writing it as a dict more than sending
    that. Nothing changes a figure after it is built (st.plotly_chart sends what its dict says)."""
    key = digest(name, lang, args)
    drawn = _figures.get(key) if key is not None else None
    if drawn is None:
        drawn = Drawn(build(*args).to_dict())
        if key is not None:
            _figures.put(key, drawn)
    return drawn


def forget() -> None:
    """Drop every read, figure and table this process keeps (the benchmark's cold runs start so)."""
    _reads.clear()
    _figures.clear()
    tables.forget()


PREVIEW = "import_preview"  # the session state's latest import preview: (its key, the summary or the refusal)


def import_fingerprint(files: Sequence[tuple[str, bytes]], options: spreadsheets.Options) -> str:
    """The uploaded files (names and contents) and the options they are read with, as one digest."""
    digest = hashlib.sha256(repr(options).encode())
    for name, content in files:
        digest.update(hashlib.sha256(name.encode()).digest() + hashlib.sha256(content).digest())
    return digest.hexdigest()


def import_preview(source: Source, files: Sequence[tuple[str, bytes]], options: spreadsheets.Options, actor: Actor,
                   memo: Optional[MutableMapping] = None) -> spreadsheets.ImportSummary:
    """What importing these files would do: a dry run, made once for these files, options, visitor and data version
    and kept in `memo` (the visitor's session state), so that the page's reruns (every click on it) do not each run
    a write transaction to roll back. Raises the LoadError that refuses the files (kept too), or NotAllowed (never
    kept)."""
    memo = st.session_state if memo is None else memo
    key = (import_fingerprint(files, options), source.cache_key(), actor)
    kept = memo.get(PREVIEW)
    if kept is None or kept[0] != key:
        try:
            result: spreadsheets.ImportSummary | LoadError = source.import_files(files, options, actor, dry_run=True)
        except LoadError as exc:
            result = exc
        kept = memo[PREVIEW] = (key, result)
    if isinstance(kept[1], LoadError):
        raise kept[1]
    return kept[1]
