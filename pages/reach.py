"""Reach: how many people the projects reach over time, metric by metric (metrics are never added together)."""
import streamlit as st

from impact.formats import charts
from impact.formats.plans import chart_plan, target_sentence
from impact.i18n import _, format_date, format_number, ngettext
from impact.ui.page import (
    chart_data,
    choose_as_of,
    choose_pending,
    choose_programme,
    guard_page,
    illustrative_notice,
    plain,
    plot,
)
from impact.ui.tables import show_table

TOP_GROUPS = 10

source, actor = guard_page("reach")
programme = choose_programme(source, actor)
as_of = choose_as_of(programme)

st.title(_("Reach of {name}", name=plain(programme.name)))
st.caption(_("Each figure is a cumulative total. A project's latest reading on or before {as_of} counts, "
             "and the programme's reach is the sum over its projects, one metric at a time.",
             as_of=format_date(as_of)))
illustrative_notice(programme)
pending = choose_pending(actor)

metrics = source.metrics(programme.id)
latest = source.reach_latest(programme.id, as_of, pending)
if latest.empty:
    st.info(_("No reach figures were recorded for {name} by {as_of}. Teams add readings per metric "
              "(for example people reached); load them with `python -m impact load FOLDER`.",
              name=plain(programme.name), as_of=format_date(as_of)), icon=":material/info:")
    st.stop()

reported = metrics[metrics["slug"].isin(latest["metric"])]
labels = dict(zip(reported["slug"], reported["label"]))
units = dict(zip(reported["slug"], reported["unit"]))
definitions = dict(zip(reported["slug"], reported["definition"]))
for column, row in zip(st.columns(len(latest)), latest.set_index("metric").loc[reported["slug"]].itertuples()):
    column.metric(labels[row.Index], format_number(row.value), help=plain(definitions[row.Index]) or None)
    column.caption(ngettext("{n} project reporting", "{n} projects reporting", row.projects))

# Radio buttons rather than a segmented control: its selected segment's text failed WCAG contrast in the dark theme.
# It opens on the metric most projects report: the programme's figure with the broadest base.
most_reported = latest.set_index("metric").loc[list(labels), "projects"].argmax()
metric = st.radio(_("Metric"), list(labels), format_func=labels.get, horizontal=True, key="metric",
                  index=int(most_reported))
st.caption(_("What is counted: {definition}", definition=plain(definitions[metric])) if definitions[metric] else
           _("No definition was given for this metric; staff add one on the Programmes page."))
totals = source.reach_totals(programme.id, as_of, pending)
# The programme's target for this metric as it stood on the chosen day, drawn from its baseline to its value.
targets = source.programme_targets(programme, as_of, pending)
planned = targets[targets["measure"] == metric]
plot(charts.reach_figure, totals[totals["metric"] == metric], _("{metric}: programme total", metric=labels[metric]),
     units[metric], None, chart_plan(targets, metric))
for target in planned.itertuples():
    icon = ":orange[:material/schedule:]" if target.state == "behind" else ":green[:material/check_circle:]"
    st.markdown(f"{icon} " + plain(_("Programme target: {sentence}.", sentence=target_sentence(target))))
    st.caption(_("On track means the total on {as_of} is at least the straight line from the target's baseline to "
                 "its value on its due date; staff set targets on the Programmes page.", as_of=format_date(as_of)))
chart_data(totals[totals["metric"] == metric], {"as_of": _("Date"), "value": labels[metric]})

by = st.radio(_("Break down by"), ["project", "challenge"], key="reach_by", horizontal=True,
              format_func=lambda b: _("Project") if b == "project" else _("Challenge"))
groups = source.reach_by(programme.id, as_of, metric, by, TOP_GROUPS, pending)
title = (_("{metric} per project", metric=labels[metric]) if by == "project"
         else _("{metric} per challenge", metric=labels[metric]))
plot(charts.reach_figure, groups, title, units[metric], "group")
if groups["group"].nunique() == TOP_GROUPS:
    st.caption(_("Showing the {n} with the highest reach on {as_of}.", n=TOP_GROUPS, as_of=format_date(as_of)))
with st.expander(_("These figures as a table")):
    latest_by_group = groups.groupby("group", sort=False)["value"].last().reset_index()
    show_table(latest_by_group, numbers=("value",), width="stretch", column_config={
        "group": _("Project") if by == "project" else _("Challenge"), "value": labels[metric]})
