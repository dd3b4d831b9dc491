"""Loss functions, with PyTorch's definitions and ``reduction='mean' | 'sum' | 'none'``.

The regression losses are compositions of differentiable ops. ``cross_entropy`` is one fused op:
log-softmax and the negative log-likelihood together, computed stably (the largest logit is
subtracted first) with the closed-form gradient ``softmax(z) * sum(q) - q``, where ``q`` is the
(weighted, smoothed) target distribution. It is the hot path of classifier training, so it makes
one pass over the logits forward and one multiply backward.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Optional, Tuple

import numpy as np

from .. import ops
from ..autograd.function import Function, attach_node
from ..autograd.grad_mode import state
from ..tensor import Tensor, as_tensor
from ..utils import readonly_constant

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_reduction(reduction: str, op: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _float_input(x: Any, op: str) -> Tensor:
    x = as_tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: the input must be floating point, got dtype {x.dtype}")
    return x


def _matching_target(input: Tensor, target: Any, op: str) -> Any:
    """The target as a Tensor of the input's shape and float dtype (cast from ints or another
    float dtype, unless it requires grad), so a float64 target never turns the loss float64."""
    target = as_tensor(target)
    if target.shape != input.shape:
        raise ValueError(f"{op}: target shape {target.shape} differs from input shape "
                         f"{input.shape}; they must match (reshape one, e.g. "
                         "target.reshape(input.shape))")
    if target.dtype != input.dtype:
        if target.requires_grad:
            raise TypeError(f"{op}: target dtype {target.dtype} differs from input dtype "
                            f"{input.dtype}")
        if target.dtype.kind not in "fiub":
            raise TypeError(f"{op}: target must be numeric, got dtype {target.dtype}")
        target = Tensor(target.data.astype(input.dtype))
    return target


# --- regression -------------------------------------------------------------------------------

def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """(input - target)^2, reduced."""
    _check_reduction(reduction, "mse_loss")
    input = _float_input(input, "mse_loss")
    diff = input - _matching_target(input, target, "mse_loss")
    return _reduce(diff * diff, reduction)


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """|input - target|, reduced."""
    _check_reduction(reduction, "l1_loss")
    input = _float_input(input, "l1_loss")
    return _reduce((input - _matching_target(input, target, "l1_loss")).abs(), reduction)


def huber_loss(input: Tensor, target: Any, reduction: str = "mean",
               delta: float = 1.0) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), with d = input - target:
    quadratic near 0, linear (robust to outliers) far away."""
    _check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    input = _float_input(input, "huber_loss")
    diff = input - _matching_target(input, target, "huber_loss")
    size = diff.abs()
    loss = ops.where(size.data < delta, (diff * diff) * 0.5, (size - 0.5 * delta) * delta)
    return _reduce(loss, reduction)


