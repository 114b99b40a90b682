"""Imports that never guess wrong (issue #15): dates read in one order per column, whole numbers with a zero
fraction, wrong encodings, control characters, row numbers after multi-line cells, every export imported back,
Devpost exports as Devpost writes them, OpenDocument spreadsheets, and a preview of the rows as they will be stored.
Each case is a small file written here by hand; what is stored is read back, and a refusal writes nothing."""
import datetime as dt
import io
import zipfile

import pytest
from sqlalchemy import func, select

from impact.cli import main
from impact.domain.problems import LoadError
from impact.formats.dataset import dataset
from impact.formats.loader import load_folder
from impact.formats.spreadsheets import Options, import_files
from impact.store.models import AuditEntry, Programme, Project, ReachReading, StatusEvent
from tests.conftest import LOADER, TINY_PROGRAMME, load, write_folder
from tests.test_dataset import empty_copy_of, frames

PROJECTS = "programme,slug,name\ntiny,a,A\ntiny,b,B\n"


@pytest.fixture
def tiny(engine, tmp_path):
    load(engine, tmp_path / "tiny", programmes__toml=TINY_PROGRAMME, projects__csv=PROJECTS)
    return engine


def counts(engine) -> tuple[int, ...]:
    with engine.connect() as conn:
        return tuple(conn.scalar(select(func.count()).select_from(m))
                     for m in (Programme, Project, StatusEvent, ReachReading, AuditEntry))


def events(engine) -> list[tuple[str, str, str]]:
    frame = dataset(engine, LOADER).status_events
    return [(p, s, d.isoformat()) for p, s, d in frame[["project", "status", "effective_date"]].itertuples(index=False)]


def readings(engine) -> list[tuple[str, str, int]]:
    frame = dataset(engine, LOADER).reach_readings
    return [(p, a.isoformat(), int(v)) for p, a, v in frame[["project", "as_of", "value"]].itertuples(index=False)]


def refused(engine, files, options=Options()) -> LoadError:
    """The refusal of these files; the database is as it was."""
    before = counts(engine)
    with pytest.raises(LoadError) as error:
        import_files(engine, files, options, LOADER)
    assert counts(engine) == before
    return error.value


# --- 1. day and month order per column, never per cell ------------------------------------------------------------


def test_a_column_whose_one_date_is_month_first_is_read_month_first_throughout(tiny):
    text = "project,status,effective_date\na,idea,04/23/2021\nb,idea,04/05/2021\n"
    summary = import_files(tiny, [("status.csv", text.encode())], Options(), LOADER)
    assert events(tiny) == [("a", "idea", "2021-04-23"), ("b", "idea", "2021-04-05")]  # not 4 May
    assert summary.notes == ["status.csv, column 'effective_date': dates read month first (03/04/2021 is 4 March), "
                             "because '04/23/2021' in row 2 can only be read so."]


def test_a_column_whose_one_date_is_day_first_is_read_day_first_throughout(tiny):
    text = "project;metric;as_of;value\na;people;04.05.2021;10\nb;people;23.04.2021;20\n"
    summary = import_files(tiny, [("reach.csv", text.encode())], Options(), LOADER)
    assert readings(tiny) == [("a", "2021-05-04", 10), ("b", "2021-04-23", 20)]
    assert "because '23.04.2021' in row 3 can only be read so" in summary.notes[0]


def test_a_column_nothing_settles_is_asked_and_read_as_chosen(tiny):
    files = [("status.csv", b"project,status,effective_date\na,idea,04/05/2021\nb,idea,06/07/2021\n")]
    error = refused(tiny, files)
    assert error.ask_dates
    assert ("status.csv, column 'effective_date': no date here has a day above 12, so 03/04/2021 could be 3 April "
            "or 4 March; choose whether the day or the month comes first (on the Import page, or with "
            "`--dates day-first` or `--dates month-first`).") in str(error)
    summary = import_files(tiny, files, Options(day_first=False), LOADER)
    assert events(tiny) == [("a", "idea", "2021-04-05"), ("b", "idea", "2021-06-07")]
    assert summary.notes == ["status.csv, column 'effective_date': dates read month first (03/04/2021 is 4 March), "
                             "as chosen."]


