"""The first lines of every page: the guard, then the programme and date the visitor is looking at.

Streamlit runs a file under pages/ on its own when its URL is opened directly on a fresh server (ARCHITECTURE.md,
"Every page guards itself"), so each page calls `guard_page()` itself instead of relying on dashboard.py.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Callable, NoReturn, Optional
from urllib.parse import quote

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError
from streamlit.runtime.pages_manager import PagesManager

from impact.domain.access import (
    FUNDER,
    PAGES,
    PUBLIC,
    STAFF,
    Actor,
    may_open,
    may_read_programme,
    may_see_internals,
    may_see_pending,
)
from impact.domain.lifecycle import status_label
from impact.domain.values import date
from impact.i18n import _, format_date, format_number, language, ngettext
from impact.store.db import DatabaseUnavailable, database_url, describe, first_line
from impact.store.project import ProjectInfo
from impact.store.queries import ProgrammeInfo
from impact.store.schema import SchemaBehind
from impact.ui import data
from impact.ui.data import Source, shared_engine
from impact.ui.language import apply_language, date_format
from impact.ui.session import current_actor
from impact.ui.tables import kinds, show_table
from impact.ui.text import bold, is_web_link, label_of, plain, show_text, web_links  # noqa: F401 (the pages import them here)
from impact.ui.web import SIDEBAR_SCRIPT_PATH

EARLIEST_DATE = dt.date(1990, 1, 1)  # the date picker's lower bound; civic hackathons are younger
CHOSEN_PROGRAMME = "chosen_programme"
SIDEBAR_SCRIPT_KEY = "sidebar_script"  # the hidden container of impact/ui/static/sidebar.js
log = logging.getLogger("impact")


def _use_the_entry_navigation() -> None:
    """On a fresh server Streamlit runs a page opened by its URL straight from pages/ (its older multipage
    mode) with a navigation of its own, until some session has run dashboard.py's `st.navigation`. Leave that
    mode at once and rerun, so that the page is run through dashboard.py like any other."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def visitor() -> tuple[Optional[Source], Actor]:
    """The database and who is visiting, for dashboard.py's navigation; (None, PUBLIC) when the database cannot
    be read (the page's own guard then says why)."""
    try:
        source = Source.current(database_url())
        return source, current_actor(source.engine)
    except (DatabaseUnavailable, SQLAlchemyError):
        return None, PUBLIC


def close_sidebar_after_a_pick() -> None:
    """On a phone the open sidebar lies over the page, and Streamlit closes it after a pick in the page menu only
    when the browser's user agent names a phone; impact/ui/static/sidebar.js closes it wherever it covers the page.
    It is loaded from this site (the Content-Security-Policy allows no other script) inside a hidden container, so
    that the sidebar keeps its spacing."""
    with st.sidebar.container(key=SIDEBAR_SCRIPT_KEY):
        st.html(f'<script src="{SIDEBAR_SCRIPT_PATH}"></script>', unsafe_allow_javascript=True)
    hidden = f".st-key-{SIDEBAR_SCRIPT_KEY}"  # and the wrapper Streamlit puts around a container, which has a gap
    st.html(f'<style>{hidden}, [data-testid="stLayoutWrapper"]:has(> {hidden}) {{display: none}}</style>')


def chart_text_in_the_theme_colour() -> None:
    """Streamlit's chart theme draws the charts' text (the flow's labels, axes, legends, bar labels, hover labels) in
    a grey that stands at 3.7:1 against the light theme's white, under the 4.5:1 WCAG AA asks of text this size. Draw
    it in the page's own text colour instead, which is the theme's in light and dark alike, after a switch too (the
    theme gives hover labels the page's background)."""
    st.html('<style>[data-testid="stPlotlyChart"] .main-svg text {fill: currentColor !important}</style>')


def guard_page(page: str) -> tuple[Source, Actor]:
    """The first statement of every page: check the database can be read and that this visitor may open `page`
    (a name in impact.domain.access.PAGES); return the database at its current data version and the visitor. Otherwise
    explain and stop, drawing nothing of the page."""
    _use_the_entry_navigation()
    apply_language()
    url = database_url()
    try:
        source = Source.current(url)
        actor = current_actor(source.engine)
    except DatabaseUnavailable as exc:
        # Whoever is visiting can be known only where the database can be read, though not at this version's schema.
        _unavailable(str(exc), exc.public, isinstance(exc, SchemaBehind) and _staff_visiting(url))
    except SQLAlchemyError as exc:
        _unavailable(_("The database {db} cannot be read ({reason}). Check DATABASE_URL and that the database "
                       "server is running, then reload this page.", db=describe(url),
                       reason=first_line(exc)),
                     _("The dashboard's database cannot be read right now, so there is nothing to show; please try "
                       "again later. Programme staff: the server's log says why."), False)
    if not may_open(actor, page):
        if actor.signed_in:
            st.warning(_("This page is not open to your account. Pick a page in the sidebar."), icon=":material/lock:")
        elif PAGES[page] == (STAFF,):
            st.warning(_("This page is for programme staff: sign in in the sidebar."), icon=":material/lock:")
        else:
            st.warning(_("This page is for programme staff and funders: sign in in the sidebar."),
                       icon=":material/lock:")
        st.stop()
    return source, actor


