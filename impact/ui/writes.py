"""Running a write from a page: a refusal is said where the form is; success is said after the rerun that shows
the new state."""
from __future__ import annotations

from typing import Callable, Iterable, Optional

import streamlit as st

from impact.store.commands import CommandError
from impact.ui.data import Source

DONE = "done"  # the success message waiting for the next run


def run_write(source: Source, action: Callable, done: str, *args, remember: Optional[str] = None,
              forget: Iterable[str] = (), **values) -> None:
    """Write `action(engine, *args, **values)` (a write of impact.store.commands, admin or editing) to `source`'s
    database. Refused: show why and return, the form keeping what was typed. Done: empty the fields keyed `forget`,
    keep `done` for `done_notice` (and the result in the session state under `remember`) and rerun."""
    try:
        result = source.write(action, *args, **values)
    except (CommandError, PermissionError) as exc:
        st.error(str(exc), icon=":material/error:")
        return
    for key in forget:
        st.session_state.pop(key, None)
    st.session_state[DONE] = done
    if remember:
        st.session_state[remember] = result
    st.rerun()


def done_notice() -> None:
    """The success message of the write that caused this run, if any."""
    if message := st.session_state.pop(DONE, None):
        st.success(message, icon=":material/check_circle:")
