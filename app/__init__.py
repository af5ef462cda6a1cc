"""callsim app: a local web page (Streamlit + Plotly) for the classroom and the planning desk.

Presentation layer: it may import `simulator`, `planner`, `studies` and `presentation`; nothing
imports it. `main.py` is the entry file `callsim app` hands to `streamlit run`; one module per
page (`calculator`, `simulate`, `replay`, `lessons`, `compare`) with its pure parts (the
numbers each page shows) kept apart from the widgets, so they can be tested without a browser:
`inputs` (the calculator's inputs, checked with the same rules and messages as `callsim erlang`),
`jobs` (simulations off the UI thread, cancellable, cached per input), `frames` (the replay's
states of the queue from the call records).

Streamlit and Plotly are an optional extra: `pip install -e '.[app]'`.
"""
