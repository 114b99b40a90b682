"""Programme targets in the data set's files: programmes.toml's [[programme.target]] tables in the folder and its
.zip, a programme_targets sheet in the workbook (.xlsx and .ods). Exported, then loaded into an empty database,
they give the same plan against actual at every date (hand-computed here); loading them again adds nothing; wrong
rows are named by row and column and nothing is written. On both engines."""
import io
import json
import tomllib

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import func, select

from impact.domain.access import command_line
from impact.domain.problems import LoadError
from impact.formats import dataset, spreadsheets
from impact.formats.loader import load_folder
from impact.store import commands, editing
from impact.store.models import AuditEntry, Programme, ProgrammeTarget
from impact.store.targets import programme_target_entries, programme_target_progress
from tests.conftest import TINY_PROGRAMME, D, info, load
from tests.test_dataset import empty_copy_of
from tests.test_programme_targets import EVENTS, PROJECTS, READINGS

STAFF = command_line("tests")
LOWERED = "Lowered after the spring"


@pytest.fixture
def world(engine, tmp_path):
    """The tiny programme of tests/test_programme_targets (people: a 100 on 2021-01-01 and 300 on 2021-06-01, b 200
    on 2021-03-01, c 50 on 2021-05-01 and 150 on 2021-08-01; funded a and b on 2020-06-01, c on 2020-07-01;
    launched a on 2021-02-01, c on 2021-09-01) with four programme target entries set on the Programmes page:
    1,000 people by the end of 2021 (agreed 1 January), changed on 1 June to 800 with a note; 2 funded by 30
    September 2020 (from 1 May); 3 launched by the end of 2021 (from 15 December 2020)."""
    load(engine, tmp_path / "tiny", programmes__toml=TINY_PROGRAMME, projects__csv=PROJECTS,
         status_events__csv=EVENTS, reach_readings__csv=READINGS)
    commands.set_programme_target(engine, STAFF, "tiny", "people", D("2021-12-31"), 1_000, D("2021-01-01"),
                                  set_on=D("2021-01-01"))
    commands.set_programme_target(engine, STAFF, "tiny", "people", D("2021-12-31"), 800, D("2021-01-01"),
                                  note=LOWERED, set_on=D("2021-06-01"))
    commands.set_programme_target(engine, STAFF, "tiny", "funded", D("2020-09-30"), 2, D("2020-05-01"),
                                  set_on=D("2020-05-01"))
    commands.set_programme_target(engine, STAFF, "tiny", "launched", D("2021-12-31"), 3, D("2020-12-15"),
                                  set_on=D("2020-12-15"))
    return engine


# measure -> (actual, target, share, expected, state), worked out by hand from the world above.
EXPECTED = {
    # Before any target was agreed: no row at all (never 0 %).
    "2020-04-30": {},
    # 2021-03-01: people a 100 + b 200 = 300 of the 1,000 (the change comes in June); the line from 0 on 1 January
    # reads 1,000 * 59 / 364 on 1 March: on track. Funded 3 of 2, met (its due date passed: the last target).
    # Launched a: 1 of 3; the line from 15 December 2020 (381 days to the due date) reads 3 * 76 / 381: on track.
    "2021-03-01": {"people": (300, 1_000, 0.3, 1_000 * 59 / 364, "on_track"),
                   "funded": (3, 2, 1.5, 2.0, "met"),
                   "launched": (1, 3, 1 / 3, 3 * 76 / 381, "on_track")},
    # 2021-05-31, the day before the change: a 100 + b 200 + c 50 = 350 of 1,000, the line at 1,000 * 150 / 364.
    "2021-05-31": {"people": (350, 1_000, 0.35, 1_000 * 150 / 364, "behind"),
                   "funded": (3, 2, 1.5, 2.0, "met"),
                   "launched": (1, 3, 1 / 3, 3 * 167 / 381, "behind")},
    # 2021-07-01: the changed target stands: a 300 + b 200 + c 50 = 550 of 800, the line at 800 * 181 / 364.
    "2021-07-01": {"people": (550, 800, 550 / 800, 800 * 181 / 364, "on_track"),
                   "funded": (3, 2, 1.5, 2.0, "met"),
                   "launched": (1, 3, 1 / 3, 3 * 198 / 381, "behind")},
    # 2022-03-01, after the due dates: 300 + 200 + 150 = 650 of 800 (behind); a and c launched: 2 of 3.
    "2022-03-01": {"people": (650, 800, 650 / 800, 800.0, "behind"),
                   "funded": (3, 2, 1.5, 2.0, "met"),
                   "launched": (2, 3, 2 / 3, 3.0, "behind")},
}


