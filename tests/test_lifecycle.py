"""Which status may follow which: the lifecycle rules of shared/DESIGN.md."""
import pytest

from impact.lifecycle import TransitionError, allowed_next, check_history, check_transition

ALLOWED = [
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
    ("discontinued", "in_development", "revived by a new team"),
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
        check_transition(current, new, "   ")


def test_allowed_next_from_each_status():
    assert allowed_next("idea") == ("funded", "discontinued")
    assert allowed_next("funded") == ("in_development", "launched", "discontinued")
    assert allowed_next("in_development") == ("launched", "discontinued")
    assert allowed_next("launched") == ("discontinued",)
    assert allowed_next("discontinued") == ("in_development",)


def test_a_whole_history_is_checked_in_order():
    check_history([("idea", ""), ("funded", ""), ("launched", ""), ("discontinued", "off"),
                   ("in_development", "back")])
    with pytest.raises(TransitionError, match="cannot become launched"):
        check_history([("idea", ""), ("launched", "")])