def test_a_column_mixing_both_orders_is_refused_with_both_rows(tiny):
    error = refused(tiny, [("status.csv", b"project,status,effective_date\na,idea,23/04/2021\nb,idea,04/23/2021\n")])
    assert ("status.csv, row 3, column 'effective_date': '04/23/2021' can only be month first, but '23/04/2021' in "
            "row 2 can only be day first") in str(error)


def test_the_command_line_refuses_an_unsettled_column_naming_dates_then_reads_it_as_told(tiny, tmp_path, capsys,
                                                                                          monkeypatch):
    monkeypatch.setenv("DATABASE_URL", tiny.url.render_as_string(hide_password=False))
    path = tmp_path / "status.csv"
    path.write_text("project,status,effective_date\na,idea,04/05/2021\n")
    assert main(["import", str(path)]) == 1
    assert "`--dates day-first` or `--dates month-first`" in capsys.readouterr().err
    assert main(["import", str(path), "--dates", "day-first"]) == 0
    assert "dates read day first (03/04/2021 is 3 April), as chosen." in capsys.readouterr().out
    assert events(tiny) == [("a", "idea", "2021-05-04")]


# --- 2. whole numbers written with a zero fraction --------------------------------------------------------------


def test_whole_numbers_with_a_zero_fraction_are_whole_and_a_real_fraction_is_refused(tiny):
    text = ("project;metric;as_of;value\n"
            "a;people;2021-01-01;850,0\na;people;2021-02-01;1234,0\na;people;2021-03-01;1 234,00\n"
            "a;people;2021-04-01;1.234,0\na;people;2021-05-01;\"1,234.00\"\na;people;2021-06-01;1.500\n")
    import_files(tiny, [("reach.csv", text.encode())], Options(), LOADER)
    assert [v for _p, _a, v in readings(tiny)] == [850, 1234, 1234, 1234, 1234, 1500]
    error = refused(tiny, [("reach.csv", b"project;metric;as_of;value\nb;people;2021-01-01;850,5\n")])
    assert "reach.csv, row 2, column 'value': '850,5' is not a whole number >= 0" in str(error)


# --- 3. a wrong encoding never passes silently --------------------------------------------------------------------

WINDOWS = "programme;slug;name;team\ntiny;c;Équipe Café;Zoë\n"


def test_a_windows_1252_file_is_detected_and_stored_as_written(tiny):
    summary = import_files(tiny, [("projets.csv", WINDOWS.encode("cp1252"))], Options(), LOADER)
    assert dataset(tiny, LOADER).projects.set_index("slug").loc["c", "name"] == "Équipe Café"
    assert summary.notes == ["projets.csv: read as Windows-1252 (it is not UTF-8); if its letters look wrong in the "
                             "preview, choose its encoding."]


def test_a_utf16_tab_separated_file_as_excel_saves_unicode_text(tiny):
    import_files(tiny, [("projects.txt", WINDOWS.replace(";", "\t").encode("utf-16"))], Options(), LOADER)
    assert dataset(tiny, LOADER).projects.set_index("slug").loc["c", "team"] == "Zoë"


@pytest.mark.parametrize("content, encoding, shown", [
    (WINDOWS.encode("cp1252"), "utf-8", "'\ufffdquipe Caf\ufffd'"),  # forced UTF-8 on Windows-1252
    (WINDOWS.encode("utf-8"), "cp1252", "Ã‰quipe CafÃ©"),  # forced Windows-1252 on UTF-8
    (WINDOWS.replace("Café", "CafÃ©").encode("utf-8"), None, "CafÃ©"),  # mojibake saved as UTF-8 earlier
], ids=["forced utf-8", "forced cp1252", "mojibake in utf-8"])
def test_text_in_the_wrong_encoding_is_refused_with_row_and_column(tiny, content, encoding, shown):
    error = refused(tiny, [("projets.csv", content)], Options(encoding=encoding))
    assert "projets.csv, row 2, column 'name': holds '" in str(error)
    assert shown in str(error)
    assert "text read in the wrong encoding; save the file as UTF-8 (or choose its encoding)" in str(error)


