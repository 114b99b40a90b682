"""Which status may follow which: the lifecycle rules (impact/domain/lifecycle.py, ARCHITECTURE.md)."""
import pytest

from impact.domain.lifecycle import TransitionError, allowed_next, check_history, check_transition

ALLOWED = [  # (current, new, note); revivals are tested below with the history they need
    (None, "idea", ""),
    (None, "funded", ""),  # a history may start at any stage (older programmes, imports)
    ("idea", "funded", ""),
    ("funded", "in_development", ""),
    ("funded", "launched", ""),  # launched may come straight after funded
    ("in_development", "launched", ""),
    ("idea", "discontinued", "team stopped"),
    ("funded", "discontinued", "money ran out"),
    ("in_development", "discontinued", "no users"),
    ("launched", "discontinued", "switched off"),
]
REFUSED = [
    ("idea", "launched", ""),
    ("idea", "in_development", ""),
    ("launched", "funded", ""),
    ("launched", "in_development", ""),
    ("in_development", "funded", ""),
    ("launched", "launched", ""),
    ("idea", "idea", ""),
    ("discontinued", "launched", "jumped"),
    ("discontinued", "funded", "jumped"),
    ("funded", "celebrated", ""),  # not a status
]


@pytest.mark.parametrize("current,new,note", ALLOWED)
def test_allowed_transitions(current, new, note):
    check_transition(current, new, note)


@pytest.mark.parametrize("current,new,note", REFUSED)
def test_refused_transitions_say_what_is_allowed(current, new, note):
    with pytest.raises(TransitionError, match="may become|not a status"):
        check_transition(current, new, note)


@pytest.mark.parametrize("current,new", [("launched", "discontinued"), ("idea", "discontinued"),
                                         ("discontinued", "in_development")])
def test_discontinuing_and_reviving_need_a_note(current, new):
    with pytest.raises(TransitionError, match="needs a note"):
        check_transition(current, new, "   ", funded_before=True)


def test_a_funded_project_is_revived_into_development_an_idea_back_to_idea():
    check_transition("discontinued", "in_development", "new team", funded_before=True)
    check_transition("discontinued", "idea", "new team", funded_before=False)
    with pytest.raises(TransitionError, match="it may become: idea"):
        check_transition("discontinued", "in_development", "new team", funded_before=False)
    with pytest.raises(TransitionError, match="it may become: in_development"):
        check_transition("discontinued", "idea", "new team", funded_before=True)


def test_allowed_next_from_each_status():
    assert allowed_next("idea") == ("funded", "discontinued")
    assert allowed_next("funded") == ("in_development", "launched", "discontinued")
    assert allowed_next("in_development") == ("launched", "discontinued")
    assert allowed_next("launched") == ("discontinued",)
    assert allowed_next("discontinued", funded_before=True) == ("in_development",)
    assert allowed_next("discontinued", funded_before=False) == ("idea",)


def test_a_whole_history_is_checked_in_order():
    check_history([("idea", ""), ("funded", ""), ("launched", ""), ("discontinued", "off"),
                   ("in_development", "back")])
    with pytest.raises(TransitionError, match="cannot become launched") as caught:
        check_history([("idea", ""), ("launched", "")])
    assert caught.value.position == 1
    with pytest.raises(TransitionError, match="idea cannot become in_development") as caught:
        check_history([("idea", ""), ("discontinued", "stopped"), ("idea", "new team"), ("in_development", "")])
    assert caught.value.position == 3
