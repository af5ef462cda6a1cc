"""The app's entry file: `callsim app` runs `streamlit run app/main.py` bound to 127.0.0.1.

One page at a time, chosen in the sidebar (and in the address: `?page=replay`), so a trainer
can bookmark a page. Each page module has a `render()`.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

_STARTED = time.perf_counter()

# `streamlit run` puts this file's folder on the path, not the project's: add it (a no-op
# when callsim is installed)
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import streamlit as st  # noqa: E402

from app import calculator, compare, intraday, lessons, replay, simulate  # noqa: E402

PAGES = {
    "calculator": ("Calculator", calculator.render),
    "simulate": ("Simulate", simulate.render),
    "replay": ("Replay", replay.render),
    "lessons": ("Lessons", lessons.render),
    "compare": ("Compare", compare.render),
    "intraday": ("Intraday", intraday.render),
}

st.set_page_config(page_title="callsim", page_icon="📞", layout="wide")
# less empty space above the title: on a 1024 x 768 screen every line counts
st.markdown("<style>[data-testid='stMainBlockContainer'], .block-container {padding-top: 2rem; padding-bottom: 2rem;}"
            " h1 {padding-top: 0.25rem; padding-bottom: 0.25rem;}</style>", unsafe_allow_html=True)
keys = list(PAGES)
if "page" not in st.session_state:
    asked = st.query_params.get("page", "calculator")
    st.session_state["page"] = asked if asked in PAGES else "calculator"
st.sidebar.title("callsim")
page = st.sidebar.radio("page", keys, key="page", format_func=lambda k: PAGES[k][0], label_visibility="collapsed")
st.query_params["page"] = page
st.sidebar.caption("Local app: served on 127.0.0.1 only, reachable from this computer alone.")
PAGES[page][1]()
# server time of this rerun (read by benchmarks/bench_app.py; never shown)
st.session_state["_script_s"] = time.perf_counter() - _STARTED