def plan_against_actual(engine) -> dict:
    shown = {}
    for day in EXPECTED:
        frame = programme_target_progress(engine, info(engine, "tiny"), D(day))
        shown[day] = {row.measure: (row.actual, row.target, row.share, row.expected, row.state)
                      for row in frame.itertuples()}
    return shown


def same_as_expected(shown: dict) -> None:
    assert {day: list(rows) for day, rows in shown.items()} == {day: list(rows) for day, rows in EXPECTED.items()}
    for day, rows in EXPECTED.items():
        for measure, (actual, target, share, expected, state) in rows.items():
            assert shown[day][measure] == (actual, target, pytest.approx(share), pytest.approx(expected), state)


def entries(engine) -> list[dict]:
    return programme_target_entries(engine, info(engine, "tiny").id).to_dict("records")


def count_targets(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(ProgrammeTarget))


def test_the_world_reads_as_worked_out(world):
    same_as_expected(plan_against_actual(world))


def test_programmes_toml_carries_every_approved_entry_earlier_ones_included(world):
    (programme,) = tomllib.loads(dataset.dataset(world, STAFF).files()["programmes.toml"].decode())["programme"]
    assert [(t["measure"], t["due_on"].isoformat(), t["value"], t["set_on"].isoformat(), t["note"], t["recorded_by"])
            for t in programme["target"]] == [
        ("people", "2021-12-31", 1_000, "2021-01-01", "", STAFF.name),
        ("people", "2021-12-31", 800, "2021-06-01", LOWERED, STAFF.name),
        ("funded", "2020-09-30", 2, "2020-05-01", "", STAFF.name),
        ("launched", "2021-12-31", 3, "2020-12-15", "", STAFF.name)]


@pytest.mark.parametrize("form", ["folder", "zip"])
def test_the_folder_and_zip_give_the_same_plan_in_an_empty_database_and_again_nothing(world, tmp_path, request,
                                                                                        form):
    exported = dataset.dataset(world, STAFF)
    exported.write_folder(tmp_path / "export")
    (tmp_path / "export.zip").write_bytes(exported.zip_bytes())
    path = tmp_path / ("export" if form == "folder" else "export.zip")
    copy = empty_copy_of(world, tmp_path, request)
    try:
        first = load_folder(copy, path, actor=STAFF)
        assert first.programme_targets == 4
        same_as_expected(plan_against_actual(copy))
        assert entries(copy) == entries(world)  # who set each, and the note of the change, kept
        again = load_folder(copy, path, actor=STAFF)
        assert (again.programme_targets, again.changes, count_targets(copy)) == (0, 0, 4)
        # The copy exports the same programmes.toml, targets and all.
        assert dataset.dataset(copy, STAFF).files()["programmes.toml"] == exported.files()["programmes.toml"]
    finally:
        copy.dispose()


@pytest.mark.parametrize("engine_name, suffix", [("openpyxl", "xlsx"), ("odf", "ods")])
def test_the_workbook_gives_the_same_plan_in_an_empty_database_and_again_nothing(world, tmp_path, request,
                                                                                   engine_name, suffix):
    book = dataset.dataset(world, STAFF).workbook_bytes(engine_name)
    sheet = pd.read_excel(io.BytesIO(book), sheet_name="programme_targets", dtype=str, engine=engine_name)
    assert list(sheet.columns) == ["programme", "measure", "value", "due_on", "baseline_on", "baseline_value",
                                   "set_on", "note", "recorded_at", "recorded_by"]
    assert list(zip(sheet["measure"], sheet["value"])) == [("people", "1000"), ("people", "800"), ("funded", "2"),
                                                            ("launched", "3")]
    copy = empty_copy_of(world, tmp_path, request)
    try:
        files = [(f"data.{suffix}", book)]
        first = spreadsheets.import_files(copy, files, spreadsheets.Options(), STAFF)
        assert first.programme_targets == 4
        same_as_expected(plan_against_actual(copy))
        assert entries(copy) == entries(world)
        again = spreadsheets.import_files(copy, files, spreadsheets.Options(), STAFF)
        assert (again.programme_targets, again.changes, count_targets(copy)) == (0, 0, 4)
    finally:
        copy.dispose()


