"""Update a project: its team (with the key staff gave them) or staff record a status change, a reach figure, a
free-text update, or the project's plan (a target, a milestone). A team's entries wait for review; staff's are
approved on entry."""
import datetime as dt
from typing import Any, Mapping

import pandas as pd
import streamlit as st

from impact.domain.access import STAFF, TEAM
from impact.domain.calendar import describe
from impact.domain.lifecycle import (
    STATUSES,
    ReviewState,
    Status,
    TransitionError,
    check_note,
    review_label,
    status_label,
)
from impact.i18n import _, format_date, format_number, ngettext
from impact.store import commands
from impact.ui.language import date_format
from impact.ui.page import choose_project, guard_page, label_of, plain, web_links
from impact.ui.plan import MILESTONE_FIELDS, TARGET_FIELDS, milestone_form, target_form, waiting_for_review
from impact.ui.session import sign_in_with_key
from impact.ui.tables import show_table
from impact.ui.writes import DONE, done_notice, forget_fields, start_fields

source, actor = guard_page("update")

# A link with the key (…/update?key=…) is traded for a session by impact.ui.web before this page runs; a refused one
# comes back as ?refused=key or ?refused=locked; a used or expired one-time link from an email (impact.mail.web) as
# ?refused=link.
refused = st.query_params.pop("refused", None) if not actor.signed_in else None
if refused == "locked":
    st.error(_("Too many wrong attempts from your address: opening a project with a key is locked for up to 15 "
               "minutes. Try again then, or ask programme staff."), icon=":material/lock:")
elif refused == "link":
    st.error(_("That sign-in link was already used or has expired: each link in an email works once. Use your "
               "team's update key, or wait for the next email."), icon=":material/link_off:")
elif refused:
    st.error(_("That update key is not valid: it may be mistyped, revoked or expired. Ask programme staff for a new "
               "one."), icon=":material/key_off:")
if not actor.signed_in:
    st.title(_("Update your project"))
    st.write(_("Enter the update key that programme staff gave your team (or open the link they sent)."))
    with st.form("key_form"):
        key = st.text_input(_("Update key"), type="password", key="update_key")
        opened = st.form_submit_button(_("Open my project"), icon=":material/key:")
    if opened:
        sign_in_with_key(source, key)
    st.stop()

project = source.project_info(actor.project_id) if actor.role == TEAM else choose_project(source, actor)
programme = source.programme_info(project.programme_slug)
seen = f"seen_revision_{project.id}"
if seen not in st.session_state:  # the state this visitor is looking at; a submission made on an older one is refused
    st.session_state[seen] = source.project_revision(project.id)

st.title(_("Update {project}", project=plain(project.name)))
st.caption(_("{programme} · what you record here is shown on the charts once programme staff have reviewed it.",
             programme=plain(project.programme)))
done_notice()
today = dt.date.today()
# What changes from one run to the next above the tabs (the status, the reports due) is drawn in one slot, so that
# the tabs keep their place and the browser the open one (impact.ui.writes.done_notice).
with st.container():
    choice = source.status_choice(project.id)
    if choice.current and choice.since is not None:  # both or neither: the latest status and its date
        shown = status_label(choice.current)
        st.metric(_("Status"), _("{status}, waiting for review", status=shown) if choice.pending else shown,
                  help=_("Counting entries still waiting for review."))
        st.caption(_("since {date}", date=format_date(choice.since)))

    if programme.calendar:  # the reports the programme's calendar expects (impact.domain.calendar)
        reports = source.project_reports(programme, project.id, today)
        if reports.late_since is not None:
            st.warning(ngettext("Late: the report due on {date} was not received.",
                                "Late: {n} reports were not received, the first due on {date}.", len(reports.late),
                                date=format_date(reports.late_since)), icon=":material/assignment_late:")
        if reports.next_due is not None:
            days_left = (reports.next_due - today).days
            when = (ngettext("in {n} day", "in {n} days", days_left) if days_left > 0
                    else _("today") if days_left == 0
                    else ngettext("{n} day ago; it still counts until {date}",
                                  "{n} days ago; it still counts until {date}", -days_left,
                                  date=format_date(programme.calendar.closes(reports.next_due))))
            st.info(_("Next report due on {date} ({when}).", date=format_date(reports.next_due), when=when),
                    icon=":material/event:")
        st.caption(describe(programme.calendar) + " " + _("Any status change, reach figure or update recorded "
                                                          "here counts as the report, even while it waits for "
                                                          "review."))


