"""The differentiable ops, as functions; ``Tensor`` exposes each as a method too.

Primitives with hand-written backward live in ``elementwise``, ``reduce``, ``movement`` and
``linalg``; everything else (mean, var, std, stack, split, flatten...) is composed from them, so
its gradient needs no derivation of its own.
"""

# Everything imported here is exported through __all__ below.
from .elementwise import (  # noqa: F401
    abs, add, clip, cos, div, exp, leaky_relu, log, maximum, minimum, mul, neg, pow, relu,
    sigmoid, sin, softplus, sqrt, sub, tanh, where,
)
from .linalg import matmul  # noqa: F401
from .movement import (  # noqa: F401
    broadcast_to, concatenate, expand, flatten, getitem, pad, permute, reshape, split, squeeze,
    stack, sum_to, transpose, unsqueeze,
)
from .reduce import log_softmax, logsumexp, max, mean, min, softmax, std, sum, var  # noqa: F401

clamp = clip
cat = concatenate

#: Every public differentiable op, by name. The test suite checks that each has a property test.
DIFFERENTIABLE_OPS = (
    "add", "sub", "mul", "div", "neg", "pow", "matmul",
    "exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "leaky_relu",
    "softplus", "clip", "maximum", "minimum", "where",
    "sum", "mean", "max", "min", "var", "std", "logsumexp", "softmax", "log_softmax",
    "reshape", "transpose", "permute", "flatten", "squeeze", "unsqueeze", "expand",
    "broadcast_to", "sum_to", "concatenate", "stack", "split", "pad", "getitem",
)

__all__ = list(DIFFERENTIABLE_OPS) + ["clamp", "cat"]
