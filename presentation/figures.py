"""Matplotlib figures without pyplot: a constrained-layout figure on the Agg canvas, and its PNG."""
from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 100


def new_figure(width: float, height: float, columns: int = 1, rows: int = 1, sharex: bool = False):
    """A figure of `rows` x `columns` axes: (figure, [axes, ...]) row by row."""
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure, list(figure.subplots(rows, columns, squeeze=False, sharex=sharex).ravel())


def png_bytes(figure: Figure, title: str, stamp: dict[str, str] | None = None) -> bytes:
    """The figure as PNG bytes; `stamp` adds text chunks (e.g. {COMPARISON_ID_KEY: id})."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white",
                   metadata={"Title": title, "Software": "callsim", **(stamp or {})})
    figure.clear()
    return buffer.getvalue()
