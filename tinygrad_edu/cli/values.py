"""Reading ``NAME=VALUE`` assignments (``--set w=0.5``, ``--initial x=1``) from the command line."""

from __future__ import annotations

import math
from typing import Dict, List, Sequence, Union

import numpy as np

from .errors import UsageError

Value = Union[float, np.ndarray]


def _number(text: str, option: str, item: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{option} {item!r}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise UsageError(f"{option} {item!r}: the value must be finite, got {text!r}")
    return value


def parse_assignments(items: Sequence[str], option: str, vectors: bool = False
                      ) -> Dict[str, Value]:
    """``["x=1", "w=0.5,1.5"]`` -> ``{"x": 1.0, "w": array([0.5, 1.5])}`` (comma lists only when
    ``vectors``). A malformed item, a bad name or a repeated name is a usage error."""
    values: Dict[str, Value] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not text.strip():
            raise UsageError(f"{option} expects NAME=VALUE items, got {item!r} "
                             f"(example: {option} x=1 y=2)")
        if not name.isidentifier():
            raise UsageError(f"{option} {item!r}: {name!r} is not a variable name")
        if name in values:
            raise UsageError(f"{option} gives {name!r} twice")
        parts: List[str] = text.split(",")
        if len(parts) > 1 and not vectors:
            raise UsageError(f"{option} {item!r}: give one number per name")
        numbers = [_number(p.strip(), option, item) for p in parts]
        values[name] = numbers[0] if len(numbers) == 1 else np.array(numbers, dtype=np.float32)
    return values
