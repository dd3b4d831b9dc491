"""Figures for ``--plot``: matplotlib when it is installed, otherwise our own SVG for ``.svg``
paths (matplotlib is an optional extra), and a clear error for other formats."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

from ..utils import atomic_write

from .errors import CommandError
from .files import prepare_output
from .svg_chart import Panel, history_panels, write_chart_svg

INSTALL_MATPLOTLIB = "pip install 'tinygrad_edu[plot]' (or pip install matplotlib)"


def have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _without_matplotlib(path: Path, panels: Sequence[Panel]) -> Path:
    if path.suffix.lower() == ".svg":
        return write_chart_svg(path, panels)
    raise CommandError(f"cannot draw {path}: plotting to {path.suffix or 'this format'} needs "
                       f"matplotlib, which is not installed; {INSTALL_MATPLOTLIB}, or give a "
                       f"path ending in .svg (drawn without matplotlib)")


def _matplotlib_panels(path: Path, panels: Sequence[Panel]) -> Path:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(5 * len(panels), 3.6), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, panel in zip(axes, panels):
        for label, ys in panel.series.items():
            xs = list(panel.x) if panel.x is not None else list(range(1, len(ys) + 1))
            ax.plot(xs, ys, marker="o" if len(ys) <= 30 else None, label=label)
        if panel.log_y:
            ax.set_yscale("log")
        ax.set_title(panel.title)
        ax.set_xlabel(panel.xlabel)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))   # epochs and iterations
        ax.grid(alpha=0.3)
        ax.legend()
    fmt = path.suffix[1:].lower() or "png"
    try:
        with atomic_write(path) as out:
            fig.savefig(out, format=fmt, dpi=100)
    except ValueError as exc:   # matplotlib does not know the format
        raise CommandError(f"cannot draw {path}: {exc}") from None
    return path


def plot_panels(path: Any, panels: Sequence[Panel]) -> Path:
    """Draw ``panels`` into ``path``: with matplotlib if present, else as hand-made SVG."""
    path = prepare_output(path)
    if not have_matplotlib():
        return _without_matplotlib(path, panels)
    return _matplotlib_panels(path, panels)


def plot_history(path: Any, history: Any) -> Path:
    """A training ``History`` as loss and accuracy curves, training beside validation."""
    return plot_panels(path, history_panels(history.history))


def loss_panel(loss_history: Sequence[float], title: str = "loss",
               floor: float = 1e-32) -> Panel:
    """A log-scale panel of a solver's loss per iteration (zeros shown at ``floor``, so an
    exact solve still ends on the chart)."""
    values = [max(v, floor) if math.isfinite(v) else v for v in loss_history]
    return Panel(title, {"sum of squared residuals": values},
                 x=list(range(len(values))), xlabel="iteration", log_y=True)
