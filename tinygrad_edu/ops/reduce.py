"""Reductions over axes, and the softmax family (fused for numerical stability and speed)."""

from __future__ import annotations

import builtins
from typing import Optional, Sequence, Union

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor, as_tensor
from .elementwise import exp

Axis = Union[None, int, Sequence[int]]


def normalize_axis(axis: Axis, ndim: int, op: str) -> Optional[tuple]:
    """``axis`` as a sorted tuple of non-negative ints (None stays None), checked against ndim."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    result = []
    bound = builtins.max(ndim, 1)
    for a in axes:
        if not -bound <= a < bound:
            raise ValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} "
                             f"dimension(s); use an axis in [{-ndim}, {ndim - 1}]")
        result.append(int(a) % bound)
    if len(set(result)) != len(result):
        raise ValueError(f"{op}: axis {axis} names the same dimension twice")
    # A 0-d tensor has one element and no axes: reducing "its axis" means reducing it all.
    return tuple(sorted(result)) if ndim else None


def _kept_shape(shape: tuple, axes: Optional[tuple]) -> tuple:
    """The output shape with keepdims=True: the reduced axes become 1."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _expand_back(ctx, grad: Tensor) -> Tensor:
    """A reduction's output gradient, broadcast back over the reduced axes."""
    shape = ctx.inputs[0].shape
    if not ctx.options["keepdims"]:
        grad = grad.reshape(_kept_shape(shape, ctx.options["axis"]))
    return grad.broadcast_to(shape)


def _expand_back_array(ctx, grad: np.ndarray) -> np.ndarray:
    """``_expand_back`` on arrays (a read-only broadcast view)."""
    shape = ctx.input_arrays[0].shape
    if not ctx.options["keepdims"]:
        grad = np.reshape(grad, _kept_shape(shape, ctx.options["axis"]))
    return np.broadcast_to(grad, shape)


