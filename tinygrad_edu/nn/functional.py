"""Layers and losses as plain functions (``import tinygrad_edu.nn.functional as F``).

The Module classes in ``nn`` hold parameters and call these; use these directly when you manage
the tensors yourself. Most are compositions of differentiable ops (so their gradients, and
gradients of gradients, come for free); ``linear``, the window ops behind ``conv2d`` and the
pools, ``cross_entropy`` and ``binary_cross_entropy`` are fused ops with their own backward,
because they are where a training step spends its time.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np

from .. import ops
from .. import random as _random
from ..autograd.function import NO_OPTIONS, Function, attach_node
from ..autograd.grad_mode import state
from ..tensor import Tensor, as_tensor
from .functional_conv import avg_pool2d, conv2d, max_pool2d, unfold  # noqa: F401
from .functional_losses import (  # noqa: F401
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, huber_loss, l1_loss,
    mse_loss, nll_loss, smooth_l1_loss,
)

__all__ = [
    "linear", "relu", "leaky_relu", "sigmoid", "tanh", "softplus", "softmax", "log_softmax",
    "dropout", "flatten", "conv2d", "max_pool2d", "avg_pool2d", "unfold", "batch_norm",
    "layer_norm", "embedding", "one_hot",
    "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "cross_entropy", "nll_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits",
]

relu = ops.relu
leaky_relu = ops.leaky_relu
sigmoid = ops.sigmoid
tanh = ops.tanh
softplus = ops.softplus


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim`` (PyTorch's keyword; ``axis`` in ``tinygrad_edu``)."""
    return ops.softmax(x, axis=dim)


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    """log(softmax(x)) along ``dim``, computed stably."""
    return ops.log_softmax(x, axis=dim)


def flatten(x: Tensor, start_dim: int = 1, end_dim: int = -1) -> Tensor:
    """Merge axes ``start_dim..end_dim`` (from 1 by default, keeping the batch axis)."""
    return ops.flatten(x, start_dim, end_dim)


class LinearFunction(Function):
    """y = x W^T + b, fused: one BLAS call forward, two backward, no transposes recorded.

    dy/dx = g W,  dy/dW = g^T x (over all leading axes),  dy/db = sum of g over leading axes.
    """

    @staticmethod
    def forward(ctx, x, weight, bias):
        out = x @ weight.T
        if bias is not None:
            out += bias  # ``out`` is new: adding in place saves an array
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight, bias = ctx.inputs
        need_x, need_w, need_b = ctx.needs_input_grad
        grad_x = grad @ weight if need_x else None
        grad_w = grad_b = None
        if need_w:
            if x.ndim == 2:
                grad_w = grad.T @ x
            else:
                grad_w = grad.reshape(-1, weight.shape[0]).T @ x.reshape(-1, weight.shape[1])
        if need_b:
            grad_b = grad.sum(axis=tuple(range(grad.ndim - 1))) if grad.ndim > 1 else grad
        return grad_x, grad_w, grad_b

    @staticmethod
    def backward_arrays(ctx, g):
        x, w, _ = ctx.input_arrays
        need_x, need_w, need_b = ctx.needs_input_grad
        grad_x = g @ w if need_x else None
        if g.ndim != 2:   # fold all leading axes (or add one) into the batch axis
            g = g.reshape(-1, w.shape[0])
            x = x.reshape(-1, w.shape[1])
        # np.add.reduce: ndarray.sum would go through a Python-level wrapper first.
        return (grad_x, g.T @ x if need_w else None,
                np.add.reduce(g, axis=0) if need_b else None)


def linear(x: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """x @ weight.T + bias, for x of shape (..., in_features) and weight (out, in)."""
    if not isinstance(x, Tensor):
        x = as_tensor(x)
    xa = x.data
    if isinstance(weight, Tensor) and isinstance(bias, Tensor) and state.plain_recording:
        # Every layer of every training step: the checks in one test on the arrays' own
        # attributes (the general path below finds what failed), then apply's bookkeeping and
        # LinearFunction.forward done here. In the step, where the matrix products have pushed
        # the interpreter out of the caches, apply's general loop over the inputs costs 2-3%.
        # in_features is left to the matrix product, which refuses a mismatch (and a 0-d x).
        wa, ba = weight.data, bias.data
        if (wa.ndim == 2 and (xa.dtype is wa.dtype or xa.dtype == wa.dtype)
                and ba.shape == wa.shape[:1]):
            try:
                data = xa @ wa.T
            except ValueError:
                _linear_error(xa, wa, bias)
                raise
            data += ba   # ``data`` is new: adding in place saves an array
            ctx = LinearFunction()
            ctx._saved = None
            needs = ctx.needs_input_grad = (x._requires_grad, weight._requires_grad,
                                            bias._requires_grad)
            if True not in needs:
                return Tensor._from_op(data)
            node = x.grad_fn
            generation = 0 if node is None else node.generation
            if weight.grad_fn is not None or bias.grad_fn is not None:   # made by ops
                generation = max(generation, *(t.grad_fn.generation for t in (weight, bias)
                                               if t.grad_fn is not None))
            return attach_node(ctx, data, (x, weight, bias), (xa, wa, ba), NO_OPTIONS,
                               generation + 1)
    wa = weight.data if isinstance(weight, Tensor) else weight
    w_shape = wa.shape
    if (len(w_shape) != 2 or xa.shape[-1:] != w_shape[1:] or xa.dtype != wa.dtype
            or (bias is not None and _data(bias).shape != w_shape[:1])):
        _linear_error(xa, wa, bias)
    return LinearFunction.apply(x, weight, bias)


def _linear_error(xa: np.ndarray, wa: np.ndarray, bias: Any) -> None:
    """Raise the error that says which of ``linear``'s arguments does not fit (if none of the
    checks here fails, return: the caller then re-raises what NumPy said)."""
    w_shape, x_shape = wa.shape, xa.shape
    if len(w_shape) != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got shape "
                         f"{w_shape}")
    if not x_shape or x_shape[-1] != w_shape[1]:
        raise ValueError(f"linear: input of shape {x_shape} does not fit weight of shape "
                         f"{w_shape}: the input's last axis must be in_features = "
                         f"{w_shape[1]}")
    if bias is not None and _data(bias).shape != (w_shape[0],):
        raise ValueError(f"linear: bias must have shape ({w_shape[0]},), got "
                         f"{_data(bias).shape}")
    if xa.dtype != wa.dtype:
        raise TypeError(f"linear: input dtype {xa.dtype} differs from weight dtype {wa.dtype}; "
                        "convert one (x.float(), or model.double())")


