"""Importing spreadsheets as people have them: encodings, delimiters, decimal commas, day-first dates, Excel
workbooks, Devpost exports with drifting headers, re-imports that change nothing, corrected files that add history,
and a corpus of broken files each refused with its row and a sentence, nothing written."""
import csv
import io

import openpyxl
import pytest
from sqlalchemy import func, select

from impact.domain.problems import LoadError
from impact.formats.dataset import dataset
from impact.formats.spreadsheets import Options, import_files, read_files
from impact.store.models import AuditEntry, Project, ReachReading, StatusEvent
from tests.conftest import LOADER, TINY_PROGRAMME, load

PROJECTS = "programme,slug,name,challenge,funding_amount,funding_currency\ntiny,a,Café Ünter,c1,47500.50,EUR\n"
EVENTS = "project,status,effective_date\na,idea,2021-04-23\na,funded,2021-05-15\n"
READINGS = "project,metric,as_of,value\na,people,2021-06-30,1500\n"


@pytest.fixture
def tiny(engine, tmp_path):
    load(engine, tmp_path / "tiny", programmes__toml=TINY_PROGRAMME)
    return engine


def rows(engine) -> tuple[int, int, int, int]:
    with engine.connect() as conn:
        return tuple(conn.scalar(select(func.count()).select_from(m))
                     for m in (Project, StatusEvent, ReachReading, AuditEntry))


def stored(engine):
    data = dataset(engine, LOADER)
    return (data.projects[["slug", "name", "challenge", "funding_amount"]].to_dict("records"),
            data.status_events[["project", "status", "effective_date"]].astype(str).to_dict("records"),
            data.reach_readings[["project", "metric", "as_of", "value"]].astype(str).to_dict("records"))


EXPECTED = ([{"slug": "a", "name": "Café Ünter", "challenge": "c1", "funding_amount": 47500.5}],
            [{"project": "a", "status": "idea", "effective_date": "2021-04-23"},
             {"project": "a", "status": "funded", "effective_date": "2021-05-15"}],
            [{"project": "a", "metric": "people", "as_of": "2021-06-30", "value": "1500"}])


def french(text: str) -> str:
    """The same table as a French spreadsheet program saves it: `;`, decimal commas, day-first dates."""
    return (text.replace(",", ";").replace("47500.50", "47 500,50").replace("2021-04-23", "23/04/2021")
            .replace("2021-05-15", "15/05/2021").replace("2021-06-30", "30/06/2021").replace(";1500", ";1 500"))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1"])
@pytest.mark.parametrize("style", ["plain", "french", "german"])
def test_each_encoding_delimiter_and_date_style(tiny, encoding, style):
    def convert(text):
        if style == "french":
            return french(text)
        if style == "german":
            return french(text).replace("/", ".").replace("47 500,50", "47.500,50").replace(";1 500", ";1.500")
        return text
    files = [(name, convert(text).encode(encoding)) for name, text in
             (("projects.csv", PROJECTS), ("status_events.csv", EVENTS), ("reach_readings.csv", READINGS))]
    summary = import_files(tiny, files, Options(), actor=LOADER)
    assert (summary.projects, summary.status_events, summary.reach_readings) == (1, 2, 1)
    assert stored(tiny) == EXPECTED


