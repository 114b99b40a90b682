"""One project: summary, team, funding, its status history and its reach, by a shareable link ?project=<slug>."""
import datetime as dt
from typing import Literal

import pandas as pd
import streamlit as st

from impact.domain.access import STAFF, may_open, may_see_signals
from impact.domain.lifecycle import Status, status_label
from impact.formats import charts
from impact.i18n import _, format_date, format_number, format_percent, ngettext
from impact.signals import run as signal_checks
from impact.signals.text import detail
from impact.store import commands
from impact.ui.page import (
    bold,
    chart_data,
    choose_as_of,
    choose_project,
    guard_page,
    is_web_link,
    plain,
    plot,
    show_text,
    web_links,
)
from impact.ui.plan import MILESTONE_FIELDS, TARGET_FIELDS, milestone_form, target_form
from impact.ui.tables import show_table
from impact.ui.writes import done_notice, run_write

source, actor = guard_page("project")
project = choose_project(source, actor)
programme = source.programme_info(project.programme_slug)
as_of = choose_as_of(programme)

st.title(plain(project.name))
done_notice()
st.caption(_("{programme} · {challenge}", programme=plain(project.programme),
             challenge=plain(project.challenge) if project.challenge else _("no challenge")))
BadgeColour = Literal["gray", "violet", "blue", "green", "red"]
BADGE_COLOURS: dict[str, BadgeColour] = {Status.IDEA: "gray", Status.FUNDED: "violet", Status.IN_DEVELOPMENT: "blue",
                 Status.LAUNCHED: "green", Status.DISCONTINUED: "red"}
status = source.project_status(project.id, as_of)
if status is None:
    st.badge(_("No status yet"), color="gray")
else:
    st.badge(_("{status} since {since}", status=status_label(status[0]), since=format_date(status[1])),
             color=BADGE_COLOURS[status[0]])
if project.illustrative:
    st.warning(_("**Illustrative record.** This project was invented for the demo data; its history and figures "
                 "are not real."), icon=":material/science:")

left, right = st.columns([3, 2], gap="large")
with left:
    if project.summary:
        show_text(project.summary)
    if project.team:
        st.markdown(bold(_("Team")))
        show_text(project.team)
    if is_web_link(project.website):
        st.link_button(_("Website"), project.website, icon=":material/open_in_new:")
    if is_web_link(project.repository):
        st.link_button(_("Source repository"), project.repository, icon=":material/code:")
with right:
    if project.funding_amount is not None:
        st.metric(_("Funding"), f"{format_number(project.funding_amount)} {project.funding_currency}")
        if project.funder:
            show_text(_("Funded by {funder}", funder=project.funder))
    if project.source:
        st.caption(_("Source: {source}", source=plain(project.source)))

st.subheader(_("Status history"))
history = source.timeline(project.id)
if history.empty:
    st.info(_("No status has been recorded for this project yet."), icon=":material/info:")
else:
    show_table(
        history.assign(status=[status_label(s) + (" " + _("(superseded)") if old else "")
                               for s, old in zip(history["status"], history["superseded"])],
                       evidence_url=web_links(history["evidence_url"]))
        .drop(columns=["superseded"]),
        dates=("effective_date",), datetimes=("recorded_at",), width="stretch",
        column_config={
            "status": _("Status"), "effective_date": _("From"), "recorded_at": _("Recorded (UTC)"),
            "recorded_by": _("Recorded by"), "note": _("Note"),
            "evidence_url": st.column_config.LinkColumn(_("Evidence")),
        },
    )

st.subheader(_("Updates"))
feed = source.project_feed(project.id, as_of)
if feed.empty:
    st.info(_("Nothing was reported for this project by {as_of}.", as_of=format_date(as_of)), icon=":material/info:")


def show_entry(entry) -> None:
    """One line of the feed: its date, what it says, the team's note and the evidence."""
    if entry.kind == "status":
        what = _("Status: {status}", status=status_label(entry.what))
    elif entry.kind == "reading":
        what = _("{label}: {value}", label=entry.what, value=format_number(entry.value))
    else:
        what = _("Update")
    text = f"{bold(format_date(entry.effective))} · {bold(plain(what))}"
    st.markdown(text + (f"  \n{plain(entry.note)}" if entry.note else ""))
    if entry.evidence_url and is_web_link(entry.evidence_url):
        st.link_button(_("Evidence"), entry.evidence_url, icon=":material/open_in_new:")


# Newest first; the older ones fold away, so that a long history does not push the plan and the reach down (a box
# that scrolls instead could not be scrolled from the keyboard).
NEWEST = 5
if len(feed):
    with st.container(border=True):
        for entry in feed.head(NEWEST).itertuples():
            show_entry(entry)
        if len(feed) > NEWEST:
            with st.expander(ngettext("{n} older entry", "{n} older entries", len(feed) - NEWEST)):
                for entry in feed.iloc[NEWEST:].itertuples():
                    show_entry(entry)

st.subheader(_("Plan against actual"))
progress = source.project_progress(project.id, as_of)
milestones = source.project_milestones(project.id, as_of)
if progress.empty and milestones.empty:
    st.info(_("No target or milestone was set for this project by {as_of}.", as_of=format_date(as_of)),
            icon=":material/flag:")
for column, row in zip(st.columns(max(len(progress), 1)), progress.itertuples()):
    share = _("{share} of target", share=format_percent(row.share)) if pd.notna(row.share) else "—"
    column.metric(plain(row.label), share, help=_("{actual} of {target} {unit} by {due}", actual=format_number(
        row.actual), target=format_number(row.target), unit=plain(row.unit), due=format_date(row.due_on)))
    column.badge(_("On track") if row.on_track else _("Behind"), color="green" if row.on_track else "orange",
                 icon=":material/check:" if row.on_track else ":material/schedule:")
