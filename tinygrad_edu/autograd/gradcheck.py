"""Checking analytic gradients against central differences.

The numerical derivative ``(f(x + h) - f(x - h)) / 2h`` has an error of order h^2, so in float64
with h = 1e-6 it agrees with a correct analytic gradient to about 1e-8 for well-scaled functions;
a wrong backward is off by far more. Every op's property test rests on this.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, Union

import numpy as np

from ..tensor import Tensor
from .grad_mode import enable_grad, no_grad


class GradcheckError(RuntimeError):
    """An analytic gradient disagrees with the numerical one."""


def numerical_gradient(f: Callable[..., Any], x: Union[Tensor, np.ndarray],
                       eps: float = 1e-6) -> np.ndarray:
    """The gradient of the scalar ``f(x)`` with respect to ``x`` by central differences.

    Each element of ``x`` is moved by +eps and -eps in turn and put back exactly as it was, so
    ``x`` is unchanged afterwards. For a Tensor, the work is done in float64 (a float32 tensor's
    data is swapped for a float64 copy meanwhile); an ndarray is perturbed in place, so give a
    float64 one. This is the textbook method: slow (two calls of ``f`` per element), but simple
    enough to trust.
    """
    if isinstance(x, Tensor):
        original = x.data
        work = original.astype(np.float64)  # always a copy
        x.data = work
    else:
        original = None
        work = x
        if not np.issubdtype(work.dtype, np.floating):
            raise TypeError(f"numerical_gradient: x must hold floats, got dtype {work.dtype}")
    grad = np.zeros(work.shape, dtype=np.float64)
    try:
        with no_grad():
            flat = work.reshape(-1)  # a view: writing it perturbs x
            if not np.shares_memory(flat, work) and work.size:
                raise ValueError("numerical_gradient: x must be contiguous to be perturbed in place")
            grad_flat = grad.reshape(-1)
            for i in range(flat.size):
                kept = flat[i]
                flat[i] = kept + eps
                plus = _scalar(f(x))
                flat[i] = kept - eps
                minus = _scalar(f(x))
                flat[i] = kept
                grad_flat[i] = (plus - minus) / (2 * eps)
    finally:
        if original is not None:
            x.data = original
    return grad


def _scalar(value: Any) -> float:
    data = value.data if isinstance(value, Tensor) else np.asarray(value)
    if data.size != 1:
        raise ValueError(f"numerical_gradient: f must return a scalar, got shape {data.shape}; "
                         "reduce it first (e.g. .sum())")
    return float(data.reshape(()))


def _as_tuple(x: Any) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def gradcheck(fn: Callable[..., Any], inputs: Union[Tensor, Sequence[Any]], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3,
              grad_outputs: Optional[Sequence[Any]] = None, seed: int = 0) -> bool:
    """Check ``fn``'s gradients for every input that requires grad against central differences.

    ``fn(*inputs)`` returns a Tensor or a tuple of Tensors. It is reduced to a scalar as
    ``sum(output * v)``, where ``v`` is ``grad_outputs`` or a random normal array (seeded by
    ``seed``), so a backward that is only right for an all-ones upstream gradient still fails.
    Float inputs are checked in float64 (float32 ones are copied). Returns True, or raises
    ``GradcheckError`` naming the input, the element, both values and their difference.
    """
    inputs = tuple(_float64_copy(x) for x in _as_tuple(inputs))
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check; "
                         "create the inputs with requires_grad=True")
    outputs = _as_tuple(fn(*inputs))
    rng = np.random.default_rng(seed)
    if grad_outputs is None:
        weights = [rng.standard_normal(np.shape(out.data)) for out in outputs]
    else:
        weights = [np.asarray(w.data if isinstance(w, Tensor) else w, dtype=np.float64)
                   for w in _as_tuple(grad_outputs)]

    def objective(*args: Any) -> Tensor:
        total = Tensor(np.float64(0.0))
        for out, w in zip(_as_tuple(fn(*args)), weights):
            total = total + (out * w).sum()
        return total

    from . import grad as autograd_grad
    analytic = autograd_grad(objective(*inputs), [inputs[i] for i in checked], allow_unused=True)
    for i, computed in zip(checked, analytic):
        x = inputs[i]
        expected = numerical_gradient(lambda _x: objective(*inputs), x, eps)
        got = np.zeros_like(expected) if computed is None else computed.data.astype(np.float64)
        _compare(got, expected, i, x, atol, rtol)
    return True


def _compare(got: np.ndarray, expected: np.ndarray, position: int, x: Tensor, atol: float,
             rtol: float, what: str = "gradient") -> None:
    bad = ~(np.abs(got - expected) <= atol + rtol * np.abs(expected))
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        label = f"input {position}" + (f" ({x.name!r})" if x.name else "")
        a, n = float(got[index]), float(expected[index])
        raise GradcheckError(
            f"gradcheck: the analytic {what} of {label}, shape {x.shape}, disagrees with the "
            f"numerical one at index {index}: analytic {a!r}, numerical {n!r}, difference "
            f"{a - n!r} (atol={atol}, rtol={rtol}; {int(bad.sum())} of {bad.size} elements differ)")


def _float64_copy(x: Any) -> Any:
    if isinstance(x, Tensor) and x.dtype.kind == "f":
        return Tensor(x.data.astype(np.float64), requires_grad=x.requires_grad, name=x.name)
    return x


def gradgradcheck(fn: Callable[..., Any], inputs: Union[Tensor, Sequence[Any]],
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  grad_outputs: Optional[Sequence[Any]] = None, seed: int = 0) -> bool:
    """Check second derivatives: ``gradcheck`` of the first-order gradients of ``fn``.

    The first-order gradients are computed with ``create_graph=True`` for a random upstream
    gradient ``v`` (which is itself an input of the checked function, so the derivative with
    respect to ``v`` is checked too).
    """
    inputs = tuple(_float64_copy(x) for x in _as_tuple(inputs))
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    outputs = _as_tuple(fn(*inputs))
    rng = np.random.default_rng(seed + 1)
    if grad_outputs is None:
        vs = [Tensor(rng.standard_normal(np.shape(o.data)), requires_grad=True) for o in outputs]
    else:
        vs = [Tensor(np.asarray(getattr(v, "data", v), dtype=np.float64), requires_grad=True)
              for v in _as_tuple(grad_outputs)]
    count = len(inputs)

    def first_order(*args: Any) -> tuple:
        xs, v = args[:count], args[count:]
        # The numerical pass runs under no_grad; the first-order gradients need a graph anyway.
        with enable_grad():
            total = Tensor(np.float64(0.0))
            for out, w in zip(_as_tuple(fn(*xs)), v):
                total = total + (out * w).sum()
            from . import grad as autograd_grad
            grads = autograd_grad(total, [xs[i] for i in checked], create_graph=True,
                                  allow_unused=True)
        return tuple(g if g is not None else (xs[i] * 0.0) for g, i in zip(grads, checked))

    return gradcheck(first_order, inputs + tuple(vs), eps=eps, atol=atol, rtol=rtol, seed=seed)
