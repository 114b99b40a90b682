"""User text in markdown, shown as text."""
from __future__ import annotations

import re
from typing import Any, Callable, Mapping

import pandas as pd
import streamlit as st

from impact.domain.fields import WEB, is_link

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: str) -> str:
    """Text from data or a link, made safe to put into markdown: markdown, HTML and links in it stay inert (a bare
    http(s) address is still shown as a link, opened in a new tab, as in any mail program)."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))


def label_of(labels: Mapping[Any, str]) -> Callable[[Any], str]:
    """A picker's format_func when its options are the keys of `labels`. A remembered choice that is no longer an
    option gets "", no option's label, so that Streamlit drops it (`labels[option]` would raise, and Streamlit
    would then match the old choice by the label it had, which may now be another option's)."""
    return lambda option: labels.get(option, "")


def show_text(text: str) -> None:
    """Text that users wrote, shown as text."""
    st.markdown(plain(text))


def bold(text: str) -> str:
    """Interface text (never user text) in bold markdown."""
    return f"**{text}**"


def is_web_link(url: str) -> bool:
    """Whether a link from the data may be offered to click: http(s) only, never javascript: or data:."""
    return is_link(url)


def web_links(urls: pd.Series) -> pd.Series:
    """The http(s) links of a column, None in place of any other, for a LinkColumn."""
    return urls.where(urls.str.lower().str.startswith(WEB), None)
