"""Staff edit programmes and projects: the same checks as the files, an audit entry with before and after, nothing
removed that something refers to, and the change visible on the pages at once."""
import json

import pytest
from sqlalchemy import func, select

from impact.domain.access import PUBLIC, Actor, NotAllowed, command_line
from impact.store import editing
from impact.store.commands import CommandError
from impact.store.models import AuditEntry, Challenge
from impact.store.queries import funnel_at
from tests.apptest import run
from tests.conftest import TINY_PROGRAMME, D, info, load

STAFF = command_line("tests")
NEW = {
    "slug": "civic-2026", "name": "Civic hackathon 2026", "starts_on": D("2026-03-01"), "public": True,
    "figure": [{"key": "participants", "label": "Participants", "value": 240, "source": "the organisers",
                "note": ""}],
    "challenge": [{"slug": "mobility", "name": "Mobility"}],
    "metric": [{"slug": "riders", "label": "Riders", "unit": "people"}],
}


@pytest.fixture
def world(engine, tmp_path):
    load(engine, tmp_path / "tiny", programmes__toml=TINY_PROGRAMME,
         projects__csv="programme,slug,name,challenge\ntiny,a,Project A,c1\n",
         reach_readings__csv="project,metric,as_of,value\na,people,2020-03-01,5\n")
    return engine


def last_audit(engine):
    with engine.connect() as conn:
        return conn.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()


def test_staff_create_a_programme_and_its_figures_count_at_once(world):
    editing.save_programme(world, STAFF, NEW)
    programme = info(world, "civic-2026")
    assert (programme.name, programme.public, programme.figure("participants").value) == (
        "Civic hackathon 2026", True, 240)
    assert funnel_at(world, programme, D("2026-06-01")).set_index("stage")["projects"]["participants"] == 240
    entry = last_audit(world)
    assert (entry.action, entry.subject, entry.before) == ("programme saved", "programme civic-2026", None)
    assert json.loads(entry.after)["metric"] == [{"slug": "riders", "label": "Riders", "unit": "people"}]


def test_editing_a_programme_keeps_before_and_after(world):
    table = editing.programme_table(world, "tiny")
    table["figure"][0]["value"] = 120
    table["challenge"][0]["name"] = "Challenge one, renamed"
    editing.save_programme(world, STAFF, table)
    assert info(world, "tiny").figure("participants").value == 120
    entry = last_audit(world)
    assert json.loads(entry.before)["figure"][0]["value"] == 100
    assert json.loads(entry.after)["challenge"][0]["name"] == "Challenge one, renamed"


@pytest.mark.parametrize("change, message", [
    (lambda t: t["challenge"].pop(0), "'c1' is in use"),
    (lambda t: t["metric"].pop(0), "'people' is in use"),
    (lambda t: t.update(ends_on=D("2019-01-01")), "column 'ends_on': is before starts_on"),
    (lambda t: t["figure"][0].update(value=-5), "must be a whole number >= 0"),
    (lambda t: t["metric"].append({"slug": "pupils", "label": "Again", "unit": "x"}), "'pupils' appears twice"),
    (lambda t: t.update(name=""), "column 'name': must be text in quotes; it is required"),
])
def test_a_refused_programme_edit_says_why_and_changes_nothing(world, change, message):
    table = editing.programme_table(world, "tiny")
    change(table)
    with world.connect() as conn:
        before = conn.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(CommandError, match=message):
        editing.save_programme(world, STAFF, table)
    with world.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(AuditEntry)) == before
        assert conn.scalar(select(func.count()).select_from(Challenge)) == 2
    assert info(world, "tiny").starts_on == D("2020-01-01")


def test_each_problem_of_a_refused_programme_says_where_it_is(world):
    """The link name's check is told like the others (it was once a bare sentence among them)."""
    table = editing.programme_table(world, "tiny") | {"slug": "Bad Slug", "name": ""}
    with pytest.raises(CommandError) as refused:
        editing.save_programme(world, STAFF, table)
    assert str(refused.value).splitlines()[1:] == [
        "- The programme, column 'slug': must be lower-case letters, digits and dashes.",
        "- The programme, column 'name': must be text in quotes; it is required.",
    ]


def test_an_unused_challenge_can_be_removed(world):
    table = editing.programme_table(world, "tiny")
    table["challenge"] = [c for c in table["challenge"] if c["slug"] != "c2"]
    editing.save_programme(world, STAFF, table)
    assert [c["slug"] for c in editing.programme_table(world, "tiny")["challenge"]] == ["c1"]


def test_staff_add_and_edit_a_project(world):
    editing.save_project(world, STAFF, "tiny", "b", challenge="c2", name="Project B", website="https://b.example",
                         contact_email="team@b.example", funding_amount="47500", funding_currency="EUR")
    details = editing.project_details(world, STAFF, "b")
    assert (details["challenge"], str(details["funding_amount"]), details["contact_email"]) == (
        "c2", "47500.00", "team@b.example")
    editing.save_project(world, STAFF, "tiny", "b", challenge="", name="Project B2")
    assert editing.project_details(world, STAFF, "b")["name"] == "Project B2"
    assert json.loads(last_audit(world).before)["name"] == "Project B"


