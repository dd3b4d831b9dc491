"""``Tensor``: an ``np.ndarray`` plus what reverse-mode autodiff needs to know about it.

A tensor produced by an op remembers that op as ``grad_fn``; following ``grad_fn.inputs`` from a
result leads back through everything it was computed from. ``backward()`` walks that graph in
reverse (see ``autograd/engine.py``).
"""

from __future__ import annotations

import numbers
import operator
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np

from . import random as _random
from .utils import RemovableHandle

DTypeLike = Union[None, str, type, np.dtype]

float16, float32, float64 = np.float16, np.float32, np.float64
int8, int16, int32, int64, uint8, bool_ = np.int8, np.int16, np.int32, np.int64, np.uint8, np.bool_


def _to_array(data: Any, dtype: DTypeLike) -> np.ndarray:
    """Data as an ndarray: Python floats become float32, ints int64, an ndarray keeps its dtype."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.ndarray):
        if data.dtype.kind not in "biufc":
            raise TypeError(f"Tensor: cannot hold an array of dtype {data.dtype}; tensors hold "
                            "numbers (bool, int or float)")
        return data if dtype is None or data.dtype == dtype else data.astype(dtype)
    if dtype is not None:
        return np.array(data, dtype=dtype)
    if isinstance(data, np.generic):
        return np.array(data)
    arr = np.array(data)
    if arr.dtype == np.float64:
        return arr.astype(np.float32)
    if arr.dtype.kind in "iu" and arr.dtype != np.int64:
        return arr.astype(np.int64)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"Tensor: cannot make a tensor from {type(data).__name__} data "
                        f"{_short(data)}; give numbers, nested lists of one length, or an ndarray")
    return arr


def _short(data: Any) -> str:
    text = repr(data)
    return text if len(text) < 60 else text[:57] + "..."


class Tensor:
    """An n-dimensional array that can record the ops applied to it, for backpropagation.

    Args:
        data: a number, a (nested) list, an ``np.ndarray`` (used as is, not copied) or a Tensor.
        requires_grad: make this a leaf whose gradient ``backward()`` accumulates in ``.grad``.
        dtype: the NumPy dtype; by default Python floats give float32 and ints int64.
        name: shown in ``repr`` and in graph drawings.
    """

    # The four attributes every tensor needs are slots, set by every op; the rarely used ones
    # below are class-level defaults that an instance overrides in its __dict__ only when set.
    __slots__ = ("data", "grad", "grad_fn", "_requires_grad", "__dict__", "__weakref__")
    name: Optional[str] = None
    _hooks: Optional[dict] = None   # handle key -> hook, in registration order
    _retains_grad: bool = False

    # Make NumPy hand ``ndarray * Tensor`` over to ``Tensor.__rmul__`` instead of looping.
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False, dtype: DTypeLike = None,
                 name: Optional[str] = None) -> None:
        self.data = _to_array(data, dtype)
        self.grad: Optional[Tensor] = None
        self.grad_fn = None
        self._requires_grad = False
        if name is not None:
            self.name = name
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _from_op(cls, data: np.ndarray) -> "Tensor":
        """A plain tensor around an op's result: the hot path, so no checks and no copies."""
        t = object.__new__(Tensor)
        t.data = data
        t.grad = t.grad_fn = None
        t._requires_grad = False
        return t

    # --- autograd attributes -------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        """Whether ops on this tensor are recorded for backward."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if flag and self.data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require gradients, but this tensor has dtype "
                f"{self.data.dtype}; make it from floats (e.g. 3.0 rather than 3) or pass "
                "dtype=tinygrad_edu.float32")
        if not flag and self.grad_fn is not None:
            raise RuntimeError("requires_grad cannot be switched off on a tensor computed by an "
                               "op; use .detach() to get a tensor outside the graph")
        self._requires_grad = bool(flag)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set ``requires_grad`` in place and return self."""
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than by an op: their grads accumulate."""
        return self.grad_fn is None

    def backward(self, gradient: Any = None, retain_graph: bool = False,
                 create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        Args:
            gradient: d(loss)/d(self) when self is not a scalar (the vector of a vector-Jacobian
                product); defaults to 1 for a scalar.
            retain_graph: keep the saved arrays so that backward can run through the graph again.
            create_graph: record the backward pass too, so the gradients can be differentiated.
        """
        if (gradient is None and not create_graph and self.grad_fn is not None
                and self.data.size == 1):
            # The usual ``loss.backward()``: the implied gradient 1, without the general checks
            # (and, unless anomaly detection wants every gradient checked, the plain sweep).
            if _state.anomaly_enabled:
                _run_backward([self], None, retain_graph=retain_graph, create_graph=False)
            else:
                _run_plain_backward(self, retain_graph)
            return
        _autograd.backward([self], None if gradient is None else [gradient],
                           retain_graph=retain_graph or create_graph, create_graph=create_graph)

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward."""
        if self.grad_fn is None:
            return  # a leaf keeps its gradient anyway
        self._retains_grad = True
        self.grad_fn.output_watched = True

    def register_hook(self, hook: Callable[["Tensor"], Optional["Tensor"]]) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a Tensor it returns
        replaces the gradient. Returns a handle whose ``remove()`` unregisters it."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: this tensor does not require grad, so no gradient "
                               "will ever reach it")
        if self._hooks is None:
            self._hooks = {}
        if self.grad_fn is not None:
            self.grad_fn.output_watched = True
        return RemovableHandle(self._hooks, hook)

    def detach(self) -> "Tensor":
        """The same data (shared, not copied) as a new leaf outside any graph."""
        return Tensor._from_op(self.data)

    # --- array attributes ----------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        """The number of elements, as NumPy's ``size`` (PyTorch's ``numel()``)."""
        return self.data.size

    def numel(self) -> int:
        """The number of elements."""
        return self.data.size

    def dim(self) -> int:
        """The number of dimensions (PyTorch's name for ``ndim``)."""
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def device(self) -> str:
        """Always ``"cpu"``: tensors live in NumPy arrays."""
        return "cpu"

    @property
    def T(self) -> "Tensor":
        """All axes reversed (a transposed matrix for 2-D)."""
        return _ops.permute(self, *reversed(range(self.ndim)))

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    # --- conversion ----------------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def item(self) -> Union[float, int, bool]:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item(): only one-element tensors can be converted to a Python "
                             f"number, this one has shape {self.shape}; index it or reduce it "
                             "first (e.g. .sum())")
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iub":
            raise TypeError(f"only integer tensors can be used as an index, not {self.dtype}")
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self.data.size} elements is "
                               "ambiguous; use .any() or .all()")
        return bool(self.data.item())

    def to(self, dtype: DTypeLike) -> "Tensor":
        """The tensor in another dtype (differentiable between float dtypes)."""
        dtype = np.dtype(dtype)
        if dtype == self.data.dtype:
            return self
        return _ops_elementwise.Cast.apply(self, dtype)

    astype = to

    def float(self) -> "Tensor":
        """As float32."""
        return self.to(np.float32)

    def double(self) -> "Tensor":
        """As float64, e.g. for gradient checking."""
        return self.to(np.float64)

    def long(self) -> "Tensor":
        """As int64 (no gradient), e.g. for class labels."""
        return Tensor._from_op(self.data.astype(np.int64))

    def clone(self) -> "Tensor":
        """A copy of the data that stays in the graph (gradient flows through unchanged)."""
        return _ops.mul(self, 1) if self.requires_grad else Tensor._from_op(self.data.copy())

    # --- display -------------------------------------------------------------------------------
    def __repr__(self) -> str:
        extras = []
        if self.data.dtype not in (np.float32, np.int64, np.bool_):
            extras.append(f"dtype={self.data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name is not None:
            extras.append(f"name={self.name!r}")
        if self.data.size == 0:
            extras.insert(0, f"size={self.shape}")
        prefix = "tensor("
        body = np.array2string(self.data, separator=", ", prefix=prefix, threshold=1000)
        tail = "".join(f", {e}" for e in extras)
        return f"{prefix}{body}{tail})"

    # --- in-place updates (for optimizers and initialisers) ------------------------------------
    def _check_inplace(self, op: str) -> None:
        if _state.grad_enabled and (self._requires_grad or self.grad_fn is not None):
            raise RuntimeError(
                f"{op}: in-place changes to a tensor that requires grad would corrupt the graph; "
                "do them inside `with tinygrad_edu.no_grad():` (as optimizers do), or change "
                ".data directly")

    def _inplace(self, op: str, ufunc: Callable, other: Any) -> "Tensor":
        self._check_inplace(op)
        ufunc(self.data, _data(other), out=self.data, casting="same_kind")
        return self

    def add_(self, other: Any, alpha: float = 1.0) -> "Tensor":
        """self += alpha * other, in place."""
        return self._inplace("add_", np.add, other if alpha == 1 else _data(other) * alpha)

    def sub_(self, other: Any, alpha: float = 1.0) -> "Tensor":
        """self -= alpha * other, in place."""
        return self._inplace("sub_", np.subtract, other if alpha == 1 else _data(other) * alpha)

    def mul_(self, other: Any) -> "Tensor":
        """self *= other, in place."""
        return self._inplace("mul_", np.multiply, other)

    def div_(self, other: Any) -> "Tensor":
        """self /= other, in place."""
        return self._inplace("div_", np.true_divide, other)

    def copy_(self, other: Any) -> "Tensor":
        """Overwrite the values with ``other``'s (broadcast), in place."""
        self._check_inplace("copy_")
        np.copyto(self.data, _data(other), casting="same_kind")
        return self

    def zero_(self) -> "Tensor":
        """Set every element to 0, in place (e.g. ``x.grad.zero_()``)."""
        self._check_inplace("zero_")
        self.data[...] = 0
        return self

    def fill_(self, value: float) -> "Tensor":
        """Set every element to ``value``, in place."""
        self._check_inplace("fill_")
        self.data[...] = value
        return self

    def __iadd__(self, other: Any) -> "Tensor":
        return self._inplace("+=", np.add, other)

    def __isub__(self, other: Any) -> "Tensor":
        return self._inplace("-=", np.subtract, other)

    def __imul__(self, other: Any) -> "Tensor":
        return self._inplace("*=", np.multiply, other)

    def __itruediv__(self, other: Any) -> "Tensor":
        return self._inplace("/=", np.true_divide, other)

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check_inplace("item assignment")
        self.data[_index_arrays(index)] = _data(value)

    # --- operators -----------------------------------------------------------------------------
    # + - * / ** are made by _arithmetic_operator below, after the class.

    def __matmul__(self, other: Any) -> "Tensor":
        return _ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> "Tensor":
        return _ops.matmul(other, self)

    def __neg__(self) -> "Tensor":
        if _state.grad_enabled:
            return _Neg.apply_one(self)
        return _plain(-self.data)

    def __pos__(self) -> "Tensor":
        return self

    def __abs__(self) -> "Tensor":
        return _ops.abs(self)

    def __getitem__(self, index: Any) -> "Tensor":
        return _ops_movement.GetItem.apply(self, index=_index_arrays(index))

    # Comparisons give bool tensors and are not differentiable (their derivative is 0 a.e.).
    def __lt__(self, other: Any) -> "Tensor":
        return Tensor._from_op(self.data < _data(other))

    def __le__(self, other: Any) -> "Tensor":
        return Tensor._from_op(self.data <= _data(other))

    def __gt__(self, other: Any) -> "Tensor":
        return Tensor._from_op(self.data > _data(other))

    def __ge__(self, other: Any) -> "Tensor":
        return Tensor._from_op(self.data >= _data(other))

    def __eq__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return Tensor._from_op(np.asarray(self.data == _data(other)))

    def __ne__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return Tensor._from_op(np.asarray(self.data != _data(other)))

    # Tensors compare element-wise, so hashing must be by identity (as in PyTorch).
    __hash__ = object.__hash__

    # --- non-differentiable helpers ------------------------------------------------------------
    def argmax(self, axis: Optional[int] = None, keepdims: bool = False) -> "Tensor":
        """Index of the largest element (int64; no gradient)."""
        return Tensor._from_op(np.asarray(np.argmax(self.data, axis=axis, keepdims=keepdims)))

    def argmin(self, axis: Optional[int] = None, keepdims: bool = False) -> "Tensor":
        """Index of the smallest element (int64; no gradient)."""
        return Tensor._from_op(np.asarray(np.argmin(self.data, axis=axis, keepdims=keepdims)))

    def any(self) -> bool:
        return bool(np.any(self.data))

    def all(self) -> bool:
        return bool(np.all(self.data))

    def sign(self) -> "Tensor":
        """-1, 0 or 1 per element (no gradient: its derivative is 0 almost everywhere)."""
        return Tensor._from_op(np.sign(self.data))


# --- converting arguments ---------------------------------------------------------------------

def as_tensor(x: Any) -> Tensor:
    """``x`` if it is a Tensor, else a new constant Tensor of it."""
    return x if isinstance(x, Tensor) else Tensor(x)


# Operand types that need no conversion (checked by exact type: the hot path of every operator).
_PLAIN_OPERANDS = frozenset({Tensor, float, int, np.ndarray})


def as_operand(x: Any) -> Any:
    """An operator's other operand: Tensors and Python numbers pass through; a NumPy scalar
    becomes a Python number, so that, as in PyTorch, ``float32_tensor * np.float64(2)`` stays
    float32; anything else becomes an ndarray constant."""
    if isinstance(x, (Tensor, np.ndarray)):
        return x
    if isinstance(x, np.generic):  # before float: np.float64 is a float subclass
        return x.item()
    if isinstance(x, (bool, int, float)):
        return x
    if isinstance(x, numbers.Number):
        return complex(x)
    return _to_array(x, None)


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _index_arrays(index: Any) -> Any:
    """An index with Tensors and lists turned into ndarrays, so NumPy reads them as arrays."""
    if isinstance(index, tuple):
        return tuple(_index_arrays(part) for part in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return np.asarray(index)
    return index


# --- creation functions -----------------------------------------------------------------------

def tensor(data: Any, requires_grad: bool = False, dtype: DTypeLike = None,
           name: Optional[str] = None) -> Tensor:
    """A new Tensor (data is copied, as in ``torch.tensor``)."""
    array = _to_array(data, dtype)
    if isinstance(data, (np.ndarray, Tensor)) and array is _data(data):
        array = array.copy()
    return Tensor(array, requires_grad=requires_grad, name=name)


def shape_args(shape: tuple) -> tuple:
    """Accept both ``f(2, 3)`` and ``f((2, 3))``, as PyTorch does."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(n) for n in shape)


def zeros(*shape: Any, dtype: DTypeLike = np.float32, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return Tensor(np.zeros(shape_args(shape), dtype=dtype), requires_grad=requires_grad)


def ones(*shape: Any, dtype: DTypeLike = np.float32, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return Tensor(np.ones(shape_args(shape), dtype=dtype), requires_grad=requires_grad)


def full(shape: Sequence[int], fill_value: float, dtype: DTypeLike = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value`` (float32 for a float, int64 for an int)."""
    if dtype is None:
        dtype = _to_array(fill_value, None).dtype
    return Tensor(np.full(shape_args((shape,)), fill_value, dtype=dtype), requires_grad=requires_grad)


def arange(start: float, end: Optional[float] = None, step: float = 1, dtype: DTypeLike = None,
           requires_grad: bool = False) -> Tensor:
    """Evenly spaced values in [start, end): int64 for int arguments, float32 otherwise."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else np.float32
    return Tensor(np.arange(start, end, step, dtype=dtype), requires_grad=requires_grad)


def linspace(start: float, end: float, steps: int, dtype: DTypeLike = np.float32,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from start to end, both included."""
    return Tensor(np.linspace(start, end, steps, dtype=dtype), requires_grad=requires_grad)


def eye(n: int, m: Optional[int] = None, dtype: DTypeLike = np.float32,
        requires_grad: bool = False) -> Tensor:
    """The identity matrix (n x m)."""
    return Tensor(np.eye(n, m, dtype=dtype), requires_grad=requires_grad)


def rand(*shape: Any, dtype: DTypeLike = np.float32, requires_grad: bool = False) -> Tensor:
    """Uniform samples from [0, 1), drawn from the generator ``manual_seed`` seeds."""
    data = _random.generator().random(shape_args(shape), dtype=np.float64).astype(dtype)
    return Tensor(data, requires_grad=requires_grad)


def randn(*shape: Any, dtype: DTypeLike = np.float32, requires_grad: bool = False) -> Tensor:
    """Standard normal samples, drawn from the generator ``manual_seed`` seeds."""
    data = _random.generator().standard_normal(shape_args(shape)).astype(dtype)
    return Tensor(data, requires_grad=requires_grad)


def randint(low: int, high: int, size: Sequence[int]) -> Tensor:
    """Integers from [low, high) (int64), e.g. random class labels."""
    return Tensor(_random.generator().integers(low, high, size=shape_args((size,)), dtype=np.int64))


def zeros_like(x: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """Zeros with ``x``'s shape and dtype."""
    return Tensor(np.zeros_like(_data(x), dtype=dtype), requires_grad=requires_grad)


def ones_like(x: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """Ones with ``x``'s shape and dtype."""
    return Tensor(np.ones_like(_data(x), dtype=dtype), requires_grad=requires_grad)


def full_like(x: Any, fill_value: float, dtype: DTypeLike = None,
              requires_grad: bool = False) -> Tensor:
    """``fill_value`` with ``x``'s shape and dtype."""
    return Tensor(np.full_like(_data(x), fill_value, dtype=dtype), requires_grad=requires_grad)


# Tensor, the engine and the ops refer to each other; they are imported once Tensor exists.
from . import autograd as _autograd  # noqa: E402
from .autograd.engine import run_backward as _run_backward  # noqa: E402
from .autograd.engine import run_plain_backward as _run_plain_backward  # noqa: E402
from .autograd.grad_mode import state as _state  # noqa: E402
from .autograd.function import NO_OPTIONS  # noqa: E402
from . import ops as _ops  # noqa: E402
from .ops import elementwise as _ops_elementwise  # noqa: E402
from .ops import movement as _ops_movement  # noqa: E402

_Neg = _ops_elementwise.Neg
ndarray, _asarray, _new_object = np.ndarray, np.asarray, object.__new__
# Shared tuples of bools (they leave the cycle collector), indexed by bools: [need_a][need_b].
_PAIR_NEEDS = tuple(tuple((x, y) for y in (False, True)) for x in (False, True))


def _plain(data: Any) -> Tensor:
    """A result computed with nothing to record, as a Tensor (NumPy gives 0-d results as
    scalars; a Tensor always holds an ndarray)."""
    return Tensor._from_op(data if type(data) is np.ndarray else np.asarray(data))


def _arithmetic_operator(function: type, array_op: Callable, reflected: bool = False):
    """The operator method for one arithmetic Function (``__mul__`` for ``Mul``...).

    The Function's forward is exactly ``array_op`` on the operands' arrays and saves nothing
    (``tests/core/test_apply_paths.py`` holds them to it), so the operator computes
    ``array_op`` itself and, when there is something to record, makes the node the way
    ``Function.apply`` would, written out: every equation solve and small model pays for each
    operator, and a call less or a check less per op shows in their step time. A GradientTape
    recording or anomaly detection goes through ``apply``.

    When grad mode is off -- during an ordinary backward pass, in optimizer updates, under
    ``no_grad()`` -- there is nothing to record, and the operator is the NumPy operation alone.
    """
    apply, scalars = function.apply, function.scalar_operands

    def operator_method(self: Tensor, other: Any) -> Tensor:
        if type(other) not in _PLAIN_OPERANDS:
            other = as_operand(other)
        st = _state
        if not st.plain_recording:
            if st.grad_enabled:   # a GradientTape or anomaly detection: the general path
                return apply(other, self) if reflected else apply(self, other)
            if isinstance(other, Tensor):
                other = other.data
            try:
                return _plain(array_op(other, self.data) if reflected
                              else array_op(self.data, other))
            except ValueError:
                # Let the Function report the error, naming the op and the shapes.
                return apply(other, self) if reflected else apply(self, other)
        if reflected:
            a, b = other, self
        else:
            a, b = self, other
        # Each operand's array, as apply hands it to forward (a 0-d float array as its NumPy
        # scalar, for a scalar_operands op), and whether it needs a gradient. ``type(x) is
        # Tensor`` first: the common case, at half the cost of isinstance.
        if type(a) is Tensor or isinstance(a, Tensor):
            array_a, need_a = a.data, a._requires_grad
            if scalars and not array_a.ndim and array_a.dtype.kind == "f":
                array_a = array_a[()]
        else:
            array_a, need_a = a, False
        if type(b) is Tensor or isinstance(b, Tensor):
            array_b, need_b = b.data, b._requires_grad
            if scalars and not array_b.ndim and array_b.dtype.kind == "f":
                array_b = array_b[()]
        else:
            array_b, need_b = b, False
        try:
            data = array_op(array_a, array_b)
        except ValueError:
            return apply(a, b)   # nothing has changed yet: let apply explain the error
        if type(data) is not ndarray:
            data = _asarray(data)
        out = _new_object(Tensor)
        out.data = data
        out.grad = None
        if not (need_a or need_b) or data.dtype.kind not in "fc":
            out._requires_grad = False
            out.grad_fn = None
            return out
        generation = 0
        if need_a:
            node = a.grad_fn
            if node is not None:
                generation = node.generation
        if need_b:
            node = b.grad_fn
            if node is not None and node.generation > generation:
                generation = node.generation
        # attach_node's work, written out too.
        ctx = function()
        ctx._saved = None
        ctx.needs_input_grad = _PAIR_NEEDS[need_a][need_b]
        ctx.inputs = (a, b)
        ctx.input_arrays = (array_a, array_b)
        ctx.options = NO_OPTIONS
        ctx.generation = generation + 1
        ctx._output = None
        out._requires_grad = True
        out.grad_fn = ctx
        return out

    operator_method.__doc__ = f"{function.__name__}, differentiable."
    # Each operator runs its own copy of this code. CPython (3.11+) specializes an instruction
    # for the one type it keeps seeing; with one shared copy, the stores into the node would
    # see Add, Mul, Sub... nodes by turns and stay generic. (An equation step: 3% faster.)
    operator_method.__code__ = operator_method.__code__.replace()
    return operator_method


def _install_op_methods() -> None:
    """Each op function ``f(x, ...)`` doubles as the method ``x.f(...)``: one definition."""
    for name in _ops.__all__:
        if name not in ("concatenate", "cat", "stack", "where", "getitem"):
            setattr(Tensor, name, getattr(_ops, name))
    for name, function, array_op in (("add", _ops_elementwise.Add, operator.add),
                                     ("sub", _ops_elementwise.Sub, operator.sub),
                                     ("mul", _ops_elementwise.Mul, operator.mul),
                                     ("truediv", _ops_elementwise.Div, operator.truediv),
                                     ("pow", _ops_elementwise.Pow, operator.pow)):
        setattr(Tensor, f"__{name}__", _arithmetic_operator(function, array_op))
        setattr(Tensor, f"__r{name}__", _arithmetic_operator(function, array_op, True))
    Tensor.swapaxes = _ops.transpose  # NumPy's name for swapping two axes
    Tensor.view = _ops.reshape        # PyTorch's name (always a reshape here)


_install_op_methods()
