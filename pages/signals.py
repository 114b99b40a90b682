"""Contradictions (staff): where the automatic signals disagree with the status a team reported."""
import datetime as dt

import streamlit as st

from impact.domain.lifecycle import status_label
from impact.i18n import _, format_date, ngettext
from impact.signals.contradictions import Contradiction
from impact.ui.page import choose_programme, guard_page, plain

source, actor = guard_page("signals")
programme = choose_programme(source, actor)
today = dt.date.today()

st.title(_("Contradictions"))
# Plain text, not `code`: Streamlit's code colour inside a caption fails the contrast the accessibility check asks.
st.caption(_("Where the automatic signals (websites and source repositories, checked by {command}) disagree with the "
             "status the team reported: live with the website down for 30 days, in development with no commit for "
             "12 months, discontinued with website and repository active.", command="python -m impact check"))
found = source.contradictions((programme.id,), today)
st.caption(ngettext("{n} contradiction in {programme} today.", "{n} contradictions in {programme} today.",
                    len(found), programme=plain(programme.name)))
if found.empty:
    st.info(_("No contradiction: every checked project's signals agree with its reported status."),
            icon=":material/check_circle:")
else:
    st.dataframe(
        found.assign(
            link=[f"/project?project={slug}" for slug in found["slug"]],
            status=[status_label(s) for s in found["status"]],
            what=[Contradiction(code, since).sentence(today) for code, since in zip(found["code"], found["since"])],
            since=[format_date(since) for since in found["since"]],
        )[["link", "name", "status", "what", "since"]],
        hide_index=True, width="stretch",
        column_config={"link": st.column_config.LinkColumn(_("Project page"), display_text=_("open")),
                       "name": _("Project"), "status": _("Reported status"), "what": _("Contradiction"),
                       "since": _("Since")},
    )
