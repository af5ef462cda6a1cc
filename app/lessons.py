"""Lessons page (stub)."""
import streamlit as st


def render() -> None:
    st.title("Lessons")
