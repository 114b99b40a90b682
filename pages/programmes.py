"""Programmes and projects (staff): create and edit a programme (dates, headline figures with their sources,
challenges, reach metrics, public or not, silence threshold, reporting calendar), single projects, and a programme's
targets."""
import pandas as pd
import streamlit as st

from impact.domain.access import Actor
from impact.domain.calendar import GRACE_DAYS
from impact.domain.fields import MOST_GRACE_DAYS
from impact.domain.values import SILENT_AFTER_DAYS, whole_number
from impact.i18n import _
from impact.store import commands, editing
from impact.store.targets import STAGE_LABELS
from impact.ui.data import Source
from impact.ui.language import date_format
from impact.ui.page import guard_page, label_of, plain
from impact.ui.tables import show_table
from impact.ui.text import bold
from impact.ui.writes import done_notice, run_write, take_pick

NEW = ""  # the pickers' entry for something new
TABLES = {"figure": ["key", "label", "value", "source", "note", "label_de", "label_fr"], "challenge": ["slug", "name"],
          "metric": ["slug", "label", "unit", "definition", "label_de", "label_fr", "definition_de", "definition_fr"]}

source, actor = guard_page("programmes")
programmes = source.programmes()
names = dict(zip(programmes["slug"], programmes["name"]))


