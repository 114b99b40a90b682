"""Entry point: `streamlit run dashboard.py`. Sets up the app and the navigation between its pages."""
import streamlit as st

from impact.i18n import _

st.set_page_config(page_title=_("Hackathon impact dashboard"), page_icon=":material/insights:", layout="wide")

navigation = st.navigation([
    st.Page("pages/overview.py", title=_("Overview"), icon=":material/filter_alt:", default=True),
    st.Page("pages/reach.py", title=_("Reach"), icon=":material/groups:"),
    st.Page("pages/portfolio.py", title=_("Portfolio"), icon=":material/table_view:"),
    st.Page("pages/project.py", title=_("Project"), icon=":material/rocket_launch:"),
    st.Page("pages/compare.py", title=_("Compare programmes"), icon=":material/compare_arrows:"),
    st.Page("pages/survival.py", title=_("Time to launch and survival"), icon=":material/monitor_heart:"),
])
st.sidebar.caption(_("Hackathon impact dashboard: what became of the projects born in a civic hackathon."))
navigation.run()
