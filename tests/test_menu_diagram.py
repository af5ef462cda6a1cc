"""The IVR menu diagram and the exact flow on every IVR route.

- the expected flows (the model's exact funnel, checked against the simulation in
  test_funnel.py) end where the planner's routing shares say, and follow a failed self-service
  into a menu;
- the expected funnel conserves calls at every menu and over the whole IVR;
- the diagram of every shipped IVR scenario has exactly the scenario's routes (counted here from
  the schema), and no text overlaps another text or a box, no arrow runs through a text or a
  box it does not start or end at (measured with the figure's renderer), with a cramped
  layout as the control that must fail;
- a hand-made funnel document's numbers are what the diagram shows.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib.path import Path as MplPath
from matplotlib.transforms import Bbox

from presentation.menu_diagram import expected_funnel, menu_diagram_figure, menu_diagram_png
from simulator.intents import scenario_routing
from simulator.loading import load_scenario

from helpers import IVR_BROAD, IVR_DEEP, SCENARIO_DIR, SHIPPED_SCENARIOS

IVR_SCENARIOS = [path for path in SHIPPED_SCENARIOS if load_scenario(path).ivr is not None]


def _m(estimate):
    return estimate["mean"]


def test_there_are_ivr_scenarios_to_draw():
    names = {path.stem for path in IVR_SCENARIOS}
    assert {"ivr_deep_menu", "ivr_broad_menu", "utility_outage"} <= names


# --- the expected flows: the model's exact funnel ---------------------------------------------------
# (simulator.funnel.expected_funnel is checked against the simulated walk in test_funnel.py)


@pytest.mark.parametrize("path", IVR_SCENARIOS, ids=lambda p: p.stem)
def test_expected_flows_end_where_routing_probabilities_say(path):
    """Two exact calculations of the same walk: the diagram's expected flows add up to the end
    shares the planner uses."""
    scenario = load_scenario(path)
    funnel = expected_funnel(scenario)
    into_menus = _m(funnel["entered"]) - _m(funnel.get("announcement", {"satisfied": {"mean": 0.0}})["satisfied"])
    ends = scenario_routing(scenario)
    satisfied = _m(funnel["entered"]) - into_menus
    assert _m(funnel["contained"]) == pytest.approx(satisfied + ends.contained * into_menus, rel=1e-9)
    assert _m(funnel["hung_up"]) == pytest.approx(ends.hang_up * into_menus, rel=1e-9)
    for name, landed in funnel["queues"].items():
        misrouted_in = sum(p for (wrong, _right), p in ends.misroute.items() if wrong == name)
        assert _m(landed) == pytest.approx((ends.to_queue[name] + misrouted_in) * into_menus, rel=1e-9, abs=1e-9)


def test_expected_flows_follow_a_failed_self_service_into_a_menu():
    """`on_failure` naming a menu (issue 13): its failures are visits of that menu."""
    scenario = load_scenario(IVR_BROAD)
    ivr = scenario.ivr
    help_menu = ivr.menus[0].model_copy(update={"name": "help", "options": (
        ivr.menus[0].options[-1].model_copy(update={"share": 1.0}),)})
    services = (ivr.self_service[0].model_copy(update={"on_failure": "help"}), *ivr.self_service[1:])
    changed = scenario.model_copy(update={"ivr": ivr.model_copy(update={"menus": (*ivr.menus, help_menu),
                                                                         "self_service": services})})
    funnel = expected_funnel(changed)
    balance = next(s for s in funnel["self_service"] if s["name"] == "balance")
    help_doc = next(m for m in funnel["menus"] if m["name"] == "help")
    assert _m(help_doc["entered"]) == pytest.approx(_m(balance["failed"]), rel=1e-12)
    assert _m(balance["failed"]) == pytest.approx(_m(balance["entered"]) * (1 - ivr.self_service[0].success))
    # and the diagram draws the failure into the menu, a column to the right of the task
    figure = menu_diagram_figure(changed)
    assert ("self_service:balance", "menu:help") in _drawn_routes(figure)
    figure.canvas.draw()
    assert layout_problems(figure) == []


# --- the funnel document of the expected flows ---------------------------------------------------------


@pytest.mark.parametrize("path", IVR_SCENARIOS, ids=lambda p: p.stem)
def test_expected_funnel_conserves_calls(path):
    scenario = load_scenario(path)
    funnel = expected_funnel(scenario)
    assert _m(funnel["entered"]) == pytest.approx(sum(scenario.arrivals.calls))
    for menu in funnel["menus"]:
        chose = sum(_m(o["chose"]) for o in menu["options"])
        assert _m(menu["entered"]) == pytest.approx(_m(menu["hung_up"]) + _m(menu["timed_out"]) + chose, rel=1e-9)
    for service in funnel["self_service"]:
        assert _m(service["entered"]) == pytest.approx(_m(service["contained"]) + _m(service["failed"]), rel=1e-9)
    ends = _m(funnel["contained"]) + _m(funnel["hung_up"]) + sum(_m(v) for v in funnel["queues"].values())
    assert _m(funnel["entered"]) == pytest.approx(ends, rel=1e-9)
    assert ("announcement" in funnel) == (scenario.ivr.announcement is not None)
    assert all(e["ci95"] is None for e in [funnel["entered"], funnel["contained"], funnel["hung_up"]])


# --- the diagram --------------------------------------------------------------------------------------------


def _schema_routes(scenario):
    """Every route of the scenario's IVR as (source, target) node names, counted from the schema."""
    ivr = scenario.ivr
    menus = {m.name for m in ivr.menus}
    services = {s.name for s in ivr.self_service}

    def node(name):
        if name == "hang_up":
            return "hang_up:"
        kind = "menu" if name in menus else "self_service" if name in services else "queue"
        return f"{kind}:{name}"

    start = node(ivr.start or ivr.menus[0].name)
    if ivr.announcement is None:
        routes = [("entry:", start)]
    else:
        shares = ivr.announcement.hang_up_satisfied
        routes = [("entry:", "announcement:"), ("announcement:", start)]
        if max(shares if isinstance(shares, tuple) else (shares,)) > 0:
            routes.append(("announcement:", "contained:"))
    for menu in ivr.menus:
        for option in menu.options:
            routes.append((node(menu.name), node(option.to)))
            if option.misroute is not None:
                routes.append((node(menu.name), node(option.misroute.queue)))
        if menu.no_input > 0:
            routes.append((node(menu.name), node(menu.default)))
        if menu.hang_up > 0:
            routes.append((node(menu.name), "hang_up:"))
    for service in ivr.self_service:  # with intents (no task success) both can happen
        if service.success is None or service.success > 0:
            routes.append((node(service.name), "contained:"))
        if service.success is None or service.success < 1:
            routes.append((node(service.name), node(service.on_failure)))
    return routes


