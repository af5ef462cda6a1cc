"""Time to draw the IVR menu diagram (`presentation.menu_diagram`), run by hand.

For each shipped scenario with an IVR and for a synthetic large IVR (12 menus of 9 options, the
schema's menu limit), the seconds to lay out and render the PNG (median of 5, after one warm-up),
the image size in pixels and the number of routes drawn. `callsim run` and `callsim compare` pay
this once per scenario, on top of the simulation.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import yaml  # noqa: E402

from presentation.menu_diagram import menu_diagram_figure, menu_diagram_png  # noqa: E402
from simulator.loading import load_scenario, scenario_from_dict  # noqa: E402


def large_ivr_scenario():
    data = yaml.safe_load((REPO / "scenarios" / "ivr_deep_menu.yaml").read_text())
    queues = [q["name"] for q in data["queues"]]
    menus = []
    for i in range(12):
        later = [f"menu {j}" for j in range(i + 1, min(i + 4, 12))]
        targets = later + queues + ["balance", "payment"]
        options = [{"key": str((k + 1) % 10), "label": f"option {k} of menu {i}, a longer label", "share": 0.1,
                    "to": targets[k % len(targets)]} for k in range(9)]
        options[-1]["share"] = 0.2
        menus.append({"name": f"menu {i}", "prompt": {"dist": "fixed", "mean": 10}, "hang_up": 0.02,
                      "no_input": 0.03, "default": "general", "options": options})
    data["ivr"]["menus"] = menus
    data["ivr"]["start"] = "menu 0"
    return scenario_from_dict(data, "large IVR")


def main() -> None:
    cases = [(path.stem, load_scenario(path)) for path in sorted((REPO / "scenarios").glob("*.yaml"))]
    cases = [(name, s) for name, s in cases if s.ivr is not None] + [("large: 12 menus x 9 options", large_ivr_scenario())]
    print(f"{'scenario':32s} {'routes':>6s} {'pixels':>12s} {'seconds':>8s}")
    for name, scenario in cases:
        menu_diagram_png(scenario)  # warm-up: fonts, caches
        times = []
        for _ in range(5):
            started = time.perf_counter()
            png = menu_diagram_png(scenario)
            times.append(time.perf_counter() - started)
        figure = menu_diagram_figure(scenario)
        width, height = (round(v) for v in figure.get_size_inches() * figure.dpi)
        routes = sum(1 for line in figure.axes[0].lines if str(line.get_gid()).startswith("route|"))
        print(f"{name:32s} {routes:6d} {width:>5d} x {height:<5d} {statistics.median(times):8.3f}  ({len(png):,} bytes)")


if __name__ == "__main__":
    main()
