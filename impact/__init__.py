"""The hackathon impact dashboard, without its pages.

`domain` holds the rules, `store` the database and everything that reads or writes it, `formats` the files that
come in and go out, and `ui` the web interface (the only Streamlit code). `cli` is `python -m impact`; `settings`
and `i18n` serve all of them. ARCHITECTURE.md says which function decides what.
"""
