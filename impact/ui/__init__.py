"""What the Streamlit pages share: the page guard, the programme and date pickers, and cached reads.

The only package that imports Streamlit; everything below it (queries, charts, rules) works without a server.
"""