def test_a_workbook_adds_a_change_to_a_stored_programme_and_names_its_sheet_in_german(world):
    book = openpyxl.load_workbook(io.BytesIO(dataset.dataset(world, STAFF).workbook_bytes()))
    sheet = book["programme_targets"]
    sheet.title = "Programmziele"
    # Raised again on 1 September, to 900: a fifth entry; the other four are there already.
    sheet.append(["tiny", "people", 900, "31.12.2021", "01.01.2021", 0, "01.09.2021", "Raised in the autumn"])
    buffer = io.BytesIO()
    book.save(buffer)
    # 31.12.2021 settles its column day first; 01.01.2021 and 01.09.2021 read both ways, so the order is chosen.
    done = spreadsheets.import_files(world, [("ziele.xlsx", buffer.getvalue())],
                                     spreadsheets.Options(day_first=True), STAFF)
    assert (done.programme_targets, count_targets(world)) == (1, 5)
    row = programme_target_progress(world, info(world, "tiny"), D("2021-10-01")).set_index("measure").loc["people"]
    # a 300 + b 200 + c 150 = 650 of 900 on 1 October; the line reads 900 * 273 / 364 = 675: behind.
    assert (row["actual"], row["target"], row["state"]) == (650, 900, "behind")
    assert row["expected"] == pytest.approx(900 * 273 / 364)


def bad_workbook(world, rows: list[list]) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(dataset.dataset(world, STAFF).workbook_bytes()))
    sheet = book["programme_targets"]
    sheet.delete_rows(2, sheet.max_row)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_wrong_rows_are_named_by_row_and_column_and_nothing_is_written(world, tmp_path, request):
    book = bad_workbook(world, [
        ["tiny", "trees", 100, "2021-12-31", "2021-01-01"],                     # row 2: no such metric
        ["tiny", "people", "lots", "2021-12-31", "2021-01-01"],                 # row 3: not a number
        ["tiny", "people", 100, "2021-02-30", "2021-01-01"],                    # row 4: no such day
        ["tiny", "people", 100, "2021-01-01", "2021-12-31"],                    # row 5: baseline after due
        ["elsewhere", "people", 100, "2021-12-31", "2021-01-01"],               # row 6: no such programme
        ["tiny", "funded", 5, "2021-12-31", "2021-01-01"],                      # row 7: right
        ["tiny", "funded", 6, "2021-12-31", "2021-01-01", 0, "2021-03-01"],     # row 8: a change without a note
        ["tiny", "launched", "", "2021-12-31", "2021-01-01"],                   # row 9: no value
        ["tiny", "launched", 2, "2021-12-31", "2021-01-01", 0, "", "", "yesterday"],  # row 10: not a time
    ])
    copy = empty_copy_of(world, tmp_path, request)
    try:
        with pytest.raises(LoadError) as refused:
            spreadsheets.import_files(copy, [("plan.xlsx", book)], spreadsheets.Options(), STAFF)
        found = {(p.row, p.column): p.message for p in refused.value.problems}
        assert set(found) == {(2, "measure"), (3, "value"), (4, "due_on"), (5, "baseline_on"), (6, "programme"),
                              (8, "note"), (9, "value"), (10, "recorded_at")}
        assert {p.file for p in refused.value.problems} == {"plan.xlsx, sheet programme_targets"}
        assert "must name one of this programme's metrics" in found[(2, "measure")]
        assert found[(3, "value")].startswith("'lots' is not a whole number")
        assert found[(4, "due_on")] == "'2021-02-30' is not a date; write it as 2020-03-22."
        assert found[(5, "baseline_on")].startswith("The baseline's date")
        assert found[(6, "programme")].startswith("'elsewhere' is not a programme of the programmes sheet")
        assert "say in the note why" in found[(8, "note")]
        assert found[(9, "value")] == "is empty; it is required."
        assert "is not a date and time" in found[(10, "recorded_at")]
        assert "plan.xlsx, sheet programme_targets, row 3, column 'value'" in str(refused.value)
        with copy.connect() as conn:  # nothing written, not even the programme
            assert conn.scalar(select(func.count()).select_from(Programme)) == 0
        assert count_targets(copy) == 0
    finally:
        copy.dispose()


