"""Running a write from a page: a refusal is said where the form is; success is said after the rerun that shows
the new state.

A form's fields are keyed, each with its empty value (a mapping key -> empty value). The page calls `start_fields`
before drawing them and `forget_fields` once their submission is recorded (`run_write` does it for `forget`): the
next run gives them their empty values through the session state, which empties them in the browser too. Dropping
the keys alone empties them for Streamlit's AppTest, but a browser keeps showing, and would send again, what was
typed. A refused submission forgets nothing, so the form keeps what was typed.

A field given its value this way takes no default of its own but an empty one (`value=None`, `index=None`):
Streamlit warns when a widget has a default and a value set through the session state. A date that starts at today
is a date field without `value=`, today its empty value; a pick that starts at the first option has no `index=`."""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, Optional

import streamlit as st

from impact.store.commands import CommandError
from impact.ui.data import Source

DONE = "done"  # the success message waiting for the next run
PICKED = "picked"  # (a picker's key, the value it is to show on the next run): what a write just made


def run_write(source: Source, action: Callable, done: str, *args, remember: Optional[str] = None,
              forget: Iterable[str] = (), pick: Optional[tuple[str, Any]] = None, **values) -> None:
    """Write `action(engine, *args, **values)` (a write of impact.store.commands, admin or editing) to `source`'s
    database. Refused: show why and return, the form keeping what was typed. Done: empty the fields keyed `forget`,
    keep `done` for `done_notice` (and the result in the session state under `remember`), have the picker keyed
    `pick[0]` show `pick[1]` (see `take_pick`) and rerun."""
    try:
        result = source.write(action, *args, **values)
    except (CommandError, PermissionError) as exc:
        st.error(str(exc), icon=":material/error:")
        return
    forget_fields(forget)
    st.session_state[DONE] = done
    if remember:
        st.session_state[remember] = result
    if pick:
        st.session_state[PICKED] = pick
    st.rerun()


def take_pick(key: str) -> None:
    """Before drawing the picker keyed `key`: show what the write before this run made for it, if any (a new
    programme, say, instead of "A new programme" with the form still holding what was typed). A picker's value can
    be set through the session state only before it is drawn, hence after the write's rerun."""
    picked = st.session_state.get(PICKED)
    if picked and picked[0] == key:
        st.session_state[key] = st.session_state.pop(PICKED)[1]


def start_fields(fields: Mapping[str, Any]) -> None:
    """Give each field whose value the session does not hold (the first run, or after its entry was recorded) its
    empty value through the session state; a field that holds a value (typed, or kept after a refusal) keeps it."""
    for key, empty in fields.items():
        if key not in st.session_state:
            st.session_state[key] = empty


def forget_fields(keys: Iterable[str]) -> None:
    """Drop the fields' values once their submission is recorded: `start_fields` empties them on the next run."""
    for key in keys:
        st.session_state.pop(key, None)


def done_notice() -> None:
    """The success message of the write that caused this run, if any, in a slot drawn on every run (empty on most).
    The browser keeps which tab is open (and whether a box is) as long as the tabs stay in their place on the page:
    a notice that came and went above them would move them, and the browser would draw them afresh on their first
    tab, hiding what the visitor's form had just said in theirs."""
    slot = st.container()
    if message := st.session_state.pop(DONE, None):
        slot.success(message, icon=":material/check_circle:")
