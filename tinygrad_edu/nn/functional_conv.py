"""Convolution and pooling on sliding windows (im2col).

``Unfold`` copies every (kh, kw) window of a padded (N, C, H, W) input into an array of shape
(N, OH, OW, C, kh, kw) in one vectorised step: ``as_strided`` makes a view of the windows
without copying, and one ``ascontiguousarray`` lays them out. A convolution is then a single
matrix product of those rows with the flattened filters (the fused ``linear``), and a pool a
reduction over the last two axes. ``Fold`` is Unfold's transpose (overlapping windows *add*),
so each is the other's backward and gradients of any order work.
"""

from __future__ import annotations

from typing import Tuple, Union

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..autograd.function import Function
from ..tensor import Tensor, as_tensor

IntPair = Union[int, Tuple[int, int]]


def _pair(value: IntPair, name: str, op: str, minimum: int) -> Tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or any(not isinstance(v, (int, np.integer)) or v < minimum for v in pair):
        raise ValueError(f"{op}: {name} must be an int >= {minimum} or a pair of them, got "
                         f"{value!r}")
    return int(pair[0]), int(pair[1])


def _out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


class Unfold(Function):
    """Every window of the padded input: (N, C, H, W) -> (N, OH, OW, C, kh, kw);  the
    gradient is folded back (``Fold``), adding where windows overlap."""

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, pad_value):
        (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
        if ph or pw:
            x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
        n, c, h, w = x.shape
        oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
        s_n, s_c, s_h, s_w = x.strides
        windows = as_strided(x, shape=(n, oh, ow, c, kh, kw),
                             strides=(s_n, s_h * sh, s_w * sw, s_c, s_h, s_w), writeable=False)
        return np.ascontiguousarray(windows)

    @staticmethod
    def backward(ctx, grad):
        o = ctx.options
        return (Fold.apply(grad, input_shape=ctx.inputs[0].shape, kernel_size=o["kernel_size"],
                           stride=o["stride"], padding=o["padding"]),)

    @staticmethod
    def backward_arrays(ctx, grad):
        o = ctx.options
        return (Fold.forward(ctx, grad, ctx.input_arrays[0].shape, o["kernel_size"],
                             o["stride"], o["padding"]),)


class Fold(Function):
    """The transpose of ``Unfold``: windows (N, OH, OW, C, kh, kw) summed back into an
    (N, C, H, W) image;  its gradient is the gradient unfolded."""

    @staticmethod
    def forward(ctx, cols, input_shape, kernel_size, stride, padding):
        (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
        n, c, h, w = input_shape
        _, oh, ow = cols.shape[:3]
        out = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
        # One vectorised add per kernel offset (kh * kw of them), never per element.
        by_offset = cols.transpose(4, 5, 0, 3, 1, 2)  # (kh, kw, N, C, OH, OW)
        for i in range(kh):
            for j in range(kw):
                out[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw] += \
                    by_offset[i, j]
        return out[:, :, ph:ph + h, pw:pw + w] if ph or pw else out

    @staticmethod
    def backward(ctx, grad):
        o = ctx.options
        return Unfold.apply(grad, kernel_size=o["kernel_size"], stride=o["stride"],
                            padding=o["padding"], pad_value=0.0)

    @staticmethod
    def backward_arrays(ctx, grad):
        o = ctx.options
        return Unfold.forward(ctx, grad, o["kernel_size"], o["stride"], o["padding"], 0.0)


def unfold(x: Tensor, kernel_size: IntPair, stride: IntPair = 1, padding: IntPair = 0,
           pad_value: float = 0.0) -> Tensor:
    """The sliding windows of an (N, C, H, W) tensor as (N, OH, OW, C, kh, kw)."""
    return _unfold(as_tensor(x), kernel_size, stride, padding, pad_value, "unfold")


def _unfold(x: Tensor, kernel_size: IntPair, stride: IntPair, padding: IntPair,
            pad_value: float, op: str) -> Tensor:
    if x.ndim != 4:
        raise ValueError(f"{op}: expected input of shape (N, C, H, W), got {x.shape}; add a "
                         "batch axis with x.unsqueeze(0) for a single image")
    k = _pair(kernel_size, "kernel_size", op, 1)
    s = _pair(stride, "stride", op, 1)
    p = _pair(padding, "padding", op, 0)
    oh, ow = (_out_size(x.shape[2 + i], k[i], s[i], p[i]) for i in range(2))
    if oh < 1 or ow < 1:
        raise ValueError(f"{op}: kernel {k} does not fit input of shape {x.shape} with padding "
                         f"{p}; the padded input must be at least as large as the kernel")
    return Unfold.apply(x, kernel_size=k, stride=s, padding=p, pad_value=pad_value)


def conv2d(x: Tensor, weight: Tensor, bias: Tensor = None, stride: IntPair = 1,
           padding: IntPair = 0) -> Tensor:
    """2-D cross-correlation (PyTorch's conv2d): x (N, C, H, W), weight (O, C, kh, kw), bias
    (O,) -> (N, O, OH, OW) with OH = (H + 2 padding - kh) // stride + 1.

    out[n, o, i, j] = bias[o] + sum_{c, a, b} weight[o, c, a, b] x[n, c, i s + a, j s + b].
    """
    from .functional import linear
    x = as_tensor(x)
    if weight.ndim != 4:
        raise ValueError(f"conv2d: weight must have shape (out_channels, in_channels, kh, kw), "
                         f"got {weight.shape}")
    if x.ndim != 4 or x.shape[1] != weight.shape[1]:
        raise ValueError(f"conv2d: input of shape {x.shape} does not fit weight of shape "
                         f"{weight.shape}: expected (N, {weight.shape[1]}, H, W)")
    out_channels = weight.shape[0]
    cols = _unfold(x, weight.shape[2:], stride, padding, 0.0, "conv2d")
    n, oh, ow = cols.shape[:3]
    rows = cols.reshape(n * oh * ow, -1)
    out = linear(rows, weight.reshape(out_channels, -1), bias)
    # Computed channels-last; the permute is a view, so no copy is made here.
    return out.reshape(n, oh, ow, out_channels).permute(0, 3, 1, 2)


def max_pool2d(x: Tensor, kernel_size: IntPair, stride: IntPair = None,
               padding: IntPair = 0) -> Tensor:
    """The largest value of each window (stride defaults to kernel_size; padding is -inf).
    The gradient goes to the window's maximum (split evenly between tied maxima)."""
    x = as_tensor(x)
    k = _pair(kernel_size, "kernel_size", "max_pool2d", 1)
    p = _pair(padding, "padding", "max_pool2d", 0)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"max_pool2d: padding {p} must be at most half the kernel size {k}")
    windows = _unfold(x, k, k if stride is None else stride, p, -np.inf, "max_pool2d")
    return windows.max(axis=(4, 5)).permute(0, 3, 1, 2)


def avg_pool2d(x: Tensor, kernel_size: IntPair, stride: IntPair = None,
               padding: IntPair = 0) -> Tensor:
    """The mean of each window (stride defaults to kernel_size); zero padding counts in the
    mean, as PyTorch's default ``count_include_pad=True``."""
    x = as_tensor(x)
    k = _pair(kernel_size, "kernel_size", "avg_pool2d", 1)
    p = _pair(padding, "padding", "avg_pool2d", 0)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"avg_pool2d: padding {p} must be at most half the kernel size {k}")
    windows = _unfold(x, k, k if stride is None else stride, p, 0.0, "avg_pool2d")
    return windows.mean(axis=(4, 5)).permute(0, 3, 1, 2)
