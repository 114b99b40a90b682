"""Import and export (staff): spreadsheets in, checked first and written all or nothing; the data set and the
360Giving grants file out."""
import pandas as pd
import streamlit as st

from impact.domain.access import NotAllowed
from impact.domain.problems import LoadError
from impact.formats import spreadsheets
from impact.formats.cells import csv_bytes
from impact.i18n import _, format_number, ngettext
from impact.ui import data
from impact.ui.page import bold, guard_page
from impact.ui.tables import show_table

source, actor = guard_page("files")
programmes = source.programmes()
names = dict(zip(programmes["slug"], programmes["name"]))

st.title(_("Import and export"))
import_tab, export_tab = st.tabs([_("Import spreadsheets"), _("Export")])

with import_tab:
    st.caption(_("CSV, Excel or OpenDocument files of projects, status events, reach readings, targets and "
                 "milestones (the README's formats, one workbook with a sheet each or separate files), a Devpost "
                 "“Projects” export, or what this page exports (the .zip, the workbook, programmes.toml). Nothing is "
                 "written until you have seen the preview and confirmed; then all of it is written, or nothing."))
    uploads = st.file_uploader(_("Files"), type=["csv", "txt", "tsv", "xlsx", "ods", "zip", "toml"],
                               accept_multiple_files=True, key="uploads")
    with st.expander(_("How to read them (detected when left on automatic)")):
        left, middle, right = st.columns(3)
        encoding = left.selectbox(_("Encoding"), [None, "utf-8", "utf-16", "cp1252"], key="import_encoding",
                                  format_func=lambda e: {None: _("Automatic"), "utf-8": "UTF-8", "utf-16": "UTF-16",
                                                         "cp1252": "Windows-1252 / Latin-1"}[e])
        delimiter = middle.selectbox(_("Delimiter"), [None, ";", ",", "\t"], key="import_delimiter",
                                     format_func=lambda d: {None: _("Automatic"), "\t": _("Tab")}.get(d, d))
        dates = right.selectbox(_("Dates such as 03/04/2021"), [None, True, False], key="import_dates",
                                format_func=lambda d: {None: _("Automatic"), True: _("day first (3 April)"),
                                                       False: _("month first (4 March)")}[d])
        programme = st.selectbox(_("Programme of a Devpost export's projects"), [None, *names], key="import_programme",
                                 format_func=lambda s: names.get(s, _("(not a Devpost export)")))
        drafts = st.checkbox(_("Import a Devpost export's drafts too"), key="import_drafts")
    if uploads:
        files = [(upload.name, upload.getvalue()) for upload in uploads]
        if dates is None:  # the answer to the question below, once asked
            dates = st.session_state.get("import_dates_asked")
        options = spreadsheets.Options(encoding=encoding, delimiter=delimiter, day_first=dates, programme=programme,
                                       drafts=drafts, challenge_column=st.session_state.get("import_challenge_column"))
        fingerprint = data.import_fingerprint(files, options)
        try:  # made once per files, options and data version, then kept for the page's reruns
            preview = data.import_preview(source, files, options, actor)
        except NotAllowed as exc:  # the account was disabled since the page was opened
            st.error(str(exc), icon=":material/lock:")
        except LoadError as exc:
            st.error(_("These files cannot be imported as they are; fix the rows below and upload them again. "
                       "Nothing was written."), icon=":material/error:")
            show_table(pd.DataFrame([vars(p) for p in exc.problems]), numbers=("row",), width="stretch",
                       column_config={"file": _("File"), "row": _("Row"), "column": _("Column"),
                                      "message": _("What to fix")})
            if exc.ask_dates:
                st.radio(_("In these files, does the day or the month come first?"), [True, False], index=None,
                         key="import_dates_asked", horizontal=True,
                         format_func=lambda d: _("day first (3 April)") if d else _("month first (4 March)"))
        else:
            for note in preview.notes:
                st.info(note, icon=":material/info:")
            if preview.columns:
                st.selectbox(_("Challenge number of a Devpost export, from"), [None, *preview.columns],
                             key="import_challenge_column",
                             format_func=lambda c: c or _("the project's title (such as 1_016_...)"))
            st.markdown(bold(_("The import would")))
            cells = st.columns(5)
            for cell, (label, value) in zip(cells, [
                    (_("Add projects"), preview.projects), (_("Update projects"), preview.updated),
                    (_("Add status events"), preview.status_events), (_("Add reach readings"), preview.reach_readings),
                    (_("Leave unchanged"), preview.unchanged)]):
                cell.metric(label, format_number(value))
            if preview.targets or preview.milestones or preview.programme_targets:
                for cell, (label, value) in zip(st.columns(5), [
                        (_("Add targets"), preview.targets), (_("Add milestones"), preview.milestones),
                        (_("Add programme targets"), preview.programme_targets)]):
                    cell.metric(label, format_number(value))
            for table, frame in preview.shown.items():
                st.markdown(bold(_("The first rows of {table}, as they will be stored", table=table)))
                st.dataframe(frame, hide_index=True, width="stretch")
            if not preview.changes:
                st.info(_("Everything in these files is already in the database; importing them changes nothing."),
                        icon=":material/info:")
            elif st.button(_("Import"), type="primary", icon=":material/upload:", key=f"import_{fingerprint}"):
                try:
                    done = source.import_files(files, options, actor)
                except (LoadError, NotAllowed) as exc:  # records changed since the preview, or the account did
                    st.error(str(exc), icon=":material/error:")
                else:
                    st.success(_("Imported: {projects} added, {updated} updated, {events} and {readings} added.",
                                 projects=ngettext("{n} project", "{n} projects", done.projects),
                                 updated=format_number(done.updated),
                                 events=ngettext("{n} status event", "{n} status events", done.status_events),
                                 readings=ngettext("{n} reach reading", "{n} reach readings", done.reach_readings))
                               + (" " + _("Also added: {targets} and {milestones}.",
                                          targets=ngettext("{n} target", "{n} targets", done.targets),
                                          milestones=ngettext("{n} milestone", "{n} milestones", done.milestones))
                                  if done.targets or done.milestones else "")
                               + (" " + _("Programme targets added: {targets}.",
                                          targets=ngettext("{n} target", "{n} targets", done.programme_targets))
                                  if done.programme_targets else ""),
                               icon=":material/check_circle:")

