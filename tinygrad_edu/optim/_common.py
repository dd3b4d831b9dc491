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
