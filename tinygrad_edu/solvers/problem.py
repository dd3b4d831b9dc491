"""A residual function seen as r: R^n -> R^m, with its Jacobian from our reverse-mode autodiff."""

from __future__ import annotations

import numbers
from typing import Any, Callable, List, Sequence, Tuple, Union

import numpy as np

from .. import autograd
from ..autograd.grad_mode import enable_grad, no_grad
from ..tensor import Tensor

ResidualFn = Callable[..., Any]


class Problem:
    """``residuals`` and the start ``x0``, in one of two calling conventions.

    * ``x0`` a list/tuple of numbers (or one number): the function gets that many scalar
      Tensors, ``residuals(x, y)``.
    * ``x0`` a 1-D ndarray or Tensor: the function gets one vector Tensor, ``residuals(v)``.

    The function returns a Tensor (any shape) or a list of Tensors/numbers; they are flattened
    and concatenated into the residual vector r.
    """

    def __init__(self, residuals: ResidualFn, x0: Any) -> None:
        if not callable(residuals):
            raise TypeError(f"least_squares: residuals must be a function, got "
                            f"{type(residuals).__name__}")
        self.fn = residuals
        if isinstance(x0, (Tensor, np.ndarray)):
            start = np.array(x0.data if isinstance(x0, Tensor) else x0, dtype=np.float64)
            if start.ndim != 1:
                raise ValueError(f"least_squares: x0 must be 1-D (one entry per unknown), got "
                                 f"shape {start.shape}; flatten it and reshape inside residuals")
            self.vector = True
        else:
            items = [x0] if isinstance(x0, numbers.Real) else list(x0)
            for item in items:
                if not isinstance(item, numbers.Real) or isinstance(item, bool):
                    raise TypeError(f"least_squares: x0 must be numbers or a 1-D array, got an "
                                    f"item {item!r} of type {type(item).__name__}")
            start = np.array(items, dtype=np.float64)
            self.vector = False
        if start.size == 0:
            raise ValueError("least_squares: x0 is empty: there must be at least one unknown")
        self.x0 = start
        self.n = start.size

    # --- calling the function ------------------------------------------------------------------
    def leaves(self, x: np.ndarray, dtype: Any = np.float64, requires_grad: bool = False
               ) -> List[Tensor]:
        """The Tensors handed to the function for the point ``x``."""
        x = np.asarray(x, dtype=dtype)
        if self.vector:
            return [Tensor(x.copy(), requires_grad=requires_grad)]
        return [Tensor(np.array(v, dtype=dtype), requires_grad=requires_grad) for v in x]

    def parts(self, leaves: Sequence[Tensor]) -> List[Tensor]:
        """The function's output as a list of Tensors (of any shape; r is their elements)."""
        out = self.fn(*leaves)
        items = list(out) if isinstance(out, (list, tuple)) else [out]
        if not items:
            raise ValueError("least_squares: the residual function returned no residuals")
        parts = []
        for item in items:
            if not isinstance(item, Tensor):
                item = Tensor(np.asarray(item, dtype=np.float64))
            if item.dtype.kind not in "fiub":
                raise TypeError(f"least_squares: residuals must be real numbers, got dtype "
                                f"{item.dtype}")
            parts.append(item)
        return parts

    def export(self, x: np.ndarray) -> Union[List[float], np.ndarray]:
        """``x`` in the convention of ``x0``: a list of floats or an ndarray."""
        return np.array(x, dtype=np.float64) if self.vector else [float(v) for v in x]

    # --- values and derivatives ----------------------------------------------------------------
    def residuals(self, x: np.ndarray) -> np.ndarray:
        """r(x) in float64, without recording a graph."""
        with no_grad(), np.errstate(all="ignore"):
            parts = self.parts(self.leaves(x))
        return flat_values(parts)

    def residuals_and_jacobian(self, x: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """r(x) and J(x) = dr/dx (m x n) in float64: one backward pass per residual, each
        seeded with a unit vector, so row i is the gradient of r_i."""
        leaves = self.leaves(x, requires_grad=True)
        with enable_grad(), np.errstate(all="ignore"):
            parts = self.parts(leaves)
            r = flat_values(parts)
            jac = np.zeros((r.size, self.n))
            row = 0
            for part in parts:
                if not part.requires_grad:       # a constant residual: a zero row
                    row += part.size
                    continue
                for j in range(part.size):
                    seed = np.zeros(part.shape, dtype=part.dtype)
                    seed.flat[j] = 1
                    grads = autograd.grad(part, leaves, grad_outputs=[seed], retain_graph=True,
                                          allow_unused=True)
                    jac[row] = np.concatenate([
                        np.zeros(leaf.size) if g is None else np.ravel(g.data)
                        for g, leaf in zip(grads, leaves)])
                    row += 1
        return r, jac


def flat_values(parts: Sequence[Tensor]) -> np.ndarray:
    """The residual vector r: every element of every part, in order, as float64."""
    return np.concatenate([np.ravel(p.data).astype(np.float64) for p in parts])


def sum_of_squares(parts: Sequence[Tensor]) -> Tensor:
    """sum(r^2) as a Tensor, built with as few ops as the parts allow (0-d parts need no sum)."""
    total = None
    for p in parts:
        square = p * p
        if square.ndim:
            square = square.sum()
        total = square if total is None else total + square
    return total
