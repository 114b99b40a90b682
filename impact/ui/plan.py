"""The forms of a project's plan, a target and a milestone: one home for the two pages that draw them. Staff set
them on the project page; a team proposes its own on the Update page, where they wait for staff's review like its
figures (the commands decide that, impact.store.commands.set_target and record_milestone).

Each form returns the command's values once it is submitted complete (None otherwise, an incomplete one said in the
form); the page runs the write, and forgets the fields (TARGET_FIELDS, MILESTONE_FIELDS, impact.ui.writes'
`forget_fields`) once it is recorded, so that a refused submission keeps what was typed and a recorded one empties
the form, in the browser too (`start_fields`)."""
from __future__ import annotations

from typing import Any, Optional

import pandas as pd
import streamlit as st

from impact.i18n import _, format_date, format_number
from impact.ui.language import date_format
from impact.ui.text import bold, label_of, plain
from impact.ui.writes import start_fields

TARGET_FORM, MILESTONE_FORM = "set_target", "add_milestone"
# Each field's key and its empty value.
TARGET_FIELDS = {"target_metric": None, "target_value": None, "target_due": None, "target_baseline_value": 0,
                 "target_baseline_on": None, "target_note": "", "target_set_on": None}
MILESTONE_FIELDS = {"milestone_title": "", "milestone_planned": None, "milestone_done": None,
                    "milestone_evidence": "", "milestone_replaces": None}


def target_form(labels: dict[str, str], agreed_on: bool) -> Optional[dict[str, Any]]:
    """A target for one of the metrics (`labels`: slug -> label). `agreed_on` offers the day the target took effect
    (staff, who enter what was agreed earlier); without it the target stands from the day it is entered."""
    start_fields(TARGET_FIELDS)
    with st.form(TARGET_FORM):
        st.markdown(bold(_("A target")))
        left, right = st.columns(2)
        metric = left.selectbox(_("Metric"), list(labels), format_func=label_of(labels), index=None,
                                placeholder=_("Pick a metric"), key="target_metric")
        value = right.number_input(_("Target value"), min_value=0, step=100, value=None, key="target_value")
        due_on = left.date_input(_("By"), value=None, format=date_format(), key="target_due")
        baseline_value = right.number_input(_("Baseline value"), min_value=0, step=100, key="target_baseline_value")
        baseline_on = left.date_input(_("Baseline date"), value=None, format=date_format(), key="target_baseline_on")
        note = right.text_input(_("Note (needed when a target changes)"), key="target_note")
        set_on = left.date_input(_("Agreed on (empty: today)"), value=None, format=date_format(),
                                 key="target_set_on",
                                 help=_("The day the target took effect: charts at earlier dates show the target "
                                        "that stood then.")) if agreed_on else None
        if not st.form_submit_button(_("Set the target"), icon=":material/flag:"):
            return None
        if metric is None or value is None or due_on is None or baseline_on is None:
            st.error(_("Pick a metric and give the target's value and date and the baseline's date."),
                     icon=":material/error:")
            return None
    return {"metric": metric, "due_on": due_on, "value": int(value), "baseline_on": baseline_on,
            "baseline_value": int(baseline_value), "note": note, "set_on": set_on}


def milestone_form(milestones: pd.DataFrame) -> Optional[dict[str, Any]]:
    """A new milestone, or a change to one of `milestones` (the project's, as they stand: id, title, planned_on):
    done on a date with its evidence, or moved."""
    titles = {int(i): _("{title} (planned for {day})", title=t, day=format_date(d))
              for i, t, d in zip(milestones["id"], milestones["title"], milestones["planned_on"])}
    start_fields(MILESTONE_FIELDS)
    with st.form(MILESTONE_FORM):
        st.markdown(bold(_("A milestone")))
        left, right = st.columns(2)
        title = left.text_input(_("Milestone"), key="milestone_title")
        planned_on = right.date_input(_("Planned for"), value=None, format=date_format(), key="milestone_planned")
        done_on = left.date_input(_("Done on (empty: not yet)"), value=None, format=date_format(),
                                  key="milestone_done")
        evidence = right.text_input(_("Evidence link (http or https)"), key="milestone_evidence")
        replaces = st.selectbox(_("Replaces (to mark a milestone done or move it)"), list(titles), index=None,
                                format_func=label_of(titles), key="milestone_replaces",
                                placeholder=_("Nothing: a new milestone"))
        if not st.form_submit_button(_("Record the milestone"), icon=":material/event:"):
            return None
        if not title.strip() or planned_on is None:
            st.error(_("Name the milestone and give its planned date."), icon=":material/error:")
            return None
    return {"title": title, "planned_on": planned_on, "done_on": done_on, "evidence_url": evidence,
            "supersedes_id": replaces}


def plan_dates(entry) -> str:
    """When a target or a milestone of the history (impact.store.history's ENTRY_COLUMNS) falls: a target's due
    date and its baseline, a milestone's done date (if done) and planned date."""
    if entry.kind == "target":
        return _("by {due}, from {baseline} on {since}", due=format_date(entry.effective),
                 baseline=format_number(entry.baseline_value), since=format_date(entry.baseline_on))
    planned = format_date(entry.planned_on)
    return (_("done on {done}, planned for {planned}", done=format_date(entry.done_on), planned=planned)
            if not pd.isna(entry.done_on) else _("planned for {planned}", planned=planned))


def waiting_for_review(entry) -> str:
    """A team's target or milestone still waiting for staff's review, as a sentence (user text made inert)."""
    what = (_("Target for {metric}: {value}", metric=plain(entry.what), value=format_number(entry.value))
            if entry.kind == "target" else _("Milestone “{title}”", title=plain(entry.what)))
    return _("Waiting for review: {entry}, {when}.", entry=what, when=plan_dates(entry))
