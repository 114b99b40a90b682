"""Audit log (staff): every write, who made it, when, and what it changed; filtered, newest first."""
import streamlit as st

from impact.i18n import _, format_number, ngettext
from impact.ui.language import date_format
from impact.ui.page import guard_page
from impact.ui.tables import show_table

LIMIT = 1000

source, actor = guard_page("audit")
st.title(_("Audit log"))
st.caption(_("Every write leaves an entry here, and entries are never changed or removed."))
who, action, subject = st.columns(3)
actor_text = who.text_input(_("Who (contains)"), key="audit_actor")
action_name = action.selectbox(_("Action"), source.audit_actions(actor), index=None,
                               placeholder=_("Any action"), key="audit_action")
subject_text = subject.text_input(_("About (contains)"), key="audit_subject", placeholder="project corona-school")
since_column, until_column = st.columns(2)
since = since_column.date_input(_("From"), value=None, format=date_format(), key="audit_since")
until = until_column.date_input(_("Until"), value=None, format=date_format(), key="audit_until")
entries = source.audit_log(actor, actor_text, action_name or "", subject_text, since, until, LIMIT)
st.caption(ngettext("{n} entry shown (at most {limit}; narrow the filters to see older ones).",
                    "{n} entries shown (at most {limit}; narrow the filters to see older ones).", len(entries),
                    limit=format_number(LIMIT)))
show_table(
    entries, datetimes=("at",), seconds=True, width="stretch",
    column_config={
        "id": _("No."), "at": _("When (UTC)"),
        "actor": _("Who"), "action": _("Action"), "subject": _("About"), "before": _("Before"), "after": _("After"),
    },
)