# --- 4. control characters ------------------------------------------------------------------------------------------


def test_a_nul_byte_past_the_first_4_kb_is_refused_with_row_and_column(tiny, tmp_path):
    filler = "".join(f"a,idea,2021-01-{d:02},{'x' * 200}\n" for d in range(1, 25))  # about 5 KB
    text = "project,status,effective_date,note\n" + filler + "b,idea,2021-02-01,bad\x00note\n"
    assert len(text.encode()) > 4096
    error = refused(tiny, [("status.csv", text.encode())])
    assert str(error).endswith("status.csv, row 26, column 'note': holds a control character (code 0); remove it and "
                               "save or import again.")
    before = counts(tiny)
    with pytest.raises(LoadError, match="status_events.csv, row 26, column 'note': holds a control character"):
        load_folder(tiny, write_folder(tmp_path / "f", status_events__csv=text), LOADER)
    assert counts(tiny) == before


def test_control_characters_are_refused_but_tabs_and_line_breaks_are_text(tiny, tmp_path):
    error = refused(tiny, [("status.csv", b"project,status,effective_date,note\na,idea,2021-01-01,ring\x07\n")])
    assert "status.csv, row 2, column 'note': holds a control character (code 7)" in str(error)
    import_files(tiny, [("status.csv", b'project,status,effective_date,note\na,idea,2021-01-01,"one\ttwo\r\nthree"\n')],
                 Options(), LOADER)
    assert dataset(tiny, LOADER).status_events["note"].tolist() == ["one\ttwo\r\nthree"]
    with pytest.raises(LoadError, match="programme 1, column 'name': holds a control character"):
        load(tiny, tmp_path / "p", programmes__toml='[[programme]]\nslug = "x"\nname = "X\\u0000"\n')


# --- 5. row numbers as the spreadsheet shows them ---------------------------------------------------------------

MULTILINE = ('project,status,effective_date,note\n'
             'a,idea,2021-01-01,"first line\nsecond line\nthird line"\n'
             'b,idea,2021-13-01,\n')


def test_a_row_after_a_multi_line_cell_keeps_its_spreadsheet_row_number(tiny, tmp_path):
    error = refused(tiny, [("status.csv", MULTILINE.encode())])
    assert "status.csv, row 3, column 'effective_date'" in str(error)
    with pytest.raises(LoadError, match="status_events.csv, row 3, column 'effective_date'"):
        load_folder(tiny, write_folder(tmp_path / "f", status_events__csv=MULTILINE), LOADER)


# --- 6. every export imports back -------------------------------------------------------------------------------

HISTORY = "project,status,effective_date,note,evidence_url\na,idea,2021-04-23,Née,https://example.org\n"


@pytest.fixture
def exported(tiny, tmp_path):
    import_files(tiny, [("status.csv", HISTORY.encode()),
                        ("reach.csv", b"project,metric,as_of,value\na,people,2021-06-30,1500\n")], Options(), LOADER)
    return dataset(tiny, LOADER)


@pytest.mark.parametrize("form", ["folder", "zip", "xlsx", "ods"])
def test_every_export_imports_back_and_into_an_empty_database(tiny, exported, tmp_path, request, form, monkeypatch):
    path = tmp_path / {"folder": "export", "zip": "export.zip", "xlsx": "export.xlsx", "ods": "export.ods"}[form]
    monkeypatch.setenv("DATABASE_URL", tiny.url.render_as_string(hide_password=False))
    assert main(["export", str(path)]) == 0
    before = counts(tiny)
    assert main(["import", str(path)]) == 0  # into the same database: nothing changes
    assert counts(tiny) == before
    copy = empty_copy_of(tiny, tmp_path, request)
    monkeypatch.setenv("DATABASE_URL", copy.url.render_as_string(hide_password=False))
    assert main(["import", str(path)]) == 0
    assert frames(dataset(copy, LOADER)) == frames(exported)
    copy.dispose()