metrics = source.metrics(programme.id)
FORMS: dict[str, Mapping[str, Any]] = {  # each form's fields and their empty values (impact.ui.writes), emptied once
    # its submission is recorded, so that a second tap records nothing; dates start at today, the metric at the first
    "status": {"new_status": None, "status_date": today, "status_note": "", "status_evidence": ""},
    "reading": {"reading_metric": next(iter(metrics["slug"]), None), "reading_date": today, "reading_value": None,
                "reading_note": "", "reading_evidence": ""},
    "update": {"update_text": "", "update_evidence": ""},
    "target": TARGET_FIELDS,
    "milestone": MILESTONE_FIELDS,
    "correction": {"correct_pick": None},
}
CONFIRM = "confirm_discontinued"  # a discontinuation waiting for the visitor's "yes"


def submit(command, form: str, **values) -> None:
    """Run a command with the revision this visitor saw; on success remember what was recorded, empty the form and
    show it."""
    try:
        recorded = source.write(command, actor, project.id, seen_revision=st.session_state[seen], **values)
    except commands.Stale as exc:
        st.session_state[seen] = source.project_revision(project.id)
        st.error(str(exc), icon=":material/sync_problem:")
        return
    except (commands.CommandError, PermissionError) as exc:
        st.error(str(exc), icon=":material/error:")
        return
    st.session_state[seen] = recorded.revision
    forget_fields(FORMS[form])
    st.session_state[DONE] = said(recorded)
    st.rerun()


def said(recorded: commands.Recorded) -> str:
    """What was just recorded, as a sentence in the visitor's language."""
    state = _("approved") if recorded.review_state == ReviewState.APPROVED else _("waiting for staff review")
    if recorded.kind == "update":
        return _("Your update is recorded: {state}.", state=state)
    assert recorded.on is not None  # status changes, readings, targets and milestones have a date
    if recorded.kind == "target":
        return _("Target for {metric}: {value} by {date}: {state}.", metric=plain(recorded.what),
                 value=format_number(recorded.value or 0), date=format_date(recorded.on), state=state)
    if recorded.kind == "milestone":
        return _("Milestone “{title}” ({date}): {state}.", title=plain(recorded.what), date=format_date(recorded.on),
                 state=state)
    if recorded.kind == "status":
        return _("{status} from {date}: {state}.", status=status_label(recorded.what), date=format_date(recorded.on),
                 state=state)
    return _("{metric}: {value} as of {date}: {state}.", metric=plain(recorded.what),
             value=format_number(recorded.value or 0), date=format_date(recorded.on), state=state)


status_tab, reach_tab, update_tab, plan_tab = st.tabs([_("Status"), _("Reach figure"), _("Update"),
                                                       _("Targets and milestones")], key="update_tabs")
