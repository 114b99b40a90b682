"""One rule per field: whatever a file may hold, staff's forms save unchanged, and what the forms refuse, the files
are refused with its row and column (issue #14: `Corona School` and `T_2020` once loaded as slugs that no form
could save again)."""
import pytest
from sqlalchemy import func, select

from impact.domain.access import command_line
from impact.domain.problems import LoadError
from impact.formats.spreadsheets import Options, import_files
from impact.store import editing
from impact.store.commands import CommandError
from impact.store.models import AuditEntry, Project
from tests.conftest import LOADER, TINY_PROGRAMME, load

STAFF = command_line("tests")
PROGRAMME_SLUG = "0-" + "p" * 77 + "-"  # 80 characters, the column's most; a digit first and a dash last
PROGRAMME = f"""
    [[programme]]
    slug = "{PROGRAMME_SLUG}"
    name = "{"N" * 200}"
    country = "DE"
    silent_after_days = 2147483647
    [[programme.challenge]]
    slug = "Mixed_Case key"
    name = "A challenge's key is any text"
    [[programme.metric]]
    slug = "people_reached"
    label = "People reached"
    unit = "people"
"""
PROJECT_SLUG = "9" + "-a" * 59 + "9"  # 120 characters
PROJECTS = ("programme,slug,name,challenge,team,website,contact_email,funding_amount,funding_currency,funder\n"
            f"{PROGRAMME_SLUG},{PROJECT_SLUG},{'É' * 300},Mixed_Case key,Ada; Grace,HTTP://EXAMPLE.ORG/x,"
            "a@b.cd,999999999999.99,EUR,The fund\n")


def test_what_a_file_loads_the_forms_save_unchanged(engine, tmp_path):
    load(engine, tmp_path / "edge", programmes__toml=PROGRAMME, projects__csv=PROJECTS)
    programme = editing.programme_table(engine, PROGRAMME_SLUG)
    details = editing.project_details(engine, STAFF, PROJECT_SLUG)
    assert (details["name"], str(details["funding_amount"]), details["website"]) == (
        "É" * 300, "999999999999.99", "HTTP://EXAMPLE.ORG/x")

    editing.save_programme(engine, STAFF, programme)
    editing.save_project(engine, STAFF, PROGRAMME_SLUG, PROJECT_SLUG, **details)

    assert editing.programme_table(engine, PROGRAMME_SLUG) == programme
    assert editing.project_details(engine, STAFF, PROJECT_SLUG) == details
    with engine.connect() as conn:  # the load's entry, then one per save
        assert conn.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all() == [
            "import", "programme saved", "project saved"]


REFUSED = [  # a project's field, a value the form refuses, and what the file's problem says
    ("slug", "Corona School", "column 'slug': must be lower-case letters, digits and dashes."),
    ("slug", "T_2020", "column 'slug': must be lower-case letters, digits and dashes."),
    ("slug", "-dash-first", "column 'slug': must be lower-case letters, digits and dashes."),
    ("slug", "s" * 121, "column 'slug': is longer than 120 characters."),
    ("name", "n" * 301, "column 'name': is longer than 300 characters."),
    ("website", "javascript:alert(1)", "column 'website': must start with http:// or https://."),
    ("contact_email", "nobody", "column 'contact_email': 'nobody' is not an email address."),
    ("funding_currency", "eur", "column 'funding_currency': give the currency of the amount as a three-letter code"),
]


@pytest.mark.parametrize("column, value, message", REFUSED, ids=[f"{c}={v[:20]}" for c, v, _m in REFUSED])
def test_what_the_forms_refuse_the_files_refuse_with_its_row_and_column(engine, tmp_path, column, value, message):
    load(engine, tmp_path / "tiny", programmes__toml=TINY_PROGRAMME)
    fields = {"slug": "b", "name": "B", "website": "", "contact_email": "", "funding_amount": "10",
              "funding_currency": "EUR"} | {column: value}
    with pytest.raises(CommandError) as refused_by_form:
        editing.save_project(engine, STAFF, "tiny", **fields)
    assert f"- The project, {message}" in str(refused_by_form.value)

    text = ("programme,slug,name,website,contact_email,funding_amount,funding_currency\n"
            "tiny,{slug},{name},{website},{contact_email},{funding_amount},{funding_currency}\n".format(**fields))
    with pytest.raises(LoadError) as refused:
        load(engine, tmp_path / "file", projects__csv=text)
    assert f"projects.csv, row 2, {message}" in str(refused.value)
    with pytest.raises(LoadError) as refused:
        import_files(engine, [("Projekte.csv", text.replace(",", ";").encode("cp1252"))], Options(), LOADER)
    assert f"Projekte.csv, row 2, {message}" in str(refused.value)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Project)) == 0


@pytest.mark.parametrize("slug", ["Corona School", "T_2020"])
def test_a_programme_slug_the_form_refuses_the_file_refuses(engine, tmp_path, slug):
    with pytest.raises(CommandError, match="column 'slug': must be lower-case letters, digits and dashes"):
        editing.save_programme(engine, STAFF, {"slug": slug, "name": "X"})
    with pytest.raises(LoadError, match="programmes.toml, programme 1, column 'slug': must be lower-case letters"):
        load(engine, tmp_path / "p", programmes__toml=f'[[programme]]\nslug = "{slug}"\nname = "X"\n')
