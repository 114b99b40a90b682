"""The update, review, silent, audit and people pages with AppTest, on the demo data: a team submits, staff review,
two people editing at once, user text shown inert, and what each role is refused."""
import datetime as dt
import logging

import pytest
from sqlalchemy import select
from streamlit.elements.lib import policies

from impact.domain.access import PAGES, PUBLIC, command_line
from impact.store import admin, auth, commands
from impact.store.models import StatusEvent
from impact.ui.writes import DONE
from tests.apptest import metrics, run
from tests.conftest import TINY_PROGRAMME, load

STAFF = command_line("tests")
HOSTILE = "<img src=x onerror=alert(1)> ![tracker](http://evil.example/x.png) [click](javascript:alert(1))"


@pytest.fixture
def world(engine, tmp_path, monkeypatch):
    """Programme "tiny" (not public) with project a (funded) and its team's actor; the pages read this database."""
    load(engine, tmp_path / "tiny", programmes__toml=TINY_PROGRAMME,
         projects__csv="programme,slug,name,contact_email\ntiny,a,Project A,team-a@example.org\n",
         status_events__csv="project,status,effective_date\na,idea,2020-01-10\na,funded,2020-02-01\n")
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    issued = admin.issue_key(engine, STAFF, "a")
    return engine, auth.sign_in_with_key(engine, issued.key), issued.key


def test_a_team_records_a_reach_figure_and_sees_it_waiting_for_review(world):
    engine, team, _key = world
    at = run("pages/update.py", actor=team)
    assert not at.exception
    assert at.title[0].value == "Update Project A"
    assert at.metric[0].value == "Funded, not started"
    at.selectbox(key="reading_metric").set_value("people")
    at.number_input(key="reading_value").set_value(120)
    at.button(key="FormSubmitter:reach_form-Record figure").click().run()
    assert not at.exception
    assert at.success[0].value == f"People reached: 120 as of {dt.date.today().isoformat()}: waiting for staff review."
    assert at.metric[0].value == "Funded, not started"  # a reading leaves the status as it was
    history = at.dataframe[0].value
    assert list(history[["what", "value", "review_state"]].iloc[0]) == ["People reached", 120,
                                                                         "waiting for staff review"]


def test_a_refused_submission_says_why_and_records_nothing(world):
    engine, team, _key = world
    at = run("pages/update.py", actor=team)
    at.selectbox(key="new_status").set_value("discontinued")
    at.button(key="FormSubmitter:status_form-Record status").click().run()
    assert not at.exception
    assert "needs a note" in at.error[0].value
    assert len(at.dataframe[0].value) == 2  # the two loaded events only


def tabs_place(at) -> int:
    """Where the page draws its tabs among the main area's elements. A browser keeps the open tab while this stays
    the same, and opens the first one again when the tabs move."""
    (place,) = [n for n, block in at.main.children.items() if block.type == "tab_container"]
    return place


def test_the_tabs_keep_their_place_whether_a_notice_is_shown_or_not(world):
    engine, team, _key = world
    at = run("pages/update.py", actor=team)
    place = tabs_place(at)
    at.number_input(key="reading_value").set_value(120)
    at.button(key="FormSubmitter:reach_form-Record figure").click().run()
    assert at.success[0].value.startswith("People reached: 120 as of")  # a notice above the tabs
    assert tabs_place(at) == place
    at.button(key="FormSubmitter:reach_form-Record figure").click().run()  # empty: refused, and the notice gone
    assert at.error[0].value == "Enter the total as a whole number." and not at.success
    assert tabs_place(at) == place


@pytest.mark.parametrize("page", ["pages/people.py", "pages/programmes.py"])
def test_staff_pages_keep_their_tabs_in_place_under_a_notice(world, page):
    at = run(page)
    place = tabs_place(at)
    at.session_state[DONE] = "Saved."  # what a write leaves for the next run
    at.run()
    assert [notice.value for notice in at.success] == ["Saved."]
    assert tabs_place(at) == place


def statuses_recorded(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(StatusEvent.status).order_by(StatusEvent.id)))


