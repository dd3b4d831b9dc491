"""tinygrad_edu: a small, readable automatic-differentiation framework on NumPy.

Start with ``Tensor`` (tensor.py), follow ``backward()`` into ``autograd/engine.py``, and read
any op's forward and backward in ``ops/``.
"""

from .tensor import (  # noqa: F401  (Tensor first: everything else builds on it)
    Tensor, arange, bool_, eye, float16, float32, float64, full, full_like, int8, int16, int32,
    int64, linspace, ones, ones_like, rand, randint, randn, tensor, uint8, zeros, zeros_like,
)
from . import autograd, func  # noqa: F401
from .autograd import (  # noqa: F401
    detect_anomaly, enable_grad, is_grad_enabled, no_grad, set_grad_enabled,
)
from .ops import *  # noqa: F401,F403
from .ops import DIFFERENTIABLE_OPS  # noqa: F401
from .random import manual_seed  # noqa: F401
from .tape import GradientTape  # noqa: F401
from . import data, datasets, nn, optim, solvers, training, viz  # noqa: F401
from .serialization import load, save  # noqa: F401

__version__ = "0.1.0"