start_fields(FORMS["status"])
with status_tab, st.form("status_form"):
    status = st.selectbox(_("New status"), choice.options, format_func=status_label, key="new_status", index=None,
                          placeholder=_("Pick the new status"))
    since = st.date_input(_("From"), max_value=today, format=date_format(), key="status_date")
    note = st.text_area(_("Note"), key="status_note", max_chars=commands.MAX_NOTE_LENGTH,
                        help=_("Needed for: {statuses}.", statuses=", ".join(map(status_label, choice.note_needed)))
                        if choice.note_needed else None)
    evidence = st.text_input(_("Evidence link (http or https)"), key="status_evidence")
    if st.form_submit_button(_("Record status"), icon=":material/flag:"):
        values = {"status": status, "effective_date": since, "note": note, "evidence_url": evidence}
        try:
            if status is None:
                raise TransitionError(_("Pick the new status first."))
            check_note(choice.current, status, note)  # the form offers only statuses that may follow
        except TransitionError as exc:
            st.error(str(exc), icon=":material/error:")
        else:
            if status == Status.DISCONTINUED:  # hard to take back: asked once more, below
                st.session_state[CONFIRM] = values
            else:
                submit(commands.record_status_change, "status", **values)
if pending := st.session_state.get(CONFIRM):
    with status_tab, st.container(border=True):
        st.warning(_("Record that {project} stopped on {date}? Every chart will count it as discontinued once "
                     "programme staff have reviewed it.", project=plain(project.name),
                     date=format_date(pending["effective_date"])), icon=":material/warning:")
        yes, no = st.columns(2)
        if yes.button(_("Yes, it has stopped"), icon=":material/check:", key="confirm_yes"):
            st.session_state.pop(CONFIRM)
            submit(commands.record_status_change, "status", **pending)
        if no.button(_("Cancel"), icon=":material/close:", key="confirm_no"):
            st.session_state.pop(CONFIRM)
            st.rerun()

start_fields(FORMS["reading"])
with reach_tab, st.form("reach_form"):
    if metrics.empty:
        st.info(_("This programme has no reach metrics yet."), icon=":material/info:")
    labels = dict(zip(metrics["slug"], metrics["label"] + " (" + metrics["unit"] + ")"))
    metric = st.selectbox(_("Metric"), list(labels), format_func=label_of(labels), key="reading_metric")
    as_of = st.date_input(_("As of"), max_value=today, format=date_format(), key="reading_date")
    value = st.number_input(_("Total so far"), min_value=0, step=1, value=None, key="reading_value",
                            help=_("The running total on that date, not the increase since the last figure."))
    note = st.text_area(_("Note"), key="reading_note", max_chars=commands.MAX_NOTE_LENGTH,
                        help=_("Needed when the total is lower than before (a recount, say)."))
    evidence = st.text_input(_("Evidence link (http or https)"), key="reading_evidence")
    if st.form_submit_button(_("Record figure"), icon=":material/groups:", disabled=metrics.empty):
        if value is None:
            st.error(_("Enter the total as a whole number."), icon=":material/error:")
        else:
            submit(commands.record_reach_reading, "reading", metric=metric, as_of=as_of, value=int(value), note=note,
                   evidence_url=evidence)

start_fields(FORMS["update"])
with update_tab, st.form("update_form"):
    text = st.text_area(_("What happened"), key="update_text", max_chars=commands.MAX_NOTE_LENGTH)
    evidence = st.text_input(_("Evidence link (http or https)"), key="update_evidence")
    if st.form_submit_button(_("Send update"), icon=":material/send:"):
        submit(commands.record_update, "update", text=text, evidence_url=evidence)

entries = source.project_history(project.id)
with plan_tab:
    st.caption(_("The project's plan: what it aims to reach by when, and the steps on the way. It counts on the "
                 "dashboard once programme staff have reviewed it.") if actor.role == TEAM else
               _("The project's plan: what it aims to reach by when, and the steps on the way."))
    proposed = entries[entries["kind"].isin(["target", "milestone"])
                       & (entries["review_state"] == ReviewState.PENDING)]
    for entry in proposed.itertuples():
        st.info(waiting_for_review(entry), icon=":material/hourglass_top:")
    labels = dict(zip(metrics["slug"], metrics["label"]))
    if (target := target_form(labels, agreed_on=actor.role == STAFF)) is not None:
        submit(commands.set_target, "target", **target)
    if (milestone := milestone_form(source.project_milestones(project.id, today))) is not None:
        submit(commands.record_milestone, "milestone", **milestone)

