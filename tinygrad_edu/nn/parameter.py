"""``Parameter``: a tensor that a ``Module`` learns.

Assigning a Parameter to a Module attribute registers it, so ``model.parameters()`` finds it for
the optimizer; a plain Tensor assigned the same way is just data.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import DTypeLike, Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad and belongs to a Module.

    Args:
        data: anything ``Tensor`` accepts; an ndarray or Tensor is used without copying when it
            already has the dtype.
        requires_grad: False freezes it (it is still a parameter, saved in ``state_dict``).
        dtype: float32 by default, whatever ``data`` holds, so that a float64 array from
            ``np.random`` does not silently turn a model into float64; pass ``np.float64``
            explicitly to get float64 (e.g. for gradient checking).
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True,
                 dtype: DTypeLike = np.float32) -> None:
        super().__init__(data, requires_grad=False, dtype=dtype)
        if self.data.dtype.kind != "f":
            raise TypeError(f"Parameter: dtype must be floating point, got {self.data.dtype}")
        self.requires_grad = requires_grad

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
