"""Exporting the data set: loaded back into an empty database it gives the same data; spreadsheet cells are safe;
its folder and .zip carry a Frictionless data package that the `frictionless` tool finds valid; funded projects as
360Giving grants with the standard's ten required fields."""
import csv
import io
import json
import zipfile

import frictionless
import openpyxl
import pandas as pd
import pytest

from impact.cli import main
from impact.domain.access import command_line
from impact.formats import dataset
from impact.formats.loader import load_folder
from impact.store import admin, auth, commands
from impact.store.db import make_engine
from impact.store.queries import funnel_at, reach_totals
from impact.store.schema import ensure_schema
from tests.conftest import TINY_PROGRAMME, D, info, load

STAFF = command_line("tests")
PROJECTS = """
    programme,slug,name,challenge,team,summary,funding_amount,funding_currency,contact_email
    tiny,a,Project A,c1,Team A,"=HYPERLINK(""http://evil.example"")",47500.00,EUR,a@example.org
    tiny,b,Project B,c2,,,,,
"""
EVENTS = """
    project,status,effective_date,recorded_at,note
    a,idea,2020-01-10,2020-01-10T12:00:00Z,
    a,funded,2020-02-01,2020-02-02T12:00:00Z,-- funded at the second jury
    b,idea,2020-01-10,2020-01-10T12:00:00Z,
"""
READINGS = """
    project,metric,as_of,value,recorded_at
    a,people,2020-03-31,100,2020-04-01T12:00:00Z
"""
TARGETS = """
    project,metric,due_on,value,baseline_on,baseline_value,set_on,recorded_at,note
    a,people,2020-12-31,1000,2020-01-01,0,2020-01-15,2020-01-15T12:00:00Z,
    a,people,2020-12-31,800,2020-01-01,0,2020-05-01,2020-05-01T12:00:00Z,=lowered after the spring
"""
MILESTONES = """
    project,title,planned_on,done_on,evidence_url
    a,Pilot school,2020-04-01,2020-04-20,https://example.org/pilot
"""


@pytest.fixture(autouse=True)
def csv_field_limit():
    """frictionless raises Python's CSV field size limit for the whole process when it first reads a CSV file; the
    loader's tests expect the default (a cell over 128 KiB is refused), so it is put back."""
    limit = csv.field_size_limit()
    yield
    csv.field_size_limit(limit)


@pytest.fixture
def tiny(engine, tmp_path):
    load(engine, tmp_path / "tiny", programmes__toml=TINY_PROGRAMME, projects__csv=PROJECTS,
         status_events__csv=EVENTS, reach_readings__csv=READINGS, targets__csv=TARGETS, milestones__csv=MILESTONES)
    return engine


def empty_copy_of(engine, tmp_path, request):
    """A new empty database on the same engine as `engine`."""
    if engine.dialect.name == "sqlite":
        url = f"sqlite:///{tmp_path / 'copy.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres").create()
    copy = make_engine(url)
    ensure_schema(copy)
    return copy


def frames(data: dataset.Dataset):
    return (json.dumps(data.programmes, default=str, sort_keys=True),
            *(frame.to_dict("records") for frame in data.tables().values()))


def test_export_then_load_into_an_empty_database_gives_the_same_data(tiny, tmp_path, request):
    commands.record_status_change(tiny, STAFF, 2, "funded", D("2020-03-01"), note="=1+1 is not a formula")
    original = dataset.dataset(tiny, STAFF)
    original.write_folder(tmp_path / "export")
    copy = empty_copy_of(tiny, tmp_path, request)
    load_folder(copy, tmp_path / "export", actor=STAFF)
    assert frames(dataset.dataset(copy, STAFF)) == frames(original)
    programme = info(copy, "tiny")
    assert funnel_at(copy, programme, D("2020-06-30"))["projects"].tolist() == [100, 2, 2, 0]
    assert reach_totals(copy, programme.id, D("2020-06-30"))["value"].iloc[-1] == 100
    copy.dispose()


def test_only_the_history_that_counts_is_exported(tiny):
    team = auth.sign_in_with_key(tiny, admin.issue_key(tiny, STAFF, "a").key)
    commands.record_reach_reading(tiny, team, 1, "people", D("2020-05-31"), 500)  # pending
    exported = dataset.dataset(tiny, STAFF)
    assert exported.reach_readings["value"].tolist() == [100]


def test_the_workbook_cells_are_safe_from_formulas(tiny):
    book = openpyxl.load_workbook(io.BytesIO(dataset.dataset(tiny, STAFF).workbook_bytes()))
    assert book.sheetnames == ["programmes", "figures", "challenges", "metrics", "programme_targets", "projects",
                              "status_events", "reach_readings", "targets", "milestones"]
    summaries = [row[5].value for row in book["projects"].iter_rows(min_row=2)]
    assert summaries[0] == "'=HYPERLINK(\"http://evil.example\")" and book["projects"]["F2"].data_type == "s"
    notes = [row[5].value for row in book["status_events"].iter_rows(min_row=2)]
    assert "'-- funded at the second jury" in notes
    assert [row[9].value for row in book["targets"].iter_rows(min_row=2)] == [None, "'=lowered after the spring"]


