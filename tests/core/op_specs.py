"""One declaration per differentiable op, from which its property tests are made.

Each ``OpSpec`` says how to call the op (as a function and through its operator or method), a
NumPy reference for its value, how to draw its arguments (shapes, and values inside the op's
domain, away from kinks) and whether it is smooth enough for a second-order check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg

SMALL_SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
NONEMPTY_SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def floats(low: float, high: float) -> st.SearchStrategy:
    return st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)


def away_from(points: tuple, margin: float, low: float = -3.0, high: float = 3.0):
    """Values in [low, high] at least ``margin`` from each kink in ``points``."""
    return floats(low, high).filter(lambda v: all(abs(v - p) > margin for p in points))


def array(shape, elements=None, unique=False):
    return hnp.arrays(np.float64, shape, elements=floats(-3, 3) if elements is None else elements, unique=unique)


@st.composite
def unary(draw, elements=None, shapes=SMALL_SHAPES, unique=False):
    return [draw(array(draw(shapes), elements, unique))]


@st.composite
def binary_broadcast(draw, elements_a=None, elements_b=None, min_dims=0):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=min_dims, max_dims=3,
                                                    min_side=1, max_side=3))
    a_shape, b_shape = shapes.input_shapes
    return [draw(array(a_shape, elements_a)), draw(array(b_shape, elements_b))]


@st.composite
def distinct_pair(draw):
    """Two broadcastable arrays that differ everywhere (ties are tested on their own)."""
    a, b = draw(binary_broadcast())
    assume(np.all(np.abs(np.subtract(a, b)) > 1e-3))
    return [a, b]


@st.composite
def axis_for(draw, args):
    """An axis argument valid for the first array: None, an int or a tuple, maybe negative."""
    ndim = args[0].ndim
    if ndim == 0:
        return draw(st.sampled_from([None, 0, -1]))
    axes = st.integers(-ndim, ndim - 1)
    return draw(st.one_of(st.none(), axes,
                          st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                                   unique=True).map(tuple)))


@st.composite
def single_axis_for(draw, args):
    ndim = args[0].ndim
    return draw(st.integers(-ndim, ndim - 1))


@st.composite
def matmul_args(draw):
    """Operands covering 1-D vectors, matrices and broadcast batches."""
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    kind = draw(st.sampled_from(["mm", "mv", "vm", "vv", "batched", "broadcast"]))
    shapes = {
        "mm": ((n, k), (k, m)), "mv": ((n, k), (k,)), "vm": ((k,), (k, m)), "vv": ((k,), (k,)),
        "batched": ((2, n, k), (2, k, m)), "broadcast": ((2, 1, n, k), (3, k, m)),
    }[kind]
    return [draw(array(shapes[0])), draw(array(shapes[1]))]


@st.composite
def reshape_target(draw, args):
    """A shape with the same element count, sometimes with a -1."""
    size = args[0].size
    dims = [d for d in range(1, size + 1) if size % d == 0]
    first = draw(st.sampled_from(dims))
    shape = (first, size // first)
    return {"shape": draw(st.sampled_from([shape, (shape[0], -1), (-1,), (size,)]))}


@st.composite
def permutation_for(draw, args):
    return {"dims": tuple(draw(st.permutations(range(args[0].ndim))))}


@st.composite
def index_for(draw, args):
    """Basic indices, integer arrays (with repeats) and boolean masks."""
    shape = args[0].shape
    kind = draw(st.sampled_from(["basic", "integer", "mask"] if shape else ["basic"]))
    if kind == "basic":
        index = draw(hnp.basic_indices(shape, min_dims=0, allow_newaxis=True,
                                       allow_ellipsis=True))
    elif kind == "integer":
        index = draw(hnp.integer_array_indices(shape, result_shape=hnp.array_shapes(max_dims=2,
                                                                               max_side=4)))
    else:
        index = draw(hnp.arrays(np.bool_, shape))
    assume(np.asarray(args[0][index]).size > 0)
    return {"index": index}


@dataclass
class OpSpec:
    """How to test one op. ``forms`` call it as ``f(*tensors, **kwargs)`` in each public way."""

    name: str
    forms: dict
    reference: Any  # a NumPy function, or a dict of them keyed by form
    args: st.SearchStrategy
    kwargs: Callable[[list], st.SearchStrategy] = field(default=lambda args: st.just({}))
    smooth: bool = True
    rtol: float = 1e-7
    eps: float = 1e-6

    def __repr__(self) -> str:
        return f"OpSpec({self.name})"

    def reference_for(self, form: str) -> Callable[..., Any]:
        return self.reference[form] if isinstance(self.reference, dict) else self.reference


def _just(**kw):
    return lambda args: st.just(kw)


def _kw(name: str, strategy_of_args: Callable) -> Callable:
    return lambda args: strategy_of_args(args).map(lambda v: {name: v})


def _axis_keepdims(args):
    return st.fixed_dictionaries({"axis": axis_for(args), "keepdims": st.booleans()})


def _np_reduce(fn):
    def reference(a, axis=None, keepdims=False):
        # PyTorch (and tinygrad_edu) accept axis 0 / -1 on a 0-d tensor; NumPy does not.
        return fn(a, axis=None if a.ndim == 0 else axis, keepdims=keepdims)
    return reference


def _softmax_ref(a, axis):
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _logsumexp_ref(a, axis=None, keepdims=False):
    axis = None if a.ndim == 0 else axis
    m = a.max(axis=axis, keepdims=True)
    out = np.log(np.exp(a - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


POSITIVE = floats(0.1, 3.0)
# Distinct values at least 0.1 apart: no ties, and no near-ties within a difference step.
SPACED = st.integers(-40, 40).map(lambda i: i / 10)
KINK_AT_ZERO = away_from((0.0,), 0.05)


SPECS = [
    # --- arithmetic: each as a function and through its operator ---
    OpSpec("add", {"function": tg.add, "operator": lambda a, b: a + b},
           np.add, binary_broadcast()),
    OpSpec("sub", {"function": tg.sub, "operator": lambda a, b: a - b},
           np.subtract, binary_broadcast()),
    OpSpec("mul", {"function": tg.mul, "operator": lambda a, b: a * b},
           np.multiply, binary_broadcast()),
    OpSpec("div", {"function": tg.div, "operator": lambda a, b: a / b},
           np.divide, binary_broadcast(elements_b=away_from((0.0,), 0.3))),
    OpSpec("neg", {"function": tg.neg, "operator": lambda a: -a}, np.negative, unary()),
    OpSpec("pow", {"function": tg.pow, "operator": lambda a, b: a ** b},
           np.power, binary_broadcast(elements_a=POSITIVE, elements_b=floats(-2, 2))),
    OpSpec("pow_constant", {"cube": lambda a: a ** 3, "square": lambda a: a ** 2,
                            "reflected": lambda a: 2.0 ** a},
           {"cube": lambda a: a ** 3, "square": lambda a: a ** 2,
            "reflected": lambda a: 2.0 ** a}, unary()),
    OpSpec("matmul", {"function": tg.matmul, "operator": lambda a, b: a @ b},
           np.matmul, matmul_args()),
    # --- unary math ---
    OpSpec("exp", {"function": tg.exp, "method": lambda a: a.exp()}, np.exp, unary()),
    OpSpec("log", {"function": tg.log, "method": lambda a: a.log()}, np.log,
           unary(elements=POSITIVE)),
    OpSpec("sqrt", {"function": tg.sqrt, "method": lambda a: a.sqrt()}, np.sqrt,
           unary(elements=POSITIVE)),
    OpSpec("abs", {"function": tg.abs, "operator": lambda a: abs(a)}, np.abs,
           unary(elements=KINK_AT_ZERO), smooth=False),
    OpSpec("sin", {"function": tg.sin, "method": lambda a: a.sin()}, np.sin, unary()),
    OpSpec("cos", {"function": tg.cos, "method": lambda a: a.cos()}, np.cos, unary()),
    OpSpec("tanh", {"function": tg.tanh, "method": lambda a: a.tanh()}, np.tanh, unary()),
    OpSpec("sigmoid", {"function": tg.sigmoid, "method": lambda a: a.sigmoid()},
           lambda a: 1 / (1 + np.exp(-a)), unary()),
    OpSpec("relu", {"function": tg.relu, "method": lambda a: a.relu()},
           lambda a: np.maximum(a, 0), unary(elements=KINK_AT_ZERO), smooth=False),
    OpSpec("leaky_relu", {"function": tg.leaky_relu, "method": lambda a, **k: a.leaky_relu(**k)},
           lambda a, negative_slope: np.where(a > 0, a, a * negative_slope),
           unary(elements=KINK_AT_ZERO),
           kwargs=_kw("negative_slope", lambda args: floats(0.0, 0.5)), smooth=False),
    OpSpec("softplus", {"function": tg.softplus, "method": lambda a, **k: a.softplus(**k)},
           lambda a, beta: np.log1p(np.exp(beta * a)) / beta, unary(),
           kwargs=_kw("beta", lambda args: floats(0.5, 3.0))),
    OpSpec("clip", {"function": tg.clip, "method": lambda a, **k: a.clip(**k)},
           lambda a, min, max: np.clip(a, min, max), unary(elements=away_from((-1.0, 1.0), 0.05)),
           kwargs=_just(min=-1.0, max=1.0), smooth=False),
    OpSpec("maximum", {"function": tg.maximum, "method": lambda a, b: a.maximum(b)},
           np.maximum, distinct_pair(), smooth=False),
    OpSpec("minimum", {"function": tg.minimum, "method": lambda a, b: a.minimum(b)},
           np.minimum, distinct_pair(), smooth=False),
    OpSpec("where", {"function": lambda a, b, **k: tg.where(k["condition"], a, b)},
           lambda a, b, condition: np.where(condition, a, b), binary_broadcast(),
           kwargs=lambda args: hnp.arrays(np.bool_, np.broadcast_shapes(args[0].shape,
                                                                        args[1].shape))
           .map(lambda c: {"condition": c})),
    # A float32 round trip: linear, so a large step keeps rounding out of the difference quotient.
    OpSpec("to", {"method": lambda a: a.to(tg.float32).to(tg.float64)}, lambda a: a, unary(),
           rtol=1e-6, eps=1e-2, smooth=False),
    # --- reductions ---
    OpSpec("sum", {"function": tg.sum, "method": lambda a, **k: a.sum(**k)},
           _np_reduce(np.sum), unary(), kwargs=_axis_keepdims),
    OpSpec("mean", {"function": tg.mean, "method": lambda a, **k: a.mean(**k)},
           _np_reduce(np.mean), unary(), kwargs=_axis_keepdims),
    OpSpec("max", {"function": tg.max, "method": lambda a, **k: a.max(**k)},
           _np_reduce(np.max), unary(elements=SPACED, unique=True), kwargs=_axis_keepdims, smooth=False),
    OpSpec("min", {"function": tg.min, "method": lambda a, **k: a.min(**k)},
           _np_reduce(np.min), unary(elements=SPACED, unique=True), kwargs=_axis_keepdims, smooth=False),
    OpSpec("var", {"function": tg.var, "method": lambda a, **k: a.var(**k)},
           lambda a, axis=None, keepdims=False, correction=0: np.var(a, axis=axis,
                                                                     keepdims=keepdims,
                                                                     ddof=correction),
           unary(shapes=hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=4)),
           kwargs=lambda args: _axis_keepdims(args).map(lambda k: {**k, "correction": 0})),
    OpSpec("std", {"function": tg.std, "method": lambda a, **k: a.std(**k)},
           lambda a, axis=None, keepdims=False: np.std(a, axis=axis, keepdims=keepdims, ddof=1),
           unary(shapes=hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=4),
                 elements=SPACED, unique=True),
           kwargs=lambda args: st.just({"axis": None})),
    OpSpec("logsumexp", {"function": tg.logsumexp, "method": lambda a, **k: a.logsumexp(**k)},
           _logsumexp_ref, unary(), kwargs=_axis_keepdims),
    OpSpec("softmax", {"function": tg.softmax, "method": lambda a, **k: a.softmax(**k)},
           _softmax_ref, unary(shapes=NONEMPTY_SHAPES), kwargs=_kw("axis", single_axis_for)),
    OpSpec("log_softmax", {"function": tg.log_softmax,
                           "method": lambda a, **k: a.log_softmax(**k)},
           lambda a, axis: np.log(_softmax_ref(a, axis)), unary(shapes=NONEMPTY_SHAPES),
           kwargs=_kw("axis", single_axis_for)),
    # --- movement ---
    OpSpec("reshape", {"function": lambda a, shape: tg.reshape(a, shape),
                       "method": lambda a, shape: a.reshape(*shape)},
           lambda a, shape: a.reshape(shape), unary(), kwargs=reshape_target),
    OpSpec("transpose", {"function": lambda a: tg.transpose(a, 0, -1),
                         "method": lambda a: a.transpose(-1, 0), "T": lambda a: a.T},
           lambda a: np.swapaxes(a, 0, -1) if a.ndim > 1 else a,
           unary(shapes=hnp.array_shapes(min_dims=2, max_dims=2, max_side=4))),
    OpSpec("permute", {"function": lambda a, dims: tg.permute(a, *dims),
                       "method": lambda a, dims: a.permute(*dims)},
           lambda a, dims: a.transpose(dims), unary(), kwargs=permutation_for),
    OpSpec("flatten", {"function": tg.flatten, "method": lambda a, **k: a.flatten(**k)},
           lambda a, start_dim: a.reshape(a.shape[:start_dim] + (-1,)),
           unary(shapes=NONEMPTY_SHAPES),
           kwargs=lambda args: st.integers(0, args[0].ndim - 1).map(lambda d: {"start_dim": d})),
    OpSpec("squeeze", {"function": tg.squeeze, "method": lambda a: a.squeeze()},
           np.squeeze, unary(shapes=hnp.array_shapes(min_dims=0, max_dims=4, max_side=2))),
    OpSpec("unsqueeze", {"function": tg.unsqueeze, "method": lambda a, axis: a.unsqueeze(axis)},
           np.expand_dims, unary(),
           kwargs=lambda args: st.integers(-args[0].ndim - 1, args[0].ndim)
           .map(lambda d: {"axis": d})),
    OpSpec("expand", {"method": lambda a: a.expand(2, *([-1] * a.ndim))},
           lambda a: np.broadcast_to(a, (2,) + a.shape), unary()),
    OpSpec("broadcast_to", {"function": lambda a: tg.broadcast_to(a, (2, 3) + a.shape),
                            "method": lambda a: a.broadcast_to((2, 3) + a.shape)},
           lambda a: np.broadcast_to(a, (2, 3) + a.shape), unary()),
    OpSpec("sum_to", {"function": lambda a: tg.sum_to(a, (1,) + a.shape[2:]),
                      "method": lambda a: a.sum_to(a.shape[1:])},
           {"function": lambda a: a.sum(axis=0).sum(axis=0, keepdims=True),
            "method": lambda a: a.sum(axis=0)},
           unary(shapes=hnp.array_shapes(min_dims=2, max_dims=3, max_side=3))),
    OpSpec("concatenate", {"function": lambda a, b, **k: tg.concatenate([a, b, a], **k),
                           "cat": lambda a, b, **k: tg.cat([a, b, a], **k)},
           lambda a, b, axis: np.concatenate([a, b, a], axis=axis),
           st.tuples(NONEMPTY_SHAPES, st.integers(1, 3)).flatmap(
               lambda s: st.tuples(array(s[0]), array(s[0][:-1] + (s[1],)))).map(list),
           kwargs=_just(axis=-1)),
    OpSpec("stack", {"function": lambda a, b, **k: tg.stack([a, b], **k)},
           lambda a, b, axis: np.stack([a, b], axis=axis),
           SMALL_SHAPES.flatmap(lambda s: st.tuples(array(s), array(s))).map(list),
           kwargs=lambda args: st.integers(0, args[0].ndim).map(lambda d: {"axis": d})),
    OpSpec("split", {"function": lambda a, **k: tuple(tg.split(a, **k)),
                     "method": lambda a, **k: tuple(a.split(**k))},
           lambda a, split_size_or_sections: tuple(
               np.split(a, range(split_size_or_sections, a.shape[0], split_size_or_sections))),
           unary(shapes=NONEMPTY_SHAPES),
           kwargs=lambda args: st.integers(1, 3).map(lambda n: {"split_size_or_sections": n})),
    OpSpec("pad", {"function": tg.pad, "method": lambda a, **k: a.pad(**k)},
           lambda a, pad_width, value: np.pad(a, pad_width, constant_values=value),
           unary(shapes=NONEMPTY_SHAPES),
           kwargs=lambda args: st.fixed_dictionaries({
               "pad_width": st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)),
                                     min_size=args[0].ndim, max_size=args[0].ndim),
               "value": floats(-1, 1)})),
    OpSpec("getitem", {"operator": lambda a, index: a[index],
                       "function": lambda a, index: tg.getitem(a, index)},
           lambda a, index: a[index], unary(), kwargs=index_for),
]

SPECS_BY_NAME = {spec.name: spec for spec in SPECS}
