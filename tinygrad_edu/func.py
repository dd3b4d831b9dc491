"""Functional transforms in the spirit of ``torch.func`` and JAX: functions in, functions out.

``grad(f)(x)`` is df/dx as a new function; because the transforms call the engine with
``create_graph`` whenever their inputs are themselves being differentiated, they compose:
``grad(grad(f))`` is the second derivative and ``hessian(f) == jacobian(grad(f))``.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence, Tuple, Union

import numpy as np

from . import autograd
from .autograd.grad_mode import enable_grad
from .tensor import Tensor

ArgNums = Union[int, Sequence[int]]


def _prepare(args: tuple, argnums: ArgNums, fname: str) -> Tuple[list, tuple, bool]:
    """Make the differentiated arguments into tensors that require grad.

    A tensor that already requires grad is used as it is, so that an enclosing transform can
    differentiate through this one (``nested`` tells the caller to build a graph).
    """
    positions = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    args = list(args)
    nested = False
    for p in positions:
        if not -len(args) <= p < len(args):
            raise ValueError(f"{fname}: argnums {argnums} is out of range for {len(args)} "
                             "positional argument(s)")
        x = args[p]
        if isinstance(x, Tensor) and x.requires_grad:
            nested = True
            continue
        data = x.data if isinstance(x, Tensor) else np.asarray(x)
        if data.dtype.kind != "f":
            data = data.astype(np.float32 if data.dtype.kind in "iub" else np.float64)
        args[p] = Tensor(data, requires_grad=True)
    return args, positions, nested


def _scalar_output(out: Any, fname: str) -> Tensor:
    if not isinstance(out, Tensor):
        raise TypeError(f"{fname}: the function must return a Tensor, got {type(out).__name__}")
    if out.size != 1:
        raise ValueError(f"{fname}: the function must return a scalar, got shape {out.shape}; "
                         "use jacobian() or vjp() for non-scalar outputs")
    return out


def value_and_grad(f: Callable[..., Tensor], argnums: ArgNums = 0) -> Callable[..., tuple]:
    """A function returning ``(f(*args), df/d args[argnums])`` for a scalar-valued ``f``."""

    def wrapped(*args: Any, **kwargs: Any) -> tuple:
        args, positions, nested = _prepare(args, argnums, "value_and_grad")
        with enable_grad():
            value = _scalar_output(f(*args, **kwargs), "value_and_grad")
            sources = [args[p] for p in positions]
            if not value.requires_grad:
                grads = tuple(Tensor(np.zeros_like(s.data)) for s in sources)
            else:
                grads = autograd.grad(value, sources, create_graph=nested, allow_unused=True)
                grads = tuple(Tensor(np.zeros_like(s.data)) if g is None else g
                              for g, s in zip(grads, sources))
        if not nested:
            value = value.detach()
        return value, grads[0] if isinstance(argnums, int) else grads

    return wrapped


def grad(f: Callable[..., Tensor], argnums: ArgNums = 0) -> Callable[..., Any]:
    """The gradient of a scalar-valued ``f`` with respect to argument(s) ``argnums``.

    ``grad(f)(x)`` has x's shape; with a tuple of argnums it returns a tuple.
    """
    both = value_and_grad(f, argnums)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return both(*args, **kwargs)[1]

    return wrapped


def vjp(f: Callable[..., Tensor], *primals: Any) -> Tuple[Tensor, Callable[..., tuple]]:
    """``(f(*primals), vjp_fn)``: ``vjp_fn(v)`` gives v^T J for each primal (a tuple).

    The graph is kept, so ``vjp_fn`` can be called many times.
    """
    args, positions, nested = _prepare(primals, tuple(range(len(primals))), "vjp")
    with enable_grad():
        out = f(*args)
    if not isinstance(out, Tensor):
        raise TypeError(f"vjp: the function must return a Tensor, got {type(out).__name__}")

    def vjp_fn(cotangent: Any) -> tuple:
        v = cotangent if isinstance(cotangent, Tensor) else Tensor(np.asarray(cotangent,
                                                                              dtype=out.dtype))
        if v.shape != out.shape:
            raise ValueError(f"vjp: the cotangent has shape {v.shape}, the output {out.shape}")
        if not out.requires_grad:
            return tuple(Tensor(np.zeros_like(a.data)) for a in args)
        with enable_grad():
            grads = autograd.grad(out, args, grad_outputs=[v], retain_graph=True,
                                  create_graph=nested, allow_unused=True)
        return tuple(Tensor(np.zeros_like(a.data)) if g is None else g
                     for g, a in zip(grads, args))

    return (out if nested else out.detach()), vjp_fn


def jacobian(f: Callable[..., Tensor], argnums: ArgNums = 0) -> Callable[..., Any]:
    """The Jacobian of ``f`` with respect to argument(s) ``argnums``: for an output of shape
    ``O`` and an argument of shape ``I``, a tensor of shape ``O + I`` (one backward pass per
    output element, as reverse mode does)."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        args, positions, nested = _prepare(args, argnums, "jacobian")
        sources = [args[p] for p in positions]
        with enable_grad():
            out = f(*args, **kwargs)
            if not isinstance(out, Tensor):
                raise TypeError(f"jacobian: the function must return a Tensor, got "
                                f"{type(out).__name__}")
            rows: list = [[] for _ in sources]
            flat = out.reshape(-1)
            for i in range(out.size):
                if out.requires_grad:
                    grads = autograd.grad(flat[i], sources, retain_graph=True,
                                          create_graph=nested, allow_unused=True)
                else:
                    grads = (None,) * len(sources)
                for row, g, s in zip(rows, grads, sources):
                    row.append(Tensor(np.zeros_like(s.data)) if g is None else g)
        from .ops import stack
        results = tuple(stack(row).reshape(out.shape + s.shape) if row else
                        Tensor(np.zeros(out.shape + s.shape, dtype=s.dtype))
                        for row, s in zip(rows, sources))
        if not nested:
            results = tuple(r.detach() for r in results)
        return results[0] if isinstance(argnums, int) else results

    return wrapped


def hessian(f: Callable[..., Tensor], argnums: ArgNums = 0) -> Callable[..., Any]:
    """Second derivatives of a scalar-valued ``f``: the Jacobian of its gradient, of shape
    ``I + I`` for an argument of shape ``I``."""
    return jacobian(grad(f, argnums), argnums)
