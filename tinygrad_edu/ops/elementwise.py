"""Element-wise ops: the arithmetic operators and the unary math functions.

Each backward is the chain rule with the op's local derivative, written with Tensor ops so that
``create_graph=True`` can differentiate it again. Broadcasting between inputs is undone by the
engine, so a backward here returns gradients of the *output's* shape.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor, as_operand, as_tensor


class Add(Function):
    """a + b;  d/da = 1, d/db = 1."""

    scalar_operands = True

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad

    backward_arrays = backward   # the same on arrays


class Sub(Function):
    """a - b;  d/da = 1, d/db = -1."""

    scalar_operands = True

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.needs_input_grad[1] else None)

    backward_arrays = backward   # the same on arrays


class Mul(Function):
    """a * b;  d/da = b, d/db = a."""

    scalar_operands = True

    @staticmethod
    def forward(ctx, a, b):
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        return (grad * b if need_a else None), (grad * a if need_b else None)

    @staticmethod
    def backward_arrays(ctx, grad):
        a, b = ctx.input_arrays
        need_a, need_b = ctx.needs_input_grad
        return (grad * b if need_a else None), (grad * a if need_b else None)


class Div(Function):
    """a / b;  d/da = 1/b, d/db = -a/b^2 = -(a/b)/b."""

    scalar_operands = True

    @staticmethod
    def forward(ctx, a, b):
        return a / b

    @staticmethod
    def backward(ctx, grad):
        b = ctx.inputs[1]
        grad_a = grad / b
        grad_b = -(grad_a * ctx.output) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b

    @staticmethod
    def backward_arrays(ctx, grad):
        grad_a = grad / ctx.input_arrays[1]
        grad_b = -(grad_a * ctx.output.data) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Neg(Function):
    """-a;  d/da = -1."""

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad):
        return -grad

    backward_arrays = backward   # the same expression on arrays


class Pow(Function):
    """a ** b;  d/da = b a^(b-1),  d/db = a^b log(a) (taken as 0 where a <= 0)."""

    @staticmethod
    def forward(ctx, a, b):
        return a ** b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_b = None
        if need_a:
            if isinstance(b, (int, float)) and b == 2:
                grad_a = grad * (a * 2.0)       # the common square, without a second Pow
            else:
                grad_a = grad * b * a ** (b - 1)
        if need_b:
            positive = as_tensor(a).data > 0
            safe_a = where(positive, a, 1.0)
            grad_b = grad * where(positive, ctx.output * log(safe_a), 0.0)
        return grad_a, grad_b

    @staticmethod
    def backward_arrays(ctx, grad):
        a, b = ctx.input_arrays
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_b = None
        if need_a:
            if isinstance(b, (int, float)) and b == 2:
                grad_a = grad * (a * 2.0)
            else:
                grad_a = grad * b * a ** (b - 1)
        if need_b:
            positive = np.asarray(a) > 0
            safe_a = np.where(positive, a, 1.0)
            grad_b = grad * np.where(positive, ctx.output.data * np.log(safe_a), 0.0)
        return grad_a, grad_b


class Exp(Function):
    """exp(a);  d/da = exp(a), the output itself."""

    @staticmethod
    def forward(ctx, a):
        return np.exp(a)

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.output

    @staticmethod
    def backward_arrays(ctx, grad):
        return grad * ctx.output.data


class Log(Function):
    """log(a) (natural);  d/da = 1/a."""

    @staticmethod
    def forward(ctx, a):
        return np.log(a)

    @staticmethod
    def backward(ctx, grad):
        return grad / ctx.inputs[0]

    @staticmethod
    def backward_arrays(ctx, grad):
        return grad / ctx.input_arrays[0]


class Sqrt(Function):
    """sqrt(a);  d/da = 1 / (2 sqrt(a))."""

    @staticmethod
    def forward(ctx, a):
        return np.sqrt(a)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0.5 / ctx.output

    @staticmethod
    def backward_arrays(ctx, grad):
        return grad * 0.5 / ctx.output.data


class Abs(Function):
    """|a|;  d/da = sign(a), taken as 0 at a = 0 (as PyTorch does)."""

    @staticmethod
    def forward(ctx, a):
        return np.abs(a)

    @staticmethod
    def backward(ctx, grad):
        return grad * np.sign(ctx.inputs[0].data)

    @staticmethod
    def backward_arrays(ctx, grad):
        return grad * np.sign(ctx.input_arrays[0])


class Sin(Function):
    """sin(a);  d/da = cos(a)."""

    @staticmethod
    def forward(ctx, a):
        return np.sin(a)

    @staticmethod
    def backward(ctx, grad):
        return grad * cos(ctx.inputs[0])

    @staticmethod
    def backward_arrays(ctx, grad):
        return grad * np.cos(ctx.input_arrays[0])


class Cos(Function):
    """cos(a);  d/da = -sin(a)."""

    @staticmethod
    def forward(ctx, a):
        return np.cos(a)

    @staticmethod
    def backward(ctx, grad):
        return -(grad * sin(ctx.inputs[0]))

    @staticmethod
    def backward_arrays(ctx, grad):
        return -(grad * np.sin(ctx.input_arrays[0]))


class Tanh(Function):
    """tanh(a);  d/da = 1 - tanh(a)^2."""

    @staticmethod
    def forward(ctx, a):
        return np.tanh(a)

    @staticmethod
    def backward(ctx, grad):
        y = ctx.output
        return grad * (1.0 - y * y)

    @staticmethod
    def backward_arrays(ctx, grad):
        y = ctx.output.data
        return grad * (1.0 - y * y)


class Sigmoid(Function):
    """1 / (1 + exp(-a));  d/da = s (1 - s).

    Computed as exp(-log(1 + exp(-a))) through ``logaddexp``, which never overflows: the naive
    formula overflows ``exp(-a)`` for a = -1e4.
    """

    @staticmethod
    def forward(ctx, a):
        return _sigmoid_array(a)

    @staticmethod
    def backward(ctx, grad):
        s = ctx.output
        return grad * (s * (1.0 - s))

    @staticmethod
    def backward_arrays(ctx, grad):
        s = ctx.output.data
        return grad * (s * (1.0 - s))


def _sigmoid_array(a: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -a)).astype(a.dtype, copy=False)


class Relu(Function):
    """max(a, 0);  d/da = 1 where a > 0, else 0 (0 at the kink, as PyTorch)."""

    @staticmethod
    def forward(ctx, a):
        out = np.maximum(a, 0)
        # Only a bool array (it becomes int64) or one of non-native byte order changes dtype:
        # the test costs less than a no-op astype.
        return out if out.dtype is a.dtype else out.astype(a.dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad * (ctx.inputs[0].data > 0)

    @staticmethod
    def backward_arrays(ctx, grad):
        a = ctx.input_arrays[0]
        # A mask in the input's float dtype (NumPy multiplies by a bool mask about a fifth
        # slower, casting it on the fly), then scaled in place: the mask is new, so the
        # product needs no array of its own.
        local = (a > 0).astype(a.dtype)
        local *= grad
        return local


class LeakyRelu(Function):
    """a where a > 0, else slope * a;  d/da = 1 or slope."""

    @staticmethod
    def forward(ctx, a, negative_slope):
        return np.where(a > 0, a, a * negative_slope).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        a, slope = ctx.inputs
        local = np.where(a.data > 0, 1.0, slope).astype(a.data.dtype, copy=False)
        return grad * local, None

    backward_arrays = backward


class Softplus(Function):
    """log(1 + exp(beta a)) / beta;  d/da = sigmoid(beta a).

    ``logaddexp(0, beta a)`` keeps it finite for inputs of any size.
    """

    @staticmethod
    def forward(ctx, a, beta):
        return (np.logaddexp(0.0, beta * a) / beta).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        a, beta = ctx.inputs
        return grad * sigmoid(a * beta), None

    @staticmethod
    def backward_arrays(ctx, grad):
        a, beta = ctx.input_arrays
        return grad * _sigmoid_array(a * beta), None


class Clip(Function):
    """a limited to [low, high];  d/da = 1 inside (bounds included, as PyTorch), 0 outside."""

    @staticmethod
    def forward(ctx, a, low, high):
        return np.clip(a, low, high).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        a, low, high = ctx.inputs
        inside = np.ones(a.shape, dtype=bool)
        if low is not None:
            inside &= a.data >= low
        if high is not None:
            inside &= a.data <= high
        return grad * inside, None, None

    backward_arrays = backward


class Maximum(Function):
    """Element-wise max(a, b);  the gradient goes to the larger input, half to each on a tie."""

    @staticmethod
    def forward(ctx, a, b):
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        return _split_between(ctx, grad, np.greater)

    backward_arrays = backward   # grad * share: Tensor in, Tensor out; array in, array out


class Minimum(Function):
    """Element-wise min(a, b);  the gradient goes to the smaller input, half to each on a tie."""

    @staticmethod
    def forward(ctx, a, b):
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        return _split_between(ctx, grad, np.less)

    backward_arrays = backward


def _split_between(ctx, grad, wins):
    a, b = (x.data if isinstance(x, Tensor) else np.asarray(x) for x in ctx.inputs)
    dtype = ctx.output.data.dtype
    share_a = (wins(a, b) + 0.5 * (a == b)).astype(dtype)
    need_a, need_b = ctx.needs_input_grad
    return (grad * share_a if need_a else None), (grad * (1.0 - share_a) if need_b else None)


class Where(Function):
    """cond ? a : b;  the gradient goes to a where cond holds and to b elsewhere."""

    @staticmethod
    def forward(ctx, condition, a, b):
        return np.where(condition, a, b)

    @staticmethod
    def backward(ctx, grad):
        condition = ctx.inputs[0]
        need_a, need_b = ctx.needs_input_grad[1:]
        return (None,
                where(condition, grad, 0.0) if need_a else None,
                where(condition, 0.0, grad) if need_b else None)

    @staticmethod
    def backward_arrays(ctx, grad):
        condition = ctx.input_arrays[0]
        need_a, need_b = ctx.needs_input_grad[1:]
        return (None,
                np.where(condition, grad, 0.0) if need_a else None,
                np.where(condition, 0.0, grad) if need_b else None)


class Cast(Function):
    """The same values in another dtype;  the gradient is cast back."""

    @staticmethod
    def forward(ctx, a, dtype):
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad.to(ctx.inputs[0].data.dtype), None

    @staticmethod
    def backward_arrays(ctx, grad):
        return grad.astype(ctx.input_arrays[0].dtype), None


# --- the functional forms ---------------------------------------------------------------------

def add(a, b) -> Tensor:
    """a + b, broadcasting as NumPy does."""
    return Add.apply(as_operand(a), as_operand(b))


def sub(a, b) -> Tensor:
    """a - b."""
    return Sub.apply(as_operand(a), as_operand(b))


def mul(a, b) -> Tensor:
    """a * b."""
    return Mul.apply(as_operand(a), as_operand(b))


def div(a, b) -> Tensor:
    """a / b (true division)."""
    return Div.apply(as_operand(a), as_operand(b))


def neg(a) -> Tensor:
    """-a."""
    return Neg.apply_one(a)


def pow(a, exponent) -> Tensor:  # noqa: A001 - the PyTorch name
    """a ** exponent; either may be a Tensor."""
    return Pow.apply(as_operand(a), as_operand(exponent))


def exp(x) -> Tensor:
    """e ** x."""
    return Exp.apply_one(x)


def log(x) -> Tensor:
    """Natural logarithm."""
    return Log.apply_one(x)


def sqrt(x) -> Tensor:
    """Square root."""
    return Sqrt.apply_one(x)


def abs(x) -> Tensor:  # noqa: A001
    """|x|; its gradient at 0 is 0."""
    return Abs.apply_one(x)


def sin(x) -> Tensor:
    """Sine."""
    return Sin.apply_one(x)


def cos(x) -> Tensor:
    """Cosine."""
    return Cos.apply_one(x)


def tanh(x) -> Tensor:
    """Hyperbolic tangent."""
    return Tanh.apply_one(x)


def sigmoid(x) -> Tensor:
    """The logistic function 1 / (1 + e^-x), stable for inputs of any size."""
    return Sigmoid.apply_one(x)


def relu(x) -> Tensor:
    """max(x, 0)."""
    return Relu.apply_one(x)


def leaky_relu(x, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, else negative_slope * x."""
    return LeakyRelu.apply(as_tensor(x), float(negative_slope))


