"""Reverse-mode automatic differentiation: the engine's public face.

``Function`` defines ops; ``backward`` and ``grad`` run the backward sweep; ``no_grad`` and
friends switch recording; ``gradcheck`` proves a backward right against central differences.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import numpy as np

from ..tensor import Tensor
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import run_backward
from .function import Function
from .gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_gradient
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = [
    "Function", "backward", "grad", "no_grad", "enable_grad", "set_grad_enabled",
    "is_grad_enabled", "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
    "gradcheck", "gradgradcheck", "numerical_gradient", "GradcheckError",
]

TensorOrTensors = Union[Tensor, Sequence[Tensor]]


def _as_list(x: Any, what: str) -> list:
    items = [x] if isinstance(x, Tensor) else list(x)
    for item in items:
        if not isinstance(item, Tensor):
            raise TypeError(f"{what} must be Tensors, got {type(item).__name__}")
    return items


def _seed_gradients(roots: list, given: Optional[Sequence[Any]], op: str) -> list:
    """The gradient each root starts with: the caller's, or 1 for a scalar root."""
    if given is None:
        given = [None] * len(roots)
    given = [given] if isinstance(given, Tensor) else list(given)
    if len(given) != len(roots):
        raise ValueError(f"{op}: got {len(given)} gradients for {len(roots)} outputs")
    seeds = []
    for root, g in zip(roots, given):
        if g is None:
            if root.data.size != 1:
                raise RuntimeError(
                    f"{op}: the output has shape {root.shape}, and a gradient can be implied only "
                    "for a scalar output; pass gradient= (d loss / d output, of the output's "
                    "shape) or reduce the output first, e.g. y.sum().backward()")
            seeds.append(Tensor._from_op(np.ones(root.data.shape, root.data.dtype)))
        else:
            g = g if isinstance(g, Tensor) else Tensor(np.asarray(g, dtype=root.dtype))
            if g.shape != root.shape:
                raise RuntimeError(f"{op}: the gradient has shape {g.shape} but the output has "
                                   f"shape {root.shape}; they must match")
            seeds.append(g)
    return seeds


def backward(tensors: TensorOrTensors, grad_tensors: Optional[Sequence[Any]] = None,
             retain_graph: Optional[bool] = None, create_graph: bool = False) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves they depend on.

    See ``Tensor.backward``; this form takes several outputs at once.
    """
    roots = _as_list(tensors, "backward(): the outputs")
    for root in roots:
        if not root.requires_grad:
            raise RuntimeError(
                "backward(): this tensor does not require grad and has no grad_fn, so there is "
                "nothing to differentiate. Create the leaves with requires_grad=True, and do not "
                "compute the loss under no_grad()")
    seeds = _seed_gradients(roots, grad_tensors, "backward()")
    run_backward(roots, seeds, retain_graph=create_graph if retain_graph is None else retain_graph,
                 create_graph=create_graph)


def grad(outputs: TensorOrTensors, inputs: TensorOrTensors,
         grad_outputs: Optional[Sequence[Any]] = None, retain_graph: Optional[bool] = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple:
    """The gradients of ``outputs`` with respect to ``inputs``, returned, not accumulated.

    ``.grad`` attributes are left untouched. With ``create_graph=True`` the returned gradients
    are themselves differentiable (for higher derivatives). An input the outputs do not depend on
    is an error unless ``allow_unused=True``, which gives None for it.
    """
    roots = _as_list(outputs, "grad(): the outputs")
    sources = _as_list(inputs, "grad(): the inputs")
    for i, source in enumerate(sources):
        if not source.requires_grad:
            raise RuntimeError(f"grad(): input {i} (shape {source.shape}) does not require grad; "
                               "create it with requires_grad=True")
    for root in roots:
        if not root.requires_grad:
            raise RuntimeError("grad(): an output does not require grad and has no grad_fn: it "
                               "does not depend on any input that requires grad")
    seeds = _seed_gradients(roots, grad_outputs, "grad()")
    result = run_backward(roots, seeds,
                          retain_graph=create_graph if retain_graph is None else retain_graph,
                          create_graph=create_graph, sources=sources)
    if not allow_unused:
        for i, g in enumerate(result):
            if g is None:
                raise RuntimeError(
                    f"grad(): input {i} (shape {sources[i].shape}) was not used to compute the "
                    "outputs; pass allow_unused=True to get None for it")
    return tuple(result)