def smooth_l1_loss(input: Tensor, target: Any, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta: Huber divided by beta
    (``beta=0`` gives the L1 loss)."""
    _check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction)
    input = _float_input(input, "smooth_l1_loss")
    diff = input - _matching_target(input, target, "smooth_l1_loss")
    size = diff.abs()
    loss = ops.where(size.data < beta, (diff * diff) * (0.5 / beta), size - 0.5 * beta)
    return _reduce(loss, reduction)


# --- classification: shapes -------------------------------------------------------------------

def _classes_last(input: Tensor, target: Any, op: str
                  ) -> Tuple[Tensor, Tensor, bool, Tuple[int, ...]]:
    """Input (C,), (N, C) or (N, C, d1, ...) as rows (M, C); index targets as (M,), probability
    targets as (M, C). Returns rows, targets, whether targets are indices, and the shape a
    ``reduction='none'`` result takes."""
    input = _float_input(input, op)
    target = as_tensor(target)
    if input.ndim == 0:
        raise ValueError(f"{op}: the input must have a class axis, got a 0-d tensor")
    index_targets = target.dtype.kind in "iu"
    if not index_targets and target.dtype.kind != "f":
        raise TypeError(f"{op}: target must hold class indices (an integer dtype) or class "
                        f"probabilities (a float dtype), got dtype {target.dtype}")
    classes = input.shape[0] if input.ndim == 1 else input.shape[1]
    batch_shape = () if input.ndim == 1 else (input.shape[0],) + input.shape[2:]
    expected = batch_shape if index_targets else input.shape
    if target.shape != expected:
        kind = "class indices" if index_targets else "class probabilities"
        raise ValueError(
            f"{op}: for input of shape {input.shape} ({classes} classes on axis "
            f"{0 if input.ndim == 1 else 1}), a target of {kind} must have shape {expected}, "
            f"got {target.shape}" + (
                "; for one-hot targets pass floats (e.g. one_hot(y, C).float())"
                if index_targets and target.ndim == input.ndim else ""))
    if input.ndim == 1:
        rows = input.reshape(1, classes)
        target = target.reshape(1) if index_targets else target.reshape(1, classes)
    elif input.ndim == 2:
        rows = input
    else:
        order = (0,) + tuple(range(2, input.ndim)) + (1,)
        rows = input.permute(*order).reshape(-1, classes)
        target = target.reshape(-1) if index_targets else \
            target.permute(*order).reshape(-1, classes)
    return rows, target, index_targets, batch_shape


def _check_indices(target: np.ndarray, classes: int, ignore_index: int, op: str) -> np.ndarray:
    """The rows whose target is not ``ignore_index``; raises on a class out of range."""
    valid = target != ignore_index
    bad = valid & ((target < 0) | (target >= classes))
    if bad.any():
        value = int(target[bad][0])
        raise IndexError(f"{op}: target class {value} is out of range for {classes} classes; "
                         f"class indices must be in [0, {classes - 1}]"
                         + (f" (or equal ignore_index={ignore_index})" if ignore_index != -100
                            else ""))
    return valid


def _class_weight(weight: Any, classes: int, dtype: np.dtype, op: str) -> Optional[np.ndarray]:
    if weight is None:
        return None
    w = np.asarray(weight.data if isinstance(weight, Tensor) else weight)
    if w.shape != (classes,):
        raise ValueError(f"{op}: weight must have one entry per class, shape ({classes},), got "
                         f"{w.shape}")
    return w.astype(dtype, copy=False)


# --- cross entropy ----------------------------------------------------------------------------

class CrossEntropy(Function):
    """Softmax cross-entropy of logit rows z (M, C), fused.

    With target distribution q_i (one-hot, smoothed and/or weighted),
    loss_i = -sum_c q_ic log softmax(z_i)_c  and  d loss_i / d z_i = softmax(z_i) sum(q_i) - q_i.
    Forward computes that gradient anyway (softmax is a by-product of the log-sum-exp), so
    backward is one multiply.
    """

    @staticmethod
    def forward(ctx, z, target, weight, index_targets, ignore_index, label_smoothing,
                reduction):
        m, classes = z.shape
        dtype = z.dtype
        if (index_targets and weight is None and ignore_index is None and not label_smoothing
                and reduction != "none"):
            loss = _plain_cross_entropy(ctx, z, target, reduction == "mean")
            if loss is None:   # F.cross_entropy checks the targets first; a direct apply not
                raise IndexError(f"cross_entropy: every target must be a class in [0, "
                                 f"{classes}); F.cross_entropy says which one is not")
            return loss
        shifted = z - _row_max(z)
        probs = np.exp(shifted)
        total = _row_sum(probs)
        log_probs = shifted
        log_probs -= np.log(total)          # in place: shifted is not needed any more
        probs /= total
        q, q_sum = _target_distribution(target, weight, index_targets, ignore_index,
                                        label_smoothing, m, classes, dtype)
        rows = np.arange(m)
        if isinstance(q, tuple):            # index targets: q = (scale, class, smoothing)
            scale, cls, smooth = q
            picked = log_probs[rows, cls]
            losses = -(picked if scale is None else scale * picked)
            grad = probs if q_sum is None else probs * q_sum[:, None]
            _subtract_at(grad, rows, cls, scale)
            if smooth is not None:
                losses -= (log_probs * smooth).sum(axis=1)
                grad -= smooth
        else:
            losses = -(log_probs * q).sum(axis=1)
            grad = probs * q_sum[:, None]
            grad -= q
        if reduction == "none":
            ctx.save_for_backward(grad)
            return losses
        if reduction == "mean":
            denom = _mean_denominator(target, weight, index_targets, ignore_index, m, dtype)
            with np.errstate(invalid="ignore", divide="ignore"):
                grad /= denom
                loss = losses.sum(dtype=dtype) / denom
        else:
            loss = losses.sum(dtype=dtype)
        ctx.save_for_backward(grad)
        return np.asarray(loss, dtype=dtype)

    @staticmethod
    def backward(ctx, grad_out):
        # create_graph: rebuild the gradient from z with Tensor ops, so it is differentiable.
        z, target, weight = ctx.inputs
        o = ctx.options
        m, classes = z.shape
        q, q_sum = _dense_distribution(target, weight, o["index_targets"], o["ignore_index"],
                                       o["label_smoothing"], m, classes, z.dtype)
        grad = ops.softmax(z, axis=1) * q_sum[:, None] - q
        if o["reduction"] == "mean":
            grad = grad / _mean_denominator(target, weight, o["index_targets"],
                                            o["ignore_index"], m, z.dtype)
        if o["reduction"] == "none":
            return grad_out.reshape(-1, 1) * grad, None, None
        return grad_out * grad, None, None

    @staticmethod
    def backward_arrays(ctx, grad_out):
        # The gradient forward already computed, scaled by the upstream gradient -- unless
        # that is the 1 of ``loss.backward()``, the usual case: then the saved array itself.
        # (The sweep has checked that the saved arrays are still there.)
        (grad,) = ctx._saved
        if ctx.options["reduction"] == "none":
            return np.reshape(grad_out, (-1, 1)) * grad, None, None
        if grad_out == 1:   # a 0-d gradient, as the sweep checked against the 0-d loss
            return grad, None, None
        return grad_out * grad, None, None


# What CrossEntropy.apply records for the common case, by reduction: read-only, shared.
_PLAIN_OPTIONS = {
    reduction: MappingProxyType(dict(index_targets=True, ignore_index=None, label_smoothing=0.0,
                                     reduction=reduction))
    for reduction in ("mean", "sum")}
_LOGITS_ONLY = (True, False, False)


def _plain_cross_entropy(ctx, z: np.ndarray, target: np.ndarray,
                         mean: bool) -> Optional[np.generic]:
    """The common case (class indices, no weights, ignoring or smoothing) with the fewest NumPy
    calls: loss = mean(logsumexp(z_i) - z_i,y_i), grad = softmax - one_hot. None, having done
    nothing, when some target is not a class in [0, C) (an ignore_index, or a mistake): the
    general path then handles it or says what is wrong.

    It runs in every training step right after the forward pass's matrix products, which push
    the interpreter and NumPy's own code out of the CPU caches: there a NumPy call costs several
    times what it costs timed alone, so the number of calls is what counts. Hence one call that
    both places and checks the targets (a reduction of its own to check them cost 1.5% of a
    784-50-10 step), and, for few classes, all work on a transposed copy, whose reductions over
    the classes need neither a reshape nor a matrix-vector product."""
    m, classes = z.shape
    dtype = z.dtype
    rows, scale = readonly_constant(("cross-entropy rows", m, dtype), _row_constants, m, dtype)
    few = classes <= _FEW_CLASSES
    try:
        # Each row's target as a flat position in the working copy below; a target outside
        # [0, C) raises (negative ones too, unlike indexing, which would wrap them around).
        at = (np.ravel_multi_index((target, rows), (classes, m)) if few
              else np.ravel_multi_index((rows, target), (m, classes)))
    except ValueError:
        return None
    if few:
        # (C, M), a new C-ordered array (ascontiguousarray could return z itself, when one
        # axis has length 1): classes along the first axis, so a reduction over them is one
        # vectorised pass per class (along a short last axis NumPy loops per row).
        work = z.T.copy()
        work -= np.maximum.reduce(work, axis=0)
    else:
        # (M, C), a new C-ordered array whatever z's layout, so ``flat`` is a view of it.
        work = np.subtract(z, np.maximum.reduce(z, axis=1, keepdims=True), order="C")
    flat = work.reshape(-1)
    picked = np.add.reduce(flat[at], dtype=dtype)
    np.exp(work, out=work)   # the shifted logits are not needed any more
    total = np.add.reduce(work, axis=0) if few else np.add.reduce(work, axis=1, keepdims=True)
    loss = np.add.reduce(np.log(total), axis=None, dtype=dtype) - picked
    work /= total
    flat[at] -= 1.0
    if mean:
        work *= scale
        loss = loss * scale
    ctx.save_for_backward(work.T if few else work)   # the gradient, (M, C) either way
    return loss   # a NumPy scalar of z's dtype


def _row_constants(m: int, dtype: np.dtype) -> tuple:
    """0, 1, ..., m-1, the row numbers that place each row's target; and 1/m as a scalar of
    the logits' dtype, the scale of a mean (nan for no rows, as PyTorch, rather than a
    ZeroDivisionError)."""
    return np.arange(m), dtype.type(1.0 / m if m else np.nan)


# Up to this many classes, NumPy's reductions along the (short) class axis are slow: they loop
# per row. Then the row maxima come faster from a transposed copy reduced along its first axis
# (one vectorised pass per class), and the row sums from a matrix-vector product. Both use the
# ufuncs' reduce directly: ndarray.max/sum would go through a Python-level wrapper first.
_FEW_CLASSES = 32


def _row_max(z: np.ndarray) -> np.ndarray:
    """The largest entry of each row of z (M, C), shape (M, 1)."""
    if z.shape[1] <= _FEW_CLASSES:
        return np.maximum.reduce(np.ascontiguousarray(z.T), axis=0)[:, None]
    return np.maximum.reduce(z, axis=1, keepdims=True)


def _row_sum(z: np.ndarray) -> np.ndarray:
    """The sum of each row of z (M, C), shape (M, 1)."""
    classes = z.shape[1]
    if classes <= _FEW_CLASSES:
        ones = readonly_constant(("ones", (classes,), z.dtype), np.ones, classes, z.dtype)
        return (z @ ones)[:, None]
    return np.add.reduce(z, axis=1, keepdims=True)


def _subtract_at(grad: np.ndarray, rows: np.ndarray, cls: np.ndarray,
                 scale: Optional[np.ndarray]) -> None:
    # Each row has one target class, so fancy-index assignment never collides.
    grad[rows, cls] -= 1.0 if scale is None else scale


def _target_distribution(target, weight, index_targets, ignore_index, smoothing, m, classes,
                         dtype):
    """q in the cheapest form: for index targets a triple (per-row scale of the one-hot part or
    None for 1, class per row, dense smoothing part or None); else the dense (M, C) array. Also
    sum_c q_ic per row, or None when it is 1 for every row."""
    w = weight
    if index_targets:
        valid = None if ignore_index is None else target != ignore_index
        all_valid = valid is None or valid.all()
        cls = target if all_valid else np.where(valid, target, 0)
        scale = None
        if w is not None:
            scale = w[cls]
        if not all_valid:
            mask = valid.astype(dtype)
            scale = mask if scale is None else scale * mask
        if smoothing:
            base = np.ones(m, dtype=dtype) if scale is None else scale
            scale = base * (1.0 - smoothing)
            per_class = (np.ones(classes, dtype=dtype) if w is None else w) * (smoothing /
                                                                              classes)
            smooth = per_class[None, :] if all_valid else \
                per_class[None, :] * valid[:, None].astype(dtype)
            smooth = np.broadcast_to(smooth, (m, classes))
            q_sum = scale + smooth.sum(axis=1)
            return (scale, cls, smooth), q_sum
        return (scale, cls, None), scale
    q = target if not smoothing else target * (1.0 - smoothing) + smoothing / classes
    if w is not None:
        q = q * w
    return q.astype(dtype, copy=False), q.sum(axis=1).astype(dtype, copy=False)


def _dense_distribution(target, weight, index_targets, ignore_index, smoothing, m, classes,
                        dtype):
    """q as a dense (M, C) array and its row sums (for the differentiable backward)."""
    q, q_sum = _target_distribution(target, weight, index_targets, ignore_index, smoothing, m,
                                    classes, dtype)
    if isinstance(q, tuple):
        scale, cls, smooth = q
        dense = np.zeros((m, classes), dtype=dtype)
        dense[np.arange(m), cls] = 1.0 if scale is None else scale
        if smooth is not None:
            dense += smooth
        q = dense
        q_sum = np.ones(m, dtype=dtype) if q_sum is None else q_sum
    return q, q_sum


def _mean_denominator(target, weight, index_targets, ignore_index, m, dtype) -> np.ndarray:
    """What 'mean' divides by: the summed weight of the counted targets (PyTorch's weighted
    mean) for index targets, the number of rows for probability targets."""
    if not index_targets:
        return np.asarray(m, dtype=dtype)
    valid = np.ones(m, dtype=bool) if ignore_index is None else target != ignore_index
    if weight is None:
        return np.asarray(valid.sum(), dtype=dtype)
    return np.asarray(weight[np.where(valid, target, 0)][valid].sum(), dtype=dtype)


def _plain_index_targets(input: Any, target: Any, weight: Any, ignore_index: int,
                         reduction: str, label_smoothing: float) -> Optional[np.ndarray]:
    """The target array if the call may be the common case of a training step -- float logits
    (N, C) with N > 0, N integer class indices, no weight, no smoothing, no ignore_index among
    the classes, reduction 'mean' or 'sum' -- else None. The general path then checks everything
    and raises the errors; this finds in a few O(1) tests that none of them fires, except that
    each target lies in [0, C): the caller checks that on the way (``_plain_cross_entropy``
    does it while placing the targets)."""
    if (weight is not None or label_smoothing != 0.0 or not isinstance(input, Tensor)
            or (reduction != "mean" and reduction != "sum")):
        return None
    t = target.data if isinstance(target, Tensor) else target
    if type(t) is not np.ndarray:
        return None
    z = input.data
    z_shape, t_shape = z.shape, t.shape
    if (len(z_shape) != 2 or len(t_shape) != 1 or t_shape[0] != z_shape[0] or not t_shape[0]
            or z.dtype.kind != "f" or t.dtype.kind not in "iu" or 0 <= ignore_index < z_shape[1]):
        return None
    return t


# Each signed integer dtype and the unsigned one of the same size.
_UNSIGNED = {np.dtype(s): np.dtype(u) for s, u in
             ((np.int8, np.uint8), (np.int16, np.uint16), (np.int32, np.uint32),
              (np.int64, np.uint64))}


def _classes_in_range(t: np.ndarray, classes: int) -> bool:
    """Whether every entry of the non-empty array t is an integer in [0, classes), in one pass:
    read as unsigned, a negative entry becomes larger than any class count."""
    kind = t.dtype.kind
    if kind == "u":
        return bool(np.maximum.reduce(t, axis=None) < classes)
    if kind != "i":
        return False
    unsigned = _UNSIGNED.get(t.dtype)
    if unsigned is None:                   # e.g. a non-native byte order: two passes
        return bool(t.min() >= 0 and t.max() < classes)
    return bool(np.maximum.reduce(t.view(unsigned), axis=None) < classes)


def cross_entropy(input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between logits and targets, as PyTorch's ``F.cross_entropy``.

    Args:
        input: logits (unnormalised scores), shape (C,), (N, C) or (N, C, d1, ...).
        target: class indices (integers) of shape (N,) / (N, d1, ...), or class probabilities
            (floats, e.g. one-hot rows) of the input's shape.
        weight: a weight per class, shape (C,).
        ignore_index: index targets equal to it add nothing (and do not count in the mean).
        reduction: 'mean' (over the counted targets, weighted: sum(w_y l) / sum(w_y)), 'sum' or
            'none' (one loss per sample).
        label_smoothing: e in [0, 1]: the target becomes (1 - e) target + e / C.

    loss_i = -sum_c q_ic log softmax(input_i)_c for the target distribution q_i.
    """
    t = _plain_index_targets(input, target, weight, ignore_index, reduction, label_smoothing)
    if t is not None:
        if input._requires_grad and state.plain_recording:
            # The loss of every training step: apply_one's bookkeeping done here (see F.linear).
            ctx = CrossEntropy()
            ctx._saved = None
            ctx.needs_input_grad = _LOGITS_ONLY
            z = input.data
            loss = _plain_cross_entropy(ctx, z, t, reduction == "mean")
            if loss is not None:   # else a target is outside [0, C): the general path
                node = input.grad_fn
                return attach_node(ctx, np.asarray(loss), (input, t, None), (z, t, None),
                                   _PLAIN_OPTIONS[reduction],
                                   1 if node is None else node.generation + 1)
        elif _classes_in_range(t, input.data.shape[1]):
            return CrossEntropy.apply(input, t, None, **_PLAIN_OPTIONS[reduction])
    op = "cross_entropy"
    _check_reduction(reduction, op)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
    rows, target, index_targets, batch_shape = _classes_last(input, target, op)
    m, classes = rows.shape
    w = _class_weight(weight, classes, rows.dtype, op)
    if index_targets:
        t = target.data
        ignore = None
        if t.size and (not _classes_in_range(t, classes) or 0 <= ignore_index < classes):
            _check_indices(t, classes, ignore_index, op)
            ignore = ignore_index if (t == ignore_index).any() else None
    else:
        if ignore_index != -100:
            raise ValueError(f"{op}: ignore_index applies to class-index targets only, not to "
                             "class probabilities")
        ignore = None
        if target.requires_grad:
            # Differentiating with respect to the target: the composed form handles it.
            q = target * (1.0 - label_smoothing) + label_smoothing / classes \
                if label_smoothing else target
            if w is not None:
                q = q * w
            losses = -(ops.log_softmax(rows, axis=1) * q).sum(axis=1)
            return _reduce(losses.reshape(batch_shape), reduction)
        t = target.data.astype(rows.dtype, copy=False)
    out = CrossEntropy.apply(rows, t, w, index_targets=index_targets, ignore_index=ignore,
                             label_smoothing=float(label_smoothing), reduction=reduction)
    return out.reshape(batch_shape) if reduction == "none" else out


