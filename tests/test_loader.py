"""The data folder loader: a bad file is rejected with file, row and column named, and nothing is written."""
import gc
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from impact.formats.loader import LoadError, load_folder
from impact.store.models import AuditEntry, Programme, Project, ReachReading, StatusEvent
from tests.conftest import LOADER, TINY_PROGRAMME, load, write_folder

PROJECTS = """
    programme,slug,name,challenge,illustrative
    tiny,a,Project A,c1,false
    tiny,b,Project B,,true
"""
EVENTS = """
    project,status,effective_date,note
    a,idea,2020-01-10,
    a,funded,2020-02-01,
"""
READINGS = """
    project,metric,as_of,value,evidence_url
    a,people,2020-03-31,120,https://example.org/report
"""


def table_counts(engine):
    with engine.connect() as conn:
        return [conn.scalar(select(func.count()).select_from(m))
                for m in (Programme, Project, StatusEvent, ReachReading, AuditEntry)]


def test_a_clean_folder_loads_in_one_go_with_its_audit_entry(engine, tmp_path):
    summary = load(engine, tmp_path / "ok", programmes__toml=TINY_PROGRAMME, projects__csv=PROJECTS,
                   status_events__csv=EVENTS, reach_readings__csv=READINGS)
    assert (summary.programmes, summary.projects, summary.status_events, summary.reach_readings) == (1, 2, 2, 1)
    assert table_counts(engine) == [1, 2, 2, 1, 1]
    with engine.connect() as conn:
        audit = conn.execute(select(AuditEntry)).one()
        assert (audit.actor, audit.action) == ("test", "import")
        assert conn.scalar(select(Project.illustrative).where(Project.slug == "b")) is True
        assert conn.execute(select(StatusEvent.review_state, StatusEvent.recorded_by)).all() == [
            ("approved", "test"), ("approved", "test")]  # loaded entries are approved, recorded by the loader


def test_files_may_be_loaded_in_separate_folders(engine, tmp_path):
    load(engine, tmp_path / "one", programmes__toml=TINY_PROGRAMME, projects__csv=PROJECTS)
    load(engine, tmp_path / "two", status_events__csv=EVENTS + "    a,launched,2020-04-01,\n")
    load(engine, tmp_path / "three", reach_readings__csv=READINGS)
    assert table_counts(engine) == [1, 2, 3, 1, 3]


def test_a_load_leaves_what_a_server_froze_at_its_start_frozen(engine, tmp_path):
    """A server takes its modules out of the garbage collection at its start (`impact.ui.web.freeze_the_modules`),
    so that the collection after each page run skips them; an import made on its pages must not put them back."""
    gc.freeze()  # as the server does
    try:
        frozen = gc.get_freeze_count()
        load(engine, tmp_path / "ok", programmes__toml=TINY_PROGRAMME, projects__csv=PROJECTS,
             status_events__csv=EVENTS)
        assert gc.get_freeze_count() > 0.99 * frozen  # less only the few frozen objects the load let go of
    finally:
        gc.unfreeze()  # frozen, the test process would no longer free what its tests leave in cycles