def test_the_status_form_preselects_nothing_and_empties_after_a_submission(world):
    engine, team, _key = world
    at = run("pages/update.py", actor=team)
    assert at.selectbox(key="new_status").value is None  # no status change is offered as the default
    at.button(key="FormSubmitter:status_form-Record status").click().run()
    assert "Pick the new status first." in at.error[0].value
    at.selectbox(key="new_status").set_value("launched")
    at.text_area(key="status_note").set_value("Live on the app stores.")
    at.button(key="FormSubmitter:status_form-Record status").click().run()
    assert not at.exception
    assert at.success[0].value == f"Live from {dt.date.today().isoformat()}: waiting for staff review."
    assert at.metric[0].value == "Live, waiting for review"  # until staff approve it
    assert at.selectbox(key="new_status").value is None and at.text_area(key="status_note").value == ""
    at.button(key="FormSubmitter:status_form-Record status").click().run()  # a second tap records nothing
    assert "Pick the new status first." in at.error[0].value
    assert statuses_recorded(engine) == ["idea", "funded", "launched"]


def test_a_refused_figure_keeps_what_was_typed_and_a_recorded_one_starts_again_from_today(world, monkeypatch):
    engine, team, _key = world
    # Streamlit warns (once per process) of a field that has a default and a value given through the session state.
    monkeypatch.setattr(policies, "_shown_default_value_warning", False)
    warned = CollectingHandler()
    logging.getLogger(policies.__name__).addHandler(warned)
    try:
        at = run("pages/update.py", actor=team)
        today = dt.date.today()
        assert at.date_input(key="status_date").value == today and at.date_input(key="reading_date").value == today
        assert at.selectbox(key="reading_metric").value == "people"  # the programme's first metric
        for _ in range(2):  # recorded, then the same again: refused
            at.selectbox(key="reading_metric").set_value("pupils")
            at.date_input(key="reading_date").set_value(dt.date(2021, 3, 1))
            at.number_input(key="reading_value").set_value(120)
            at.text_area(key="reading_note").set_value("Counted at the schools.")
            at.button(key="FormSubmitter:reach_form-Record figure").click().run()
            assert not at.exception
        assert at.error[0].value == "Pupils: 120 as of 2021-03-01 is recorded already; nothing new was recorded."
        assert (at.selectbox(key="reading_metric").value, at.date_input(key="reading_date").value,
                at.number_input(key="reading_value").value, at.text_area(key="reading_note").value) == (
            "pupils", dt.date(2021, 3, 1), 120, "Counted at the schools.")  # kept, to be put right
        at.number_input(key="reading_value").set_value(150)
        at.button(key="FormSubmitter:reach_form-Record figure").click().run()
        assert not at.error, [e.value for e in at.error]
        assert at.success[0].value == "Pupils: 150 as of 2021-03-01: waiting for staff review."
        assert (at.selectbox(key="reading_metric").value, at.date_input(key="reading_date").value,
                at.number_input(key="reading_value").value, at.text_area(key="reading_note").value) == (
            "people", today, None, "")  # emptied: the first metric, today, no figure
        at.selectbox(key="new_status").set_value("discontinued")
        at.date_input(key="status_date").set_value(dt.date(2021, 6, 1))
        at.button(key="FormSubmitter:status_form-Record status").click().run()
        assert "needs a note" in at.error[0].value
        assert (at.selectbox(key="new_status").value, at.date_input(key="status_date").value) == (
            "discontinued", dt.date(2021, 6, 1))
    finally:
        logging.getLogger(policies.__name__).removeHandler(warned)
    assert warned.messages == []


class CollectingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_the_confirmation_is_a_sentence_in_the_visitors_language(world):
    engine, team, _key = world
    at = run("pages/update.py", actor=team, lang="fr")
    at.selectbox(key="reading_metric").set_value("people")
    at.number_input(key="reading_value").set_value(1200)
    at.button(key="FormSubmitter:reach_form-Enregistrer le chiffre").click().run()
    today = dt.date.today()
    assert at.success[0].value == (f"People reached : 1\u202f200 au {today:%d/%m/%Y} : en attente de validation par "
                                   "les gestionnaires.")  # the metric's name is the programme's own