if actor.role == STAFF:
    with st.expander(_("Correct an entry (staff)"), icon=":material/edit:", key="correct_expander"):
        st.caption(_("A correction is a new entry that replaces the old one on every chart; the old one stays in the "
                     "history, marked as corrected."))
        correctable = entries[entries["kind"].isin(["status", "reading"])
                              & (entries["review_state"] != ReviewState.RETURNED)
                              & ~entries["superseded"]]
        labels = {f"{k}:{i}": f"{status_label(w) if k == 'status' else w}"
                              f"{'' if pd.isna(v) else ' ' + format_number(v)} · {format_date(d)}"
                  for k, i, w, v, d in zip(correctable["kind"], correctable["id"], correctable["what"],
                                           correctable["value"], correctable["effective"])}
        start_fields(FORMS["correction"])
        picked = st.selectbox(_("Entry"), list(labels), format_func=label_of(labels), index=None, key="correct_pick",
                              placeholder=_("Pick the entry to correct"))
        if picked is not None:
            kind, entry_id = picked.split(":")
            old = correctable[(correctable["kind"] == kind) & (correctable["id"] == int(entry_id))].iloc[0]
            with st.form("correct_form"):
                if old["kind"] == "status":
                    new_status = st.selectbox(_("Status"), STATUSES, index=STATUSES.index(old["what"]),
                                              format_func=status_label)
                else:
                    new_value = st.number_input(_("Total so far"), min_value=0, step=1, value=int(old["value"]))
                day = st.date_input(_("Date"), value=old["effective"], max_value=today, format=date_format())
                why = st.text_area(_("What was wrong (required)"), max_chars=commands.MAX_NOTE_LENGTH)
                if st.form_submit_button(_("Record correction"), icon=":material/edit:"):
                    if old["kind"] == "status":
                        submit(commands.record_status_change, "correction", status=new_status, effective_date=day,
                               note=why, supersedes_id=int(old["id"]))
                    else:
                        submit(commands.record_reach_reading, "correction", metric=old["metric"], as_of=day,
                               value=int(new_value), note=why, supersedes_id=int(old["id"]))

st.subheader(_("Everything recorded for this project"))
returned = entries[entries["review_state"] == ReviewState.RETURNED]
for entry in returned.head(5).itertuples():
    st.warning(_("Returned by programme staff: {note}", note=plain(entry.review_note)), icon=":material/undo:")


def entry_what(entry) -> str:
    """What an entry of the history says, named as the forms name it."""
    if entry.kind == "status":
        return status_label(entry.what)
    if entry.kind == "target":
        return _("Target for {metric}, from {baseline} on {date}", metric=entry.what,
                 baseline=format_number(entry.baseline_value), date=format_date(entry.baseline_on))
    if entry.kind == "milestone":
        return (_("Milestone done: {title}", title=entry.what) if not pd.isna(entry.done_on)
                else _("Milestone planned: {title}", title=entry.what))
    if entry.kind == "update":
        return _("Update")
    return entry.what


show_table(
    entries.assign(
        what=[entry_what(entry) for entry in entries.itertuples()],
        evidence_url=web_links(entries["evidence_url"]),
        review_state=entries["review_state"].map(review_label),
    )[["what", "value", "effective", "review_state", "note", "evidence_url", "review_note", "recorded_by",
       "recorded_at", "superseded"]],
    numbers=("value",), dates=("effective",), datetimes=("recorded_at",), width="stretch",
    column_config={
        "what": _("What"), "value": _("Value"), "effective": _("Date"), "note": _("Note"),
        "evidence_url": st.column_config.LinkColumn(_("Evidence")), "review_state": _("Review"),
        "review_note": _("Staff note"), "recorded_by": _("Recorded by"),
        "recorded_at": _("Recorded (UTC)"),
        "superseded": st.column_config.CheckboxColumn(_("Corrected later")),
    },
)