def test_the_exported_zip_loads_too(tiny, exported, tmp_path, request):
    copy = empty_copy_of(tiny, tmp_path, request)
    (tmp_path / "export.zip").write_bytes(exported.zip_bytes())
    summary = load_folder(copy, tmp_path / "export.zip", LOADER)
    assert (summary.programmes, summary.projects, summary.status_events, summary.reach_readings) == (1, 2, 1, 1)
    assert frames(dataset(copy, LOADER)) == frames(exported)
    copy.dispose()


def test_programmes_toml_alone_imports(tiny, exported, tmp_path, request):
    toml = exported.files()["programmes.toml"]
    again = import_files(tiny, [("programmes.toml", toml)], Options(), LOADER)
    assert (again.changes, again.unchanged) == (0, 1)
    copy = empty_copy_of(tiny, tmp_path, request)
    import_files(copy, [("programmes.toml", toml)], Options(), LOADER)
    assert dataset(copy, LOADER).programmes == exported.programmes
    copy.dispose()


def test_a_zip_that_is_not_an_export_is_refused_with_its_files(tiny):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.csv", "when,what\n2021-01-01,hello\n")
    error = refused(tiny, [("upload.zip", buffer.getvalue())])
    assert "upload.zip/notes.csv, row 1: is not a table of projects" in str(error)


# --- 7. the same field rules as the forms -----------------------------------------------------------------------


@pytest.mark.parametrize("column, value, message", [
    ("evidence_url", "javascript:alert(1)", "must start with http:// or https://."),
    ("recorded_at", "yesterday", "'yesterday' is not a date and time"),
])
def test_an_entrys_fields_follow_the_forms_rules(tiny, column, value, message):
    text = f"project,status,effective_date,{column}\na,idea,2021-01-01,{value}\n"
    error = refused(tiny, [("status.csv", text.encode())])
    assert f"status.csv, row 2, column '{column}': {message}" in str(error)


def test_a_malformed_contact_email_is_refused(tiny):
    error = refused(tiny, [("projects.csv", b"programme,slug,name,contact_email\ntiny,c,C,ada@@example\n")])
    assert "projects.csv, row 2, column 'contact_email': 'ada@@example' is not an email address." in str(error)


# --- 8. Devpost, as exported ------------------------------------------------------------------------------------

DEVPOST = (
    "Project Title,Submission Url,Project Status,Project Created At,About The Project,\"\"\"Try it out\"\" Links\","
    "Submitter First Name,Submitter Last Name,Submitter Email,Team Member 1 First Name,Team Member 1 Last Name,"
    "Team Member 1 Email,Which challenge number did you work on?\n"
    "0024_Krankenhäuser_Corina,https://devpost.com/software/corina,Submitted (Gallery/Visible),03/21/2020 18:02:11,"
    "Beds for hospitals,\"https://corina.example, https://github.com/x\",Ada,Lovelace,ada@example.org,Grace,"
    "Hopper,grace@example.org,2\n"
    "009_eAnträge_Formulare,https://devpost.com/software/formulare,Submitted (Hidden),03/22/2020 09:00:00,,,"
    "Alan,Turing,alan@example.org,,,,none\n"
    "08_PANDOA Tracing,https://devpost.com/software/pandoa,Draft,03/22/2020 10:00:00,,,,,,,,,\n"
    "1_036_d_Grenzkontrollen – Schneller,https://devpost.com/software/grenz,Submitted (Gallery/Visible),"
    "03/04/2020 10:00:00,,,,,,,,,1\n"
)
CHALLENGES = '\n[[programme]]\nslug = "dp"\nname = "Devpost"\n' + "".join(
    f'[[programme.challenge]]\nslug = "{s}"\nname = "{s}"\n' for s in ("024", "9", "c008", "036", "1", "2"))


@pytest.fixture
def devpost(tiny, tmp_path):
    load(tiny, tmp_path / "dp", programmes__toml=CHALLENGES)
    return tiny


def projects(engine):
    return dataset(engine, LOADER).projects.set_index("slug")