def test_one_workbook_with_a_sheet_per_table(tiny):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet, text in (("Projekte", PROJECTS), ("status", EVENTS), ("reach", READINGS)):
        ws = book.create_sheet(sheet)
        for line in text.splitlines():
            ws.append(line.split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    import_files(tiny, [("programm.xlsx", buffer.getvalue())], Options(), actor=LOADER)
    assert stored(tiny) == EXPECTED


def test_importing_the_same_file_twice_changes_nothing_and_a_corrected_file_adds_history(tiny):
    files = [("projects.csv", PROJECTS.encode()), ("status_events.csv", EVENTS.encode())]
    import_files(tiny, files, Options(), actor=LOADER)
    before = rows(tiny)
    again = import_files(tiny, files, Options(), actor=LOADER)
    assert (again.changes, again.unchanged) == (0, 3)
    assert rows(tiny) == before  # not even an audit entry
    corrected = [("projects.csv", PROJECTS.replace("Café Ünter", "Café Unter").encode()),
                 ("status_events.csv", (EVENTS + "a,launched,2021-09-01\n").encode())]
    summary = import_files(tiny, corrected, Options(), actor=LOADER)
    assert (summary.updated, summary.status_events, summary.unchanged) == (1, 1, 2)
    assert stored(tiny)[0][0]["name"] == "Café Unter"
    assert [e["status"] for e in stored(tiny)[1]] == ["idea", "funded", "launched"]


def test_a_dry_run_says_what_would_change_and_writes_nothing(tiny):
    before = rows(tiny)
    summary = import_files(tiny, [("projects.csv", PROJECTS.encode())], Options(), actor=LOADER, dry_run=True)
    assert summary.projects == 1
    assert rows(tiny) == before


DEVPOST = (
    "Project Title,Submission Url,Project Status,Judging Status,Highest Step Completed,Project Created At,"
    "About The Project,\"\"\"Try it out\"\" Links\",Video Demo Link,Opt-In Prizes,Built With,Submitter First Name,"
    "Submitter Last Name,Submitter Email,Notes,Team Colleges/Universities,Additional Team Member Count\n"
    "1_016_LokaleUnternehmen_WirVonHier,https://devpost.com/software/1_016_lokaleunternehmen_wirvonhier,"
    "Submitted (Gallery/Visible),Pending,Submit,03/22/2020 20:53:14,A platform for local shops,"
    "https://wirvonhier.net,,,react,Ada,Lovelace,ada@example.org,,,3\n"
    "Corona School,https://devpost.com/software/corona-school,Submitted (Gallery/Visible),Pending,Submit,"
    "03/21/2020 10:00:00,,,,,,Grace,Hopper,grace@example.org,,,1\n"
)


@pytest.mark.parametrize("variant", ["as exported", "drifted"])
def test_a_devpost_export_by_header_names(tiny, variant):
    text = DEVPOST
    if variant == "drifted":  # another event's export: columns in another order, one renamed, one more
        table = [list(reversed(row)) + ["extra"] for row in csv.reader(io.StringIO(DEVPOST))]
        table[0] = [{"\"Try it out\" Links": "Demo Links"}.get(h, h) for h in table[0][:-1]] + ["Sponsor Prize"]
        buffer = io.StringIO()
        csv.writer(buffer).writerows(table)
        text = buffer.getvalue()
    import_files(tiny, [("projects-export.csv", text.encode())], Options(programme="tiny"), actor=LOADER)
    projects = dataset(tiny, LOADER).projects.set_index("slug")
    assert sorted(projects.index) == ["corona-school", "wirvonhier"]
    assert projects.loc["wirvonhier", "contact_email"] == "ada@example.org"
    assert projects.loc["wirvonhier", "source"].startswith("https://devpost.com/software/")
    assert projects.loc["wirvonhier", "name"] == "WirVonHier" and projects.loc["wirvonhier", "challenge"] == ""
    assert projects.loc["wirvonhier", "website"] == ("https://wirvonhier.net" if variant == "as exported" else "")
    events = dataset(tiny, LOADER).status_events
    assert events.set_index("project").loc["corona-school", "effective_date"].isoformat() == "2020-03-21"


def test_a_devpost_export_needs_a_programme(tiny):
    with pytest.raises(LoadError, match="Devpost export; choose the programme"):
        read_files([("export.csv", DEVPOST.encode())], Options())


BROKEN = [
    ("empty file", "projects.csv", b"", "projects.csv: is empty."),
    ("binary garbage", "projects.csv", bytes(range(256)) * 4, "is not a text file (CSV), an Excel workbook"),
    ("fake workbook", "projects.xlsx", b"PK\x03\x04 not really a zip", "cannot be opened as an Excel workbook"),
    ("unknown table", "notes.csv", b"when,what\n2021-01-01,hello\n", "notes.csv, row 1: is not a table of projects"),
    ("missing columns", "projects.csv", b"programme,slug\ntiny,a\n", "lacks the column name"),
    ("unknown programme", "projects.csv", b"programme,slug,name\nnowhere,a,A\n",
     "projects.csv, row 2, column 'programme': unknown programme 'nowhere'"),
    ("duplicate rows", "projects.csv", b"programme,slug,name\ntiny,a,A\ntiny,a,A\n",
     "projects.csv, row 3, column 'slug': project 'a' already exists"),
    ("unknown project", "status_events.csv", b"project,status,effective_date\nghost,idea,2021-01-01\n",
     "status_events.csv, row 2, column 'project': unknown project 'ghost'"),
    ("bad date", "status_events.csv", b"project,status,effective_date\nb,idea,31/02/2021\n",
     "status_events.csv, row 2, column 'effective_date': '31/02/2021' is not a date"),
    ("wrong type", "reach_readings.csv", b"project,metric,as_of,value\nb,people,2021-01-01,lots\n",
     "reach_readings.csv, row 2, column 'value': 'lots' is not a whole number"),
    ("bad amount", "projects.csv", b"programme,slug,name,funding_amount,funding_currency\ntiny,c,C,a lot,EUR\n",
     "column 'funding_amount': 'a lot' is not an amount"),
]


@pytest.mark.parametrize("name, file, content, message", BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_file_is_refused_with_its_row_and_nothing_is_written(tiny, name, file, content, message):
    import_files(tiny, [("projects.csv", b"programme,slug,name\ntiny,b,B\n")], Options(), actor=LOADER)
    before = rows(tiny)
    with pytest.raises(LoadError) as refused:
        import_files(tiny, [(file, content)], Options(), actor=LOADER)
    assert message in str(refused.value)
    assert rows(tiny) == before


def test_limits_on_size_and_rows(tiny, monkeypatch):
    from impact.formats import spreadsheets
    monkeypatch.setattr(spreadsheets, "MAX_ROWS", 2)
    big = ("programme,slug,name\n" + "".join(f"tiny,p{i},P{i}\n" for i in range(3))).encode()
    with pytest.raises(LoadError, match="has more than 2 rows; split it, or raise IMPORT_MAX_ROWS"):
        import_files(tiny, [("projects.csv", big)], Options(), actor=LOADER)
    monkeypatch.setattr(spreadsheets, "MAX_BYTES", 10)
    with pytest.raises(LoadError, match="is larger than 0 MB"):
        import_files(tiny, [("projects.csv", big)], Options(), actor=LOADER)


def test_an_exported_workbook_imports_into_an_empty_database_and_again_changes_nothing(tiny, tmp_path, request):
    import_files(tiny, [("projects.csv", PROJECTS.encode()), ("status_events.csv", EVENTS.encode()),
                        ("reach_readings.csv", READINGS.encode())], Options(), actor=LOADER)
    workbook = dataset(tiny, LOADER).workbook_bytes()
    again = import_files(tiny, [("impact-data.xlsx", workbook)], Options(), actor=LOADER)
    assert (again.changes, again.unchanged) == (0, 5)  # the programme, the project, 2 events, 1 reading
    from tests.test_dataset import empty_copy_of
    copy = empty_copy_of(tiny, tmp_path, request)
    import_files(copy, [("impact-data.xlsx", workbook)], Options(), actor=LOADER)
    assert stored(copy) == stored(tiny)
    assert dataset(copy, LOADER).programmes == dataset(tiny, LOADER).programmes
    copy.dispose()


def test_a_changed_programme_in_a_file_is_refused(tiny, tmp_path):
    with pytest.raises(LoadError, match="programme 'tiny' already exists and differs"):
        load(tiny, tmp_path / "again", programmes__toml=TINY_PROGRAMME.replace("value = 100", "value = 120"))
    load(tiny, tmp_path / "same", programmes__toml=TINY_PROGRAMME)  # the same again is fine


def test_a_file_without_funding_columns_leaves_the_funding_as_it_is(tiny):
    import_files(tiny, [("projects.csv", PROJECTS.encode())], Options(), actor=LOADER)
    summary = import_files(tiny, [("projects.csv", b"programme,slug,name\ntiny,a,Renamed\n")], Options(), actor=LOADER)
    assert summary.updated == 1
    project = stored(tiny)[0][0]
    assert (project["name"], project["funding_amount"], project["challenge"]) == ("Renamed", 47500.5, "c1")


def test_a_programme_sheet_with_a_text_date_is_refused_with_a_sentence(tiny):
    book = openpyxl.Workbook()
    book.active.title = "programmes"
    book.active.append(["slug", "name", "starts_on"])
    book.active.append(["new", "New", "01/02/2021"])
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(LoadError, match="cannot be read as the dashboard's programme sheets"):
        import_files(tiny, [("book.xlsx", buffer.getvalue())], Options(), actor=LOADER)


def test_the_import_page_previews_each_upload_once_until_the_data_change(tiny):
    """The page reruns on every click; its preview (a dry-run write transaction) is made once per files, options
    and data version, and kept in the session state (here a plain dict)."""
    from sqlalchemy import event

    from impact.store.queries import data_version
    from impact.ui.data import Source, import_preview
    transactions = []
    event.listen(tiny, "begin", lambda conn: transactions.append(1))
    files, memo = [("projects.csv", PROJECTS.encode())], {}

    def preview(files, options=Options()):
        source = Source(tiny, data_version(tiny))  # as the page's guard reads it
        transactions.clear()
        summary = import_preview(source, files, options, LOADER, memo)
        return summary.projects, len(transactions) > 0

    assert preview(files) == (1, True)  # a dry run
    assert preview(files) == (1, False)  # the page's rerun: kept
    assert preview(files, Options(encoding="utf-8")) == (1, True)  # other options: made again
    bad = [("projects.csv", b"programme,slug,name\nnowhere,x,X\n")]
    for _rerun in range(2):
        source = Source(tiny, data_version(tiny))
        transactions.clear()
        with pytest.raises(LoadError, match="unknown programme 'nowhere'"):
            import_preview(source, bad, Options(), LOADER, memo)
    assert not transactions  # the refusal is kept too
    assert preview(files) == (1, True)
    import_files(tiny, files, Options(), actor=LOADER)  # the data change: the same files preview again
    assert preview(files) == (0, True)
    assert rows(tiny)[0] == 1  # previews write nothing
