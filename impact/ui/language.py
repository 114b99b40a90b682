"""The interface language: from the link (?lang=fr), else the browser's language, switchable in the sidebar and
kept in the link so that a shared link opens in the same language."""
from __future__ import annotations

import re

import streamlit as st

from impact.i18n import LANGUAGES, _, best_language, date_pattern, set_language
from impact.ui.text import label_of

KEY = "lang"
# The formats st.date_input takes: day, month and year in one of three orders, joined by a slash, dash or dot.
DATE_INPUT_FORMATS = {separator.join(order) for separator in "/-." for order in
                      (("YYYY", "MM", "DD"), ("DD", "MM", "YYYY"), ("MM", "DD", "YYYY"))}


def apply_language() -> str:
    """Set this run's language (before any text is made) and return it."""
    if KEY not in st.session_state:
        asked = st.query_params.get(KEY)
        st.session_state[KEY] = asked if asked in LANGUAGES else best_language(st.context.locale)
    set_language(st.session_state[KEY])
    return st.session_state[KEY]


def language_picker() -> None:
    st.sidebar.selectbox(_("Language"), list(LANGUAGES), format_func=label_of(LANGUAGES), key=KEY)
    st.query_params[KEY] = st.session_state[KEY]


def date_format() -> str:
    """The current language's date (impact.i18n.date_pattern) as st.date_input and the date columns write it
    (DD/MM/YYYY); ISO for a language whose date those cannot write."""
    fields = {"d": "DD", "dd": "DD", "M": "MM", "MM": "MM", "yyyy": "YYYY"}
    written = re.sub(r"([dMy])\1*", lambda field: fields.get(field.group(), field.group()), date_pattern())
    return written if written in DATE_INPUT_FORMATS else "YYYY-MM-DD"