def _drawn_routes(figure):
    return [tuple(line.get_gid().split("|")[1:]) for line in figure.axes[0].lines
            if str(line.get_gid()).startswith("route|")]


def layout_problems(figure) -> list[str]:
    """Every collision in the diagram, measured in pixels with the figure's renderer: a text
    over another text, a route label over a box, a box's text outside its box, a route through
    a text or through a box it neither starts nor ends at."""
    renderer = figure.canvas.get_renderer()
    ax = figure.axes[0]
    texts = [(str(t.get_gid()), t.get_window_extent(renderer)) for t in [*ax.texts, *figure.texts]
             if t.get_text().strip()]
    boxes = {str(p.get_gid()).split("|", 1)[1]: p.get_window_extent(renderer) for p in ax.patches
             if str(p.get_gid()).startswith("box|")}
    problems = []
    frame = figure.bbox
    for gid, text in texts:
        if not (frame.x0 <= text.x0 and text.x1 <= frame.x1 and frame.y0 <= text.y0 and text.y1 <= frame.y1):
            problems.append(f"text {gid} is cut off at the edge of the image")
    for i, (gid_a, a) in enumerate(texts):
        for gid_b, b in texts[i + 1:]:
            if a.overlaps(b):
                problems.append(f"text {gid_a} over text {gid_b}")
    for gid, text in texts:
        kind, _, owner = gid.partition("|")
        for name, box in boxes.items():
            if kind in ("boxtext", "boxtitle") and owner == name:
                if not (box.x0 <= text.x0 and text.x1 <= box.x1 and box.y0 <= text.y0 and text.y1 <= box.y1):
                    problems.append(f"{gid} sticks out of its box")
            elif text.overlaps(box):
                problems.append(f"text {gid} over box {name}")
    for line in ax.lines:
        gid = str(line.get_gid())
        if not gid.startswith("route|"):
            continue
        _, source, target = gid.split("|")
        path = MplPath(ax.transData.transform(line.get_xydata()))
        for text_gid, text in texts:
            inner = Bbox.from_extents(text.x0 + 0.5, text.y0 + 0.5, text.x1 - 0.5, text.y1 - 0.5)
            if path.intersects_bbox(inner, filled=False):
                problems.append(f"route {source}->{target} through text {text_gid}")
        for name, box in boxes.items():
            if name in (source, target):
                continue
            inner = Bbox.from_extents(box.x0 + 1, box.y0 + 1, box.x1 - 1, box.y1 - 1)
            if path.intersects_bbox(inner, filled=False):
                problems.append(f"route {source}->{target} through box {name}")
    return problems


