"""Node labels as Graphviz HTML-like labels: every piece of user text escaped and shortened.

HTML-like labels (``<...>``) are used rather than record labels because escaping them is one
well-defined step (``&``, ``<``, ``>``, quotes), where record labels also give meaning to
``{ } |`` and backslashes. Control characters are spelled out (``\\n``), so a name with a
newline or a quote can never break the diagram.
"""

from __future__ import annotations

import html
from typing import Any, Optional

import numpy as np

MAX_TEXT = 40          # characters of a name or option shown before it is shortened
MAX_SHOWN_VALUES = 6   # arrays with more elements are summarized (mean, min, max)


def shorten(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` cut in the middle to ``limit`` characters (both ends of a name say the most)."""
    if len(text) <= limit:
        return text
    head = (limit - 1) * 2 // 3
    tail = limit - 1 - head
    return text[:head] + "\u2026" + text[len(text) - tail:]


def escape(text: Any, limit: Optional[int] = MAX_TEXT) -> str:
    """``text`` safe inside an HTML-like label: shortened, control characters spelled out,
    markup characters escaped."""
    text = str(text)
    text = "".join(_visible(ch) for ch in text)
    if limit is not None:
        text = shorten(text, limit)
    return html.escape(text, quote=True)


def _visible(ch: str) -> str:
    code = ord(ch)
    if ch == "\n":
        return "\\n"
    if ch == "\t":
        return "\\t"
    if code < 32 or code == 127 or 0xD800 <= code <= 0xDFFF:
        return f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"
    return ch


def html_label(lines: list) -> str:
    """A label from already escaped lines; the first is bold when ``lines[0]`` is a title."""
    return "<" + "<br/>".join(lines) + ">"


def bold(escaped: str) -> str:
    return f"<b>{escaped}</b>"


def small(escaped: str) -> str:
    return f'<font point-size="9">{escaped}</font>'


def number(x: Any) -> str:
    """A number in at most 4 significant digits."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.4g}"
    return str(x)


def shape_text(shape: Optional[tuple], dtype: Any = None) -> str:
    """``(3, 4) float32``; a 0-d tensor reads ``scalar float32``."""
    parts = []
    if shape is not None:
        parts.append("scalar" if shape == () else "(" + ", ".join(map(str, shape)) +
                     ("," if len(shape) == 1 else "") + ")")
    if dtype is not None:
        parts.append(str(dtype))
    return " ".join(parts)


def array_text(data: np.ndarray) -> str:
    """The values of a small array, or ``mean / min / max`` of a big one (never all of it)."""
    data = np.asarray(data)
    if data.size == 0:
        return "empty"
    if data.size <= MAX_SHOWN_VALUES:
        if data.ndim == 0:
            return number(data.item())
        flat = ", ".join(number(v) for v in data.ravel().tolist())
        return f"[{flat}]" if data.ndim == 1 else f"[{flat}] as {shape_text(data.shape)}"
    if data.dtype.kind in "biuf":
        values = data.astype(np.float64, copy=False)
        with np.errstate(all="ignore"):
            return (f"mean {number(values.mean())}  min {number(values.min())}  "
                    f"max {number(values.max())}")
    return f"{data.dtype} array"


def option_text(value: Any) -> str:
    """An op option (``axis``, ``shape``, an index...) in a few characters; large arrays such as
    index arrays are summarized by shape and dtype."""
    if isinstance(value, np.ndarray):
        if value.size <= MAX_SHOWN_VALUES:
            return array_text(value)
        return f"array{shape_text(value.shape)} {value.dtype}"
    if isinstance(value, slice):
        parts = ["" if v is None else option_text(v) for v in (value.start, value.stop)]
        text = ":".join(parts)
        return text if value.step is None else f"{text}:{option_text(value.step)}"
    if value is Ellipsis:
        return "..."
    if isinstance(value, tuple):
        inner = ", ".join(option_text(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(option_text(v) for v in value) + "]"
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return np.dtype(value).name
    if hasattr(value, "shape") and hasattr(value, "dtype"):   # a Tensor used as an index
        return option_text(np.asarray(value))
    return number(value)
