"""The IVR menu as a diagram, rendered to PNG bytes: menus, options, self-service and queues, with
the calls per day on every route.

`menu_diagram_png(scenario, funnel)` draws the scenario's `ivr:` with the flows of a funnel
document (the "funnel" key of kpis.json: simulated calls per day); with `funnel=None` it draws
the expected flows (`expected_funnel`: the model's exact expectation of the menus, from the
option shares or, with caller intents, from the intents and the menus' clarity; no simulation). Only matplotlib is used (an explicit Agg canvas, no pyplot, no graphviz).

Layout, left to right: the callers, the announcement (if any), the menus and self-service tasks
by their depth in the menu DAG (the longest path from the first menu), and every end (queues,
"contained", "hung up") in the last column. One box per node and one arrow per route
(`simulator.ivr.ivr_routes`). The layout is built so that nothing can collide, rather than
checked afterwards:

- a box has one row per route leaving it; each route's label (key, option label, calls and
  share) is written just above its arrow, right of the box, inside the box's own height band,
  so labels of one column never meet and no other line runs through them;
- an arrow that skips columns runs through a free track of its own in every column it passes
  (a "dummy" slot stacked between the boxes, as in Sugiyama layouts), so it never crosses a box;
- arrows change height only in the lane between a column's labels and the next column, where
  there is no text.

A test measures every text and box with the figure's renderer and fails on any overlap (and on
an arrow through a text), with a cramped layout as the control that must fail.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from simulator.errors import UserError
from simulator.ivr import DEFAULT, FAILURE, HANG_UP, HUNG_UP, MISROUTE, OPTION, SUCCESS, ivr_routes

MENU_DIAGRAM_FILE = "ivr_menu.png"
COMPARISON_DIAGRAM_PREFIX = "ivr_menu_"  # + the scenario's letter: ivr_menu_A.png, ...
DPI = 100
FONT_PT = 8.0
TITLE_PT = 8.5
LABEL_CHARS = 26  # option labels are cut to this many characters

# Okabe-Ito derived fills and edges
FILLS = {"entry": ("#ffffff", "#444444"), "announcement": ("#f3f3f3", "#777777"), "menu": ("#e3eefa", "#0072B2"),
         "self_service": ("#e3f4ec", "#009E73"), "queue": ("#fdf0e0", "#E69F00"),
         "contained": ("#d5efe2", "#009E73"), "hang_up": ("#eeeeee", "#777777")}
ROUTE_STYLE = {  # kind -> (colour, line style)
    OPTION: ("#0072B2", "-"), "enter": ("#444444", "-"), "announced": ("#444444", "-"),
    "satisfied": ("#009E73", "-"), SUCCESS: ("#009E73", "-"), FAILURE: ("#D55E00", "-"),
    MISROUTE: ("#D55E00", "--"), DEFAULT: ("#777777", ":"), HUNG_UP: ("#777777", "-"),
}


# --- the flows: a funnel document, simulated or expected ---------------------------------------


def expected_funnel(scenario) -> dict:
    """The funnel document of the expected flows (the model's exact expectation, first calls only)."""
    from .funnel_output import expected_funnel_document

    return expected_funnel_document(scenario)


def _mean(estimate) -> float:
    if isinstance(estimate, dict):
        value = estimate.get("mean")
        return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else 0.0
    return 0.0


# --- the graph -----------------------------------------------------------------------------------


@dataclass
class _Node:
    id: tuple[str, str]  # (kind, name): a queue may be called "contained" without clashing
    title: str
    lines: list[str]
    column: int = 0
    ins: list = field(default_factory=list)  # segments arriving, in port order
    outs: list = field(default_factory=list)  # segments leaving, in port order
    height: float = 0.0
    top: float = 0.0  # inches from the top of the drawing area
    width: float = 0.0
    dummy: bool = False


@dataclass
class _Edge:
    source: tuple
    target: tuple
    kind: str
    label: str
    flow: float
    nodes: list = field(default_factory=list)  # the chain: source, dummies..., target
    extra: str = ""  # after the flow, e.g. how many of an intent option's callers it misrouted


def _count(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:.1f}"


def _share(value: float, total: float) -> str:
    if total <= 0:
        return "-"
    share = value / total
    return f"{share:.0%}" if share >= 0.095 or share == 0 else f"{share:.1%}"


def _flow_text(value: float, total: float) -> str:
    return f"{_count(value)} ({_share(value, total)})"


def _shorten(text: str, limit: int = LABEL_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "\u2026"


def _graph(scenario, funnel: dict) -> tuple[dict, list[_Edge]]:
    ivr = scenario.ivr
    menu_names = {m.name for m in ivr.menus}
    service_names = {s.name for s in ivr.self_service}
    queue_names = [q.name for q in scenario.queues]
    total = _mean(funnel.get("entered"))
    menus_doc = {m.get("name"): m for m in funnel.get("menus") or [] if isinstance(m, dict)}
    services_doc = {s.get("name"): s for s in funnel.get("self_service") or [] if isinstance(s, dict)}
    queues_doc = funnel.get("queues", {}) if isinstance(funnel.get("queues"), dict) else {}

    def node_id(target: str, kind: str = OPTION) -> tuple[str, str]:
        if target == HANG_UP:
            return ("hang_up", "")
        if kind == SUCCESS:  # to CONTAINED_END, which a queue may also be called
            return ("contained", "")
        if target in menu_names:
            return ("menu", target)
        if target in service_names:
            return ("self_service", target)
        return ("queue", target)

    nodes: dict[tuple, _Node] = {("entry", ""): _Node(("entry", ""), "callers", [f"{_count(total)} per day"])}
    for menu in ivr.menus:
        doc = menus_doc.get(menu.name, {})
        entered, replays = _mean(doc.get("entered")), _mean(doc.get("replays"))
        nodes[("menu", menu.name)] = _Node(("menu", menu.name), menu.name,
                                           [f"menu: {_flow_text(entered, total)}", f"replays {_count(replays)}"])
    for service in ivr.self_service:
        entered = _mean(services_doc.get(service.name, {}).get("entered"))
        nodes[("self_service", service.name)] = _Node(("self_service", service.name), service.name,
                                                      [f"self-service: {_flow_text(entered, total)}"])
    edges: list[_Edge] = []
    start = ("menu", ivr.start or ivr.menus[0].name)
    if ivr.announcement is not None:
        announcement = funnel.get("announcement")
        satisfied = _mean(announcement.get("satisfied") if isinstance(announcement, dict) else None)
        nodes[("announcement", "")] = _Node(("announcement", ""), "announcement", ["played to every caller"])
        edges.append(_Edge(("entry", ""), ("announcement", ""), "enter", "entered the IVR", total))
        edges.append(_Edge(("announcement", ""), start, "announced", "went on to the menu", total - satisfied))
        shares = ivr.announcement.hang_up_satisfied
        if (max(shares) if isinstance(shares, tuple) else shares) > 0:
            edges.append(_Edge(("announcement", ""), ("contained", ""), "satisfied", "satisfied by it", satisfied))
    else:
        edges.append(_Edge(("entry", ""), start, "enter", "entered the IVR", total))
    menu_index = {m.name: m for m in ivr.menus}
    for source, kind, target, option in ivr_routes(ivr):
        extra = ""
        if source in menu_index:
            doc = menus_doc.get(source, {})
            options = doc.get("options", []) if isinstance(doc.get("options"), list) else []
            option_doc = options[option] if option is not None and option < len(options) else {}
            if kind == OPTION:
                schema = menu_index[source].options[option]
                label = _shorten(f"{schema.key} {schema.label}".strip())
                flow = _mean(option_doc.get("chose"))
                if schema.misroute is not None:  # its misrouted callers have their own arrow
                    flow -= _mean(option_doc.get("misrouted"))
                elif _mean(option_doc.get("misrouted")) >= 0.05:  # with intents they land where it leads
                    extra = f", {_count(_mean(option_doc.get('misrouted')))} misrouted"
            elif kind == MISROUTE:
                label = f"{menu_index[source].options[option].key} misrouted"
                flow = _mean(option_doc.get("misrouted"))
            elif kind == DEFAULT:
                label, flow = "no input: default", _mean(doc.get("timed_out"))
            else:
                label, flow = "hung up", _mean(doc.get("hung_up"))
        else:
            doc = services_doc.get(source, {})
            label, flow = (("completed", _mean(doc.get("contained"))) if kind == SUCCESS
                           else ("failed", _mean(doc.get("failed"))))
        edges.append(_Edge(node_id(source), node_id(target, kind), kind, label, flow, extra=extra))
    for edge in edges:  # the ends, in a fixed order: queues as in the file, then contained, hung up
        if edge.target not in nodes:
            nodes[edge.target] = None
    ends = [("queue", q) for q in queue_names if ("queue", q) in nodes]
    ends += [end for end in (("contained", ""), ("hang_up", "")) if end in nodes]
    for end in ends:
        kind, name = end
        if kind == "queue":
            nodes[end] = _Node(end, name, [f"queue: {_flow_text(_mean(queues_doc.get(name)), total)}"])
        elif kind == "contained":
            nodes[end] = _Node(end, "contained", [_flow_text(_mean(funnel.get("contained")), total)])
        else:
            nodes[end] = _Node(end, "hung up in the IVR", [_flow_text(_mean(funnel.get("hung_up")), total)])
    for edge in edges:
        edge.label = f"{edge.label}\n{_flow_text(edge.flow, total)}{edge.extra}"
    return nodes, edges


# --- layout (inches, y downwards from the top of the drawing area) -----------------------------------------


def _layout(nodes: dict, edges: list[_Edge], measure, row_scale: float) -> dict:
    ends = [k for k in nodes if k[0] in ("queue", "contained", "hang_up")]
    # columns by the longest path from the callers (the menus form a DAG: check_against); a menu
    # nothing leads to starts beside the first one
    targets = {edge.target for edge in edges}
    depth = {key: (0 if key == ("entry", "") else 1) for key in nodes if key not in targets and key not in ends}
    changed = True
    while changed:
        changed = False
        for edge in edges:
            if edge.source in depth and edge.target not in ends:
                d = depth[edge.source] + 1
                if depth.get(edge.target, -1) < d:
                    depth[edge.target] = d
                    changed = True
    last = max(depth.values()) + 1
    for end in ends:
        depth[end] = last
    for key, node in nodes.items():
        node.column = depth.get(key, 0)
    # chains with dummy tracks in every column an arrow passes
    columns: list[list[_Node]] = [[] for _ in range(last + 1)]
    for node in nodes.values():
        columns[node.column].append(node)
    segments = []  # (from node, to node, edge)
    for e, edge in enumerate(edges):
        chain = [nodes[edge.source]]
        for c in range(nodes[edge.source].column + 1, nodes[edge.target].column):
            dummy = _Node(("dummy", f"{e}:{c}"), "", [], column=c, dummy=True)
            columns[c].append(dummy)
            chain.append(dummy)
        chain.append(nodes[edge.target])
        edge.nodes = chain
        for a, b in zip(chain, chain[1:]):
            segment = (a, b, edge)
            a.outs.append(segment)
            b.ins.append(segment)
            segments.append(segment)

    # sizes
    label_h = max(measure(edge.label)[1] for edge in edges)
    row_h = (label_h + 0.12) * row_scale
    for node in nodes.values():
        title_w, title_h = measure(node.title, bold=True)
        lines_w, lines_h = measure("\n".join(node.lines)) if node.lines else (0.0, 0.0)
        text_w, text_h = max(title_w, lines_w), title_h + lines_h + 0.04
        node.width = text_w + 0.2
        node.height = max(len(node.outs) * row_h, len(node.ins) * 0.16 * row_scale, text_h + 0.16)
    for column in columns:
        for node in column:
            if node.dummy:
                node.height = 0.22 * row_scale

    # order each column by the mean rank of what feeds it (barycentre), left to right, then by what
    # it feeds, right to left, then once more left to right: fewer crossings, shorter detours
    position: dict[int, float] = {}

    def by_feeds(node):
        feeds = [position[id(s[0])] + (s[0].outs.index(s) + 0.5) / len(s[0].outs) for s in node.ins]
        return sum(feeds) / len(feeds) if feeds else position.get(id(node), 0.0)

    def by_successors(node):
        fed = [position[id(s[1])] + (s[1].ins.index(s) + 0.5) / len(s[1].ins) for s in node.outs]
        return sum(fed) / len(fed) if fed else position.get(id(node), 0.0)

    def sweep(order, key):
        for c in order:
            columns[c].sort(key=key)
            for rank, node in enumerate(columns[c]):
                position[id(node)] = float(rank)

    sweep(range(last + 1), by_feeds)
    sweep(range(last - 1, 0, -1), by_successors)  # the callers' column has one box; the ends keep their order
    sweep(range(1, last + 1), by_feeds)
    gap_y = 0.22 * row_scale
    heights = [sum(n.height for n in column) + gap_y * (len(column) - 1) for column in columns]
    height = max(heights)
    for column, column_h in zip(columns, heights):
        top = (height - column_h) / 2
        for node in column:
            node.top = top
            top += node.height + gap_y

    def out_y(node, segment) -> float:
        k, n = node.outs.index(segment), len(node.outs)
        if node.dummy:
            return node.top + node.height / 2
        pitch = node.height / n
        return node.top + (k + 1) * pitch - 0.05 * row_scale

    # arrivals sorted by where they come from, so arrows do not cross at the box
    for node in nodes.values():
        node.ins.sort(key=lambda s: out_y(s[0], s))

    def in_y(node, segment) -> float:
        if node.dummy:
            return node.top + node.height / 2
        k, n = node.ins.index(segment), len(node.ins)
        return node.top + (k + 0.5) * node.height / n

    # x: per column the boxes, then the labels' zone, then the lane where arrows change height
    label_w = [0.0] * (last + 1)
    for edge in edges:
        c = nodes[edge.source].column
        label_w[c] = max(label_w[c], measure(edge.label)[0])
    box_w = [max((n.width for n in column if not n.dummy), default=0.3) for column in columns]
    lanes = [sum(1 for s in segments if s[0].column == c) for c in range(last + 1)]
    x, column_x, lane_x = 0.0, [], []
    for c in range(last + 1):
        column_x.append(x)
        x += box_w[c]
        if c < last:
            lane_x.append(x + label_w[c] + 0.18)
            x += label_w[c] + 0.18 + max(0.35, 0.07 * lanes[c] + 0.15) + 0.1
    width = x
    paths = []
    for c in range(last):
        leaving = [s for s in segments if s[0].column == c]
        # arrows going up turn left of those going down; among those going up the highest turns first,
        # among those going down the lowest: arrows moving the same way then never cross in the lane
        up = sorted((s for s in leaving if in_y(s[1], s) < out_y(s[0], s)), key=lambda s: out_y(s[0], s))
        down = sorted((s for s in leaving if in_y(s[1], s) >= out_y(s[0], s)), key=lambda s: -out_y(s[0], s))
        leaving = up + down
        span = max(0.35, 0.07 * lanes[c] + 0.15) - 0.1
        for i, segment in enumerate(leaving):
            segment_x = lane_x[c] + 0.05 + span * (i + 0.5) / max(len(leaving), 1)
            paths.append((segment, segment_x))
    jog = {id(s): jx for s, jx in paths}
    routes = []
    for edge in edges:
        points = []
        for a, b in zip(edge.nodes, edge.nodes[1:]):
            s = next(seg for seg in a.outs if seg[1] is b and seg[2] is edge)
            ya, yb = out_y(a, s), in_y(b, s)
            points.append((column_x[a.column] + (box_w[a.column] if not a.dummy or points else 0.0), ya))
            points += [(jog[id(s)], ya), (jog[id(s)], yb), (column_x[b.column], yb)]
        routes.append(points)
    return {"columns": columns, "column_x": column_x, "box_w": box_w, "width": width, "height": height,
            "routes": routes}


# --- drawing ------------------------------------------------------------------------------------------------


def _gid(node_id: tuple[str, str]) -> str:
    return f"{node_id[0]}:{node_id[1]}"


def _measurer(figure: Figure):
    renderer = figure.canvas.get_renderer()

    def measure(text: str, bold: bool = False, size: float = FONT_PT) -> tuple[float, float]:
        """Width and height of `text` in inches, as drawn."""
        artist = figure.text(0, 0, text, fontsize=size, linespacing=1.25, fontweight="bold" if bold else "normal")
        box = artist.get_window_extent(renderer)
        artist.remove()
        return box.width / DPI, box.height / DPI

    return measure


def menu_diagram_figure(scenario, funnel: dict | None = None, *, replications: int | None = None,
                        row_scale: float = 1.0) -> Figure:
    """The diagram as a matplotlib Figure (on an Agg canvas). `funnel` is a funnel document
    (simulated: kpis.json's "funnel") or None for the expected flows; `row_scale` < 1 cramps
    the layout (only the overlap test's control uses it)."""
    if scenario.ivr is None:
        raise ValueError("the scenario has no IVR")
    simulated = funnel is not None
    funnel = funnel if simulated else expected_funnel(scenario)
    nodes, edges = _graph(scenario, funnel)
    scratch = Figure(dpi=DPI)
    FigureCanvasAgg(scratch)
    measure = _measurer(scratch)
    layout = _layout(nodes, edges, measure, row_scale)
    margin, head = 0.3, 0.75
    how = (f"simulated calls per day, mean of {replications} replications" if simulated and replications else
           "simulated calls per day" if simulated else
           "expected calls per day from the menu's shares (no simulation; redials not included)")
    title = f"IVR menu: {_shorten(scenario.name, 90)}"
    subtitle = f"{how}; in brackets: share of the calls entering the IVR"
    # wide enough for the titles too (a small menu under a long scenario name)
    width = max(layout["width"], measure(title, bold=True, size=11)[0], measure(subtitle)[0]) + 2 * margin
    height = layout["height"] + margin + head
    figure = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(figure)
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_xlim(-margin, width - margin)
    ax.set_ylim(layout["height"] + margin, -head)  # y downwards, as laid out
    ax.axis("off")
    figure.text(margin / width, 1 - 0.12 / height, title, fontsize=11, fontweight="bold", va="top", gid="title")
    figure.text(margin / width, 1 - 0.42 / height, subtitle, fontsize=FONT_PT, color="#444444", va="top",
                gid="subtitle")
    for column, x in zip(layout["columns"], layout["column_x"]):
        for node in column:
            if node.dummy:
                continue
            fill, edge_colour = FILLS[node.id[0]]
            w = layout["box_w"][node.column]
            ax.add_patch(FancyBboxPatch((x, node.top), w, node.height, boxstyle="round,pad=0,rounding_size=0.06",
                                        facecolor=fill, edgecolor=edge_colour, linewidth=1.2, gid=f"box|{_gid(node.id)}"))
            title_w, title_h = measure(node.title, bold=True)
            _, lines_h = measure("\n".join(node.lines))
            y = node.top + (node.height - title_h - lines_h - 0.04) / 2
            ax.text(x + 0.1, y, node.title, fontsize=FONT_PT, fontweight="bold", va="top", ha="left",
                    gid=f"boxtitle|{_gid(node.id)}")
            ax.text(x + 0.1, y + title_h + 0.04, "\n".join(node.lines), fontsize=FONT_PT, linespacing=1.25,
                    va="top", ha="left", gid=f"boxtext|{_gid(node.id)}")
    biggest = max((edge.flow for edge in edges), default=1.0) or 1.0
    for edge, points in zip(edges, layout["routes"]):
        colour, style = ROUTE_STYLE.get(edge.kind, ("#444444", "-"))
        xs, ys = zip(*points)
        # the route as one polyline (gid names its ends: the overlap test reads it) and a head on its end
        ax.plot(xs, ys, color=colour, linestyle=style, linewidth=0.7 + 2.3 * max(edge.flow, 0.0) / biggest,
                solid_joinstyle="miter", zorder=1, gid=f"route|{_gid(edge.source)}|{_gid(edge.target)}")
        ax.add_patch(FancyArrowPatch((xs[-1] - 0.1, ys[-1]), (xs[-1], ys[-1]), arrowstyle="-|>", mutation_scale=9,
                                     color=colour, linewidth=0.8, shrinkA=0, shrinkB=0, zorder=2))
        ax.text(xs[0] + 0.06, ys[0] - 0.045, edge.label, fontsize=FONT_PT, linespacing=1.25, va="bottom", ha="left",
                color="#222222" if edge.kind in (OPTION, "enter", "announced") else colour,
                gid=f"label|{_gid(edge.source)}", zorder=3)
    return figure


def menu_diagram_png(scenario, funnel: dict | None = None, *, replications: int | None = None,
                     stamp: dict[str, str] | None = None) -> bytes:
    """The diagram as PNG bytes; `stamp` adds text chunks (e.g. the run's id)."""
    figure = menu_diagram_figure(scenario, funnel, replications=replications)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white",
                   metadata={"Title": f"IVR menu: {scenario.name}", "Software": "callsim", **(stamp or {})})
    figure.clear()
    return buffer.getvalue()


# --- the diagrams of a run, a comparison, a scenario file ---------------------------------------------


class NoIvrError(UserError):
    """A diagram was asked of a scenario without an IVR."""


def scenario_diagram(scenario, source: str) -> bytes:
    """The diagram of a scenario file's expected flows (`callsim diagram`); NoIvrError (one line)
    if it has no `ivr:` section."""
    if scenario.ivr is None:
        raise NoIvrError(f"{source}: has no 'ivr:' section, so there is no menu to draw; add one (see "
                         "docs/scenarios.md) or choose a scenario with an IVR")
    return menu_diagram_png(scenario)


def run_menu_diagram(result, funnel: dict | None) -> dict[str, bytes]:
    """{MENU_DIAGRAM_FILE: PNG} of a run of a scenario with an IVR ({} without one): the funnel's
    simulated flows (kpis.json's "funnel"), or the expected ones while the run has no funnel.
    Stamped with the run's id, like the other plots of the run."""
    from .run_plots import RUN_ID_KEY, result_run_id

    if result.scenario.ivr is None:
        return {}
    return {MENU_DIAGRAM_FILE: menu_diagram_png(result.scenario, funnel, replications=result.replications,
                                                stamp={RUN_ID_KEY: result_run_id(result)})}


def comparison_diagram_files(labels) -> list[str]:
    """The file names of a comparison's diagrams, one per scenario: ivr_menu_A.png, ivr_menu_B.png, ..."""
    from .compare_output import _letter

    return [f"{COMPARISON_DIAGRAM_PREFIX}{_letter(i)}.png" for i in range(len(labels))]


def _run_funnel(run) -> dict | None:
    """The simulated funnel of one run of a comparison (None without an IVR: expected flows)."""
    from .funnel_output import funnel_document

    return funnel_document(run)


def comparison_menu_diagrams(comparison) -> dict[str, bytes]:
    """One diagram per scenario of a comparison that has an IVR, {ivr_menu_<letter>.png: PNG},
    stamped like the comparison's other plots."""
    from .compare_plots import COMPARISON_ID_KEY, comparison_id

    stamp = {COMPARISON_ID_KEY: comparison_id(comparison.labels,
                                              [run.scenario.model_dump(mode="json") for run in comparison.runs],
                                              comparison.seed, comparison.replications)}
    return {name: menu_diagram_png(run.scenario, _run_funnel(run), replications=run.replications, stamp=stamp)
            for name, run in zip(comparison_diagram_files(comparison.labels), comparison.runs)
            if run.scenario.ivr is not None}
