"""Portfolio: every project in one table, with its status, reach and how long it has been silent."""
from urllib.parse import quote

import streamlit as st

from impact.domain.lifecycle import STATUSES
from impact.formats.cells import csv_bytes, excel_bytes
from impact.formats.charts import status_label
from impact.i18n import _, format_date, format_number
from impact.store.portfolio import select_projects
from impact.store.queries import no_challenge
from impact.ui import data
from impact.ui.page import (
    choose_as_of,
    choose_programme,
    guard_page,
    illustrative_notice,
    label_of,
    readable_programmes,
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
                        key="portfolio_programmes") or [programme.slug]
ids = tuple(data.programme_info(source, slug).id for slug in chosen)
table = data.portfolio(source, ids, as_of)

left, middle, right = st.columns(3)
statuses = left.multiselect(_("Status"), list(STATUSES), format_func=status_label, key="portfolio_status",
                            placeholder=_("All statuses"))
challenges = middle.multiselect(_("Challenge"), sorted(table["challenge"].unique()), key="portfolio_challenge",
                                format_func=no_challenge, placeholder=_("All challenges"))
silent_only = right.toggle(_("Only silent projects"), key="portfolio_silent_only")
silent_days = right.number_input(_("Silent for more than (days)"), min_value=0, max_value=36_500, step=30,
                                 value=programme.silent_after_days, key="portfolio_silent_days",
                                 disabled=not silent_only)

shown = select_projects(table, statuses, challenges, silent_days if silent_only else None)

st.caption(_("{shown} of {total} projects.", shown=format_number(len(shown)), total=format_number(len(table))))
view = shown.assign(
    link="project?project=" + shown["slug"].map(quote),
    challenge=shown["challenge"].map(no_challenge),
    status=shown["status"].map(lambda s: status_label(s) if isinstance(s, str) else None),
)
st.dataframe(
    view[["link", "project", "programme", "challenge", "team", "status", "status_since", "reach", "reach_metric",
          "reach_as_of", "last_update", "days_silent"]],
    hide_index=True, width="stretch", height=560,
    column_config={
        "link": st.column_config.LinkColumn(_("Project page"), display_text=_("open")),
        "project": _("Project"), "programme": _("Programme"), "challenge": _("Challenge"), "team": _("Team"),
        "status": _("Status"), "status_since": st.column_config.DateColumn(_("Since")),
        "reach": st.column_config.NumberColumn(_("Latest reach"), format="localized"),
        "reach_metric": _("Metric"), "reach_as_of": st.column_config.DateColumn(_("Reach as of")),
        "last_update": st.column_config.DateColumn(_("Last update")),
        "days_silent": st.column_config.NumberColumn(_("Days silent")),
    },
)

left, right = st.columns(2)
# Files are made when asked for, not on every run (Excel for 2,000 rows took seconds).
left.download_button(_("Download as CSV"), lambda: csv_bytes(shown), file_name=f"portfolio-{as_of}.csv",
                     mime="text/csv", icon=":material/download:")
right.download_button(_("Download as Excel"), lambda: excel_bytes(shown, sheet="portfolio"),
                      file_name=f"portfolio-{as_of}.xlsx", icon=":material/download:",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
