"""Portfolio: every project in one table, with its status, reach and how long it has been silent; for staff, where
its automatic signals contradict the status reported today."""
import datetime as dt
from urllib.parse import quote

import pandas as pd
import streamlit as st

from impact.domain.access import may_open
from impact.domain.lifecycle import STATUSES, status_label
from impact.formats.cells import csv_bytes, excel_bytes
from impact.formats.plans import state_word
from impact.i18n import _, format_date, format_number, ngettext
from impact.store.portfolio import select_projects, with_signals, with_targets
from impact.store.queries import no_challenge
from impact.ui.data import Source, cached
from impact.ui.page import (
    choose_as_of,
    choose_programme,
    guard_page,
    illustrative_notice,
    label_of,
    readable_programmes,
)
from impact.ui.tables import columns_that_fit, show_table

# The columns the screen shows in words, kept beside the values that the filters, the order and the downloads use.
IN_WORDS = {"link_shown": "link", "challenge_shown": "challenge", "status_shown": "status",
            "target_state_shown": "target_state"}


@cached
def portfolio_of(source: Source, ids: tuple[int, ...], as_of: dt.date, today: dt.date | None) -> pd.DataFrame:
    """The portfolio of these programmes with each project's plan, and (given `today`: for staff) its contradictions
    of that day, with the columns of IN_WORDS: kept like a read, so that a click does not merge and word it again."""
    table = with_targets(source.portfolio(ids, as_of), source.targets_of_projects(ids, as_of))
    if today is not None:
        table = with_signals(table, source.contradictions(ids, today))
    return table.assign(
        link_shown="project?project=" + table["slug"].map(quote),
        challenge_shown=table["challenge"].map(no_challenge),
        status_shown=table["status"].map(lambda s: status_label(s) if isinstance(s, str) else None),
        # The state, and the target's metric where it is not the one of the latest reach shown beside it.
        target_state_shown=[None if not isinstance(state, str) else state_word(state) if not isinstance(other, str)
                            else f"{state_word(state)} ({other})"
                            for state, other in zip(table["target_state"], table["target_metric"])],
    )


source, actor = guard_page("portfolio")
programme = choose_programme(source, actor)
as_of = choose_as_of(programme)

st.title(_("Portfolio"))
st.caption(_("Every project as it stood on {as_of}. A project is silent when nothing new was recorded for it.",
             as_of=format_date(as_of)))
illustrative_notice(programme)

everything = readable_programmes(source, actor)
names = dict(zip(everything["slug"], everything["name"]))
chosen = st.multiselect(_("Programmes"), list(names), default=[programme.slug], format_func=label_of(names),
                        key="portfolio_programmes", placeholder=_("Pick programmes")) or [programme.slug]
ids = tuple(source.programme_info(slug).id for slug in chosen)
# Contradictions are for staff (as on the project page): read for the chosen programmes at once.
staff = may_open(actor, "signals")
table = portfolio_of(source, ids, as_of, dt.date.today() if staff else None)

funded_only = st.toggle(_("Only funded projects"), value=True, key="portfolio_funded_only",
                        help=_("Turn off to see the ideas that were never funded as well."))
contradicted_only = staff and st.toggle(
    _("Only contradictions"), key="portfolio_contradictions_only",
    help=_("Only the projects whose automatic signals (website, repository) contradict the status reported today."))
behind_only = st.toggle(
    _("Only behind target"), key="portfolio_behind_only",
    help=_("Only the projects whose figure is below the straight line from their target's baseline to its value."))
left, middle, right = st.columns(3)
statuses = left.multiselect(_("Status"), list(STATUSES), format_func=status_label, key="portfolio_status",
                            placeholder=_("All statuses"))
challenges = middle.multiselect(_("Challenge"), sorted(table["challenge"].unique()), key="portfolio_challenge",
                                format_func=no_challenge, placeholder=_("All challenges"))
silent_only = right.toggle(_("Only silent projects"), key="portfolio_silent_only")
silent_days = right.number_input(_("Silent for more than (days)"), min_value=0, max_value=36_500, step=30,
                                 value=programme.silent_after_days, key="portfolio_silent_days",
                                 disabled=not silent_only)