def test_discontinuing_asks_once_more(world):
    engine, team, _key = world
    at = run("pages/update.py", actor=team)
    at.selectbox(key="new_status").set_value("discontinued")
    at.text_area(key="status_note").set_value("The team stopped.")
    at.button(key="FormSubmitter:status_form-Record status").click().run()
    assert "Record that Project A stopped on" in at.warning[0].value
    assert statuses_recorded(engine) == ["idea", "funded"]  # not yet
    at.button(key="confirm_no").click().run()
    assert not at.warning and statuses_recorded(engine) == ["idea", "funded"]
    at.selectbox(key="new_status").set_value("discontinued")
    at.text_area(key="status_note").set_value("The team stopped.")
    at.button(key="FormSubmitter:status_form-Record status").click().run()
    at.button(key="confirm_yes").click().run()
    assert not at.exception and "waiting for staff review" in at.success[0].value
    assert statuses_recorded(engine) == ["idea", "funded", "discontinued"]


def test_the_second_of_two_people_editing_at_once_is_told_and_sees_the_newer_state(world):
    engine, team, _key = world
    first, second = run("pages/update.py", actor=team), run("pages/update.py", actor=team)  # both open the page
    first.text_area(key="update_text").set_value("We found a host.")
    first.button(key="FormSubmitter:update_form-Send update").click().run()
    assert first.success
    second.text_area(key="update_text").set_value("We are looking for a host.")
    second.button(key="FormSubmitter:update_form-Send update").click().run()
    assert "changed since you opened it" in second.error[0].value
    notes = second.dataframe[0].value.query("what == 'Update'")["note"]
    assert list(notes) == ["We found a host."]  # the newer state, and nothing of the second submission
    second.button(key="FormSubmitter:update_form-Send update").click().run()  # resubmitted on the newer state
    assert second.success


def test_user_text_is_shown_inert_in_the_review_queue(world):
    engine, team, _key = world
    commands.record_update(engine, team, team.project_id, HOSTILE, evidence_url="https://example.org/proof")
    at = run("pages/review.py")
    assert not at.exception
    shown = [m.value for m in at.markdown if "onerror" in m.value]
    assert shown and all("\\<img" in m and "\\!\\[tracker\\]" in m and "\\(javascript\\:" in m for m in shown)


def test_staff_approve_from_the_queue_and_the_team_sees_a_returned_note(world):
    engine, team, _key = world
    first = commands.record_update(engine, team, team.project_id, "first")
    commands.record_update(engine, team, team.project_id, "second")
    at = run("pages/review.py")
    assert "Waiting for review: 2" in at.caption[0].value
    at.button(key=f"FormSubmitter:review_update_{first.id}-Approve").click().run()
    assert at.success[0].value == "Approved."
    assert "Waiting for review: 1" in at.caption[0].value
    at.button(key=f"FormSubmitter:review_update_{first.id + 1}-Return to the team").click().run()
    assert "Say why" in at.error[0].value
    at.text_input(key=f"note_update_{first.id + 1}").set_value("Please add a link <b>here</b>")
    at.button(key=f"FormSubmitter:review_update_{first.id + 1}-Return to the team").click().run()
    assert [s.value for s in at.success] == ["Returned to the team.", "Nothing is waiting for review."]
    team_page = run("pages/update.py", actor=team)
    assert team_page.warning[0].value == "Returned by programme staff: Please add a link \\<b\\>here\\</b\\>"
    history = team_page.dataframe[0].value  # the team's history names its updates as the form does
    updates = history[history["note"].isin(["first", "second"])]
    assert list(updates["what"]) == ["Update", "Update"]


def test_silent_projects_with_contacts_for_staff(world):
    at = run("pages/silent.py", programme="tiny", as_of="2020-12-31")
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["contact_email"]) == ["team-a@example.org"]
    assert table["remind"][0].startswith("mailto:team-a%40example.org?subject=How%20is%20Project%20A%20doing%3F")


def test_staff_issue_a_key_that_is_shown_once(world):
    at = run("pages/people.py")
    at.text_input(key="key_project").set_value("a")
    at.button(key="FormSubmitter:issue_key-Issue key").click().run()
    assert not at.exception
    key = at.code[0].value
    assert auth.sign_in_with_key(world[0], key).project_id == world[1].project_id
    assert at.code[1].value.endswith(f"update?key={key}")
    at.run()
    assert not at.code  # gone after the next run


def test_the_audit_log_filters_by_action(world):
    engine, team, _key = world
    commands.record_update(engine, team, team.project_id, "hello")
    at = run("pages/audit.py")
    at.selectbox(key="audit_action").set_value("update").run()
    log = at.dataframe[0].value
    assert list(log["action"]) == ["update"] and list(log["subject"]) == ["project a"]