def _unavailable(message: str, public: str, staff: bool) -> NoReturn:
    """Say that the database cannot be used, and stop. The whole sentence (the database's address, the driver's
    words) goes to the server's log, and to staff; anyone else reads one that names nothing of the server."""
    log.error("%s", message)
    st.error(message if staff else public, icon=":material/database:")
    st.stop()


def _staff_visiting(url: str) -> bool:
    """Whether this session is staff's, as a database whose schema is not this version's says: its accounts are
    read as they are, and where that fails the visitor is not known (so not staff)."""
    try:
        return may_see_internals(current_actor(shared_engine(url, check_schema=False)))
    except (DatabaseUnavailable, SQLAlchemyError):
        return False


def readable_programmes(source: Source, actor: Actor) -> pd.DataFrame:
    """The programmes this visitor may read (impact.domain.access.may_read_programme), by name."""
    every = source.programmes()
    return every[[may_read_programme(actor, pid, public) for pid, public in zip(every["id"], every["public"])]]


def keep_for_the_picker(key: str, value: object) -> None:
    """Hand `value` to the sidebar picker with this key before it is drawn. The picker on another page is another
    widget, which would start at its default (the first programme, today) although the session holds the last
    page's pick; set through Session State, the value is the new widget's as well as the old one's."""
    st.session_state[key] = value


def choose_programme(source: Source, actor: Actor) -> ProgrammeInfo:
    """The programme named in the link (?programme=slug), else the first by name; a sidebar picker changes it.
    Only programmes the visitor may read are offered (an unreadable one is treated like an unknown one)."""
    available = readable_programmes(source, actor)
    if available.empty and not actor.signed_in:
        st.info(_("Nothing is published here yet. Programme staff and funders: sign in in the sidebar."),
                icon=":material/info:")
        st.stop()
    if available.empty and actor.role == FUNDER:
        st.info(_("No programme has been opened to your account yet. Ask programme staff to grant you one."),
                icon=":material/info:")
        st.stop()
    if available.empty:
        st.info(_("There are no programmes yet. Load the demo data with `python -m impact demo`, or your own "
                  "files with `python -m impact load FOLDER` (see the README)."), icon=":material/info:")
        st.stop()
    slugs = list(available["slug"])
    names = dict(zip(available["slug"], available["name"]))
    asked = st.query_params.get("programme")
    if asked is not None and asked not in names:
        st.error(_("There is no programme called “{asked}”. Showing {shown} instead; pick another in the "
                   "sidebar.", asked=plain(asked), shown=plain(names[slugs[0]])), icon=":material/search_off:")
    shown = st.session_state.get("programme")
    if shown not in names:  # a new visit, or another page: the link, else the last pick
        kept = st.session_state.get(CHOSEN_PROGRAMME)
        shown = asked if asked in names else kept if kept in names else slugs[0]
    keep_for_the_picker("programme", shown)
    slug = st.sidebar.selectbox(_("Programme"), slugs, format_func=label_of(names), key="programme")
    st.session_state[CHOSEN_PROGRAMME] = slug  # a widget's own state ends with its page; this goes on to the next
    st.query_params["programme"] = slug
    programme = source.programme_info(slug)
    assert programme is not None  # it was just listed at this data version
    return programme


def choose_as_of(programme: ProgrammeInfo) -> dt.date:
    """The date to show things as they stood (?as_of=YYYY-MM-DD), default today; never in the future."""
    today = dt.date.today()
    asked = st.query_params.get("as_of")
    if "as_of" not in st.session_state:
        day = date(asked) if asked else today
        if day is None or day < EARLIEST_DATE:
            assert asked is not None  # today is later than EARLIEST_DATE: the date was in the link
            st.warning(_("“{asked}” in the link is not a date from {earliest} on; showing today. Dates are written "
                         "as 2021-04-30.", asked=plain(asked), earliest=format_date(EARLIEST_DATE)),
                       icon=":material/event_busy:")
            day = today
        st.session_state["as_of"] = min(day, today)
    keep_for_the_picker("as_of", st.session_state["as_of"])
    as_of = st.sidebar.date_input(_("As of"), min_value=EARLIEST_DATE, max_value=today, key="as_of",
                                  format=date_format(),
                                  help=_("Everything on this page is shown as it stood at the end of this day."))
    st.query_params["as_of"] = as_of.isoformat()
    if programme.starts_on and as_of < programme.starts_on:
        st.info(_("{name} started on {start}; nothing had happened yet by {as_of}. Pick a later date.",
                  name=plain(programme.name), start=format_date(programme.starts_on), as_of=format_date(as_of)),
                icon=":material/event:")
    return as_of