@pytest.mark.parametrize("path", IVR_SCENARIOS, ids=lambda p: p.stem)
def test_the_diagram_draws_every_route_once(path):
    scenario = load_scenario(path)
    figure = menu_diagram_figure(scenario)
    assert sorted(_drawn_routes(figure)) == sorted(_schema_routes(scenario))


@pytest.mark.parametrize("path", IVR_SCENARIOS, ids=lambda p: p.stem)
def test_nothing_in_the_diagram_overlaps(path):
    figure = menu_diagram_figure(load_scenario(path))
    figure.canvas.draw()
    assert layout_problems(figure) == []


def test_the_overlap_check_catches_a_cramped_layout():
    """The control: with rows a third of their height, labels run into each other and into lines."""
    figure = menu_diagram_figure(load_scenario(IVR_DEEP), row_scale=0.35)
    figure.canvas.draw()
    problems = layout_problems(figure)
    assert any("over text" in p for p in problems)
    assert any("through text" in p for p in problems)


def _hand_made_broad_funnel() -> dict:
    """A funnel document for the broad menu, by hand, conserving calls (1,000 entering)."""
    def e(v):
        return {"mean": float(v), "ci95": [v * 0.9, v * 1.1]}
    chose = {"1": 300, "2": 100, "3": 150, "4": 80, "5": 100, "6": 130, "0": 100}
    misrouted = {"3": 20, "5": 15}
    contained = {"1": 225, "2": 60}
    scenario = load_scenario(IVR_BROAD)
    options = [{"key": o.key, "label": o.label, "to": o.to, "chose": e(chose[o.key]), "zero_out": o.key == "0",
                "contained": e(contained.get(o.key, 0)), "misrouted": e(misrouted.get(o.key, 0))}
               for o in scenario.ivr.menus[0].options]
    return {
        "entered": e(1000),
        "menus": [{"name": "main", "entered": e(1000), "replays": e(50), "hung_up": e(30), "timed_out": e(10),
                   "default": "general", "options": options}],
        "self_service": [{"name": "balance", "on_failure": "accounts", "entered": e(300), "contained": e(225),
                          "failed": e(75)},
                         {"name": "payment", "on_failure": "accounts", "entered": e(100), "contained": e(60),
                          "failed": e(40)}],
        "queues": {"accounts": e(260), "cards": e(185), "loans": e(130), "general": e(110)},
        "contained": e(285), "hung_up": e(30),
    }


def test_the_diagram_shows_the_funnel_it_is_given():
    scenario = load_scenario(IVR_BROAD)
    figure = menu_diagram_figure(scenario, _hand_made_broad_funnel(), replications=20)
    shown = [t.get_text() for t in figure.axes[0].texts] + [t.get_text() for t in figure.texts]
    assert "1 balance and recent tran\u2026\n300 (30%)" in shown
    assert "3 other account questions\n130 (13%)" in shown  # 150 chose, 20 of them misrouted
    assert "3 misrouted\n20 (2.0%)" in shown
    assert "no input: default\n10 (1.0%)" in shown
    assert "queue: 260 (26%)" in shown
    assert "menu: 1,000 (100%)\nreplays 50" in shown
    assert any("simulated calls per day, mean of 20 replications" in text for text in shown)
    figure.canvas.draw()
    assert layout_problems(figure) == []


def test_the_png_is_stamped():
    from presentation.run_plots import png_text

    png = menu_diagram_png(load_scenario(IVR_BROAD), stamp={"callsim-run": "abc"})
    assert png.startswith(b"\x89PNG") and png_text(png)["callsim-run"] == "abc"


# --- where the diagram appears: run, report, compare, callsim diagram -----------------------------------