class Sum(Function):
    """Sum over ``axis``;  each input element gets the output's gradient."""

    @staticmethod
    def forward(ctx, a, axis, keepdims):
        return np.sum(a, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        return _expand_back(ctx, grad)

    backward_arrays = staticmethod(_expand_back_array)


class _Extremum(Function):
    """Max or min over ``axis``.

    The gradient goes to the elements equal to the result; when several tie, it is split evenly
    among them (so it still sums to the output's gradient), as PyTorch's ``amax`` does.
    """

    reducer = staticmethod(np.max)

    @classmethod
    def forward(cls, ctx, a, axis, keepdims):
        if a.size == 0:
            raise ValueError(f"{cls.__name__.lower()}: cannot reduce an empty tensor "
                             f"(shape {a.shape})")
        return cls.reducer(a, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        return _expand_back(ctx, grad) * _Extremum._share(ctx)

    @staticmethod
    def backward_arrays(ctx, grad):
        return _expand_back_array(ctx, grad) * _Extremum._share(ctx)

    @staticmethod
    def _share(ctx) -> np.ndarray:
        """Each element's share of the gradient: 1/k for each of k tied winners, else 0."""
        a = ctx.input_arrays[0]
        axis = ctx.options["axis"]
        winners = a == ctx.output.data.reshape(_kept_shape(a.shape, axis))
        return (winners / winners.sum(axis=axis, keepdims=True)).astype(a.dtype)


class Max(_Extremum):
    reducer = staticmethod(np.max)


class Min(_Extremum):
    reducer = staticmethod(np.min)


class LogSumExp(Function):
    """log(sum(exp(a))) over ``axis``;  d/da = exp(a - result), the softmax.

    The largest element is subtracted before exponentiating, so inputs of 1e4 do not overflow.
    """

    @staticmethod
    def forward(ctx, a, axis, keepdims):
        peak = np.max(a, axis=axis, keepdims=True)
        peak = np.where(np.isfinite(peak), peak, 0)
        with np.errstate(divide="ignore"):
            result = np.log(np.sum(np.exp(a - peak), axis=axis, keepdims=True)) + peak
        return result if keepdims else np.squeeze(result, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        a = ctx.inputs[0]
        result = ctx.output
        if not ctx.options["keepdims"]:
            result = result.reshape(_kept_shape(a.shape, ctx.options["axis"]))
        return _expand_back(ctx, grad) * exp(a - result)

    @staticmethod
    def backward_arrays(ctx, grad):
        a = ctx.input_arrays[0]
        result = ctx.output.data
        if not ctx.options["keepdims"]:
            result = result.reshape(_kept_shape(a.shape, ctx.options["axis"]))
        return _expand_back_array(ctx, grad) * np.exp(a - result)


class Softmax(Function):
    """exp(a) / sum(exp(a)) along ``axis``;  backward: y * (g - sum(g * y))."""

    @staticmethod
    def forward(ctx, a, axis):
        shifted = np.exp(a - np.max(a, axis=axis, keepdims=True))
        return shifted / np.sum(shifted, axis=axis, keepdims=True)

    @staticmethod
    def backward(ctx, grad):
        y = ctx.output
        return y * (grad - (grad * y).sum(axis=ctx.options["axis"], keepdims=True))

    @staticmethod
    def backward_arrays(ctx, grad):
        y = ctx.output.data
        return y * (grad - (grad * y).sum(axis=ctx.options["axis"], keepdims=True))


class LogSoftmax(Function):
    """a - logsumexp(a) along ``axis``;  backward: g - softmax(a) * sum(g)."""

    @staticmethod
    def forward(ctx, a, axis):
        shifted = a - np.max(a, axis=axis, keepdims=True)
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))

    @staticmethod
    def backward(ctx, grad):
        softmax_out = exp(ctx.output)
        return grad - softmax_out * grad.sum(axis=ctx.options["axis"], keepdims=True)

    @staticmethod
    def backward_arrays(ctx, grad):
        softmax_out = np.exp(ctx.output.data)
        return grad - softmax_out * np.sum(grad, axis=ctx.options["axis"], keepdims=True)


# --- the functional forms ---------------------------------------------------------------------

def sum(x, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum of elements over ``axis`` (an int, a tuple, or None for all)."""
    x = as_tensor(x)
    return Sum.apply(x, axis=normalize_axis(axis, x.ndim, "sum"), keepdims=bool(keepdims))


def mean(x, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Arithmetic mean over ``axis``."""
    x = as_tensor(x)
    axes = normalize_axis(axis, x.ndim, "mean")
    count = x.size if axes is None else int(np.prod([x.shape[i] for i in axes]))
    if count == 0:
        raise ValueError(f"mean: cannot average over an empty axis (shape {x.shape})")
    return Sum.apply(x, axis=axes, keepdims=bool(keepdims)) / count


def max(x, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Largest element over ``axis``; tied maxima share the gradient evenly."""
    x = as_tensor(x)
    return Max.apply(x, axis=normalize_axis(axis, x.ndim, "max"), keepdims=bool(keepdims))


def min(x, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Smallest element over ``axis``; tied minima share the gradient evenly."""
    x = as_tensor(x)
    return Min.apply(x, axis=normalize_axis(axis, x.ndim, "min"), keepdims=bool(keepdims))


def var(x, axis: Axis = None, keepdims: bool = False, correction: int = 1) -> Tensor:
    """Variance over ``axis``: sum((x - mean)^2) / (N - correction).

    ``correction=1`` (the default, as in PyTorch) gives the unbiased estimate; ``correction=0``
    gives NumPy's default.
    """
    x = as_tensor(x)
    axes = normalize_axis(axis, x.ndim, "var")
    count = x.size if axes is None else int(np.prod([x.shape[i] for i in axes]))
    if count - correction <= 0:
        raise ValueError(f"var: {count} element(s) with correction={correction} leaves no degrees"
                         " of freedom; reduce over more elements or pass correction=0")
    centered = x - mean(x, axis=axes, keepdims=True)
    return sum(centered * centered, axis=axes, keepdims=keepdims) / (count - correction)


def std(x, axis: Axis = None, keepdims: bool = False, correction: int = 1) -> Tensor:
    """Standard deviation: sqrt(var(x)); see ``var`` for ``correction``."""
    return var(x, axis=axis, keepdims=keepdims, correction=correction).sqrt()


def logsumexp(x, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) over ``axis``, without overflow for large inputs."""
    x = as_tensor(x)
    return LogSumExp.apply(x, axis=normalize_axis(axis, x.ndim, "logsumexp"),
                           keepdims=bool(keepdims))


def _single_axis(x: Tensor, axis: int, op: str) -> int:
    if x.ndim == 0:
        raise ValueError(f"{op}: needs at least one dimension, got a 0-d tensor")
    return normalize_axis(axis, x.ndim, op)[0]


def softmax(x, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis`` (default: the last), stable for large inputs."""
    x = as_tensor(x)
    return Softmax.apply(x, axis=_single_axis(x, axis, "softmax"))


def log_softmax(x, axis: int = -1) -> Tensor:
    """log(softmax(x)) along ``axis``, computed without ever taking log of 0."""
    x = as_tensor(x)
    return LogSoftmax.apply(x, axis=_single_axis(x, axis, "log_softmax"))