BROKEN = [
    ("projects.csv", "programme,slug\ntiny,a\n", "projects.csv, row 1, column 'name': the header lacks the column name."),
    ("projects.csv", "programme\ntiny\n", "projects.csv, row 1, column 'slug': the header lacks the columns slug, name."),
    ("projects.csv", "programme,slug,name\nnowhere,x,X\n", "projects.csv, row 2, column 'programme': unknown programme 'nowhere'"),
    ("projects.csv", "programme,slug,name\ntiny,a,A\ntiny,a,Again\n", "projects.csv, row 3, column 'slug': project 'a' already exists"),
    ("projects.csv", "programme,slug,name,challenge\ntiny,x,X,c9\n", "projects.csv, row 2, column 'challenge': programme 'tiny' has no challenge 'c9'"),
    ("projects.csv", "programme,slug,name\ntiny,,X\n", "projects.csv, row 2, column 'slug': is empty"),
    ("projects.csv", "programme,slug,name,illustrative\ntiny,x,X,maybe\n", "projects.csv, row 2, column 'illustrative'"),
    ("projects.csv", "programme,slug,name\ntiny,x,X,extra\n", "projects.csv, row 2: has more cells than the header"),
    ("status_events.csv", "project,status,effective_date\nzz,idea,2020-01-01\n", "status_events.csv, row 2, column 'project': unknown project 'zz'"),
    ("status_events.csv", "project,status,effective_date\na,idea,22/03/2020\n", "status_events.csv, row 2, column 'effective_date': '22/03/2020' is not a date"),
    ("status_events.csv", "project,status,effective_date\na,won,2020-01-01\n", "status_events.csv, row 2, column 'status': 'won' is not a status"),
    ("status_events.csv", "project,status,effective_date\na,idea,2020-01-01\na,launched,2020-02-01\n", "status_events.csv, row 3, column 'status': A project that is idea cannot become launched"),
    ("status_events.csv", "project,status,effective_date\na,idea,2020-01-01\na,discontinued,2020-02-01\n", "status_events.csv, row 3, column 'status': Changing from idea to discontinued needs a note"),
    ("status_events.csv", "project,status,effective_date,evidence_url\na,idea,2020-01-01,javascript:alert(1)\n", "status_events.csv, row 2, column 'evidence_url': must start with http:// or https://"),
    ("status_events.csv", "project,status,effective_date,recorded_at\na,idea,2020-01-01,yesterday\n", "status_events.csv, row 2, column 'recorded_at'"),
    ("reach_readings.csv", "project,metric,as_of,value\na,people,2020-01-01,-5\n", "reach_readings.csv, row 2, column 'value': '-5' is not a whole number"),
    ("reach_readings.csv", "project,metric,as_of,value\na,people,2020-01-01,1.5\n", "reach_readings.csv, row 2, column 'value'"),
    ("reach_readings.csv", "project,metric,as_of,value\na,tutors,2020-01-01,5\n", "reach_readings.csv, row 2, column 'metric': programme 'tiny' has no metric 'tutors'"),
    ("programmes.toml", "[[programme]]\nslug = 'x'\n", "programmes.toml, programme 1, column 'name'"),
    ("programmes.toml", "[[programme\n", "programmes.toml: is not valid TOML"),
    ("programmes.toml", "programme = 'x'\n", "programmes.toml, column 'programme': write each programme as a [[programme]]"),
    ("programmes.toml", "[programme]\nslug = 'x'\n", "write each programme as a [[programme]] table"),
    ("programmes.toml", "[[programme]]\nslug='x'\nname='X'\n[programme.challenge]\nslug='c'\n", "column 'challenge': write each challenge as a [[programme.challenge]]"),
    ("programmes.toml", "[[programme]]\nslug='x'\nname='X'\n[[programme.challenge]]\nname='C'\n", "programme 1, challenge 1, column 'slug': must be text in quotes; it is required."),
    ("programmes.toml", "[[programme]]\nslug='x'\nname='X'\n[[programme.metric]]\nslug='m'\nlabel='M'\n", "metric 1, column 'unit'"),
    ("programmes.toml", "[[programme]]\nslug='x'\nname='X'\n[[programme.challenge]]\nslug='c'\nname='C'\n[[programme.challenge]]\nslug='c'\nname='D'\n", "challenge 2, column 'slug': 'c' appears twice"),
    ("programmes.toml", "[[programme]]\nslug='x'\nname='X'\n[[programme.figure]]\nkey='p'\nlabel='P'\nsource='s'\nvalue=100000000000000000000\n", "figure 1, column 'value': must be a whole number"),
    ("programmes.toml", "[[programme]]\nslug='x'\nname='X'\n[[programme.figure]]\nkey='p'\nlabel='P'\nsource='s'\nvalue=true\n", "figure 1, column 'value'"),
    ("programmes.toml", "[[programme]]\nslug='x'\nname={a=1}\n", "column 'name': must be text in quotes"),
    ("programmes.toml", "[[programme]]\nslug='x'\nname='X'\ncountry='Germany'\n", "column 'country': must be a two-letter"),
    ("programmes.toml", "[[programme]]\nslug='x'\nname='X'\nstarts_on=2021-01-01\nends_on=2020-01-01\n", "column 'ends_on': is before starts_on"),
    ("programmes.toml", "[[programme]]\nslug='%s'\nname='X'\n" % ("s" * 81), "column 'slug': is longer than 80 characters"),
    ("projects.csv", "programme,slug,name\ntiny,%s,X\n" % ("s" * 121), "projects.csv, row 2, column 'slug': is longer than 120"),
    ("projects.csv", "programme,slug,name,slug\ntiny,x,X,y\n", "projects.csv, row 1, column 'slug': appears twice in the header"),
    ("projects.csv", "programme,slug,name,funding_amount\ntiny,x,X,47500\n", "column 'funding_currency': give the currency"),
    ("projects.csv", "programme,slug,name,funding_amount,funding_currency\ntiny,x,X,\"47.500,00\",EUR\n", "column 'funding_amount': '47.500,00' is not an amount"),
    ("projects.csv", "programme,slug,name,contact_email\ntiny,x,X,nobody\n", "column 'contact_email': 'nobody' is not an email address"),
    ("projects.csv", 'programme,slug,name\ntiny,x,"%s"\n' % ("n" * 200_000), "projects.csv, row 2: cannot be read as CSV"),
    ("status_events.csv", "project,status,effective_date\n\n\na,idea,20200301\n", "status_events.csv, row 4, column 'effective_date': '20200301' is not a date"),
    ("reach_readings.csv", "project,metric,as_of,value\na,people,2020-01-01,+5\n", "column 'value': '+5' is not a whole number"),
    ("reach_readings.csv", "project,metric,as_of,value\na,people,2020-01-01,%d\n" % 2**63, "column 'value'"),
]


