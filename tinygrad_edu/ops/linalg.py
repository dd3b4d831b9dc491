"""Matrix multiplication, fused into one op: one BLAS call forward, two backward."""

from __future__ import annotations

import numpy as np

from ..autograd.engine import sum_array_to
from ..autograd.function import Function
from ..tensor import Tensor, as_tensor


class MatMul(Function):
    """a @ b with NumPy's rules (1-D operands, broadcast batch axes).

    d/da = g @ b^T and d/db = a^T @ g on the matrix axes. A 1-D ``a`` acts as a row (1, k) and a
    1-D ``b`` as a column (k, 1); the batch axes a operand was broadcast over are summed away.
    """

    @staticmethod
    def forward(ctx, a, b):
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        a2 = a if a.ndim > 1 else a.reshape(1, -1)
        b2 = b if b.ndim > 1 else b.reshape(-1, 1)
        # The gradient as if both operands had been matrices all along.
        shape = list(grad.shape)
        if b.ndim == 1:
            shape.append(1)
        if a.ndim == 1:
            shape.insert(len(shape) - 1, 1)
        g2 = grad.reshape(tuple(shape))
        grad_a = grad_b = None
        if need_a:
            grad_a = (g2 @ b2.transpose(-1, -2)).sum_to(a2.shape).reshape(a.shape)
        if need_b:
            grad_b = (a2.transpose(-1, -2) @ g2).sum_to(b2.shape).reshape(b.shape)
        return grad_a, grad_b

    @staticmethod
    def backward_arrays(ctx, grad):
        a, b = ctx.input_arrays
        need_a, need_b = ctx.needs_input_grad
        if a.ndim == 2 and b.ndim == 2:   # the common case: no reshapes, no batch axes
            return (grad @ b.T if need_a else None), (a.T @ grad if need_b else None)
        a2 = a if a.ndim > 1 else a.reshape(1, -1)
        b2 = b if b.ndim > 1 else b.reshape(-1, 1)
        shape = list(np.shape(grad))
        if b.ndim == 1:
            shape.append(1)
        if a.ndim == 1:
            shape.insert(len(shape) - 1, 1)
        g2 = np.reshape(grad, tuple(shape))
        grad_a = grad_b = None
        if need_a:
            grad_a = sum_array_to(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if need_b:
            grad_b = sum_array_to(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape)
        return grad_a, grad_b


def matmul(a, b) -> Tensor:
    """Matrix product ``a @ b`` with NumPy's rules for 1-D and batched operands."""
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both operands need at least one dimension, got shapes "
                         f"{a.shape} and {b.shape}; use * to multiply by a scalar")
    inner_a = a.shape[-1]
    inner_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if inner_a != inner_b:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not fit: the last axis of "
                         f"the first ({inner_a}) must equal the "
                         f"{'second-to-last' if b.ndim > 1 else 'only'} axis of the second "
                         f"({inner_b})")
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(f"matmul: the batch axes of {a.shape} and {b.shape} do not broadcast")\
            from None
    return MatMul.apply(a, b)
