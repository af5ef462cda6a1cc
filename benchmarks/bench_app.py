"""The web app's responsiveness, measured in the server (run by hand; needs the app extra).

1. Calculator: a slider change answered in under 200 ms of server time. Streamlit answers a
   change by rerunning the page script; `AppTest.run()` is exactly that rerun (widgets, both
   Erlang models, the cliff curve and its Plotly figure), without the browser's drawing. The
   script's own duration (`app/main.py` keeps it in the session) is the server time; the
   AppTest round trip adds the test harness's polling. Each
   change moves `calls per interval` to a value not seen before (no cache), then back to one
   seen (cached), and also changes AHT and patience.
2. Simulate: a 20-replication help-desk simulation shows progress within one second: the time
   from starting the background job to its first finished replication (what the progress bar
   shows on its next poll, at most 0.25 s later), and the same through the page (button
   clicked -> the page shows "replications k/20" with k >= 1).

3. The slider changes again while a large-centre simulation runs in a background thread.

    python benchmarks/bench_app.py
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from streamlit.testing.v1 import AppTest  # noqa: E402


def slider_response(changes: int = 30, label: str = "") -> None:
    at = AppTest.from_file(str(REPO / "app" / "main.py"), default_timeout=60)
    at.query_params["page"] = "calculator"
    at.run()
    fresh, cached, other = [], [], []
    script = {"fresh": [], "cached": [], "other": []}
    for k in range(changes):
        at.slider(key="calc_calls").set_value(150 + 37 * k)  # never seen: computed
        t = time.perf_counter()
        at.run()
        fresh.append(time.perf_counter() - t)
        script["fresh"].append(at.session_state["_script_s"])
        at.slider(key="calc_calls").set_value(100)  # seen: from the cache
        t = time.perf_counter()
        at.run()
        cached.append(time.perf_counter() - t)
        script["cached"].append(at.session_state["_script_s"])
        at.number_input(key="calc_aht" if k % 2 else "calc_patience").set_value(170.0 + 3 * k)
        t = time.perf_counter()
        at.run()
        other.append(time.perf_counter() - t)
        script["other"].append(at.session_state["_script_s"])
        assert not at.exception and not at.error
    rows = (("new calls value", fresh, script["fresh"]), ("calls back to 100 (cached)", cached, script["cached"]),
            ("new AHT / patience", other, script["other"]))
    for name, round_trips, scripts in rows:
        for what, values in (("page script", scripts), ("AppTest round trip", round_trips)):
            values_ms = sorted(v * 1000 for v in values)
            print(f"calculator{label}, {name:26s} {what:18s}: median {statistics.median(values_ms):6.1f} ms, "
                  f"90th percentile {values_ms[int(0.9 * len(values_ms))]:6.1f} ms, max {values_ms[-1]:6.1f} ms "
                  f"({len(values_ms)} reruns)")


def first_progress(replications: int = 20) -> None:
    from app.jobs import Jobs, run_job
    from simulator.loading import load_scenario

    scenario = load_scenario(REPO / "scenarios" / "help_desk.yaml")
    job = run_job(Jobs(), scenario, replications, scenario.simulation.seed)
    job.wait()
    print(f"simulate, help desk, {replications} replications in the background: first progress after "
          f"{job.first_progress_s:.3f} s, done after {job.elapsed_s:.2f} s")

    at = AppTest.from_file(str(REPO / "app" / "main.py"), default_timeout=60)
    at.query_params["page"] = "simulate"
    at.run()
    at.radio(key="sim_source").set_value("a scenario file")
    at.run()
    at.number_input(key="sim_seed").set_value(scenario.simulation.seed + 1)  # not the run above: no cache
    at.run()
    at.button(key="sim_run").click()
    t = time.perf_counter()
    at.run()
    first_script = time.perf_counter() - t
    while True:
        texts = [p.proto.text for p in at.get("progress")]
        if any(text.startswith("replications ") and not text.startswith("replications 0/") for text in texts):
            break
        if at.dataframe:
            break
        time.sleep(0.05)
        at.run()
    print(f"simulate page: Run pressed -> page answered in {first_script * 1000:.0f} ms (progress bar shown); "
          f"first replication shown after {time.perf_counter() - t:.3f} s")


def slider_response_while_simulating() -> None:
    """The same slider changes while a long simulation (the large centre, 100,000 calls a day)
    runs in a background thread of the same process, as it does when a planner moves on to the
    calculator during a run."""
    from app.jobs import Jobs, run_job
    from simulator.loading import load_scenario

    scenario = load_scenario(REPO / "scenarios" / "large_centre.yaml")
    job = run_job(Jobs(), scenario, 20, scenario.simulation.seed)
    try:
        slider_response(10, " (large centre simulating)")
    finally:
        job.cancel()
        job.wait()


if __name__ == "__main__":
    slider_response()
    first_progress()
    slider_response_while_simulating()
