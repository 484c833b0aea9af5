"""Baseline for the page benchmark: Streamlit's floor, two pages that only show a heading."""
import streamlit as st


def first() -> None:
    st.title("Baseline ett")


def second() -> None:
    st.title("Baseline två")


st.navigation([st.Page(first, title="Ett", url_path="ett", default=True),
               st.Page(second, title="Två", url_path="tva")]).run()
