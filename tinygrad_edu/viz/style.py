"""How each kind of node looks, and the colour scale of the gradient-flow view.

Tensors are ellipses, ops are boxes, constants are plain text. Among tensors the *role* decides
the look: parameters (leaves that require grad) are green with a thick border, inputs (leaves
that do not) are white and dashed, intermediate results are pale yellow, and the outputs are red
with a double border. In the gradient-flow view a parameter's fill is its gradient magnitude
instead, on a fixed logarithmic scale, so two drawings (a sigmoid net and a ReLU net) compare.
"""

from __future__ import annotations

import math
from typing import Optional

FONT = "Helvetica"

TENSOR_STYLES = {
    "parameter": dict(shape="ellipse", style="filled,bold", fillcolor="#b2f2bb",
                      color="#2b8a3e", penwidth="2.5"),
    "input": dict(shape="ellipse", style="filled,dashed", fillcolor="#ffffff", color="#495057"),
    "intermediate": dict(shape="ellipse", style="filled", fillcolor="#fff3bf", color="#868e96"),
}
OUTPUT_STYLE = dict(fillcolor="#ffc9c9", color="#c92a2a", peripheries="2")
OP_STYLE = dict(shape="box", style="filled,rounded", fillcolor="#d0ebff", color="#1c7ed6",
                fontsize="10")
CONSTANT_STYLE = dict(shape="plaintext", fontsize="9", fontcolor="#495057")
CONSTANT_EDGE = dict(style="dashed", color="#868e96", arrowsize="0.6")
CLUSTER_FILLS = ("#f8f9fa", "#f1f3f5", "#e9ecef")

# The gradient scale: one bin per decade of mean |grad| from 1e-7 to 1, plus the two ends.
GRAD_DECADES = list(range(-7, 1))           # lower edges 1e-7 ... 1e0 (as powers of ten)
# Cold and pale for vanishing gradients, darker and warmer as they grow.
_RAMP = ((0xd0, 0xeb, 0xff), (0xff, 0xe0, 0x66), (0xfd, 0x7e, 0x14), (0xc9, 0x2a, 0x2a),
         (0x5f, 0x3d, 0xc4))
ZERO_GRAD_COLOR = "#adb5bd"                # exactly 0: a dead unit, say
BAD_GRAD_COLOR = "#e64980"                  # nan or inf: never blends into the scale


def _interpolate(t: float) -> tuple:
    """A point of the ramp, t in [0, 1]."""
    t = min(max(t, 0.0), 1.0) * (len(_RAMP) - 1)
    i = min(int(t), len(_RAMP) - 2)
    f = t - i
    return tuple(round(a + (b - a) * f) for a, b in zip(_RAMP[i], _RAMP[i + 1]))


def _hex(rgb: tuple) -> str:
    return "#%02x%02x%02x" % rgb


def grad_bins() -> list:
    """(label, fill colour, text colour) of each bin of the scale, smallest first."""
    n = len(GRAD_DECADES) + 1
    bins = []
    for i in range(n):
        if i == 0:
            label = f"&lt;1e{GRAD_DECADES[0]}"
        else:
            label = f"1e{GRAD_DECADES[i - 1]}" if GRAD_DECADES[i - 1] else "\u22651"
        rgb = _interpolate(i / (n - 1))
        bins.append((label, _hex(rgb), text_color(rgb)))
    return bins


def grad_bin(magnitude: float) -> Optional[int]:
    """The bin index of a mean |grad| (None for 0, nan or inf, which have colours of their own)."""
    if not math.isfinite(magnitude) or magnitude <= 0:
        return None
    decade = math.floor(math.log10(magnitude))
    if decade < GRAD_DECADES[0]:
        return 0
    return min(decade - GRAD_DECADES[0] + 1, len(GRAD_DECADES))


def grad_color(magnitude: float) -> tuple:
    """(fill, font colour) of a parameter whose mean |grad| is ``magnitude``."""
    if not math.isfinite(magnitude):
        return BAD_GRAD_COLOR, "#ffffff"
    if magnitude == 0:
        return ZERO_GRAD_COLOR, "#000000"
    _, fill, font = grad_bins()[grad_bin(magnitude)]
    return fill, font


def text_color(rgb: tuple) -> str:
    """Black or white, whichever reads better on ``rgb``."""
    luminance = (0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]) / 255
    return "#000000" if luminance > 0.55 else "#ffffff"
