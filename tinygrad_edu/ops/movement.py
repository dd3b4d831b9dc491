"""Ops that move or select elements without computing new values.

Their backward passes move the gradient back to where each element came from: a reshape is
undone by a reshape, a permutation by the inverse permutation, a broadcast by a sum, a selection
by a scatter (and a scatter by a selection, which is why both are ops: the pair keeps
``create_graph`` working).
"""

from __future__ import annotations

import builtins
from typing import Sequence, Union

import numpy as np

from ..autograd.engine import sum_array_to
from ..autograd.function import Function
from ..tensor import Tensor, as_tensor, shape_args

Shape = Sequence[int]


class Reshape(Function):
    """The same elements in a new shape;  the gradient is reshaped back."""

    @staticmethod
    def forward(ctx, a, shape):
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.inputs[0].shape)

    backward_arrays = backward   # ndarray.reshape is the same call


class Permute(Function):
    """Axes reordered;  the gradient is permuted by the inverse order."""

    @staticmethod
    def forward(ctx, a, dims):
        return a.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        return grad.permute(*np.argsort(ctx.options["dims"]).tolist())

    @staticmethod
    def backward_arrays(ctx, grad):
        return grad.transpose(np.argsort(ctx.options["dims"]))


class BroadcastTo(Function):
    """Repeated along new or size-1 axes;  the gradient is summed back."""

    @staticmethod
    def forward(ctx, a, shape):
        return np.broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.sum_to(ctx.inputs[0].shape)

    @staticmethod
    def backward_arrays(ctx, grad):
        return sum_array_to(grad, ctx.input_arrays[0].shape)


def _is_basic(index) -> bool:
    """Whether ``index`` selects each element at most once (no integer arrays)."""
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if isinstance(part, np.ndarray) and part.dtype != np.bool_:
            return False
    return True


class GetItem(Function):
    """``a[index]``;  the gradient is scattered back, adding where an index repeats."""

    @staticmethod
    def forward(ctx, a, index):
        return a[index]

    @staticmethod
    def backward(ctx, grad):
        return IndexAdd.apply(grad, index=ctx.options["index"], shape=ctx.inputs[0].shape)

    @staticmethod
    def backward_arrays(ctx, grad):
        return _scatter_add(grad, ctx.options["index"], ctx.input_arrays[0].shape)


class IndexAdd(Function):
    """zeros(shape) with ``a`` added at ``index``: the transpose of ``GetItem``."""

    @staticmethod
    def forward(ctx, a, index, shape):
        return _scatter_add(a, index, shape)

    @staticmethod
    def backward(ctx, grad):
        return GetItem.apply(grad, index=ctx.options["index"])

    @staticmethod
    def backward_arrays(ctx, grad):
        return np.asarray(grad)[ctx.options["index"]]


def _scatter_add(a, index, shape: tuple) -> np.ndarray:
    out = np.zeros(shape, dtype=a.dtype)
    if _is_basic(index):
        out[index] = a
    else:
        np.add.at(out, index, a)
    return out


class Pad(Function):
    """Constant padding, NumPy's ``pad_width``;  the gradient is the unpadded middle."""

    @staticmethod
    def forward(ctx, a, pad_width, value):
        return np.pad(a, pad_width, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, grad):
        middle = tuple(slice(before, before + n) for (before, _), n
                       in zip(ctx.options["pad_width"], ctx.inputs[0].shape))
        return grad[middle]

    backward_arrays = backward   # slicing: the same on arrays


class Concatenate(Function):
    """Tensors joined along ``axis``;  each gets back its own slice of the gradient."""

    @staticmethod
    def forward(ctx, *arrays, axis):
        return np.concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        axis = ctx.options["axis"]
        grads, start = [], 0
        for x, needed in zip(ctx.inputs, ctx.needs_input_grad):
            stop = start + x.shape[axis]
            index = (slice(None),) * axis + (slice(start, stop),)
            grads.append(grad[index] if needed else None)
            start = stop
        return tuple(grads)

    backward_arrays = backward   # slicing: the same on arrays


