"""Tables as the visitor's language writes them: numbers and dates formatted per language, "—" where a cell is
empty, and clicking a column header still sorts by the values underneath.

Streamlit's data grid draws an empty cell as "None" whatever a Styler says, so an empty number or date is given a
stand-in value that sorts where an empty cell belongs (before every real one) and is shown as "—".
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from impact.i18n import format_date, format_number

EMPTY = "—"
_NO_NUMBER = -1  # counts and reach are never negative
_NO_DATE = dt.date.min


def styled(frame: pd.DataFrame, numbers: Iterable[str] = (), dates: Iterable[str] = ()) -> Styler:
    """`frame` ready for st.dataframe: `numbers` and `dates` formatted for the current language, every other empty
    cell "—"."""
    numbers, dates = list(numbers), list(dates)
    shown = frame.copy()
    for column in numbers:
        shown[column] = shown[column].astype("Float64").fillna(_NO_NUMBER)
    for column in dates:
        shown[column] = [_NO_DATE if pd.isna(day) else pd.Timestamp(day).date() for day in shown[column]]
    others = [c for c in shown.columns if c not in numbers and c not in dates]
    shown[others] = shown[others].astype(object).where(shown[others].notna(), EMPTY)
    return shown.style.format(
        {**{c: _number for c in numbers}, **{c: _date for c in dates}})


def _number(value: float) -> str:
    return EMPTY if value == _NO_NUMBER else format_number(value)


def _date(day: dt.date) -> str:
    return EMPTY if day == _NO_DATE else format_date(day)


def show_table(frame: pd.DataFrame, numbers: Iterable[str] = (), dates: Iterable[str] = (), container=st,
               **options) -> None:
    """st.dataframe of `styled(frame, numbers, dates)`, without the index; `options` go to st.dataframe."""
    container.dataframe(styled(frame, numbers, dates), hide_index=True, **options)