shown = select_projects(table, statuses, challenges, silent_days if silent_only else None, funded_only=funded_only,
                        contradicted_only=contradicted_only, behind_only=behind_only)
# Longest without an update first: the projects staff should ask about (never heard from at all on top).
shown = shown.sort_values("days_silent", ascending=False, na_position="first", kind="stable")

st.caption(ngettext("{shown} of {n} project.", "{shown} of {n} projects.", len(table), shown=format_number(len(shown))))
view = shown.drop(columns=[column for column in IN_WORDS.values() if column in shown.columns]).rename(columns=IN_WORDS)
shown = shown.drop(columns=list(IN_WORDS))  # the downloads: the values
# What fits on a laptop's screen (1,400 pixels wide, beside the sidebar): the plan and the silence always; then, while
# they fit, the signals (where a shown project has a contradiction), the programme (of several), the challenge and
# the two dates. The downloads below carry every column (team, the date of the reach reading ...).
WIDTHS = {"link": 45, "project": 145, "programme": 115, "challenge": 115, "status": 130, "status_since": 90,
          "signals": 115, "reach": 80, "reach_metric": 110, "target_share": 80, "target_state": 155,
          "last_update": 90, "days_silent": 75}
wanted = {"signals": staff and view["signals"].notna().any(), "programme": len(chosen) > 1}
columns = columns_that_fit([column for column in WIDTHS if wanted.get(column, True)], WIDTHS,
                           optional=["signals", "programme", "challenge", "status_since", "last_update"])
show_table(
    view[columns], numbers=("reach", "days_silent"),
    dates=[day for day in ("status_since", "last_update") if day in columns],
    percents=("target_share",), width="stretch", height=560,
    column_config={
        "link": st.column_config.LinkColumn(_("Page"), display_text=_("open"), width=WIDTHS["link"]),
        "project": st.column_config.Column(_("Project"), width=WIDTHS["project"]),
        "programme": st.column_config.Column(_("Programme"), width=WIDTHS["programme"]),
        "challenge": st.column_config.Column(_("Challenge"), width=WIDTHS["challenge"]),
        "status": st.column_config.Column(_("Status"), width=WIDTHS["status"]),
        "status_since": st.column_config.Column(_("Since"), width=WIDTHS["status_since"]),
        "signals": st.column_config.Column(
            _("Signals"), width=WIDTHS["signals"],
            help=_("Where the automatic signals contradict the status reported today (not at the date shown).")),
        "reach": st.column_config.Column(_("Latest reach"), width=WIDTHS["reach"]),
        "reach_metric": st.column_config.Column(_("Metric"), width=WIDTHS["reach_metric"]),
        "target_share": st.column_config.Column(
            _("% of target"), width=WIDTHS["target_share"],
            help=_("The project's figure over its next target's value: for the metric of its latest reach where it "
                   "has a target for it, else for its first metric with a target; — where it has none.")),
        "target_state": st.column_config.Column(_("Plan"), width=WIDTHS["target_state"]),
        "last_update": st.column_config.Column(_("Last update"), width=WIDTHS["last_update"]),
        "days_silent": st.column_config.Column(_("Days silent"), width=WIDTHS["days_silent"]),
    },
)

st.caption(_("% of target is the project's figure over its next target's value, for the metric of its latest reach "
             "where it has a target for it, else for its first metric with a target (named beside the plan); — where "
             "it has none. Behind: below the straight line from the target's baseline to its value."))
left, right = st.columns(2)
# Files are made when asked for, not on every run: an Excel file of a large portfolio is slow to write.
left.download_button(_("Download as CSV"), lambda: csv_bytes(shown), file_name=f"portfolio-{as_of}.csv",
                     mime="text/csv", icon=":material/download:")
right.download_button(_("Download as Excel"), lambda: excel_bytes(shown, sheet="portfolio"),
                      file_name=f"portfolio-{as_of}.xlsx", icon=":material/download:",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
