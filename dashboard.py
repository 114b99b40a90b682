"""Entry point: `streamlit run dashboard.py`. Sets up the app, who is visiting, and the pages they may open."""
import streamlit as st

from impact.domain.access import may_open
from impact.i18n import _, format_number
from impact.ui.language import apply_language, language_picker
from impact.ui.page import chart_text_in_the_theme_colour, close_sidebar_after_a_pick, visitor
from impact.ui.session import account_sidebar

apply_language()
st.set_page_config(page_title=_("Hackathon impact dashboard"), page_icon="📈", layout="wide")

source, actor = visitor()
waiting = source.waiting_for_review() if source and may_open(actor, "review") else 0
PAGES = [  # page (its file under pages/ and its name in impact.domain.access.PAGES), title, icon
    ("overview", _("Overview"), ":material/filter_alt:"),
    ("reach", _("Reach"), ":material/groups:"),
    ("portfolio", _("Portfolio"), ":material/table_view:"),
    ("project", _("Project"), ":material/rocket_launch:"),
    ("compare", _("Compare programmes"), ":material/compare_arrows:"),
    ("survival", _("Time to launch and survival"), ":material/monitor_heart:"),
    ("update", _("Update a project"), ":material/edit_note:"),
    ("review", _("Review queue ({n} waiting)", n=format_number(waiting)) if waiting else _("Review queue"),
     ":material/fact_check:"),
    ("silent", _("Silent projects"), ":material/notifications_paused:"),
    ("signals", _("Contradictions"), ":material/report:"),
    ("files", _("Import and export"), ":material/swap_vert:"),
    ("programmes", _("Programmes and projects"), ":material/edit_document:"),
    ("people", _("Accounts and keys"), ":material/manage_accounts:"),
    ("audit", _("Audit log"), ":material/history:"),
]
# The menu lists the pages this visitor may open (a team with its key sees just its update page); the others stay
# reachable by their link, where the page's own guard asks to sign in, so that a shared link survives signing in.
# One flat menu: with sections, Streamlit puts their headings inside the menu's <ul>, which screen readers (and
# axe-core) reject as a broken list.
first = next(name for name, _title, _icon in PAGES if may_open(actor, name))


def home() -> None:
    """The app's root: the visitor's first page, opened under its own address. Streamlit serves its default page
    at the root only, so with a real page as the default, `/overview` (staff) or `/update` (a team) would be
    "page not found"; with this one every page keeps one address whoever opens it."""
    st.switch_page(f"pages/{first}.py", query_params=st.query_params.to_dict())


navigation = st.navigation([
    st.Page(home, title=_("Home"), default=True, visibility="hidden"),
    *(st.Page(f"pages/{name}.py", title=title, icon=icon, visibility="visible" if may_open(actor, name) else "hidden")
      for name, title, icon in PAGES),
], expanded=True)  # every page listed: no "View more" link, which Streamlit writes in English only
st.sidebar.caption(_("Hackathon impact dashboard: what became of the projects born in a civic hackathon."))
language_picker()
if source is not None:
    account_sidebar(source, actor)
close_sidebar_after_a_pick()
chart_text_in_the_theme_colour()
navigation.run()