# --- the functional forms ---------------------------------------------------------------------

def reshape(x, *shape) -> Tensor:
    """The same elements in a new shape; one dimension may be -1 (inferred)."""
    x = as_tensor(x)
    target = _resolve_shape(x, shape_args(shape))
    if target == x.shape:
        return x
    return Reshape.apply(x, shape=target)


def _resolve_shape(x: Tensor, shape: tuple) -> tuple:
    known = int(np.prod([n for n in shape if n != -1]))
    free = shape.count(-1)
    if free == 1 and known > 0 and x.size % known == 0:
        return tuple(x.size // known if n == -1 else n for n in shape)
    if free == 0 and known == x.size and all(n >= 0 for n in shape):
        return shape
    raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
                     f"into {shape}; the element counts must match (at most one -1)")


def permute(x, *dims) -> Tensor:
    """Axes reordered: ``x.permute(2, 0, 1)`` moves the last axis first (PyTorch's permute)."""
    x = as_tensor(x)
    dims = shape_args(dims)
    if sorted(d % builtins.max(x.ndim, 1) for d in dims) != list(range(x.ndim)):
        raise ValueError(f"permute: {dims} is not an ordering of the {x.ndim} axes of a tensor "
                         f"of shape {x.shape}")
    dims = tuple(d % x.ndim for d in dims)
    if dims == tuple(range(x.ndim)):
        return x
    return Permute.apply(x, dims=dims)


def transpose(x, dim0: int = 0, dim1: int = 1) -> Tensor:
    """Swap two axes (PyTorch's transpose); ``x.T`` reverses all axes instead."""
    x = as_tensor(x)
    if x.ndim < 2:
        return x
    for d in (dim0, dim1):
        if not -x.ndim <= d < x.ndim:
            raise ValueError(f"transpose: axis {d} is out of range for shape {x.shape}")
    dims = list(range(x.ndim))
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return permute(x, *dims)


def broadcast_to(x, *shape) -> Tensor:
    """Repeat ``x`` to ``shape`` by NumPy's broadcasting rules (a view, no copy)."""
    x = as_tensor(x)
    shape = shape_args(shape)
    if shape == x.shape:
        return x
    try:
        fits = np.broadcast_shapes(x.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"broadcast_to: a tensor of shape {x.shape} cannot be broadcast to "
                         f"{shape}: align shapes from the right; each dimension must match or "
                         "be 1")
    return BroadcastTo.apply(x, shape=shape)


def expand(x, *sizes) -> Tensor:
    """PyTorch's expand: broadcast to ``sizes``, where -1 keeps a dimension's size."""
    x = as_tensor(x)
    sizes = shape_args(sizes)
    offset = len(sizes) - x.ndim
    if offset < 0:
        raise ValueError(f"expand: {sizes} has fewer dimensions than the tensor's shape {x.shape}")
    shape = tuple(x.shape[i - offset] if n == -1 and i >= offset else n
                  for i, n in enumerate(sizes))
    return broadcast_to(x, shape)


def sum_to(x, *shape) -> Tensor:
    """Sum ``x`` down to ``shape``, undoing a broadcast from ``shape`` to ``x.shape``."""
    x = as_tensor(x)
    shape = shape_args(shape)
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape)
                                      if n == 1 and x.shape[i + lead] != 1)
    return x.sum(axis=axes, keepdims=True).reshape(shape) if axes else x.reshape(shape)