def test_run_writes_the_diagram_and_the_report_shows_it(tmp_path, capsys):
    from helpers import run_cli

    out = tmp_path / "broad"
    code, _, err = run_cli(capsys, "run", IVR_BROAD, "-r", "2", "-w", "1", "-q", "--report", "-o", out)
    assert code == 0, err
    png = (out / "ivr_menu.png").read_bytes()
    from presentation.run_plots import png_text, run_id
    import json

    document = json.loads((out / "kpis.json").read_text())
    assert png_text(png)["callsim-run"] == run_id(document["scenario"], document["seed"], document["replications"])
    page = (out / "report.html").read_text()
    import base64

    assert page.count(base64.b64encode(png).decode("ascii")) == 1
    # the report rebuilt from the folder keeps it (its stamp matches the run)
    from presentation.report import report_from_dir

    assert base64.b64encode(png).decode("ascii") in report_from_dir(out)


def test_no_plots_and_no_ivr_mean_no_diagram(tmp_path, capsys):
    from helpers import HELP_DESK, run_cli

    code, _, err = run_cli(capsys, "run", IVR_BROAD, "-r", "2", "-w", "1", "-q", "--no-plots", "-o", tmp_path / "a")
    assert code == 0, err
    assert not (tmp_path / "a" / "ivr_menu.png").exists()
    code, _, err = run_cli(capsys, "run", HELP_DESK, "-r", "2", "-w", "1", "-q", "-o", tmp_path / "b")
    assert code == 0, err
    assert (tmp_path / "b" / "volumes.png").exists() and not (tmp_path / "b" / "ivr_menu.png").exists()


def _run_document(tmp_path, capsys) -> dict:
    import json

    from helpers import run_cli

    code, out, err = run_cli(capsys, "run", IVR_BROAD, "-r", "2", "-w", "1", "-q", "--no-plots", "--json",
                             "-o", tmp_path / "doc")
    assert code == 0, err
    return json.loads(out)


def test_the_report_has_the_funnel_tables_when_the_document_has_a_funnel(tmp_path, capsys):
    from presentation.report import render_report

    document = _run_document(tmp_path, capsys)
    document.pop("funnel", None)
    png = menu_diagram_png(load_scenario(IVR_BROAD), _hand_made_broad_funnel())
    without = render_report(document, {"ivr_menu.png": png})
    assert "The IVR funnel" not in without and "ivr_menu.png" in without  # the diagram among the plots
    document["funnel"] = _hand_made_broad_funnel()
    page = render_report(document, {"ivr_menu.png": png})
    import base64

    assert page.count(base64.b64encode(png).decode("ascii")) == 1  # in the funnel section, not twice
    section = page[page.index('<section id="funnel"'):page.index('<section id="intervals"')]
    for words in ("Per menu", "Per option", "Per self-service task", "Where calls ended", "timed out", "zero-out",
                  "misrouted", "replays", "hung up in the IVR", "balance and recent transactions"):
        assert words in section, words
    import re

    tables = re.sub(r"<[^>]+>", " ", section.split("</figure>", 1)[1])
    assert re.findall(r"\b[a-z]+_[a-z_]+\b", tables) == []  # words, not snake_case keys
    # numbers with their CI and share: option 3 chose 150 [135, 165] = 15.0% of 1,000
    assert '150 <span class="note">[135, 165]</span> <span class="note">15.0%</span>' in section
    assert '260 <span class="note">[234, 286]</span> <span class="note">26.0%</span>' in section  # queue accounts
    assert "<td>0</td>" in section  # nobody misrouted after key 4: a plain 0, no interval


def test_the_comparison_report_sets_the_diagrams_side_by_side():
    from presentation.report import render_comparison_report

    deep, broad = menu_diagram_png(load_scenario(IVR_DEEP)), menu_diagram_png(load_scenario(IVR_BROAD))
    document = {"scenarios": [{"label": "deep", "scenario": {}}, {"label": "broad", "scenario": {}}],
                "kpis": {}, "explanation": {}}
    page = render_comparison_report(document, {"ivr_menu_A.png": deep, "ivr_menu_B.png": broad})
    import base64

    section = page[page.index('<section id="menus"'):]
    section = section[:section.index("</section>")]
    assert 'class="diagrams"' in section and "A: deep" in section and "B: broad" in section
    for png in (deep, broad):
        assert page.count(base64.b64encode(png).decode("ascii")) == 1  # not again among the plots
    assert '<section id="menus"' not in render_comparison_report(document, {})