def choose_pending(actor: Actor) -> bool:
    """Staff may include the figures waiting for review (a sidebar switch); the page then says so at the top."""
    if not may_see_pending(actor):
        return False
    pending = st.sidebar.toggle(_("Include figures waiting for review"), key="with_pending",
                                help=_("A preview of what approving the review queue would show. Funders and the "
                                       "public always see approved figures only."))
    if pending:
        st.warning(_("**Pending figures included.** These charts count entries that staff have not reviewed yet; "
                     "do not share them."), icon=":material/pending:")
    return pending


def plot(build: Callable[..., go.Figure], *args, container=st) -> None:
    """Draw `build(*args)`, a function of impact.formats.charts, in `container` (the page, or a column of it)."""
    container.plotly_chart(data.figure(build, build.__qualname__, language(), args),
                           config={"displayModeBar": False})


def chart_data(frame: pd.DataFrame, columns: dict[str, str], container=st) -> None:
    """A chart's data as a table under it (its text alternative): `columns` maps the frame's columns to labels."""
    with container.expander(_("The data of this chart")):
        table = frame[list(columns)]
        show_table(table, *kinds(table), width="stretch", column_config=columns)


def illustrative_notice(programme: ProgrammeInfo) -> None:
    """Say plainly which data are illustrative, on every page that shows them."""
    if programme.illustrative_note or programme.illustrative_project_count:
        st.warning(ngettext("**Demo data, partly illustrative.** {note} {n} of {total} project records is "
                            "illustrative.", "**Demo data, partly illustrative.** {note} {n} of {total} project "
                            "records are illustrative.", programme.illustrative_project_count,
                            note=plain(programme.illustrative_note), total=format_number(programme.project_count)),
                   icon=":material/science:")


def choose_project(source: Source, actor: Actor) -> ProjectInfo:
    """The project named in the link (?project=slug); without one, pickers for a programme and one of its
    projects. Only projects of programmes the visitor may read."""
    asked = st.query_params.get("project")
    if asked:
        project = source.project_info(asked)
        readable = readable_programmes(source, actor)
        if project is not None and project.programme_slug in set(readable["slug"]):
            return project
        st.error(_("There is no project called “{asked}”. Pick one below, or open one from the portfolio.",
                   asked=plain(asked)), icon=":material/search_off:")
    programme = choose_programme(source, actor)
    projects = source.portfolio((programme.id,), dt.date.today())
    if projects.empty:
        st.info(_("{name} has no projects yet.", name=plain(programme.name)), icon=":material/info:")
        st.stop()
    st.title(_("Projects of {programme}", programme=plain(programme.name)))
    search = st.text_input(_("Search"), key="project_search", placeholder=_("A project's name, team or challenge"))
    found = projects
    if search.strip():
        words = search.strip().casefold()
        found = projects[projects[["project", "team", "challenge"]].fillna("").astype(str)
                         .apply(lambda column: column.str.casefold().str.contains(words, regex=False)).any(axis=1)]
    st.caption(ngettext("{shown} of {n} project. Pick one to open it.", "{shown} of {n} projects. Pick one to open it.",
                        len(projects), shown=format_number(len(found))))
    listed = found.assign(link="project?project=" + found["slug"].map(quote), team=found["team"].replace("", None),
                          status=found["status"].map(lambda s: status_label(s) if isinstance(s, str) else None))
    picked = st.dataframe(
        listed[["link", "project", "challenge", "status", "team"]].fillna("—"), hide_index=True, width="stretch",
        key="project_list", on_select="rerun", selection_mode="single-row",
        column_config={"link": st.column_config.LinkColumn(_("Page"), display_text=_("open"), width=50),
                       "project": _("Project"), "challenge": _("Challenge"), "status": _("Status"),
                       "team": _("Team")})
    if not picked.selection.rows:
        st.stop()
    st.query_params["project"] = str(found["slug"].iloc[picked.selection.rows[0]])
    del st.session_state["project_list"]  # back on the list later, nothing is picked
    st.rerun()
