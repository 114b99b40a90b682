"""Cached reads for the pages. Each cache key holds the data version, so a write anywhere invalidates it. The import's
preview is kept in the visitor's session state, on the same key."""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import partial
from typing import Callable, Literal, MutableMapping, Optional

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from sqlalchemy import Engine

from impact.domain.access import Actor
from impact.domain.problems import LoadError
from impact.formats import spreadsheets
from impact.formats.write import LoadSummary
from impact.store import history, queries
from impact.store import portfolio as queries_portfolio
from impact.store.queries import ProgrammeInfo


@dataclass(frozen=True)
class Source:
    """A database at one data version: what every cached read is keyed on."""

    engine: Engine
    version: int

    def cache_key(self) -> tuple[str, int]:
        return self.engine.url.render_as_string(hide_password=False), self.version


cached = partial(st.cache_data, show_spinner=False, max_entries=512, hash_funcs={Source: Source.cache_key})


@cached
def waiting_for_review(source: Source) -> int:
    return history.waiting_for_review(source.engine)


@cached
def programmes(source: Source) -> pd.DataFrame:
    return queries.programmes(source.engine)


@cached
def programme_info(source: Source, slug: str) -> Optional[ProgrammeInfo]:
    return queries.programme_info(source.engine, slug)


@cached
def funnel(source: Source, programme: ProgrammeInfo, as_of: dt.date, pending: bool = False) -> pd.DataFrame:
    return queries.funnel_at(source.engine, programme, as_of, pending)


@cached
def funded_status(source: Source, programme_id: int, as_of: dt.date, pending: bool = False) -> pd.DataFrame:
    return queries.funded_status_at(source.engine, programme_id, as_of, pending)


@cached
def challenge_funnel(source: Source, programme: ProgrammeInfo, as_of: dt.date,
                     pending: bool = False) -> pd.DataFrame:
    return queries.challenge_funnel_at(source.engine, programme, as_of, pending)


@cached
def metrics(source: Source, programme_id: int) -> pd.DataFrame:
    return queries.metrics(source.engine, programme_id)


@cached
def reach_totals(source: Source, programme_id: int, as_of: dt.date, pending: bool = False) -> pd.DataFrame:
    return queries.reach_totals(source.engine, programme_id, as_of, pending)


@cached
def reach_latest(source: Source, programme_id: int, as_of: dt.date, pending: bool = False) -> pd.DataFrame:
    # From the cached totals: one pass over the readings serves both.
    return queries.latest_reach(reach_totals(source, programme_id, as_of, pending),
                                queries.reach_reporting(source.engine, programme_id, as_of, pending))


@cached
def reach_by(source: Source, programme_id: int, as_of: dt.date, metric: str,
             by: Literal["project", "challenge"], limit: int, pending: bool = False) -> pd.DataFrame:
    return queries.reach_by(source.engine, programme_id, as_of, metric, by, limit, pending)


@cached
def portfolio(source: Source, programme_ids: tuple[int, ...], as_of: dt.date) -> pd.DataFrame:
    return queries_portfolio.portfolio(source.engine, list(programme_ids), as_of)


@cached
def project_info(source: Source, slug: str | int) -> Optional[queries_portfolio.ProjectInfo]:
    return queries_portfolio.project_info(source.engine, slug)


@cached
def timeline(source: Source, project_id: int) -> pd.DataFrame:
    return queries_portfolio.timeline(source.engine, project_id)


@cached
def project_reach(source: Source, project_id: int, as_of: dt.date) -> pd.DataFrame:
    return queries_portfolio.project_reach(source.engine, project_id, as_of)


@cached
def comparison(source: Source, programmes: tuple[ProgrammeInfo, ...], as_of: dt.date) -> pd.DataFrame:
    return queries_portfolio.comparison(source.engine, list(programmes), as_of)


@cached
def funded_lifetimes(source: Source, programme_id: int, as_of: dt.date) -> pd.DataFrame:
    return queries_portfolio.funded_lifetimes(source.engine, programme_id, as_of)


@cached
def project_history(source: Source, project_id: int) -> pd.DataFrame:
    return history.project_history(source.engine, project_id)


@cached
def review_queue(source: Source) -> pd.DataFrame:
    return history.review_queue(source.engine)


def _frame_digest(frame: pd.DataFrame) -> bytes:
    """Every cell of the frame (Streamlit's own hash samples the rows of a large one)."""
    return (repr(list(frame.columns)).encode()
            + pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())


@st.cache_resource(show_spinner=False, max_entries=256, hash_funcs={pd.DataFrame: _frame_digest})
def figure(_build: Callable[..., go.Figure], name: str, lang: str, args: tuple) -> go.Figure:
    """The figure of `name` (its builder `_build`) for these data, in this language, shared by every session:
    plotly takes tens of milliseconds to build a figure, sending a built one takes a few. Nothing changes a
    figure after it is built (st.plotly_chart sends a copy)."""
    return _build(*args)


PREVIEW = "import_preview"  # the session state's latest import preview: (its key, the summary or the refusal)


def import_fingerprint(files: list[tuple[str, bytes]], options: spreadsheets.Options) -> str:
    """The uploaded files (names and contents) and the options they are read with, as one digest."""
    digest = hashlib.sha256(repr(options).encode())
    for name, content in files:
        digest.update(hashlib.sha256(name.encode()).digest() + hashlib.sha256(content).digest())
    return digest.hexdigest()


def import_preview(source: Source, files: list[tuple[str, bytes]], options: spreadsheets.Options, actor: Actor,
                   memo: Optional[MutableMapping] = None) -> LoadSummary:
    """What importing these files would do: a dry run, made once for these files, options, visitor and data version
    and kept in `memo` (the visitor's session state), so that the page's reruns (every click on it) do not each run
    a write transaction to roll back. Raises the LoadError that refuses the files (kept too), or NotAllowed (never
    kept)."""
    memo = st.session_state if memo is None else memo
    key = (import_fingerprint(files, options), source.cache_key(), actor)
    kept = memo.get(PREVIEW)
    if kept is None or kept[0] != key:
        try:
            result: LoadSummary | LoadError = spreadsheets.import_files(source.engine, files, options, actor,
                                                                       dry_run=True)
        except LoadError as exc:
            result = exc
        kept = memo[PREVIEW] = (key, result)
    if isinstance(kept[1], LoadError):
        raise kept[1]
    return kept[1]