@pytest.mark.parametrize("fields, message", [
    (dict(slug="Bad Slug", name="X"), "lower-case letters"),
    (dict(slug="b", name=""), "column 'name': is empty; it is required"),
    (dict(slug="b", name="X", website="javascript:alert(1)"), "http:// or https://"),
    (dict(slug="b", name="X", contact_email="nobody"), "not an email address"),
    (dict(slug="b", name="X", funding_amount="1.000,50", funding_currency="EUR"), "is not an amount"),
    (dict(slug="b", name="X", funding_amount="10", funding_currency="euro"), "three-letter code"),
    (dict(slug="b", name="X", challenge="c9"), "has no challenge 'c9'"),
])
def test_a_refused_project_says_why(world, fields, message):
    with pytest.raises(CommandError, match=message):
        editing.save_project(world, STAFF, "tiny", **fields)
    assert editing.project_details(world, STAFF, "b") is None


@pytest.mark.parametrize("actor", [PUBLIC, Actor("funder", "f@example.org"), Actor("team", "t", project_id=1)])
def test_only_staff_edit_programmes_and_projects(world, actor):
    with pytest.raises(NotAllowed):
        editing.save_programme(world, actor, NEW)
    with pytest.raises(NotAllowed):
        editing.save_project(world, actor, "tiny", "a", name="Taken over")
    assert editing.project_details(world, STAFF, "a")["name"] == "Project A"


def test_the_programmes_page_creates_a_project(world, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", world.url.render_as_string(hide_password=False))
    at = run("pages/programmes.py")
    assert not at.exception
    at.selectbox(key="project_programme").set_value("tiny").run()
    form = "project_form_tiny_"
    inputs = {t.label: t for t in at.text_input}
    inputs["Link name (slug, never changes)"].set_value("c-project")
    inputs["Name"].set_value("Project <C>")
    at.button(key=f"FormSubmitter:{form}-Save project").click().run()
    assert not at.exception
    assert at.success[0].value == "Project Project \\<C\\> saved."
    assert editing.project_details(world, STAFF, "c-project")["name"] == "Project <C>"
    # The picker shows the new project, in its own form: what was saved, its slug fixed, not an empty new one.
    assert at.selectbox(key="edit_project").value == "c-project"
    inputs = {t.label: t for t in at.text_input}
    assert (inputs["Link name (slug, never changes)"].value, inputs["Name"].value) == ("c-project", "Project <C>")
    assert inputs["Link name (slug, never changes)"].disabled


def test_the_programmes_page_shows_a_new_programme_once_saved(world, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", world.url.render_as_string(hide_password=False))
    at = run("pages/programmes.py")
    inputs = {t.label: t for t in reversed(at.text_input)}  # the programme tab's, drawn before the project tab's
    inputs["Link name (slug, never changes)"].set_value("second")
    inputs["Name"].set_value("Second hackathon")
    at.button(key="FormSubmitter:programme_form_-Save programme").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [] and at.success[0].value == "Programme saved."
    assert at.selectbox(key="edit_programme").value == "second"
    inputs = {t.label: t for t in reversed(at.text_input)}
    assert (inputs["Link name (slug, never changes)"].value, inputs["Name"].value) == ("second", "Second hackathon")


def test_a_new_programme_or_project_never_overwrites_one_with_the_same_slug(world):
    with pytest.raises(CommandError, match="already a programme 'tiny'"):
        editing.save_programme(world, STAFF, NEW | {"slug": "tiny"}, create=True)
    with pytest.raises(CommandError, match="already a project 'a'"):
        editing.save_project(world, STAFF, "tiny", "a", name="Another A", create=True)
    assert info(world, "tiny").name == "Tiny hackathon"
    assert editing.project_details(world, STAFF, "a")["name"] == "Project A"


def test_programme_texts_in_the_visitors_language_where_given(world):
    """German and French versions of a programme's name and description, figure labels and metric names and
    definitions: saved with the programme, read in the visitor's language, English where none is given."""
    from impact.i18n import set_language
    from impact.store.queries import metrics

    table = editing.programme_table(world, "tiny")
    table |= {"name_de": "Winziger Hackathon", "description_fr": "Un tout petit hackathon"}
    table["figure"][0] |= {"label_de": "Teilnehmende"}
    table["metric"][0] |= {"definition": "Anyone who used it once.", "label_fr": "Personnes atteintes",
                           "definition_fr": "Toute personne l'ayant utilisé une fois."}
    editing.save_programme(world, STAFF, table)
    try:
        set_language("de")
        programme = info(world, "tiny")
        assert (programme.name, programme.description) == ("Winziger Hackathon", "")
        assert programme.figure("participants").label == "Teilnehmende"
        assert metrics(world, programme.id).iloc[0][["label", "definition"]].tolist() == [
            "People reached", "Anyone who used it once."]  # no German given: the English
        set_language("fr")
        assert info(world, "tiny").name == "Tiny hackathon" and info(world, "tiny").description == \
            "Un tout petit hackathon"
        assert metrics(world, programme.id).iloc[0][["label", "definition"]].tolist() == [
            "Personnes atteintes", "Toute personne l'ayant utilisé une fois."]
    finally:
        set_language("en")
    # Kept as given, and only where given: the programme reads back the same, and a cleared text is gone.
    again = editing.programme_table(world, "tiny")
    assert again["name_de"] == "Winziger Hackathon" and "name_fr" not in again
    assert again["metric"][0]["label_fr"] == "Personnes atteintes" and "label_de" not in again["metric"][0]
    del again["metric"][0]["label_fr"]
    editing.save_programme(world, STAFF, again)
    assert "label_fr" not in editing.programme_table(world, "tiny")["metric"][0]
