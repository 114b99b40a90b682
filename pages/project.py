"""One project: summary, team, funding, its status history and its reach, by a shareable link ?project=<slug>."""
from typing import Literal

import streamlit as st

from impact.domain.lifecycle import Status, status_label
from impact.formats import charts
from impact.i18n import _, format_date, format_number
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
from impact.ui.tables import show_table

source, actor = guard_page("project")
project = choose_project(source, actor)
programme = source.programme_info(project.programme_slug)
as_of = choose_as_of(programme)

st.title(plain(project.name))
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
# Newest first, in a box of its own height that scrolls, so that a long history does not push the reach away.
with st.container(border=True, height=min(90 + 70 * len(feed), 420)) if len(feed) else st.empty():
    for entry in feed.itertuples():
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

st.subheader(_("Reach"))
reach = source.project_reach(project.id, as_of)
if reach.empty:
    st.info(_("No reach figures were recorded for this project by {as_of}.", as_of=format_date(as_of)),
            icon=":material/info:")
for index, (_metric, readings) in enumerate(reach.groupby("metric", sort=False)):
    if index % 2 == 0:
        columns = st.columns(2, gap="large")
    plot(charts.reach_figure, readings, readings["label"].iloc[0], readings["unit"].iloc[0],
         container=columns[index % 2])
    chart_data(readings, {"as_of": _("Date"), "value": readings["label"].iloc[0]}, columns[index % 2])
