"""Silent projects (staff): no approved update for N days, or a report late by the programme's reporting calendar,
with the next report due, contact emails, a reminder draft, and reminders sent by email after a preview."""
import datetime as dt
import urllib.parse

import pandas as pd
import streamlit as st

from impact.domain.access import Actor
from impact.domain.calendar import DUE_SOON_DAYS, describe
from impact.domain.lifecycle import FUNDED_OR_LATER, status_label
from impact.formats.cells import csv_bytes
from impact.i18n import _, format_date, format_number, ngettext
from impact.mail import outbox
from impact.store.portfolio import select_projects
from impact.store.queries import ProgrammeInfo
from impact.store.reporting import with_reports
from impact.ui.data import Source, cached
from impact.ui.page import choose_as_of, choose_programme, guard_page, plain
from impact.ui.tables import show_table
from impact.ui.writes import done_notice, run_write


def reminder(email: str, project: str) -> str | None:
    """A mailto: link that opens a reminder draft in the visitor's mail program."""
    if not email:
        return None
    subject = _("How is {project} doing?", project=project)
    body = _("Hello,\n\nwe have not heard from {project} for a while. Could you update its status and figures on "
             "the dashboard's update page?\n\nThank you!", project=project)
    return f"mailto:{urllib.parse.quote(email)}?" + urllib.parse.urlencode(
        {"subject": subject, "body": body}, quote_via=urllib.parse.quote)


@cached
def silent_of(source: Source, programme: ProgrammeInfo, as_of: dt.date, actor: Actor, days: int, alive_only: bool,
              late_only: bool) -> tuple[tuple[int, int, int, int], pd.DataFrame]:
    """How many projects the programme had on `as_of` and, among those kept (alive only, if asked), how many had a
    late report, a report due soon, and how many reports were late; then the silent ones with their contacts, in
    the order shown, with their status in words ("status_shown") and reminder drafts ("remind"). Kept like a read,
    so that a click does not select, merge and word them again."""
    table = with_reports(source.portfolio((programme.id,), as_of), source.reports_due(programme, as_of))
    kept = select_projects(table, FUNDED_OR_LATER if alive_only else ())
    silent = select_projects(kept, silent_for_more_than=days, late_only=late_only).merge(
        source.contacts(actor, programme.id), on="slug", how="left")
    counts = (len(table), 0, 0, 0)
    if programme.calendar:
        # The longest late first, then the longest silent (never updated first).
        order = silent.assign(late_key=silent["late_since"].fillna(dt.date.max),
                              quiet_key=silent["days_silent"].astype("float").fillna(float("inf")))
        silent = silent.loc[order.sort_values(["late_key", "quiet_key"], ascending=[True, False], kind="stable").index]
        late, soon = kept["late_reports"] > 0, kept["due_soon"] & kept["next_due"].notna()
        counts = (len(table), int(late.sum()), int(soon.sum()), int(kept["late_reports"].sum()))
    return counts, silent.assign(
        remind=[reminder(e, p) for e, p in zip(silent["contact_email"].fillna(""), silent["project"])],
        status_shown=silent["status"].map(lambda s: status_label(s) if isinstance(s, str) else None))


source, actor = guard_page("silent")
programme = choose_programme(source, actor)
as_of = choose_as_of(programme)

st.title(_("Silent projects"))
done_notice()
left, right = st.columns([3, 2], vertical_alignment="bottom")
days = left.number_input(_("No approved update for more than (days)"), min_value=0, max_value=36_500, step=30,
                       value=programme.silent_after_days, key="silent_days",
                       help=ngettext("The programme's own threshold is {n} day.",
                                     "The programme's own threshold is {n} days.", programme.silent_after_days))
alive_only = right.toggle(_("Only projects still alive (funded, in development, live)"), value=True,
                          key="silent_alive_only")
calendar = programme.calendar
late_only = bool(calendar) and right.toggle(_("Only late"), key="silent_late_only",
                                            help=_("Only projects with a report the calendar expected and that was "
                                                   "not received."))
(total, late_projects, due_soon, late_reports), silent = silent_of(source, programme, as_of, actor, days, alive_only,
                                                                   late_only)
st.caption(describe(calendar))
if calendar:
    left, middle, right = st.columns(3)
    left.metric(_("Projects with a late report"), format_number(late_projects))
    middle.metric(ngettext("Report due within {n} day", "Reports due within {n} days", DUE_SOON_DAYS),
                  format_number(due_soon))
    right.metric(_("Late reports"), format_number(late_reports))
    st.caption(ngettext("{n} of {total} projects of {programme} had no approved update for {days} or a late report "
                        "on {as_of}.",
                        "{n} of {total} projects of {programme} had no approved update for {days} or a late report "
                        "on {as_of}.", len(silent),
                        total=format_number(total), programme=plain(programme.name), as_of=format_date(as_of),
                        days=ngettext("more than {n} day", "more than {n} days", days)) if not late_only else
               ngettext("{n} of {total} projects of {programme} had a late report on {as_of}.",
                        "{n} of {total} projects of {programme} had a late report on {as_of}.", len(silent),
                        total=format_number(total), programme=plain(programme.name), as_of=format_date(as_of)))
