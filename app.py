"""The dashboard's server: `dashboard.py` draws the pages; this adds the routes and middleware of `impact.ui.web`
(session cookie, update-key links, security headers). Start it with `make run` or `python -m impact serve`."""
import streamlit as st

from impact.ui.web import freeze_the_modules, middleware, routes

freeze_the_modules()
app = st.App("dashboard.py", routes=routes(), middleware=middleware())
