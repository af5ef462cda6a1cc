"""No label under a line (issue 13): in every comparison plot, and in the run plots, no text
drawn inside a panel is crossed by a line of that panel (a target, the 0 line, a grid line, an
error bar). Checked from the artists' bounding boxes after drawing, in display coordinates; a
control with a label placed on a target line must be caught."""
from __future__ import annotations

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

import presentation.run_plots as run_plots_module
from simulator import load_scenario
from simulator.run import run_scenario
from presentation.compare_plots import difference_plot, interval_difference_plot, kpi_bars, queue_bars
from studies.compare import compare_scenarios
from helpers import HELP_DESK, IVR_BROAD, IVR_DEEP, SCENARIO_DIR


def _line_paths(ax):
    """(display-coordinate path, only markers?) of every line drawn in the panel."""
    for line in [*ax.lines, *ax.get_xgridlines(), *ax.get_ygridlines()]:
        if not line.get_visible():
            continue
        path = line.get_transform().transform_path(line.get_path())
        yield path, line.get_linestyle() in ("None", "none", " ", "")
    for collection in ax.collections:
        if isinstance(collection, LineCollection) and collection.get_visible():
            transform = collection.get_transform()
            for path in collection.get_paths():
                yield transform.transform_path(path), False


def labels_under_lines(figure: Figure) -> list[tuple[str, str]]:
    """(panel title, text) of every text inside a panel that a line of the panel crosses."""
    canvas = figure.canvas if isinstance(figure.canvas, FigureCanvasAgg) else FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    hits = []
    for ax in figure.get_axes():
        if not ax.get_visible():
            continue
        panel = ax.get_window_extent(renderer)
        texts = [t for t in ax.texts if t.get_visible() and t.get_text().strip()]
        for text in texts:
            box = Bbox.intersection(text.get_window_extent(renderer), panel)
            if box is None:
                continue
            for path, markers_only in _line_paths(ax):
                if markers_only:
                    crossed = any(box.contains(x, y) for x, y in path.vertices)
                else:
                    crossed = path.intersects_bbox(box, filled=False)
                if crossed:
                    hits.append((ax.get_title(loc="left") or ax.get_title(), text.get_text()))
                    break
    return hits


def test_the_check_catches_a_label_on_a_target_line():
    """Negative control: the old compare_kpis.png placed the value just above the bar, where the
    80% target line crossed a 76% bar's label."""
    figure = Figure(figsize=(4, 3))
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    ax.bar([0], [0.76], yerr=[[0.01], [0.012]])
    ax.axhline(0.8, linestyle="--")
    ax.set_ylim(0, 1)
    ax.text(0, 0.772, "76.1%", ha="center", va="bottom", fontsize=8)  # as kpi_bars used to
    assert labels_under_lines(figure) == [("", "76.1%")]
    clear = Figure(figsize=(4, 3))
    FigureCanvasAgg(clear)
    ax = clear.subplots()
    ax.axhline(0.8)
    ax.set_ylim(0, 1)
    ax.text(0, 0.3, "clear of the line", ha="center")
    assert labels_under_lines(clear) == []


@pytest.fixture(scope="module")
def comparisons():
    ivr = compare_scenarios([load_scenario(IVR_DEEP), load_scenario(IVR_BROAD)], ["deep", "broad"], replications=3,
                            seed=2)
    three = compare_scenarios([load_scenario(SCENARIO_DIR / "callback_peak_off.yaml"),
                               load_scenario(SCENARIO_DIR / "callback_peak_on.yaml"), load_scenario(HELP_DESK)],
                              ["off", "on", "desk"], replications=3, seed=2, all_pairs=True)
    return ivr, three


@pytest.mark.parametrize("plot", [kpi_bars, difference_plot, queue_bars, interval_difference_plot])
def test_no_comparison_plot_has_a_label_under_a_line(comparisons, plot):
    drawn = 0
    for c in comparisons:
        figure = plot(c)
        if figure is None:  # one queue only, or days laid out differently
            continue
        drawn += 1
        assert labels_under_lines(figure) == [], plot.__name__
    assert drawn >= 1


def test_no_run_plot_has_a_label_under_a_line(monkeypatch):
    figures = []
    monkeypatch.setattr(run_plots_module, "_png", lambda figure, result, title: figures.append(figure) or b"")
    for scenario in (load_scenario(HELP_DESK), load_scenario(HELP_DESK).with_staffing({"support team": [60] * 8})):
        run_plots_module.run_plots(run_scenario(scenario, replications=2, seed=1))
    assert len(figures) >= 8
    for figure in figures:
        assert labels_under_lines(figure) == []


def _legend_overhang_px(figure: Figure) -> float:
    """How far (pixels) any legend of the figure reaches past the figure's left or right edge."""
    canvas = figure.canvas if isinstance(figure.canvas, FigureCanvasAgg) else FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    width = figure.bbox.width
    legends = [legend for sub in [figure, *figure.subfigs] for legend in sub.legends]
    assert legends, "the figure has no legend to check"
    extents = [legend.get_window_extent(renderer) for legend in legends]
    return max(max(0.0, -box.x0, box.x1 - width) for box in extents)


def test_long_scenario_names_wrap_the_legend_instead_of_running_off_the_figure(monkeypatch):
    """Four scenarios with 60-character names: the legend of every comparison plot stays inside
    the figure. Control: the old fixed column count runs past the right edge."""
    import presentation.compare_plots as compare_plots_module

    base = load_scenario(HELP_DESK)
    names = [f"help desk variant {k} with a long descriptive scenario name here" for k in range(4)]
    c = compare_scenarios([base] * 4, names, replications=2, seed=3)
    figures = [kpi_bars(c), queue_bars(c), difference_plot(c)]
    assert all(_legend_overhang_px(f) == 0.0 for f in figures if f is not None)

    def fixed_columns(body, handles, most_columns, fontsize=9):
        body.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), most_columns),
                    frameon=False, fontsize=fontsize)

    monkeypatch.setattr(compare_plots_module, "figure_legend", fixed_columns)
    assert _legend_overhang_px(kpi_bars(c)) > 0.0