def test_compare_of_two_menus_writes_both_diagrams(tmp_path, capsys):
    from helpers import run_cli

    from presentation.compare_plots import COMPARISON_ID_KEY
    from presentation.run_plots import png_text

    out = tmp_path / "cmp"
    code, _, err = run_cli(capsys, "compare", IVR_DEEP, IVR_BROAD, "-r", "2", "-w", "1", "-q", "--report", "-o", out)
    assert code == 0, err
    stamps = {png_text((out / name).read_bytes())[COMPARISON_ID_KEY] for name in ("ivr_menu_A.png", "ivr_menu_B.png")}
    assert len(stamps) == 1
    assert '<section id="menus"' in (out / "report.html").read_text()
    from presentation.report import report_from_dir

    assert '<section id="menus"' in report_from_dir(out)  # rebuilt from the folder: the stamps match


def test_callsim_diagram_writes_a_png(tmp_path, capsys):
    from helpers import run_cli

    target = tmp_path / "menus" / "deep.png"
    code, out, err = run_cli(capsys, "diagram", IVR_DEEP, "-o", target)
    assert code == 0, err
    assert target.read_bytes().startswith(b"\x89PNG") and str(target) in out
    assert [p.name for p in target.parent.iterdir()] == ["deep.png"]  # no temporary file left


@pytest.mark.parametrize("args, fragments", [
    (["diagram", "HELP_DESK"], ["help_desk.yaml", "no 'ivr:' section"]),
    (["diagram", "IVR_DEEP", "-o", "menu.svg"], ["-o menu.svg", ".png"]),
    (["diagram", "missing.yaml"], ["missing.yaml"]),
    (["diagram", "IVR_DEEP", "-o", "FILE/menu.png"], ["is a file, not a folder"]),
])
def test_callsim_diagram_bad_input_is_one_line(tmp_path, capsys, args, fragments):
    from helpers import HELP_DESK, assert_user_error, run_cli

    (tmp_path / "file").write_text("x")
    names = {"HELP_DESK": str(HELP_DESK), "IVR_DEEP": str(IVR_DEEP), "FILE/menu.png": str(tmp_path / "file" / "menu.png"),
             "missing.yaml": str(tmp_path / "missing.yaml")}
    assert_user_error(*run_cli(capsys, *[names.get(a, a) for a in args]), *fragments)
    assert not list(tmp_path.glob("**/*.png"))


def test_a_broken_scenario_gives_the_line_of_the_problem(tmp_path, capsys):
    from helpers import assert_user_error, run_cli

    text = IVR_BROAD.read_text().replace("share: 0.31", "share: 0.41")
    broken = tmp_path / "broken.yaml"
    broken.write_text(text)
    assert_user_error(*run_cli(capsys, "diagram", broken, "-o", tmp_path / "x.png"), "broken.yaml:", "sum to")
    assert not (tmp_path / "x.png").exists()


# --- random menus: the layout holds beyond the shipped ones -------------------------------------------


def _random_ivr(rng, queue_names) -> dict:
    words = "account card loan balance payment transfer dispute stolen mortgage bill help other agent".split()
    n_menus, n_services = int(rng.integers(1, 5)), int(rng.integers(0, 4))
    menus = [f"menu {i}" for i in range(n_menus)]
    services = [f"task {i}" for i in range(n_services)]

    def share_list(n):
        raw = rng.dirichlet(np.ones(n))
        shares = [round(float(v), 3) for v in raw[:-1]]
        return shares + [round(1.0 - sum(shares), 3)]

    ivr = {"menus": [], "self_service": []}
    if rng.random() < 0.3:
        ivr["announcement"] = {"duration": {"dist": "fixed", "mean": 10}, "hang_up_satisfied": 0.2}
    for i, name in enumerate(menus):
        n_options = int(rng.integers(1, 8))
        targets = menus[i + 1:] + services + queue_names + ["hang_up"]
        options = []
        for k, share in enumerate(share_list(n_options)):
            to = str(rng.choice(targets))
            option = {"key": str((k + 1) % 10), "share": share, "to": to,
                      "label": " ".join(rng.choice(words, size=int(rng.integers(0, 6))))}
            if to in queue_names and rng.random() < 0.3:
                option["misroute"] = {"share": 0.1, "queue": str(rng.choice(queue_names))}
            options.append(option)
        menu = {"name": name, "prompt": {"dist": "fixed", "mean": 8}, "options": options,
                "hang_up": float(rng.choice([0.0, 0.02])), "retries": int(rng.integers(0, 3))}
        if rng.random() < 0.6:
            menu.update(no_input=0.05, default=str(rng.choice(queue_names)))
        ivr["menus"].append(menu)
    for name in services:
        ivr["self_service"].append({"name": name, "duration": {"dist": "fixed", "mean": 30},
                                    "success": float(rng.choice([0.0, 0.5, 1.0])),
                                    "on_failure": str(rng.choice(queue_names))})
    return ivr