def nll_loss(input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities: loss_i = -w[y_i] input[i, y_i]; 'mean'
    divides by the summed weights of the counted targets. ``cross_entropy`` is
    ``nll_loss(log_softmax(x))``."""
    op = "nll_loss"
    _check_reduction(reduction, op)
    rows, target, index_targets, batch_shape = _classes_last(input, target, op)
    if not index_targets:
        raise TypeError(f"{op}: target must hold class indices (an integer dtype), got dtype "
                        f"{target.dtype}")
    m, classes = rows.shape
    t = target.data
    valid = _check_indices(t, classes, ignore_index, op)
    w = _class_weight(weight, classes, rows.dtype, op)
    cls = np.where(valid, t, 0)
    scale = (np.ones(m, dtype=rows.dtype) if w is None else w[cls]) * valid
    losses = -(rows[np.arange(m), cls] * scale.astype(rows.dtype))
    if reduction == "none":
        return losses.reshape(batch_shape)
    total = losses.sum()
    if reduction == "sum":
        return total
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / np.asarray(scale.sum(), dtype=rows.dtype)


# --- binary -----------------------------------------------------------------------------------

class BinaryCrossEntropy(Function):
    """-w (y log x + (1 - y) log(1 - x)), each log clamped at -100 as PyTorch does so that
    x = 0 or 1 gives a large finite loss. d/dx = w (x - y) / max(x (1 - x), 1e-12);
    d/dy = w (log(1 - x) - log x) (clamped logs)."""

    @staticmethod
    def forward(ctx, x, y, w):
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), -100.0)
            log_1mx = np.maximum(np.log1p(-x), -100.0)
        loss = -(y * log_x + (1.0 - y) * log_1mx)
        return (loss if w is None else loss * w).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        x, y, w = ctx.inputs
        need_x, need_y, _ = ctx.needs_input_grad
        if w is not None:
            grad = grad * w
        grad_x = grad_y = None
        if need_x:
            grad_x = grad * (x - y) / ops.maximum(x * (1.0 - x), 1e-12)
        if need_y:
            with np.errstate(divide="ignore"):
                grad_y = grad * (ops.clip(ops.log(1.0 - x), min=-100.0)
                                 - ops.clip(ops.log(x), min=-100.0))
        return grad_x, grad_y, None

    @staticmethod
    def backward_arrays(ctx, grad):
        x, y, w = ctx.input_arrays
        need_x, need_y, _ = ctx.needs_input_grad
        if w is not None:
            grad = grad * w
        grad_x = grad_y = None
        if need_x:
            grad_x = grad * (x - y) / np.maximum(x * (1.0 - x), 1e-12)
        if need_y:
            with np.errstate(divide="ignore"):
                grad_y = grad * (np.maximum(np.log(1.0 - x), -100.0)
                                 - np.maximum(np.log(x), -100.0))
        return grad_x, grad_y, None


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None,
                         reduction: str = "mean") -> Tensor:
    """-w (y log x + (1 - y) log(1 - x)) for probabilities x in [0, 1] (e.g. after sigmoid);
    prefer ``binary_cross_entropy_with_logits``, which is stable for any logit."""
    op = "binary_cross_entropy"
    _check_reduction(reduction, op)
    input = _float_input(input, op)
    target = _matching_target(input, target, op)
    x = input.data
    if x.size and (np.nanmin(x) < 0 or np.nanmax(x) > 1 or np.isnan(x).any()):
        raise ValueError(f"{op}: input values must be probabilities in [0, 1], got values from "
                         f"{np.nanmin(x)} to {np.nanmax(x)}; apply sigmoid first, or use "
                         "binary_cross_entropy_with_logits on the logits")
    w = _broadcast_weight(weight, input, op)
    return _reduce(BinaryCrossEntropy.apply(input, target, w), reduction)


def _broadcast_weight(weight: Any, input: Tensor, op: str, name: str = "weight") -> Any:
    if weight is None:
        return None
    w = as_tensor(weight)
    try:
        shape = np.broadcast_shapes(w.shape, input.shape)
    except ValueError:
        shape = None
    if shape != input.shape:
        raise ValueError(f"{op}: {name} of shape {w.shape} does not broadcast to the input's "
                         f"shape {input.shape}")
    return w.data.astype(input.dtype, copy=False) if not w.requires_grad else w


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Any = None,
                                     reduction: str = "mean", pos_weight: Any = None) -> Tensor:
    """Binary cross-entropy of sigmoid(input), computed from the logits z without ever forming
    sigmoid: loss = softplus(z) - y z (= -y log s(z) - (1 - y) log(1 - s(z))), finite for any z.
    With ``pos_weight`` p (per class, broadcast over the last axis):
    loss = p y softplus(-z) + (1 - y) softplus(z)."""
    op = "binary_cross_entropy_with_logits"
    _check_reduction(reduction, op)
    input = _float_input(input, op)
    target = _matching_target(input, target, op)
    if pos_weight is None:
        loss = ops.softplus(input) - target * input
    else:
        p = _broadcast_weight(pos_weight, input, op, "pos_weight")
        loss = (target * p) * ops.softplus(-input) + (1.0 - target) * ops.softplus(input)
    w = _broadcast_weight(weight, input, op)
    if w is not None:
        loss = loss * w
    return _reduce(loss, reduction)