else:
    st.caption(ngettext("{n} of {total} projects of {programme} had no approved update for {days} on {as_of}.",
                        "{n} of {total} projects of {programme} had no approved update for {days} on {as_of}.",
                        len(silent), total=format_number(total), programme=plain(programme.name),
                        as_of=format_date(as_of), days=ngettext("more than {n} day", "more than {n} days", days)))

due_columns = ["next_due", "late_reports", "late_since"] if calendar else []
show_table(
    silent[["project", "status_shown", "last_update", "days_silent", *due_columns, "contact_email", "remind"]]
    .rename(columns={"status_shown": "status"}),
    numbers=("days_silent", *(["late_reports"] if calendar else [])),
    dates=("last_update", *(["next_due", "late_since"] if calendar else [])), width="stretch",
    column_config={
        "project": _("Project"), "status": _("Status"), "last_update": _("Last update"),
        "days_silent": _("Days silent"), "next_due": _("Next due"), "late_reports": _("Late reports"),
        "late_since": _("Late since"), "contact_email": _("Contact"),
        "remind": st.column_config.LinkColumn(_("Reminder"), display_text=_("write")),
    },
)
st.download_button(_("Download as CSV"), lambda: csv_bytes(silent[["project", "slug", "status", "last_update",
                                                                     "days_silent", *due_columns, "contact_email"]]),
                   file_name=f"silent-{programme.slug}-{as_of}.csv", mime="text/csv", icon=":material/download:")

# --- reminders by email (impact.mail): a preview, then send ---------------------------------------------------------
st.subheader(_("Remind by email"))
sent_before = source.reminders_of(actor, programme.id)
if len(sent_before):
    st.caption(ngettext("{n} project of this programme was reminded by email; the latest on {date}.",
                        "{n} projects of this programme were reminded by email; the latest on {date}.",
                        len(sent_before),
                        date=format_date(pd.to_datetime(sent_before["last_reminded"], utc=True).max().date())))
names = dict(zip(silent["slug"].tolist(), silent["project"].tolist()))
chosen = st.multiselect(_("Projects to remind"), options=silent["slug"].tolist(),
                        format_func=lambda slug: names.get(slug, slug), key="silent_mail_projects",
                        placeholder=_("Pick projects"),
                        help=_("Each gets one email per contact with a one-time sign-in link to its update page. A "
                               "project reminded within the last 14 days is skipped."))
if st.button(_("Preview"), key="silent_mail_preview", disabled=not chosen):
    st.session_state["silent_mail_plan"] = (tuple(chosen), source.reminder_preview(actor, programme.slug,
                                                                                   tuple(chosen)))
planned = st.session_state.get("silent_mail_plan")
if planned and planned[0] == tuple(chosen):
    lines = planned[1]
    st.dataframe(pd.DataFrame([{"project": line.project, "address": line.address, "language": line.language,
                                "what": _("send") if line.send else line.reason} for line in lines],
                              columns=["project", "address", "language", "what"]),
                 hide_index=True, width="stretch",
                 column_config={"project": _("Project"), "address": _("Contact"), "language": _("Language"),
                                "what": _("What happens")})
    to_send = sum(line.send for line in lines)
    if st.button(ngettext("Send {n} email", "Send {n} emails", to_send), type="primary", disabled=not to_send,
                 key="silent_mail_send"):
        st.session_state.pop("silent_mail_plan", None)
        run_write(source, outbox.send_reminders, _("The reminders were sent; failures are listed below."), actor,
                  programme.slug, tuple(chosen))
failures = source.mail_failures(actor)
if len(failures):
    st.caption(_("Addresses mail could not reach, that opted out, or whose email may not have gone out:"))
    st.dataframe(failures, hide_index=True, width="stretch",
                 column_config={"address": _("Contact"), "what": _("What"), "when": _("When"), "why": _("Why")})

overdue = source.overdue_milestones(programme.id, as_of)
st.subheader(_("Overdue milestones"))
if overdue.empty:
    st.caption(_("No milestone of {programme} was overdue on {as_of}.", programme=plain(programme.name),
                 as_of=format_date(as_of)))
else:
    st.caption(ngettext("{n} milestone planned before {as_of} was not done by then, the longest overdue first.",
                        "{n} milestones planned before {as_of} were not done by then, the longest overdue first.",
                        len(overdue), as_of=format_date(as_of)))
    show_table(overdue.assign(link="project?project=" + overdue["slug"].map(urllib.parse.quote))
               [["link", "project", "title", "planned_on", "days_overdue"]],
               numbers=("days_overdue",), dates=("planned_on",), width="stretch",
               column_config={"link": st.column_config.LinkColumn(_("Page"), display_text=_("open"), width=50),
                              "project": _("Project"), "title": _("Milestone"), "planned_on": _("Planned for"),
                              "days_overdue": _("Days overdue")})