@pytest.mark.parametrize("name", [name for name, roles in PAGES.items() if "funder" not in roles])
@pytest.mark.parametrize("role", ["public", "funder"])
def test_pages_refuse_whom_they_are_not_for(world, name, role):
    if name == "update" and role == "public":
        pytest.skip("the update page offers the public its key form (tested above and in the browser)")
    actor = PUBLIC
    if role == "funder":
        admin.add_account(world[0], STAFF, "funder@example.org", "funder", "a long funder password", ["tiny"])
        actor = auth.sign_in(world[0], "funder@example.org", "a long funder password")
    at = run(f"pages/{name}.py", actor=actor)
    assert not at.exception
    expected = "not open to your account" if role == "funder" else "sign in in the sidebar"
    assert expected in at.warning[0].value
    assert not at.dataframe and not at.get("plotly_chart") and not at.metric and not at.text_input


@pytest.mark.parametrize("name", ["overview", "reach"])
def test_the_public_sees_nothing_of_a_programme_that_is_not_public(world, name):
    at = run(f"pages/{name}.py", actor=PUBLIC, programme="tiny")
    assert not at.exception
    assert "Nothing is published here yet" in at.info[0].value
    assert not at.metric and not at.get("plotly_chart")


def test_staff_may_preview_pending_figures_which_funders_never_see(world):
    engine, team, _key = world
    commands.record_status_change(engine, team, team.project_id, "launched", dt.date(2020, 5, 1))
    staff = run("pages/overview.py", programme="tiny")
    assert metrics(staff)["Launched"] == "0"
    staff.toggle(key="with_pending").set_value(True).run()
    assert metrics(staff)["Launched"] == "1"
    assert any("Pending figures included" in w.value for w in staff.warning)
    admin.add_account(engine, STAFF, "funder@example.org", "funder", "a long funder password", ["tiny"])
    funder = run("pages/overview.py", actor=auth.sign_in(engine, "funder@example.org", "a long funder password"),
                 programme="tiny")
    assert metrics(funder)["Launched"] == "0" and not funder.toggle


def test_staff_correct_an_entry_and_the_old_one_stays_marked(world):
    engine, team, _key = world
    at = run("pages/update.py", project="a")
    assert not at.exception
    with engine.connect() as conn:
        funded = conn.scalar(select(StatusEvent.id).where(StatusEvent.status == "funded"))
    at.selectbox(key="correct_pick").set_value(f"status:{funded}").run()
    dates = [d for d in at.date_input if d.label == "Date"]
    dates[0].set_value(dt.date(2020, 2, 15))
    at.button(key="FormSubmitter:correct_form-Record correction").click().run()
    assert "needs a note" in at.error[0].value
    [t for t in at.text_area if t.label == "What was wrong (required)"][0].set_value("The decision was on the 15th.")
    at.button(key="FormSubmitter:correct_form-Record correction").click().run()
    assert not at.exception and "Funded, not started from 2020-02-15: approved." == at.success[0].value
    history = at.dataframe[0].value
    assert list(history.query("what == 'Funded, not started'")["superseded"]) == [False, True]


def test_the_import_and_export_page_makes_a_grants_file(world):
    at = run("pages/files.py")
    assert not at.exception
    [t for t in at.text_input if t.label == "Your 360Giving prefix"][0].set_value("360G-tiny")
    at.button(key="FormSubmitter:grants-Make the grants file").click().run()
    assert "Fill in all three" in at.error[0].value
    for label, value in (("Funding organisation's identifier (org-id)", "XI-1"),
                         ("Funding organisation's name", "Tiny Foundation")):
        [t for t in at.text_input if t.label == label][0].set_value(value)
    at.button(key="FormSubmitter:grants-Make the grants file").click().run()
    assert "0 funded projects with an amount." in at.caption[-1].value


def test_the_queue_shows_a_first_reading_with_nothing_before_it(world):
    engine, team, _key = world
    commands.record_reach_reading(engine, team, team.project_id, "pupils", dt.date(2020, 5, 1), 12)
    at = run("pages/review.py")
    assert not at.exception
    # The metric in the label, the number whole in the value (so that a phone's narrow column does not cut it).
    assert [(m.label, m.value) for m in at.metric] == [("Submitted: Pupils", "12"), ("Approved before", "none")]
    assert not at.warning  # not flagged as lower