def _data(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p), so the
    expected value is unchanged and evaluation (``training=False``: the identity) needs no
    rescaling. Draws from ``tinygrad_edu.random.generator()``."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be a probability in [0, 1], got {p}")
    x = as_tensor(x)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * np.zeros(x.shape, dtype=x.dtype)
    keep = _random.generator().random(x.shape, dtype=np.float32) >= p
    return x * (keep * np.asarray(1.0 / (1.0 - p), dtype=x.dtype))


def batch_norm(x: Tensor, running_mean: Optional[Tensor], running_var: Optional[Tensor],
               weight: Optional[Tensor] = None, bias: Optional[Tensor] = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (axis 1) over the batch and spatial axes.

    Training: y = (x - mean_B) / sqrt(var_B + eps) with the batch's biased variance, and the
    running statistics (if given) move towards the batch's: r <- (1 - momentum) r +
    momentum * stat, using the *unbiased* variance, as PyTorch does. Evaluation: the running
    statistics are used instead. Then y * weight + bias per channel.
    """
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C) or (N, C, ...), got "
                         f"{x.shape}")
    channels = x.shape[1]
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, channels) + (1,) * (x.ndim - 2)
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (channels,):
            raise ValueError(f"batch_norm: {name} must have shape ({channels},) for an input "
                             f"with {channels} channels (shape {x.shape}), got {t.shape}")
    if training:
        count = x.size // channels
        if count <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when "
                             f"training, got input of shape {x.shape}")
        mean = x.mean(axis=axes, keepdims=True)
        centered = x - mean
        var = (centered * centered).mean(axis=axes, keepdims=True)
        if running_mean is not None and running_var is not None:
            unbiased = var.data.reshape(channels) * (count / (count - 1))
            running_mean.data *= 1.0 - momentum
            running_mean.data += momentum * mean.data.reshape(channels)
            running_var.data *= 1.0 - momentum
            running_var.data += momentum * unbiased
        y = centered / (var + eps).sqrt()
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: evaluation needs running_mean and running_var (or "
                             "pass training=True to use the batch's statistics)")
        inv_std = 1.0 / np.sqrt(running_var.data + np.asarray(eps, running_var.dtype))
        y = (x - running_mean.data.reshape(shape)) * inv_std.reshape(shape).astype(x.dtype)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def layer_norm(x: Tensor, normalized_shape: Union[int, Sequence[int]],
               weight: Optional[Tensor] = None, bias: Optional[Tensor] = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` axes of each sample:
    y = (x - mean) / sqrt(var + eps) * weight + bias (biased variance)."""
    x = as_tensor(x)
    normalized_shape = _as_shape(normalized_shape)
    n = len(normalized_shape)
    if x.ndim < n or x.shape[x.ndim - n:] != normalized_shape:
        raise ValueError(f"layer_norm: the input's trailing axes {x.shape} must equal "
                         f"normalized_shape {normalized_shape}")
    axes = tuple(range(x.ndim - n, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=axes, keepdims=True)
    y = centered / (var + eps).sqrt()
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def _as_shape(shape: Union[int, Sequence[int]]) -> Tuple[int, ...]:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(n) for n in shape)


def _int_array(x: Any, op: str, what: str) -> np.ndarray:
    array = np.asarray(x.data if isinstance(x, Tensor) else x)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{op}: {what} must be integers, got dtype {array.dtype}; convert with "
                        ".long()")
    return array


def embedding(indices: Any, weight: Tensor, padding_idx: Optional[int] = None) -> Tensor:
    """Rows of ``weight`` picked by integer ``indices``: output shape indices.shape + (dim,).
    The row ``padding_idx`` gets no gradient (it stays as initialised, usually zeros)."""
    idx = _int_array(indices, "embedding", "indices")
    rows = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= rows):
        bad = idx[(idx < 0) | (idx >= rows)].ravel()[0]
        raise IndexError(f"embedding: index {bad} is out of range for a table of {rows} rows; "
                         f"indices must be in [0, {rows - 1}]")
    picked = weight[idx]
    if padding_idx is None:
        return picked
    padding = idx == (padding_idx % rows)
    if not padding.any():
        return picked
    # Same values, but where the index is padding the gradient stops (a detached copy).
    return ops.where(~padding[..., None], picked, picked.detach())


def one_hot(labels: Any, num_classes: int = -1) -> Tensor:
    """Integer labels of any shape as one-hot rows: shape labels.shape + (num_classes,), int64
    as in PyTorch (``.float()`` for float32). ``num_classes=-1`` uses max(labels) + 1."""
    idx = _int_array(labels, "one_hot", "labels")
    if num_classes == -1:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise ValueError(f"one_hot: labels must be in [0, {num_classes - 1}] for num_classes="
                         f"{num_classes}, got values from {idx.min()} to {idx.max()}")
    out = np.zeros(idx.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, idx[..., None], 1, axis=-1)
    return Tensor(out)