def test_the_folder_and_zip_carry_a_valid_frictionless_data_package(tiny, tmp_path):
    data = dataset.dataset(tiny, STAFF)
    data.write_folder(tmp_path / "export")
    with zipfile.ZipFile(io.BytesIO(data.zip_bytes())) as archive:
        assert sorted(archive.namelist()) == ["datapackage.json", "milestones.csv", "programmes.toml", "projects.csv",
                                              "reach_readings.csv", "status_events.csv", "targets.csv"]
        archive.extractall(tmp_path / "unzipped")
    for folder in ("export", "unzipped"):
        report = frictionless.validate(str(tmp_path / folder / "datapackage.json"))
        assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
        # projects, events, readings, targets, milestones
        assert [task.stats["rows"] for task in report.tasks] == [2, 3, 1, 2, 1]

    package = json.loads((tmp_path / "export" / "datapackage.json").read_text(encoding="utf-8"))
    assert "No licence is given" in package["description"] and "licenses" not in package
    resources = {r["name"]: r for r in package["resources"]}
    assert {name: r["path"] for name, r in resources.items()} == {
        "projects": "projects.csv", "status_events": "status_events.csv", "reach_readings": "reach_readings.csv",
        "targets": "targets.csv", "milestones": "milestones.csv"}
    types = {name: {f["name"]: f["type"] for f in r["schema"]["fields"]} for name, r in resources.items()}
    assert types["reach_readings"] == {"project": "string", "metric": "string", "as_of": "date", "value": "integer",
                                       "recorded_at": "datetime", "recorded_by": "string", "note": "string",
                                       "evidence_url": "string"}
    assert (types["status_events"]["effective_date"], types["projects"]["funding_amount"],
            types["projects"]["illustrative"]) == ("date", "number", "boolean")
    for name, resource in resources.items():  # the fields are the file's columns, in order
        header = (tmp_path / "export" / resource["path"]).read_text(encoding="utf-8-sig").splitlines()[0]
        assert [f["name"] for f in resource["schema"]["fields"]] == header.split(","), name
    assert resources["projects"]["schema"]["primaryKey"] == ["slug"]
    for name in ("status_events", "reach_readings", "targets", "milestones"):
        assert resources[name]["schema"]["foreignKeys"] == [
            {"fields": ["project"], "reference": {"resource": "projects", "fields": ["slug"]}}]
        assert "primaryKey" not in resources[name]["schema"]  # a project may record the same figure twice


@pytest.mark.parametrize("file, change, error", [
    ("reach_readings.csv", ("a,people,2020-03-31,100,", "a,people,2020-03-31,lots,"), "type-error"),
    ("status_events.csv", ("b,idea,", "nobody,idea,"), "foreign-key"),
    ("status_events.csv", ("b,idea,", "b,sleeping,"), "constraint-error"),
    ("projects.csv", ("tiny,b,", "tiny,a,"), "primary-key"),
])
def test_the_data_package_catches_a_file_changed_after_the_export(tiny, tmp_path, file, change, error):
    """The package's types and keys are real constraints: a hand-edited file that breaks one is reported."""
    dataset.dataset(tiny, STAFF).write_folder(tmp_path)
    path = tmp_path / file
    text = path.read_text(encoding="utf-8-sig")
    assert change[0] in text
    path.write_text(text.replace(change[0], change[1], 1), encoding="utf-8-sig")
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert not report.valid
    assert error in {e[0] for e in report.flatten(["type"])}


def test_funded_projects_as_360giving_grants(tiny):
    grants = dataset.grants_360(tiny, STAFF, "360G-tiny", "XI-EXAMPLE-1", "Tiny Foundation")
    assert list(grants.columns) == dataset.GRANT_COLUMNS
    assert grants.to_dict("records") == [{
        "Identifier": "360G-tiny-a", "Title": "Project A", "Description": '=HYPERLINK("http://evil.example")',
        "Currency": "EUR", "Amount Awarded": 47500.0, "Award Date": "2020-02-01",
        "Funding Org:Identifier": "XI-EXAMPLE-1", "Funding Org:Name": "Tiny Foundation",
        "Recipient Org:Identifier": "360G-tiny-team-a", "Recipient Org:Name": "Team A"}]
    assert grants.notna().all().all() and (grants.astype(str) != "").all().all()  # every required field filled


def test_the_command_line_exports_and_refuses_to_overwrite(tiny, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", tiny.url.render_as_string(hide_password=False))
    assert main(["export", str(tmp_path / "all.zip")]) == 0
    said = capsys.readouterr().out
    assert "1 programme, 2 projects, 3 status events and 1 reach reading to" in said
    assert "Targets and milestones: 2 targets, 1 milestone." in said
    assert main(["export", str(tmp_path / "all.zip")]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["grants", str(tmp_path / "grants.csv"), "--prefix", "360G-tiny", "--funder-id", "XI-1",
                 "--funder-name", "Tiny Foundation"]) == 0
    grants = pd.read_csv(tmp_path / "grants.csv", encoding="utf-8-sig")
    assert grants["Identifier"].tolist() == ["360G-tiny-a"]
    assert grants["Description"].tolist() == ["'=HYPERLINK(\"http://evil.example\")"]  # safe in a spreadsheet


def test_a_path_that_cannot_be_written_is_one_sentence(tiny, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", tiny.url.render_as_string(hide_password=False))
    assert main(["export", "/nonexistent-folder/data.xlsx"]) == 1
    err = capsys.readouterr().err
    assert "Check the path and its permissions." in err and "Traceback" not in err
