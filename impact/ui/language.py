"""The interface language: from the link (?lang=fr), else the browser's language, switchable in the sidebar and
kept in the link so that a shared link opens in the same language."""
from __future__ import annotations

import streamlit as st

from impact.i18n import LANGUAGES, _, best_language, language, set_language
from impact.ui.text import label_of

KEY = "lang"
# How st.date_input writes a date in each language.
DATE_INPUT_FORMATS = {"en": "YYYY-MM-DD", "fr": "DD/MM/YYYY", "de": "DD.MM.YYYY"}


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
    """The current language's date format for st.date_input."""
    return DATE_INPUT_FORMATS[language()]
