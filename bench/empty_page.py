"""A page that does nothing: the benchmark's measure of what any run costs Streamlit (and AppTest) itself."""
import streamlit as st

st.write("An empty page.")
