"""Targets and milestones in files: targets.csv and milestones.csv in a data folder, as spreadsheets and sheets of a
workbook, checked by the rules of the forms, refused whole with a sentence per row; and out again in the data set,
which loaded into an empty database gives the same plan against actual."""
import textwrap

import pytest
from sqlalchemy import func, select

from impact.domain.access import command_line
from impact.domain.problems import LoadError
from impact.formats import dataset
from impact.formats.loader import load_folder
from impact.formats.spreadsheets import Options, import_files
from impact.store import admin, auth, commands
from impact.store.models import AuditEntry, Milestone, Project, Target
from impact.store.targets import project_milestones, project_progress
from tests.conftest import LOADER, TINY_PROGRAMME, D, load, url_of, write_folder

STAFF = command_line("tests")
PROJECTS = """
    programme,slug,name
    tiny,a,Project A
    tiny,b,Project B
"""
READINGS = """
    project,metric,as_of,value
    a,people,2020-03-31,100
    a,people,2020-06-30,400
"""
# People reached: 1,000 by the end of 2020 from nothing on 1 January, agreed on 15 January; lowered to 800 on 1 May.
TARGETS = """
    project,metric,due_on,value,baseline_on,baseline_value,set_on,note
    a,people,2020-12-31,1000,2020-01-01,0,2020-01-15,
    a,people,2020-12-31,800,2020-01-01,0,2020-05-01,Lowered: schools closed.
"""
MILESTONES = """
    project,title,planned_on,done_on,evidence_url,note
    a,Pilot school,2020-04-01,2020-04-20,https://example.org/pilot,
    a,Launch,2020-09-01,,,
"""


@pytest.fixture
def tiny(engine, tmp_path):
    load(engine, tmp_path / "tiny", programmes__toml=TINY_PROGRAMME, projects__csv=PROJECTS,
         reach_readings__csv=READINGS)
    return engine


def pid(engine, slug: str) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(Project.id).where(Project.slug == slug))


def progress(engine, day: str) -> list[tuple]:
    frame = project_progress(engine, pid(engine, "a"), D(day))
    return [(r.metric, r.actual, r.target, round(r.share, 4), round(r.expected, 2), bool(r.on_track))
            for r in frame.itertuples()]


def milestones(engine, day: str) -> list[tuple]:
    frame = project_milestones(engine, pid(engine, "a"), D(day))
    return [(r.title, r.planned_on, r.done_on, r.state) for r in frame.itertuples()]