def test_a_changed_stored_target_without_a_note_is_refused_and_the_rest_not_written(world):
    book = bad_workbook(world, [["tiny", "people", 1_200, "2021-12-31", "2021-01-01", 0, "2021-09-01"]])
    with pytest.raises(LoadError, match="is stored already; say in the note why it changes"):
        spreadsheets.import_files(world, [("plan.xlsx", book)], spreadsheets.Options(), STAFF)
    assert count_targets(world) == 4


def test_a_wrong_recorded_at_in_programmes_toml_is_named(engine, tmp_path):
    toml = TINY_PROGRAMME + """
    [[programme.target]]
    measure = "people"
    value = 10
    due_on = 2021-12-31
    baseline_on = 2021-01-01
    recorded_at = "yesterday"
    """
    with pytest.raises(LoadError) as refused:
        load(engine, tmp_path / "bad", programmes__toml=toml)
    (problem,) = refused.value.problems
    assert (problem.file, problem.column) == ("programmes.toml, programme 1, target 1", "recorded_at")


def test_saving_a_programme_with_targets_writes_their_dates_as_text_in_the_audit_log(world):
    """The programme's audit entry holds it as programmes.toml does, targets included: their dates and times, inside
    a list, are written as ISO text (JSON has no date)."""
    table = editing.programme_table(world, "tiny")
    assert table is not None and len(table["target"]) == 4
    editing.save_programme(world, STAFF, table | {"description": "Now described."})
    with world.connect() as conn:
        after = conn.scalar(select(AuditEntry.after).where(AuditEntry.action == "programme saved"))
    saved = json.loads(after)
    assert saved["description"] == "Now described."
    assert saved["target"][1] | {"recorded_at": None} == {
        "measure": "people", "value": 800, "due_on": "2021-12-31", "baseline_on": "2021-01-01", "baseline_value": 0,
        "set_on": "2021-06-01", "note": LOWERED, "recorded_at": None, "recorded_by": STAFF.name}
    assert saved["target"][1]["recorded_at"].endswith("+00:00")
    assert saved["starts_on"] == "2020-01-01"
    assert count_targets(world) == 4  # saving the programme leaves its targets as they are


def test_the_import_page_counts_and_imports_a_workbooks_programme_targets(world, monkeypatch):
    """The Import page's preview counts the programme targets a workbook adds (here the autumn's change of the
    people target; the other four entries are there already), and the import says it added it."""
    from tests.apptest import metrics, run
    from tests.conftest import url_of

    book = openpyxl.load_workbook(io.BytesIO(dataset.dataset(world, STAFF).workbook_bytes()))
    book["programme_targets"].append(["tiny", "people", 900, "2021-12-31", "2021-01-01", 0, "2021-09-01",
                                      "Raised in the autumn"])
    buffer = io.BytesIO()
    book.save(buffer)
    monkeypatch.setenv("DATABASE_URL", url_of(world))
    at = run("pages/files.py")
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    at.file_uploader(key="uploads").set_value([("plan.xlsx", buffer.getvalue(), xlsx)]).run()
    assert not at.exception and not at.error
    shown = metrics(at)
    assert (shown["Add programme targets"], shown["Add targets"], shown["Add projects"]) == ("1", "0", "0")
    [b for b in at.button if b.label == "Import"][0].click().run()
    assert not at.exception
    assert at.success[0].value.endswith("Programme targets added: 1 target.")
    assert count_targets(world) == 5


def test_the_command_line_counts_the_programme_targets_it_exports_and_loads(world, tmp_path, monkeypatch, capsys,
                                                                            request):
    from impact.cli import main

    monkeypatch.setenv("DATABASE_URL", world.url.render_as_string(hide_password=False))
    assert main(["export", str(tmp_path / "all.zip")]) == 0
    assert "Programme targets: 4 targets." in capsys.readouterr().out
    copy = empty_copy_of(world, tmp_path, request)
    try:
        monkeypatch.setenv("DATABASE_URL", copy.url.render_as_string(hide_password=False))
        assert main(["import", str(tmp_path / "all.zip")]) == 0
        assert "Programme targets: 4 targets." in capsys.readouterr().out
        assert count_targets(copy) == 4
    finally:
        copy.dispose()