def test_a_devpost_export_as_devpost_writes_it(devpost):
    summary = import_files(devpost, [("export.csv", DEVPOST.encode())], Options(programme="dp"), LOADER)
    assert summary.notes == [
        "export.csv, column 'Project Created At': dates read month first (03/04/2021 is 4 March), because "
        "'03/21/2020 18:02:11' in row 2 can only be read so.",
        "export.csv: 1 draft skipped (Devpost's Project Status 'Draft'); choose to include drafts to import it."]
    found = projects(devpost).loc[["corina", "formulare", "grenzkontrollen-schneller"]]
    assert found["name"].tolist() == ["Corina", "Formulare", "Grenzkontrollen – Schneller"]
    assert found["challenge"].tolist() == ["024", "9", "036"]
    corina = found.loc["corina"]
    assert (corina["summary"], corina["website"], corina["contact_email"], corina["team"]) == (
        "Beds for hospitals", "https://corina.example", "ada@example.org", "Grace Hopper grace@example.org")
    history = dataset(devpost, LOADER).status_events.set_index("project")
    assert history.loc["grenzkontrollen-schneller", "effective_date"] == dt.date(2020, 3, 4)  # 4 March
    assert history.loc["formulare", "note"] == "Submitted on Devpost, hidden from its gallery."
    assert "pandoa-tracing" not in projects(devpost).index
    again = import_files(devpost, [("export.csv", DEVPOST.encode())], Options(programme="dp"), LOADER)
    assert again.changes == 0


def test_devpost_drafts_on_request_and_the_challenge_from_a_question_column(devpost):
    column = "Which challenge number did you work on?"
    summary = import_files(devpost, [("export.csv", DEVPOST.encode())],
                           Options(programme="dp", drafts=True, challenge_column=column), LOADER)
    assert column in summary.columns
    found = projects(devpost)
    assert found.loc[["corina", "formulare", "pandoa-tracing", "grenzkontrollen-schneller"], "challenge"].tolist() == [
        "2", "", "", "1"]


# --- 10. the preview shows the rows as they will be stored ------------------------------------------------------


def test_the_preview_shows_the_first_rows_as_they_will_be_stored(tiny):
    text = "project;metric;as_of;value\na;people;04/23/2021;1 500\nb;people;04/05/2021;850,0\n"
    summary = import_files(tiny, [("reach.csv", text.encode())], Options(), LOADER, dry_run=True)
    assert summary.shown["reach_readings.csv"].to_dict("records") == [
        {"project": "a", "metric": "people", "as_of": dt.date(2021, 4, 23), "value": 1500},
        {"project": "b", "metric": "people", "as_of": dt.date(2021, 4, 5), "value": 850}]
    assert readings(tiny) == []


def test_devpost_dates_that_read_both_ways_are_read_month_first(devpost):
    header, *rows = DEVPOST.splitlines()
    summary = import_files(devpost, [("export.csv", f"{header}\n{rows[-1]}\n".encode())], Options(programme="dp"),
                           LOADER)
    assert summary.notes == ["export.csv, column 'Project Created At': dates read month first, because Devpost "
                             "writes dates month first."]
    assert dataset(devpost, LOADER).status_events["effective_date"].tolist() == [dt.date(2020, 3, 4)]


@pytest.mark.parametrize("text", ["tiny;projet-ete;Projet été;47 500,50;EUR", "tiny;koeln;Schüler in Köln;850,0;EUR"])
def test_a_short_windows_1252_file_is_read_as_windows_1252(text):
    """A detector guesses wrong on a line or two (it read 'Projet été;' as Korean, 'Schüler' as DOS Latin-1); the
    encoding Excel writes in Germany and France comes first."""
    from impact.formats.spreadsheets import Options, _csv_rows

    notes: list[str] = []
    content = ("programme;slug;name;funding_amount;funding_currency\n" + text + "\n").encode("cp1252")
    assert _csv_rows("projets.csv", content, Options(), notes)[1] == text.split(";")
    assert notes == ["projets.csv: read as Windows-1252 (it is not UTF-8); if its letters look wrong in the preview, "
                     "choose its encoding."]