def counts(engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(conn.scalar(select(func.count()).select_from(model)) for model in (Target, Milestone, AuditEntry))


def test_a_folder_of_targets_and_milestones_gives_plan_against_actual(tiny, tmp_path):
    summary = load(tiny, tmp_path / "plan", targets__csv=TARGETS, milestones__csv=MILESTONES)
    assert (summary.targets, summary.milestones, summary.changes) == (2, 2, 4)
    # 1 April: the first target stands (the lower one is agreed on 1 May); 100 of 1,000 is 10 %, and the line from
    # 0 on 1 January to 1,000 on 31 December reads 1,000 x 91/365 = 249.32 then: behind.
    assert progress(tiny, "2020-04-01") == [("people", 100, 1000, 0.1, 249.32, False)]
    # 30 June: 400 of the lowered 800 is 50 %; the line reads 800 x 181/365 = 396.71: on track.
    assert progress(tiny, "2020-06-30") == [("people", 400, 800, 0.5, 396.71, True)]
    assert progress(tiny, "2020-01-10") == []  # no target agreed yet: no percentage
    assert milestones(tiny, "2020-10-01") == [("Pilot school", D("2020-04-01"), D("2020-04-20"), "done"),
                                              ("Launch", D("2020-09-01"), None, "overdue")]
    with tiny.connect() as conn:
        assert set(conn.scalars(select(Target.review_state))) == {"approved"}
        assert conn.scalar(select(Target.recorded_by).limit(1)) == "test"  # who loaded it
    again = load(tiny, tmp_path / "again", targets__csv=TARGETS, milestones__csv=MILESTONES)
    assert (again.changes, again.unchanged) == (0, 4)


def test_a_later_file_marks_a_milestone_done_and_the_earlier_entry_is_replaced(tiny, tmp_path):
    load(tiny, tmp_path / "plan", milestones__csv=MILESTONES)
    summary = load(tiny, tmp_path / "done", milestones__csv="""
        project,title,planned_on,done_on,evidence_url
        a,Launch,2020-09-01,2020-09-15,https://example.org/launch
    """)
    assert (summary.milestones, summary.unchanged) == (1, 0)
    assert milestones(tiny, "2020-10-01") == [("Pilot school", D("2020-04-01"), D("2020-04-20"), "done"),
                                              ("Launch", D("2020-09-01"), D("2020-09-15"), "done")]
    assert counts(tiny)[1] == 3  # the history keeps the planned entry


def test_optional_columns_take_the_forms_defaults(tiny, tmp_path):
    """Without baseline_value the baseline is 0; without set_on a target stands from the day it is recorded."""
    load(tiny, tmp_path / "plan", targets__csv="""
        project,metric,due_on,value,baseline_on,recorded_at
        a,people,2020-12-31,1000,2020-01-01,2020-02-01T10:00:00Z
    """)
    assert progress(tiny, "2020-01-31") == []
    assert progress(tiny, "2020-04-01") == [("people", 100, 1000, 0.1, 249.32, False)]


def test_a_changed_target_in_a_later_file_needs_its_note(tiny, tmp_path):
    load(tiny, tmp_path / "plan", targets__csv=TARGETS)
    changed = "project,metric,due_on,value,baseline_on,set_on\na,people,2020-12-31,900,2020-01-01,2020-07-01\n"
    with pytest.raises(LoadError) as refused:
        load(tiny, tmp_path / "changed", targets__csv=changed)
    assert [(p.row, p.column) for p in refused.value.problems] == [(2, "note")]
    load(tiny, tmp_path / "noted", targets__csv=changed.replace("2020-07-01\n", "2020-07-01,More schools.\n")
         .replace("set_on", "set_on,note"))
    assert progress(tiny, "2020-07-01")[0][2] == 900


HEADER = "project,metric,due_on,value,baseline_on,baseline_value,set_on,note\n"
M_HEADER = "project,title,planned_on,done_on,evidence_url\n"


@pytest.mark.parametrize("name, text, row, column, message", [
    ("targets.csv", HEADER + "a,people,2020-12-31,12.5,2020-01-01,0,,\n", 2, "value",
     "'12.5' is not a whole number >= 0"),
    ("targets.csv", HEADER + "a,people,2020-12-31,1000,2020-01-01,-3,,\n", 2, "baseline_value",
     "'-3' is not a whole number >= 0"),
    ("targets.csv", HEADER + "a,people,2020-12-31,1000,2021-01-01,0,,\n", 2, "baseline_on",
     "The baseline's date (2021-01-01) must come before the target's (2020-12-31)."),
    ("targets.csv", HEADER + "a,people,31/12/2020,1000,2020-01-01,0,,\n", 2, "due_on",
     "'31/12/2020' is not a date; write it as 2020-03-22."),
    ("targets.csv", HEADER + "a,trees,2020-12-31,1000,2020-01-01,0,,\n", 2, "metric",
     "programme 'tiny' has no metric 'trees'; use one of people, pupils."),
    ("targets.csv", HEADER + "nobody,people,2020-12-31,1000,2020-01-01,0,,\n", 2, "project",
     "unknown project 'nobody'; add it to projects.csv."),
    ("targets.csv", HEADER + "a,people,2020-12-31,1000,2020-01-01,0,2020-01-15,\n"
     "a,people,2020-12-31,900,2020-01-01,0,2020-03-01,\n", 3, "note",
     "a target for 'people' by 2020-12-31 is set already (in the database or an earlier row); say in the note why "
     "it changes."),
    ("targets.csv", "project,metric,due_on,value\na,people,2020-12-31,1000\n", 1, "baseline_on",
     "the header lacks the column baseline_on."),
    ("milestones.csv", M_HEADER + "a,,2020-09-01,,\n", 2, "title", "is empty; it is required."),
    ("milestones.csv", M_HEADER + "a," + "x" * 201 + ",2020-09-01,,\n", 2, "title",
     "is longer than 200 characters."),
    ("milestones.csv", M_HEADER + "a,Launch,2020-09-01,soon,\n", 2, "done_on",
     "'soon' is not a date; write it as 2020-03-22."),
    ("milestones.csv", M_HEADER + "a,Launch,2020-09-01,,javascript:alert(1)\n", 2, "evidence_url",
     "must start with http:// or https://."),
    ("milestones.csv", M_HEADER + "a,Launch,2020-09-01,,\nb,Launch,2020-09-01,,\na,Launch,2020-09-01,2020-09-15,\n",
     4, "title", "row 2 names the same milestone (project, title and planned date); give each milestone once."),
])
def test_each_kind_of_bad_row_is_refused_with_its_sentence_and_nothing_is_written(tiny, tmp_path, name, text, row,
                                                                                  column, message):
    before = counts(tiny)
    folder = write_folder(tmp_path / "bad", targets__csv=TARGETS, milestones__csv=MILESTONES)
    (folder / name).write_text(text, encoding="utf-8")
    with pytest.raises(LoadError) as refused:
        load_folder(tiny, folder, actor=LOADER)
    problems = [p for p in refused.value.problems if p.file == name]
    assert [(p.row, p.column) for p in problems] == [(row, column)]
    assert message in problems[0].message
    assert len(refused.value.problems) == 1  # the other file is right
    assert counts(tiny) == before


def test_targets_and_milestones_as_a_german_spreadsheet(tiny):
    """Sheets named as people name them, with day-first dates and thousands separators, read as the other tables."""
    ziele = ("project;metric;due_on;value;baseline_on;baseline_value;set_on;note\n"
             "a;people;31.12.2020;1.000;01.01.2020;0;15.01.2020;\n").encode("cp1252")
    meilensteine = "project;title;planned_on;done_on\na;Pilotschule;15.04.2020;20.04.2020\n".encode("cp1252")
    summary = import_files(tiny, [("Ziele.csv", ziele), ("Meilensteine.csv", meilensteine)], Options(),
                           actor=LOADER)
    assert (summary.targets, summary.milestones) == (1, 1)
    assert summary.shown["targets.csv"][["due_on", "value"]].values.tolist() == [[D("2020-12-31"), 1000]]
    assert progress(tiny, "2020-04-01") == [("people", 100, 1000, 0.1, 249.32, False)]
    assert milestones(tiny, "2020-05-01") == [("Pilotschule", D("2020-04-15"), D("2020-04-20"), "done")]


def world_with_a_plan(engine, tmp_path):
    """Targets and milestones as staff and the team write them: a changed target, a team's proposal waiting for
    review (not exported), a milestone marked done (a new entry replacing the planned one)."""
    load(engine, tmp_path / "tiny", programmes__toml=TINY_PROGRAMME, projects__csv=PROJECTS,
         reach_readings__csv=READINGS + "    b,pupils,2020-06-30,30\n", targets__csv=TARGETS,
         milestones__csv=MILESTONES)
    a, b = pid(engine, "a"), pid(engine, "b")
    commands.set_target(engine, STAFF, b, "pupils", D("2020-12-31"), 100, D("2020-03-01"), 10, set_on=D("2020-03-01"))
    team = auth.sign_in_with_key(engine, admin.issue_key(engine, STAFF, "a").key)
    commands.set_target(engine, team, a, "pupils", D("2021-06-30"), 50, D("2020-06-01"), set_on=D("2020-06-01"))
    launch = project_milestones(engine, a, D("2020-10-01")).query("title == 'Launch'")["id"].iloc[0]
    commands.record_milestone(engine, STAFF, a, "Launch", D("2020-09-01"), done_on=D("2020-09-20"),
                              supersedes_id=int(launch), today=D("2020-10-01"))


DAYS = ("2020-02-01", "2020-04-01", "2020-06-30", "2020-09-10", "2021-03-01")


def figures(engine) -> dict:
    return {(slug, day): (project_progress(engine, pid(engine, slug), D(day)).to_dict("records"),
                          project_milestones(engine, pid(engine, slug), D(day)).drop(columns="id").to_dict("records"))
            for slug in ("a", "b") for day in DAYS}


def test_the_exported_data_set_gives_the_same_plan_against_actual_in_an_empty_database(engine, tmp_path, request):
    from tests.test_dataset import empty_copy_of

    world_with_a_plan(engine, tmp_path)
    original = figures(engine)
    assert original[("a", "2021-03-01")][0][0]["target"] == 800 and len(original[("a", "2021-03-01")][0]) == 1
    assert original[("a", "2021-03-01")][1][1]["done_on"] == D("2020-09-20")
    assert original[("b", "2020-06-30")][0][0]["share"] == pytest.approx(0.3)
    exported = dataset.dataset(engine, STAFF)
    assert (len(exported.targets), len(exported.milestones)) == (3, 2)  # not the pending one; as they stand
    exported.write_folder(tmp_path / "export")
    for way in ("folder", "workbook"):
        (tmp_path / way).mkdir()
        copy = empty_copy_of(engine, tmp_path / way, request)
        if way == "folder":
            summary = load_folder(copy, tmp_path / "export", actor=STAFF)
        else:
            summary = import_files(copy, [("impact-data.ods", exported.workbook_bytes("odf"))], Options(), actor=STAFF)
        assert (summary.targets, summary.milestones) == (3, 2)
        assert figures(copy) == original, way
        copy.dispose()


def test_the_import_page_previews_and_imports_targets_and_milestones(tiny, monkeypatch):
    from tests.apptest import metrics, run

    monkeypatch.setenv("DATABASE_URL", url_of(tiny))
    at = run("pages/files.py")
    assert not at.exception
    assert "targets and milestones" in at.caption[0].value
    files = [(name, textwrap.dedent(text).lstrip().encode(), "text/csv")
             for name, text in (("targets.csv", TARGETS), ("milestones.csv", MILESTONES))]
    at.file_uploader(key="uploads").set_value(files).run()
    assert not at.exception and not at.error
    shown = metrics(at)
    assert (shown["Add targets"], shown["Add milestones"], shown["Add projects"]) == ("2", "2", "0")
    [b for b in at.button if b.label == "Import"][0].click().run()
    assert not at.exception
    assert at.success[0].value.endswith("Also added: 2 targets and 2 milestones.")
    assert counts(tiny)[:2] == (2, 2)


def test_the_project_page_shows_a_milestones_note(tiny, tmp_path, monkeypatch):
    """A milestone's note (such as the demo's "illustrative") is said under it on the project page."""
    from tests.apptest import run

    load(tiny, tmp_path / "plan", milestones__csv="""
        project,title,planned_on,done_on,note
        a,Pilot school,2020-04-01,2020-04-20,Illustrative milestone (demo data).
        a,Launch,2020-09-01,,
    """)
    monkeypatch.setenv("DATABASE_URL", url_of(tiny))
    at = run("pages/project.py", project="a", as_of="2020-10-01")
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert "Illustrative milestone \\(demo data\\)\\." in captions
    assert any("Launch" in m.value and "overdue: planned for 2020-09-01" in m.value for m in at.markdown)