@pytest.mark.parametrize("name,text,message", BROKEN, ids=[b[2][:60] for b in BROKEN])
def test_a_broken_file_is_rejected_with_its_place_and_nothing_is_written(engine, tmp_path, name, text, message):
    load(engine, tmp_path / "base", programmes__toml=TINY_PROGRAMME, projects__csv="programme,slug,name\ntiny,a,A\n")
    before = table_counts(engine)
    files = {"programmes.toml": TINY_PROGRAMME.replace("tiny", "other"), "projects.csv": "programme,slug,name\n",
             name: text}
    folder = tmp_path / "broken"
    folder.mkdir()
    for file, content in files.items():
        (folder / file).write_text(content, encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        load_folder(engine, folder, actor=LOADER)
    assert message in str(caught.value)
    assert table_counts(engine) == before


def test_every_problem_is_reported_at_once(engine, tmp_path):
    folder = write_folder(tmp_path / "bad", programmes__toml=TINY_PROGRAMME,
                          projects__csv="programme,slug,name\ntiny,a,A\nnowhere,b,B\n",
                          status_events__csv="project,status,effective_date\na,idea,soon\nb,idea,2020-01-01\n")
    with pytest.raises(LoadError) as caught:
        load_folder(engine, folder, actor=LOADER)
    assert [(p.file, p.row, p.column) for p in caught.value.problems] == [
        ("projects.csv", 3, "programme"), ("status_events.csv", 2, "effective_date"),
        ("status_events.csv", 3, "project")]
    assert str(caught.value).startswith("Nothing was loaded; 3 problems to fix, then load again:\n- projects.csv, row 3")
    assert table_counts(engine) == [0, 0, 0, 0, 0]


def test_non_utf8_and_binary_files_are_rejected(engine, tmp_path):
    folder = write_folder(tmp_path / "bin", programmes__toml=TINY_PROGRAMME)
    (folder / "projects.csv").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00garbage")
    with pytest.raises(LoadError, match="projects.csv: is not UTF-8 text"):
        load_folder(engine, folder, actor=LOADER)
    assert table_counts(engine) == [0, 0, 0, 0, 0]


def test_a_missing_folder_is_a_clear_error(engine, tmp_path):
    with pytest.raises(LoadError, match="is not a folder"):
        load_folder(engine, tmp_path / "nowhere", actor=LOADER)


def test_new_events_are_checked_against_the_history_already_stored(engine, tmp_path):
    load(engine, tmp_path / "one", programmes__toml=TINY_PROGRAMME, projects__csv=PROJECTS, status_events__csv=EVENTS)
    folder = write_folder(tmp_path / "two", status_events__csv="project,status,effective_date\na,idea,2020-05-01\n")
    with pytest.raises(LoadError, match="row 2, column 'status': A project that is funded cannot become idea"):
        load_folder(engine, folder, actor=LOADER)


def test_a_folder_without_the_expected_files_says_what_it_holds(engine, tmp_path):
    folder = write_folder(tmp_path / "misnamed", Projects__CSV="programme,slug,name\n")
    with pytest.raises(LoadError, match="holds none of programmes.toml, projects.csv, .* it holds Projects.CSV"):
        load_folder(engine, folder, actor=LOADER)


def test_a_folder_with_nothing_new_writes_no_audit_entry(engine, tmp_path):
    load(engine, tmp_path / "empty", projects__csv="programme,slug,name\n")
    assert table_counts(engine) == [0, 0, 0, 0, 0]


def test_optional_project_fields(engine, tmp_path):
    load(engine, tmp_path / "f", programmes__toml=TINY_PROGRAMME, projects__csv="""
        programme,slug,name,contact_email,funding_amount,funding_currency,funder
        tiny,a,A,team@example.org,47500,EUR,Prototype Fund
    """)
    with engine.connect() as conn:
        row = conn.execute(select(Project.contact_email, Project.funding_amount, Project.funding_currency,
                                  Project.funder)).one()
    assert tuple(row) == ("team@example.org", Decimal("47500.00"), "EUR", "Prototype Fund")