def softplus(x, beta: float = 1.0) -> Tensor:
    """log(1 + e^(beta x)) / beta, a smooth relu; stable for inputs of any size."""
    if beta <= 0:
        raise ValueError(f"softplus: beta must be positive, got {beta}")
    return Softplus.apply(as_tensor(x), float(beta))


def clip(x, min=None, max=None) -> Tensor:  # noqa: A002 - NumPy's and PyTorch's names
    """x limited to [min, max] (either bound may be None); also called ``clamp``."""
    if min is None and max is None:
        raise ValueError("clip: give at least one of min and max")
    if min is not None and max is not None and min > max:
        raise ValueError(f"clip: min ({min}) is greater than max ({max})")
    return Clip.apply(as_tensor(x), min, max)


def maximum(a, b) -> Tensor:
    """Element-wise maximum; ties split the gradient evenly."""
    return Maximum.apply(as_operand(a), as_operand(b))


def minimum(a, b) -> Tensor:
    """Element-wise minimum; ties split the gradient evenly."""
    return Minimum.apply(as_operand(a), as_operand(b))


def where(condition, a, b) -> Tensor:
    """a where condition holds, else b (``condition`` is a bool array or Tensor, no gradient)."""
    if isinstance(condition, Tensor):
        condition = condition.data
    condition = np.asarray(condition)
    if condition.dtype != np.bool_:
        raise TypeError(f"where: the condition must be boolean, got dtype {condition.dtype}; "
                        "compare first, e.g. where(x > 0, x, 0)")
    return Where.apply(condition, as_operand(a), as_operand(b))
