"""Entry point: `streamlit run dashboard.py`. Sets up the app, who is visiting, and the pages they may open."""
import streamlit as st

from impact.access import may_open
from impact.i18n import _
from impact.ui.language import apply_language, language_picker
from impact.ui.page import visitor
from impact.ui.session import account_sidebar

apply_language()
st.set_page_config(page_title=_("Hackathon impact dashboard"), page_icon=":material/insights:", layout="wide")

engine, actor = visitor()
PAGES = [  # section, page (its file under pages/ and its name in impact.access.PAGES), title, icon
    (_("Outcomes"), "overview", _("Overview"), ":material/filter_alt:"),
    (_("Outcomes"), "reach", _("Reach"), ":material/groups:"),
    (_("Outcomes"), "portfolio", _("Portfolio"), ":material/table_view:"),
    (_("Outcomes"), "project", _("Project"), ":material/rocket_launch:"),
    (_("Outcomes"), "compare", _("Compare programmes"), ":material/compare_arrows:"),
    (_("Outcomes"), "survival", _("Time to launch and survival"), ":material/monitor_heart:"),
    (_("Updates"), "update", _("Update a project"), ":material/edit_note:"),
    (_("Updates"), "review", _("Review queue"), ":material/fact_check:"),
    (_("Updates"), "silent", _("Silent projects"), ":material/notifications_paused:"),
    (_("Administration"), "files", _("Import and export"), ":material/swap_vert:"),
    (_("Administration"), "programmes", _("Programmes and projects"), ":material/edit_document:"),
    (_("Administration"), "people", _("Accounts and keys"), ":material/manage_accounts:"),
    (_("Administration"), "audit", _("Audit log"), ":material/history:"),
]
# The menu lists the pages this visitor may open (a team with its key sees just its update page); the others stay
# reachable by their link, where the page's own guard asks to sign in, so that a shared link survives signing in.
sections: dict[str, list] = {}
first = next(name for _section, name, _title, _icon in PAGES if may_open(actor, name))
for section, name, title, icon in PAGES:
    page = st.Page(f"pages/{name}.py", title=title, icon=icon, default=name == first,
                   visibility="visible" if may_open(actor, name) else "hidden")
    sections.setdefault(section, []).append(page)
navigation = st.navigation(sections)
st.sidebar.caption(_("Hackathon impact dashboard: what became of the projects born in a civic hackathon."))
language_picker()
if engine is not None:
    account_sidebar(engine, actor)
navigation.run()
