"""Line charts written as plain SVG text, so that a curve can be drawn with no plotting library.

matplotlib is an optional extra; the demo must still show its loss curve after a bare
``pip install``. An SVG is just XML: an axis box, tick labels and one ``<polyline>`` per series.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union
from xml.sax.saxutils import escape

from .files import write_text

COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728")
WIDTH, HEIGHT = 380, 270                  # one panel
LEFT, RIGHT, TOP, BOTTOM = 62, 16, 30, 44  # margins around the plotting area


@dataclass
class Panel:
    """One chart: ``series`` maps a label to its y values, plotted against ``x`` (default
    1, 2, ...). ``log_y`` uses a logarithmic y axis (non-positive values are left out)."""

    title: str
    series: Dict[str, Sequence[float]]
    x: Optional[Sequence[float]] = None
    xlabel: str = "epoch"
    log_y: bool = False


def nice_ticks(lo: float, hi: float, count: int = 5) -> List[float]:
    """About ``count`` round numbers (1, 2 or 5 times a power of ten apart) covering [lo, hi]."""
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / max(count - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = min((m * power for m in (1, 2, 5, 10)), key=lambda s: abs(math.log(s / raw)))
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    return [k * step for k in range(first, last + 1)]


def _label(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1e4 or abs(value) < 1e-3:
        return f"{value:.0e}".replace("e+0", "e").replace("e-0", "e-")
    return f"{value:.4g}"


def _y_range(values: List[float], log_y: bool) -> Tuple[float, float]:
    lo, hi = min(values), max(values)
    if log_y:
        lo, hi = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
        return (lo - 1, hi) if lo == hi else (lo, hi)
    if lo == hi:
        pad = abs(lo) * 0.1 or 1.0
        return lo - pad, hi + pad
    pad = (hi - lo) * 0.05
    return lo - pad, hi + pad


def _panel_svg(panel: Panel, left: float) -> List[str]:
    """SVG elements of one panel whose box starts at x = ``left``."""
    x0, y0 = left + LEFT, TOP
    w, h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    out = [f'<text x="{left + WIDTH / 2:.1f}" y="18" text-anchor="middle" font-size="13" '
           f'font-weight="bold">{escape(panel.title)}</text>',
           f'<rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="#ffffff" '
           f'stroke="#495057"/>']
    # (label, xs, ys) with only the points that can be drawn
    lines = []
    for label, ys in panel.series.items():
        xs = list(panel.x) if panel.x is not None else list(range(1, len(ys) + 1))
        pts = [(float(a), float(b)) for a, b in zip(xs, ys)
               if math.isfinite(float(b)) and (not panel.log_y or float(b) > 0)]
        lines.append((label, pts))
    every = [p for _, pts in lines for p in pts]
    if not every:
        out.append(f'<text x="{x0 + w / 2:.1f}" y="{y0 + h / 2:.1f}" text-anchor="middle" '
                   f'font-size="12">no finite values to plot</text>')
        return out
    xlo, xhi = min(p[0] for p in every), max(p[0] for p in every)
    if xlo == xhi:
        xlo, xhi = xlo - 1, xhi + 1
    ylo, yhi = _y_range([p[1] for p in every], panel.log_y)

    def sx(v: float) -> float:
        return x0 + (v - xlo) / (xhi - xlo) * w

    def sy(v: float) -> float:
        t = math.log10(v) if panel.log_y else v
        return y0 + h - (t - ylo) / (yhi - ylo) * h

    xticks = [t for t in nice_ticks(xlo, xhi) if float(t).is_integer()] or [xlo, xhi]
    for t in xticks:
        px = sx(t)
        out.append(f'<line x1="{px:.1f}" y1="{y0}" x2="{px:.1f}" y2="{y0 + h}" '
                   f'stroke="#e9ecef"/>')
        out.append(f'<text x="{px:.1f}" y="{y0 + h + 16}" text-anchor="middle" '
                   f'font-size="11">{_label(t)}</text>')
    if panel.log_y:
        exps = list(range(int(ylo), int(yhi) + 1))
        stride = max(1, math.ceil(len(exps) / 6))
        yticks = [(10.0 ** e, f"1e{e}") for e in exps[::stride]]
    else:
        yticks = [(t, _label(t)) for t in nice_ticks(ylo, yhi)]
    for value, text in yticks:
        py = sy(value)
        out.append(f'<line x1="{x0}" y1="{py:.1f}" x2="{x0 + w}" y2="{py:.1f}" '
                   f'stroke="#e9ecef"/>')
        out.append(f'<text x="{x0 - 6}" y="{py + 4:.1f}" text-anchor="end" '
                   f'font-size="11">{escape(text)}</text>')
    out.append(f'<text x="{x0 + w / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle" '
               f'font-size="12">{escape(panel.xlabel)}</text>')
    for i, (label, pts) in enumerate(lines):
        color = COLORS[i % len(COLORS)]
        if len(pts) > 1:
            coords = " ".join(f"{sx(a):.2f},{sy(b):.2f}" for a, b in pts)
            out.append(f'<polyline points="{coords}" fill="none" stroke="{color}" '
                       f'stroke-width="2"/>')
        if len(pts) <= 30:
            out += [f'<circle cx="{sx(a):.2f}" cy="{sy(b):.2f}" r="2.5" fill="{color}"/>'
                    for a, b in pts]
    # The legend goes in the right-hand corner the curves leave free: where they end is the
    # crowded side (the top for a rising accuracy, the bottom for a falling loss).
    ends = [sy(pts[-1][1]) for _, pts in lines if pts]
    high = sum(ends) / len(ends) < y0 + h / 2
    box_h = 8 + 16 * len(lines)
    top = y0 + h - box_h - 6 if high else y0 + 6
    out.append(f'<rect x="{x0 + w - 100}" y="{top}" width="94" height="{box_h}" fill="#ffffff" '
               f'fill-opacity="0.85" stroke="#ced4da"/>')
    for i, (label, _) in enumerate(lines):
        color = COLORS[i % len(COLORS)]
        ly = top + 16 + 16 * i
        out.append(f'<line x1="{x0 + w - 94}" y1="{ly - 4}" x2="{x0 + w - 76}" y2="{ly - 4}" '
                   f'stroke="{color}" stroke-width="2"/>')
        out.append(f'<text x="{x0 + w - 72}" y="{ly}" font-size="11">{escape(label)}</text>')
    return out


def chart_svg(panels: Sequence[Panel]) -> str:
    """The SVG document with ``panels`` side by side."""
    if not panels:
        raise ValueError("chart_svg: give at least one panel")
    width = WIDTH * len(panels)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{HEIGHT}" '
             f'viewBox="0 0 {width} {HEIGHT}" font-family="Helvetica, Arial, sans-serif">',
             f'<rect width="{width}" height="{HEIGHT}" fill="#ffffff"/>']
    for i, panel in enumerate(panels):
        parts += _panel_svg(panel, i * WIDTH)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_chart_svg(path: Union[str, Path], panels: Sequence[Panel]) -> Path:
    """Write the chart to ``path`` atomically."""
    return write_text(path, chart_svg(panels))


def history_panels(history: dict) -> List[Panel]:
    """Panels for a training ``History.history``: loss, then accuracy, each with its
    validation curve when there is one."""
    panels = []
    for name in ("loss", "accuracy"):
        series = {label: history[key] for key, label in ((name, "train"),
                                                         ("val_" + name, "held-out"))
                  if key in history}
        if series:
            panels.append(Panel(name, series))
    return panels
