"""Tables as the visitor's language writes them: numbers, percentages, dates and times formatted per language, "—"
where a cell is empty, and clicking a column header still sorts by the values underneath.

Streamlit's data grid draws an empty cell as "None" whatever a Styler says, so an empty number, date or time is
given a stand-in value that sorts where an empty cell belongs (before every real one) and is shown as "—"; an empty
text ("" too) is "—" itself, and an empty link is "" (the grid draws a null link as "None" too) shown as "—". Once a
Styler gives a column its display values, a NumberColumn's or DateColumn's `format` changes nothing: label formatted
columns with st.column_config.Column (or a plain string), links with st.column_config.LinkColumn. The grid shows a
link's display values only where its LinkColumn has no `display_text`, so show_table writes that text itself.

A table is written once for its content and language: Streamlit writes a Styler's every cell again on every run (by
pandas' HTML rendering), which took most of a warm page run (bench/README.md). show_table keeps what Streamlit made
of a table (the Styler's part of the message: its display values) under a digest of the frame, its columns' kinds
and the language, and Streamlit's `marshall_styler` takes it from there when the same table is shown again.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler
from streamlit.elements import arrow

from impact.i18n import format_date, format_datetime, format_number, format_percent, language
from impact.ui.memo import Kept, digest

EMPTY = "—"
_NO_NUMBER = -1  # counts, reach and shares are never negative
_NO_DATE = dt.date.min
_NO_TIME = dt.datetime.min


def styled(frame: pd.DataFrame, numbers: Iterable[str] = (), dates: Iterable[str] = (),
           datetimes: Iterable[str] = (), percents: Iterable[str] = (), decimals: Mapping[str, int] | None = None,
           seconds: bool = False, links: Mapping[str, str | None] | None = None) -> Styler:
    """`frame` ready for st.dataframe, every cell written for the current language: `numbers` (whole, or with up to
    `decimals[column]` places), `percents` (shares such as 0.231: 23.1%), `dates`, and `datetimes` (in UTC, to the
    minute or to the `seconds`); `links` (each shown as its text, or as itself where its text is None); every other
    empty cell "—". True and False stay as they are (the grid's ticks)."""
    numbers, dates, datetimes, percents = list(numbers), list(dates), list(datetimes), list(percents)
    places, links = dict(decimals or {}), dict(links or {})
    shown = frame.copy()
    for column in numbers + percents:
        shown[column] = shown[column].astype("Float64").fillna(_NO_NUMBER)
    for column in dates:
        shown[column] = [_NO_DATE if pd.isna(day) else pd.Timestamp(day).date() for day in shown[column]]
    for column in datetimes:
        shown[column] = [_NO_TIME if pd.isna(moment) else _utc(moment) for moment in shown[column]]
    for column in links:
        shown[column] = shown[column].astype(object).where(shown[column].notna(), "")
    kept = set(numbers + dates + datetimes + percents) | set(links)
    for column in shown.columns:
        empty = shown[column].isna() | (shown[column].astype(object) == "")
        if column not in kept and empty.any():
            shown[column] = shown[column].astype(object).where(~empty, EMPTY)
    formats: dict[Any, Any] = {c: _number(places.get(c, 0)) for c in numbers}
    formats |= {c: _percent for c in percents}
    formats |= {c: _date for c in dates}
    formats |= {c: _moment(seconds) for c in datetimes}
    formats |= {c: _link(text) for c, text in links.items()}
    return shown.style.format(formats)


def _utc(moment: Any) -> dt.datetime:
    """A moment as a naive datetime in UTC (a naive one is taken to be in UTC already)."""
    stamp = pd.Timestamp(moment)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.to_pydatetime()


def _number(places: int):
    return lambda value: EMPTY if value == _NO_NUMBER else format_number(value, places)


def _percent(share: float) -> str:
    return EMPTY if share == _NO_NUMBER else format_percent(share)


def _date(day: dt.date) -> str:
    return EMPTY if day == _NO_DATE else format_date(day)


def _moment(seconds: bool):
    return lambda moment: EMPTY if moment == _NO_TIME else format_datetime(moment, seconds)


def _link(text: str | None):
    return lambda link: EMPTY if link == "" else text or link


def show_table(frame: pd.DataFrame, numbers: Iterable[str] = (), dates: Iterable[str] = (),
               datetimes: Iterable[str] = (), percents: Iterable[str] = (), decimals: Mapping[str, int] | None = None,
               seconds: bool = False, container=st, **options) -> None:
    """st.dataframe of `styled(frame, ...)`, without the index; `options` go to st.dataframe. The link columns are
    those its `column_config` makes LinkColumns; their `display_text` is written by the Styler instead."""
    config = dict(options.get("column_config") or {})
    links = {}
    for column, kind in config.items():
        if isinstance(kind, dict) and kind.get("type_config", {}).get("type") == "link":
            links[column] = kind["type_config"].get("display_text")
            config[column] = {**kind, "type_config": {**kind["type_config"], "display_text": None}}
    if config:
        options["column_config"] = config
    key = digest(frame, numbers, dates, datetimes, percents, decimals, seconds, links, language())
    kept = _tables.get(key) if key is not None else None
    if kept is None:
        table = styled(frame, numbers, dates, datetimes, percents, decimals, seconds, links)
        setattr(table, _KEY, key)  # _marshall_styler keeps what Streamlit writes of it
    else:  # written before: Streamlit needs the values only, and takes the written cells from the Styler's message
        table = Styler(kept[0])
        setattr(table, _WRITTEN, kept[1])
    container.dataframe(table, hide_index=True, **options)


_tables: Kept[tuple[pd.DataFrame, bytes]] = Kept(128)  # by key: the styled values and Streamlit's message of them
_KEY = "impact_table_key"  # on a Styler of show_table to be written: its key in _tables
_WRITTEN = "impact_table_written"  # on a Styler of show_table written before: Streamlit's message of it


def _marshall_styler(proto: Any, styler: Styler, default_uuid: str) -> None:
    """streamlit.elements.arrow's marshall_styler, which writes every cell of a Styler: for a table show_table wrote
    before, its message as then; for one it writes now, kept. Any other Styler is written as Streamlit writes it."""
    written = getattr(styler, _WRITTEN, None)
    if written is not None:
        proto.styler.MergeFromString(written)
        return
    _streamlit_marshall_styler(proto, styler, default_uuid)
    key = getattr(styler, _KEY, None)
    if key is not None:
        _tables.put(key, (styler.data, proto.styler.SerializeToString()))  # type: ignore[attr-defined]


def forget() -> None:
    """Drop every table kept written."""
    _tables.clear()


_streamlit_marshall_styler = getattr(arrow.marshall_styler, "__wrapped__", arrow.marshall_styler)
_marshall_styler.__wrapped__ = _streamlit_marshall_styler  # type: ignore[attr-defined]
arrow.marshall_styler = _marshall_styler


# The room a table has on a window 1,400 pixels wide beside the sidebar (the wide layout's main column, less the
# grid's border): a table whose columns' widths add up to more scrolls sideways, and its last columns go unseen.
LAPTOP_ROOM = 936


def columns_that_fit(columns: Sequence[str], widths: Mapping[str, int], optional: Sequence[str],
                     room: int = LAPTOP_ROOM) -> list[str]:
    """The `columns` (in their order) a table shows on a screen: every one not `optional`, then the `optional` ones
    in the order given (the most wanted first) while their `widths` still fit in `room` pixels. A download keeps
    every column: this is what a screen shows."""
    chosen = [column for column in columns if column not in optional]
    used = sum(widths[column] for column in chosen)
    for column in optional:
        if column in columns and used + widths[column] <= room:
            chosen.append(column)
            used += widths[column]
    return [column for column in columns if column in chosen]


def kinds(frame: pd.DataFrame) -> tuple[list[str], list[str], list[str]]:
    """Which of the frame's columns hold numbers, which dates and which times, for a table whose columns are not
    known in advance (a chart's data): show_table(frame, *kinds(frame))."""
    numbers: list[str] = []
    dates: list[str] = []
    datetimes: list[str] = []
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_bool_dtype(values):
            continue
        if pd.api.types.is_numeric_dtype(values):
            numbers.append(column)
        elif pd.api.types.is_datetime64_any_dtype(values):
            moments = values.dropna()
            (dates if (moments == moments.dt.normalize()).all() else datetimes).append(column)
        elif len(values.dropna()) and all(isinstance(v, dt.date) for v in values.dropna()):
            moments = values.dropna()
            (datetimes if any(isinstance(v, dt.datetime) for v in moments) else dates).append(column)
    return numbers, dates, datetimes
