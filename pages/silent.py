"""Silent projects (staff): no approved update for N days, with contact emails and a reminder draft."""
import urllib.parse

import streamlit as st

from impact.domain.lifecycle import FUNDED_OR_LATER, status_label
from impact.formats.cells import csv_bytes
from impact.i18n import _, format_date, format_number, ngettext
from impact.store.portfolio import select_projects
from impact.ui.page import choose_as_of, choose_programme, guard_page, plain
from impact.ui.tables import show_table

source, actor = guard_page("silent")
programme = choose_programme(source, actor)
as_of = choose_as_of(programme)

st.title(_("Silent projects"))
left, right = st.columns([3, 2], vertical_alignment="bottom")
days = left.number_input(_("No approved update for more than (days)"), min_value=0, max_value=36_500, step=30,
                       value=programme.silent_after_days, key="silent_days",
                       help=ngettext("The programme's own threshold is {n} day.",
                                     "The programme's own threshold is {n} days.", programme.silent_after_days))
alive_only = right.toggle(_("Only projects still alive (funded, in development, live)"), value=True,
                          key="silent_alive_only")
table = source.portfolio((programme.id,), as_of)
silent = select_projects(table, FUNDED_OR_LATER if alive_only else (), silent_for_more_than=days).merge(
    source.contacts(actor, programme.id), on="slug", how="left")
st.caption(ngettext("{n} of {total} projects of {programme} had no approved update for {days} on {as_of}.",
                    "{n} of {total} projects of {programme} had no approved update for {days} on {as_of}.", len(silent),
                    total=format_number(len(table)), programme=plain(programme.name), as_of=format_date(as_of),
                    days=ngettext("more than {n} day", "more than {n} days", days)))


def reminder(email: str, project: str) -> str | None:
    """A mailto: link that opens a reminder draft in the visitor's mail program."""
    if not email:
        return None
    subject = _("How is {project} doing?", project=project)
    body = _("Hello,\n\nwe have not heard from {project} for a while. Could you update its status and figures on "
             "the dashboard's update page?\n\nThank you!", project=project)
    return f"mailto:{urllib.parse.quote(email)}?" + urllib.parse.urlencode(
        {"subject": subject, "body": body}, quote_via=urllib.parse.quote)


view = silent.assign(remind=[reminder(e, p) for e, p in zip(silent["contact_email"].fillna(""), silent["project"])],
                     status=silent["status"].map(lambda s: status_label(s) if isinstance(s, str) else None))
show_table(
    view[["project", "status", "last_update", "days_silent", "contact_email", "remind"]],
    numbers=("days_silent",), dates=("last_update",), width="stretch",
    column_config={
        "project": _("Project"), "status": _("Status"), "last_update": _("Last update"),
        "days_silent": _("Days silent"), "contact_email": _("Contact"),
        "remind": st.column_config.LinkColumn(_("Reminder"), display_text=_("write")),
    },
)
st.download_button(_("Download as CSV"), lambda: csv_bytes(silent[["project", "slug", "status", "last_update",
                                                                     "days_silent", "contact_email"]]),
                   file_name=f"silent-{programme.slug}-{as_of}.csv", mime="text/csv", icon=":material/download:")