with export_tab:
    st.caption(_("The history that counts (approved entries), in the formats the import reads: loading it into an "
                 "empty database gives the same figures. Spreadsheet cells are safe from formulas."))
    left, middle, right = st.columns(3)
    left.download_button(_("Data set (.zip of CSV files)"), lambda: source.dataset(actor).zip_bytes(),
                         file_name="impact-data.zip", mime="application/zip", icon=":material/folder_zip:")
    middle.download_button(_("Data set (Excel workbook)"), lambda: source.dataset(actor).workbook_bytes(),
                           file_name="impact-data.xlsx", icon=":material/table:",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    right.download_button(_("Data set (OpenDocument spreadsheet)"), lambda: source.dataset(actor).workbook_bytes("odf"),
                          file_name="impact-data.ods", icon=":material/table:",
                          mime="application/vnd.oasis.opendocument.spreadsheet")
    st.markdown(bold(_("360Giving grants file")))
    with st.form("grants"):
        prefix = st.text_input(_("Your 360Giving prefix"), placeholder="360G-examplefoundation")
        funder_id = st.text_input(_("Funding organisation's identifier (org-id)"), placeholder="GB-CHC-1234567")
        funder_name = st.text_input(_("Funding organisation's name"))
        made = st.form_submit_button(_("Make the grants file"), icon=":material/request_quote:")
    if made:
        if not (prefix.strip() and funder_id.strip() and funder_name.strip()):
            st.error(_("Fill in all three: the 360Giving standard requires them."), icon=":material/error:")
        else:
            grants = source.grants_360(actor, prefix.strip(), funder_id.strip(), funder_name.strip())
            st.caption(ngettext("{n} funded project with an amount.", "{n} funded projects with an amount.",
                                len(grants)))
            st.download_button(_("Download grants (CSV)"), csv_bytes(grants), file_name="grants-360giving.csv",
                               mime="text/csv", icon=":material/download:")