@pytest.mark.parametrize("seed", range(12))
def test_random_menus_draw_every_route_without_overlaps(seed):
    import yaml

    from simulator.loading import scenario_from_dict

    data = yaml.safe_load(IVR_BROAD.read_text())
    data["ivr"] = _random_ivr(np.random.default_rng(seed), [q["name"] for q in data["queues"]])
    scenario = scenario_from_dict(data, f"random menu {seed}")
    funnel = expected_funnel(scenario)
    for menu in funnel["menus"]:
        chose = sum(_m(o["chose"]) for o in menu["options"])
        assert _m(menu["entered"]) == pytest.approx(_m(menu["hung_up"]) + _m(menu["timed_out"]) + chose, abs=1e-9)
    ends = _m(funnel["contained"]) + _m(funnel["hung_up"]) + sum(_m(v) for v in funnel["queues"].values())
    assert _m(funnel["entered"]) == pytest.approx(ends, rel=1e-9)
    figure = menu_diagram_figure(scenario)
    assert sorted(_drawn_routes(figure)) == sorted(_schema_routes(scenario))
    figure.canvas.draw()
    assert layout_problems(figure) == []


def test_a_funnel_with_missing_parts_still_draws():
    """A funnel document from an older or partial run: what is missing shows as 0, nothing breaks."""
    scenario = load_scenario(SCENARIO_DIR / "utility_outage.yaml")
    figure = menu_diagram_figure(scenario, {"entered": {"mean": 100.0, "ci95": None}, "announcement": None,
                                            "menus": [{"name": "main", "options": None}], "queues": None})
    assert sorted(_drawn_routes(figure)) == sorted(_schema_routes(scenario))


@pytest.mark.parametrize("path", IVR_SCENARIOS, ids=lambda p: p.stem)
def test_the_arrows_conserve_calls_at_every_box(path):
    """What the arrows carry: out of every menu and task exactly what entered it, into every
    queue and end exactly what the funnel says ended there."""
    from presentation.menu_diagram import _graph

    scenario = load_scenario(path)
    funnel = expected_funnel(scenario)
    nodes, edges = _graph(scenario, funnel)
    out_of, into = {}, {}
    for edge in edges:
        out_of[edge.source] = out_of.get(edge.source, 0.0) + edge.flow
        into[edge.target] = into.get(edge.target, 0.0) + edge.flow
    for menu in funnel["menus"]:
        assert out_of[("menu", menu["name"])] == pytest.approx(_m(menu["entered"]), rel=1e-9)
        assert into.get(("menu", menu["name"]), 0.0) == pytest.approx(_m(menu["entered"]), rel=1e-9)
    for service in funnel["self_service"]:
        assert out_of[("self_service", service["name"])] == pytest.approx(_m(service["entered"]), rel=1e-9)
        assert into[("self_service", service["name"])] == pytest.approx(_m(service["entered"]), rel=1e-9)
    for name, value in funnel["queues"].items():
        assert into.get(("queue", name), 0.0) == pytest.approx(_m(value), rel=1e-9, abs=1e-9)
    assert into[("contained", "")] == pytest.approx(_m(funnel["contained"]), rel=1e-9)
    assert into[("hang_up", "")] == pytest.approx(_m(funnel["hung_up"]), rel=1e-9)
    assert out_of[("entry", "")] == pytest.approx(sum(scenario.arrivals.calls))


def test_a_small_menu_under_a_long_name_keeps_its_title_in_the_picture():
    import yaml

    from simulator.loading import scenario_from_dict

    data = yaml.safe_load(IVR_BROAD.read_text())
    data["name"] = "A very long scenario name, of the kind a planner types to remember which variant it was, v2"
    data["ivr"]["menus"][0]["options"] = [{"key": "1", "share": 1.0, "to": "general"}]
    data["ivr"]["self_service"] = []
    figure = menu_diagram_figure(scenario_from_dict(data, "long name"))
    figure.canvas.draw()
    assert layout_problems(figure) == []
