"""Review queue (staff): what teams submitted (status changes, figures, updates, targets, milestones), beside what
it would change; approve or return."""
from urllib.parse import quote

import streamlit as st

from impact.domain.lifecycle import status_label
from impact.i18n import _, format_date, format_number
from impact.store import commands
from impact.ui.page import guard_page, is_web_link, plain, show_text
from impact.ui.plan import plan_dates
from impact.ui.writes import done_notice, run_write

SHOWN = 25  # entries per page load; the oldest first

source, actor = guard_page("review")
st.title(_("Review queue"))
done_notice()
queue = source.review_queue()
if queue.empty:
    st.success(_("Nothing is waiting for review."), icon=":material/done_all:")
    st.stop()
st.caption(_("Waiting for review: {n}, oldest first. Approved entries count on every chart at once; a returned "
             "entry goes back to its team with your note.", n=format_number(len(queue))))


def describe(kind: str, what: str, value) -> tuple[str, str]:
    """The label and the value of a submitted entry: a reading or a target names its metric in the label, so that
    the number itself stays whole on a phone's narrow column."""
    if kind == "status":
        return _("Submitted"), status_label(what)
    if kind == "reading":
        return _("Submitted: {metric}", metric=plain(what)), format_number(value)
    if kind == "target":
        return _("Target for {metric}", metric=plain(what)), format_number(value)
    if kind == "milestone":
        return _("Milestone"), what
    return _("Submitted"), _("Update")


for entry in queue.head(SHOWN).itertuples():
    with st.container(border=True):
        st.markdown(f"**[{plain(entry.project)}](project?project={quote(entry.slug)})** · {plain(entry.programme)}")
        submitted, before = st.columns(2)
        label, value = describe(entry.kind, entry.what, entry.value)
        submitted.metric(label, value, help=_("Recorded by {who}", who=entry.recorded_by))
        submitted.caption(plan_dates(entry) if entry.kind in ("target", "milestone") else format_date(entry.effective))
        previous = entry.previous
        if entry.kind in ("status", "reading", "target"):
            shown = (_("none") if previous is None else status_label(previous) if entry.kind == "status"
                     else format_number(previous))
            before.metric(_("Approved before"), shown)
        elif entry.kind == "milestone":
            before.metric(_("Changes"), _("none: a new milestone") if previous is None else previous)
        if entry.lower:
            st.warning(_("Lower than the approved figure before it: check the team's note."), icon=":material/flag:")
        if entry.note:
            show_text(entry.note)
        if is_web_link(entry.evidence_url):
            st.link_button(_("Evidence"), entry.evidence_url, icon=":material/open_in_new:")
        with st.form(f"review_{entry.kind}_{entry.id}", border=False):
            note = st.text_input(_("Note to the team (needed to return)"), key=f"note_{entry.kind}_{entry.id}")
            approve_column, return_column = st.columns(2)
            approve = approve_column.form_submit_button(_("Approve"), icon=":material/check:", type="primary")
            send_back = return_column.form_submit_button(_("Return to the team"), icon=":material/undo:")
        if approve or send_back:
            run_write(source, commands.review, _("Approved.") if approve else _("Returned to the team."), actor,
                      entry.kind, entry.id, approve=approve, note=note)