def flatten(x, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge the axes from ``start_dim`` to ``end_dim`` into one (PyTorch's flatten)."""
    x = as_tensor(x)
    if x.ndim == 0:
        return x.reshape(1)
    start, end = start_dim % x.ndim, end_dim % x.ndim
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    merged = int(np.prod(x.shape[start:end + 1]))
    return x.reshape(x.shape[:start] + (merged,) + x.shape[end + 1:])


def squeeze(x, axis: Union[None, int, Sequence[int]] = None) -> Tensor:
    """Remove size-1 axes (all of them, or those in ``axis``; others are left, as PyTorch)."""
    x = as_tensor(x)
    if axis is None:
        axes = [i for i, n in enumerate(x.shape) if n == 1]
    else:
        axes = [a % builtins.max(x.ndim, 1) for a in ((axis,) if isinstance(axis, int) else axis)]
    return x.reshape(tuple(n for i, n in enumerate(x.shape) if not (i in axes and n == 1)))


def unsqueeze(x, axis: int) -> Tensor:
    """Insert a size-1 axis at position ``axis`` (negative counts from the new end)."""
    x = as_tensor(x)
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise ValueError(f"unsqueeze: axis {axis} is out of range for shape {x.shape}; "
                         f"use one in [{-x.ndim - 1}, {x.ndim}]")
    axis = axis % (x.ndim + 1)
    return x.reshape(x.shape[:axis] + (1,) + x.shape[axis:])


def concatenate(tensors: Sequence, axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (also called ``cat``)."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate: needs at least one tensor")
    ndim = tensors[0].ndim
    if ndim == 0:
        raise ValueError("concatenate: 0-d tensors cannot be joined; use stack")
    axis = axis % ndim
    for t in tensors:
        if t.ndim != ndim or t.shape[:axis] + t.shape[axis + 1:] != \
                tensors[0].shape[:axis] + tensors[0].shape[axis + 1:]:
            shapes = [t.shape for t in tensors]
            raise ValueError(f"concatenate: shapes {shapes} differ outside axis {axis}; all "
                             "dimensions but the joined one must match")
    return Concatenate.apply(*tensors, axis=axis)


def stack(tensors: Sequence, axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new axis."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors must have one shape, got {sorted(shapes)}")
    return concatenate([unsqueeze(t, axis) for t in tensors], axis=axis)


def split(x, split_size_or_sections: Union[int, Sequence[int]], axis: int = 0) -> list:
    """Cut ``x`` along ``axis`` into pieces of one size (the last may be smaller) or of the
    listed sizes, as PyTorch's split."""
    x = as_tensor(x)
    axis = axis % builtins.max(x.ndim, 1)
    length = x.shape[axis]
    if isinstance(split_size_or_sections, int):
        if split_size_or_sections <= 0:
            raise ValueError(f"split: the piece size must be positive, got "
                             f"{split_size_or_sections}")
        sizes = [builtins.min(split_size_or_sections, length - start)
                 for start in range(0, length, split_size_or_sections)]
    else:
        sizes = list(split_size_or_sections)
        if builtins.sum(sizes) != length:
            raise ValueError(f"split: sizes {sizes} add up to {builtins.sum(sizes)}, but axis "
                             f"{axis} has length {length}")
    pieces, start = [], 0
    for size in sizes:
        pieces.append(x[(slice(None),) * axis + (slice(start, start + size),)])
        start += size
    return pieces


def pad(x, pad_width, value: float = 0.0) -> Tensor:
    """Pad with a constant, NumPy style: ``pad_width`` is an int, a ``(before, after)`` pair, or
    one pair per axis."""
    x = as_tensor(x)
    try:
        widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (x.ndim, 2))
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} does not fit a tensor of shape {x.shape};"
                         " give an int, a (before, after) pair, or one pair per axis") from None
    if (widths < 0).any():
        raise ValueError(f"pad: pad_width {pad_width!r} has negative widths")
    return Pad.apply(x, pad_width=tuple(map(tuple, widths.tolist())), value=value)


def getitem(x, index) -> Tensor:
    """``x[index]``: ints, slices, None, ..., integer arrays and boolean masks."""
    return as_tensor(x)[index]