def figure_value(value) -> int | None:
    """A figure typed in the table: a whole number (28000, or 28000.0 from a number column), else None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value) if float(value).is_integer() and value >= 0 else None
    return whole_number(str(value).strip()) if value != "" else None


def rows(frame: pd.DataFrame, kind: str) -> list[dict]:
    """The filled rows of an edited table, as the programme table holds them (a figure that is not a whole number
    is passed on as written, for the checks to name)."""
    frame = frame.dropna(how="all")
    out = []
    for record in frame.to_dict("records"):
        row = {column: ("" if pd.isna(value) else value) for column, value in record.items()}
        if kind == "figure":
            row["value"] = figure_value(row["value"])
        out.append(row)
    return out


def show_target_form(source: Source, actor: Actor, names: dict[str, str]) -> None:
    """Staff set a programme's targets: its total reach of a metric, or its funnel (projects funded, launched); the
    entries so far are listed below, every change kept."""
    slug = st.selectbox(_("Programme"), list(names), format_func=label_of(names), key="target_programme")
    programme = source.programme_info(slug)
    assert programme is not None  # a programme just listed
    known = source.metrics(programme.id)
    measures = dict(zip(known["slug"], known["label"])) | {stage: _(label) for stage, label in STAGE_LABELS.items()}
    st.caption(_("A target for the programme as a whole: the total reach of a metric (the sum the Reach page charts) "
                 "or the number of projects funded or launched (the overview's funnel). A changed target is a new "
                 "entry with a note saying why; pages at earlier dates show the target that stood then."))
    with st.form(f"programme_target_{slug}", clear_on_submit=True):
        left, right = st.columns(2)
        measure = left.selectbox(_("Target for"), list(measures), format_func=label_of(measures), index=None,
                                 placeholder=_("Pick a metric or a stage of the funnel"))
        value = right.number_input(_("Target value"), min_value=0, step=1, value=None)
        due_on = left.date_input(_("By"), value=None, format=date_format())
        baseline_value = right.number_input(_("Baseline value"), min_value=0, step=1, value=0)
        baseline_on = left.date_input(_("Baseline date"), value=None, format=date_format())
        note = right.text_input(_("Note (needed when a target changes)"))
        set_on = left.date_input(_("Agreed on (empty: today)"), value=None, format=date_format(),
                                 help=_("The day the target took effect: pages at earlier dates show the target "
                                        "that stood then."))
        if st.form_submit_button(_("Set the programme target"), icon=":material/flag:", type="primary"):
            if measure is None or value is None or due_on is None or baseline_on is None:
                st.error(_("Pick what the target is for and give its value and date and the baseline's date."),
                         icon=":material/error:")
            else:
                run_write(source, commands.set_programme_target, _("Programme target set."), actor, slug, measure,
                          due_on, int(value), baseline_on, int(baseline_value), note, set_on)
    entries = source.programme_target_entries(programme.id)
    if entries.empty:
        st.info(_("{name} has no target yet.", name=plain(programme.name)), icon=":material/flag:")
        return
    st.markdown(bold(_("Every target entry, the earlier ones kept")))
    show_table(entries.assign(measure=entries["measure"].map(lambda m: measures.get(m, m))),
               numbers=("value", "baseline_value"), dates=("due_on", "baseline_on", "set_on"), width="stretch",
               column_config={"measure": _("Target for"), "due_on": _("By"), "value": _("Target value"),
                              "baseline_on": _("Baseline date"), "baseline_value": _("Baseline value"),
                              "set_on": _("Agreed on"), "note": _("Note"), "recorded_by": _("Set by")})


st.title(_("Programmes and projects"))
done_notice()
programme_tab, project_tab, target_tab = st.tabs([_("Programme"), _("Project"), _("Programme targets")])

with target_tab:
    if not names:
        st.info(_("Create a programme first."), icon=":material/info:")
    else:
        show_target_form(source, actor, names)

with programme_tab:
    take_pick("edit_programme")
    slug = st.selectbox(_("Programme"), [NEW, *names], format_func=lambda s: names.get(s) or _("A new programme"),
                        key="edit_programme")
    current = source.programme_table(slug) if slug else {}
    assert current is not None  # a programme just listed (programmes are never removed)
    with st.form(f"programme_form_{slug}"):
        left, right = st.columns(2)
        new_slug = left.text_input(_("Link name (slug, never changes)"), value=slug, disabled=bool(slug),
                                   placeholder="wirvsvirus-2020")
        name = right.text_input(_("Name"), value=current.get("name", ""))
        country = left.text_input(_("Country (two letters)"), value=current.get("country") or "", max_chars=2)
        silent = right.number_input(_("Silent after (days without an approved update)"), min_value=1,
                                    value=current.get("silent_after_days", SILENT_AFTER_DAYS))
        starts_on = left.date_input(_("Starts on"), value=current.get("starts_on"), format=date_format())
        ends_on = right.date_input(_("Ends on"), value=current.get("ends_on"), format=date_format())
        st.markdown("**" + _("Reporting calendar") + "**")
        every_labels = {"": _("No cadence"), "monthly": _("Every month"), "quarterly": _("Every quarter")}
        left, middle, right = st.columns([2, 2, 1])
        every = left.selectbox(_("Reports due"), list(every_labels), format_func=label_of(every_labels),
                               index=list(every_labels).index(current.get("report_every") or ""),
                               key=f"report_every_{slug}",
                               help=_("A cadence from its first due date; or leave it empty and list the dates."))
        report_from = middle.date_input(_("First report due on"), value=current.get("report_from"),
                                        format=date_format(), key=f"report_from_{slug}")
        grace = right.number_input(_("Grace days"), min_value=0, max_value=MOST_GRACE_DAYS,
                                   key=f"report_grace_days_{slug}",
                                   value=current.get("report_grace_days", GRACE_DAYS),
                                   help=_("Days after a due date on which its report still counts."))
        report_dates = st.text_input(_("Or reports due on these dates"), key=f"report_dates_{slug}",
                                     value=", ".join(d.isoformat() for d in current.get("report_dates", [])),
                                     placeholder="2026-03-31, 2026-09-30",
                                     help=_("Dates written 2026-03-31, separated by commas; without a cadence."))
        description = st.text_area(_("Description"), value=current.get("description", ""))
        illustrative = st.text_area(_("Note on illustrative data (empty for real data)"),
                                    value=current.get("illustrative_note", ""))
        public = st.toggle(_("Public: visitors who are not signed in see its overview and reach"),
                           value=current.get("public", False))
        with st.expander(_("In German and French (shown to visitors in that language; empty: the English text)")):
            left, right = st.columns(2)
            translated = {
                "name_de": left.text_input(_("Name in German"), value=current.get("name_de", "")),
                "name_fr": right.text_input(_("Name in French"), value=current.get("name_fr", "")),
                "description_de": left.text_area(_("Description in German"), value=current.get("description_de", "")),
                "description_fr": right.text_area(_("Description in French"), value=current.get("description_fr", "")),
            }
            st.caption(_("Figure labels and metric names and definitions take their German and French versions in "
                         "the tables below (columns ending in _de and _fr)."))
        edited = {}
        for kind, label in (("figure", _("Headline figures (participants, ideas_submitted …), each with its source")),
                            ("challenge", _("Challenges")), ("metric", _("Reach metrics"))):
            st.markdown(f"**{label}**")
            edited[kind] = st.data_editor(pd.DataFrame(current.get(kind, []), columns=TABLES[kind]),
                                          num_rows="dynamic", width="stretch", key=f"{kind}_{slug}")
        if st.form_submit_button(_("Save programme"), icon=":material/save:", type="primary"):
            run_write(source, editing.save_programme, _("Programme saved."), actor, create=not slug,
                      pick=("edit_programme", new_slug.strip()), programme={
                "slug": new_slug.strip(), "name": name, "country": country.strip().upper() or None,
                "starts_on": starts_on, "ends_on": ends_on, "description": description,
                "illustrative_note": illustrative, "public": public, "silent_after_days": int(silent), **translated,
                "report_every": every or None, "report_from": report_from, "report_dates": report_dates,
                "report_grace_days": int(grace),
                **{kind: rows(frame, kind) for kind, frame in edited.items()}})

with project_tab:
    if not names:
        st.info(_("Create a programme first."), icon=":material/info:")
        st.stop()
    programme_slug = st.selectbox(_("Programme"), list(names), format_func=label_of(names), key="project_programme")
    programme = source.programme_info(programme_slug)
    projects = source.portfolio((programme.id,), pd.Timestamp.today().date())
    titles = dict(zip(projects["slug"], projects["project"]))
    take_pick("edit_project")
    slug = st.selectbox(_("Project"), [NEW, *titles], format_func=lambda s: titles.get(s) or _("A new project"),
                        key="edit_project")
    current = source.project_details(actor, slug) if slug else {}
    assert current is not None  # a project just listed (projects are never removed)
    table = source.programme_table(programme_slug)
    assert table is not None  # the programme just picked
    challenges = table["challenge"]
    challenge_names = {"": _("(no challenge)")} | {c["slug"]: c["name"] for c in challenges}
    with st.form(f"project_form_{programme_slug}_{slug}"):
        left, right = st.columns(2)
        new_slug = left.text_input(_("Link name (slug, never changes)"), value=slug, disabled=bool(slug))
        name = right.text_input(_("Name"), value=current.get("name", ""))
        challenge = left.selectbox(_("Challenge"), list(challenge_names), format_func=label_of(challenge_names),
                                   index=list(challenge_names).index(current.get("challenge", "")))
        team = right.text_input(_("Team"), value=current.get("team", ""))
        website = left.text_input(_("Website (http or https)"), value=current.get("website", ""))
        repository = right.text_input(_("Source repository (https, http or git://)"),
                                      value=current.get("repository", ""))
        email = left.text_input(_("Contact email (staff only)"), value=current.get("contact_email", ""))
        funder = right.text_input(_("Funder"), value=current.get("funder", ""))
        amount = left.text_input(_("Funding amount"), value=str(current.get("funding_amount") or ""),
                                 placeholder="47500.00")
        currency = right.text_input(_("Currency"), value=current.get("funding_currency", ""), placeholder="EUR")
        summary = st.text_area(_("Summary"), value=current.get("summary", ""))
        if st.form_submit_button(_("Save project"), icon=":material/save:", type="primary"):
            run_write(source, editing.save_project, _("Project {name} saved.", name=plain(name)), actor,
                      pick=("edit_project", new_slug.strip()),
                      programme_slug=programme_slug, slug=new_slug.strip(), create=not slug, challenge=challenge,
                      name=name, team=team, website=website, repository=repository, contact_email=email,
                      funding_amount=amount, funding_currency=currency.strip().upper(), funder=funder, summary=summary)