if not progress.empty:
    st.caption(_("On track means the figure on {as_of} is at least the straight line from the target's baseline to "
                 "its value on its due date; % of target is the figure over the next target's value.",
                 as_of=format_date(as_of)))
if not milestones.empty:
    st.markdown(bold(_("Milestones")))
    for milestone in milestones.itertuples():
        if milestone.state == "done":
            when = _("done on {day}", day=format_date(milestone.done_on))
        elif milestone.state == "overdue":
            when = _("overdue: planned for {day}", day=format_date(milestone.planned_on))
        else:
            when = _("planned for {day}", day=format_date(milestone.planned_on))
        icon = {"done": ":green[:material/check_circle:]", "overdue": ":orange[:material/schedule:]",
                "planned": ":gray[:material/radio_button_unchecked:]"}[milestone.state]
        st.markdown(f"{icon} {bold(plain(milestone.title))} · {when}")
        if milestone.note:
            st.caption(plain(milestone.note))
        if milestone.evidence_url and is_web_link(milestone.evidence_url):
            st.link_button(_("Evidence"), milestone.evidence_url, icon=":material/open_in_new:")

if actor.role == STAFF:
    metrics = source.metrics(programme.id)
    with st.expander(_("Set a target or a milestone (staff)")):
        if (target := target_form(dict(zip(metrics["slug"], metrics["label"])), agreed_on=True)) is not None:
            run_write(source, commands.set_target, _("Target set."), actor, project.id, forget=TARGET_FIELDS,
                      **target)
        if (milestone := milestone_form(milestones)) is not None:
            run_write(source, commands.record_milestone, _("Milestone recorded."), actor, project.id,
                      forget=MILESTONE_FIELDS, **milestone)

st.subheader(_("Reach"))
reach = source.project_reach(project.id, as_of)
if reach.empty:
    st.info(_("No reach figures were recorded for this project by {as_of}.", as_of=format_date(as_of)),
            icon=":material/info:")
for index, (_metric, readings) in enumerate(reach.groupby("metric", sort=False)):
    if index % 2 == 0:
        columns = st.columns(2, gap="large")
    planned = progress[progress["metric"] == _metric]
    plan = None if planned.empty else tuple(planned.iloc[0][["baseline_on", "baseline_value", "due_on", "target"]])
    plot(charts.reach_figure, readings, readings["label"].iloc[0], readings["unit"].iloc[0], None, plan,
         container=columns[index % 2])
    chart_data(readings, {"as_of": _("Date"), "value": readings["label"].iloc[0]}, columns[index % 2])

# Automatic signals: staff always, funders once the project has an approved status; said to be automatic.
if (project.website or project.repository) and may_see_signals(actor, status is not None):
    st.subheader(_("Automatic signals"))
    st.caption(_("Checked automatically by the dashboard (its website and source repository), not reported by "
                 "the team."))
    today = dt.date.today()
    if may_open(actor, "signals"):
        for contradiction in source.project_contradictions(project.id, today):
            st.warning(contradiction.sentence(today), icon=":material/report:")
        if st.button(_("Check now"), icon=":material/network_check:"):
            run_write(source, signal_checks.check_project, _("Checked {name}.", name=plain(project.name)), actor,
                      slug=project.slug)
    checks = source.signal_history(project.id)
    if checks.empty:
        st.info(_("Not checked yet."), icon=":material/info:")
    else:
        for kind, label in (("website", _("Website")), ("repository", _("Source repository"))):
            latest = checks[checks["kind"] == kind].head(1)
            for check in latest.itertuples():
                when = format_date(check.checked_at.date())
                if kind == "website":
                    if check.ok and not check.parked:
                        said = _("answers (HTTP {status}, {ms} ms)", status=check.http_status,
                                 ms=format_number(check.response_ms))
                    elif check.parked:
                        said = _("shows a parked or expired domain")
                    else:
                        said = _("does not answer: {why}", why=detail(check.detail))
                    if check.tls_valid is False:
                        said += " · " + _("its TLS certificate is not valid")
                    if pd.notna(check.tls_expires_at):
                        said += " · " + _("certificate valid until {date}",
                                          date=format_date(check.tls_expires_at.date()))
                else:
                    said = (_("latest commit on {date}", date=format_date(check.last_commit_at.date()))
                            if check.ok else _("not read: {why}", why=detail(check.detail)))
                st.markdown(f"{bold(label)}: {plain(said)} ({_('checked on {date}', date=when)})")
        with st.expander(_("Every check")):
            st.dataframe(
                checks.assign(detail=[detail(code) for code in checks["detail"]]),
                hide_index=True, width="stretch",
                column_config={
                    "kind": _("What"), "url": _("Address"),
                    "checked_at": st.column_config.DatetimeColumn(_("Checked"), format="YYYY-MM-DD HH:mm"),
                    "ok": _("Answered"), "http_status": _("HTTP status"), "final_url": _("Final address"),
                    "tls_valid": _("TLS valid"),
                    "tls_expires_at": st.column_config.DatetimeColumn(_("TLS expires"), format="YYYY-MM-DD"),
                    "response_ms": _("Response (ms)"), "parked": _("Parked domain"),
                    "last_commit_at": st.column_config.DatetimeColumn(_("Latest commit"), format="YYYY-MM-DD"),
                    "detail": _("Detail"),
                },
            )
