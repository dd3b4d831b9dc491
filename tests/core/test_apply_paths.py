"""The hot paths that make nodes without ``Function.apply`` -- the arithmetic operators,
``apply_one`` (unary ops) and the fused layers (``F.linear``,
``F.cross_entropy``) -- must record exactly what ``apply`` records."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.autograd import Function
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F
from tinygrad_edu.nn.functional import LinearFunction
from tinygrad_edu.nn.functional_losses import CrossEntropy
from tinygrad_edu.ops.elementwise import Add, Div, Mul, Pow, Relu, Sub


def _node(t: tg.Tensor) -> tuple:
    """What a node records, in comparable form (None for an unrecorded result)."""
    n = t.grad_fn
    if n is None:
        return None
    arrays = tuple(id(a) if isinstance(a, np.ndarray) else a for a in n.input_arrays)
    return (type(n), tuple(map(id, n.inputs)), arrays, n.needs_input_grad, dict(n.options),
            n.generation)


def _operands():
    leaf = tg.Tensor([1.0, -2.0, 3.0], requires_grad=True)
    deep = (leaf * 2.0) * 3.0                         # generation 2
    plain = tg.Tensor([0.5, 0.5, -0.5])
    return {"leaf": leaf, "deep": deep, "plain": plain}


@pytest.mark.parametrize("name", ["leaf", "deep", "plain"])
def test_apply_one_records_what_apply_records(name):
    x = _operands()[name]
    fast, general = Relu.apply_one(x), Relu.apply(x)
    assert _node(fast) == _node(general)
    assert fast.requires_grad == general.requires_grad == x.requires_grad
    np.testing.assert_array_equal(fast.data, general.data)


OPERATORS = [(Add, operator.add), (Sub, operator.sub), (Mul, operator.mul),
             (Div, operator.truediv), (Pow, operator.pow)]


def _pair_operands():
    operands = _operands()
    operands["0-d leaf"] = tg.Tensor(1.5, requires_grad=True)
    operands["0-d deep"] = operands["0-d leaf"] * 2.0      # a 0-d float: a NumPy scalar to ops
    operands["number"] = 2.5
    operands["array"] = np.array([0.5, 2.0, 4.0], np.float32)
    return operands


_TENSORS = ["leaf", "deep", "plain", "0-d leaf", "0-d deep"]
# Every pair with a Tensor on at least one side (the other side's operator runs otherwise).
_PAIRS = [(a, b) for a in _TENSORS + ["number", "array"] for b in _TENSORS + ["number"]
          if a in _TENSORS or b in _TENSORS]


@pytest.mark.parametrize("function,op", OPERATORS, ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize("a_name,b_name", _PAIRS)
def test_operators_record_what_apply_records(function, op, a_name, b_name):
    operands = _pair_operands()
    a, b = operands[a_name], operands[b_name]
    with np.errstate(invalid="ignore"):   # a negative base to a fractional power
        fast, general = op(a, b), function.apply(a, b)
    assert _node(fast) == _node(general)
    assert fast.requires_grad == general.requires_grad
    assert fast.dtype == general.dtype and type(fast.data) is np.ndarray
    np.testing.assert_array_equal(fast.data, general.data)


@pytest.mark.parametrize("function,op", OPERATORS, ids=lambda v: getattr(v, "__name__", ""))
def test_the_operators_forward_is_their_numpy_operation(function, op):
    """The operators compute ``op`` in place of calling ``forward``: they must be the same
    operation, on arrays, NumPy scalars and Python numbers alike, and save nothing."""
    samples = [np.array([1.5, -2.0], np.float32), np.float32(0.75), np.array(3.0),
               np.float64(-1.25), 2, 0.5, np.array([[2.0], [4.0]], np.float64)]
    for a in samples:
        for b in samples:
            ctx = function()
            ctx._saved = None
            with np.errstate(all="ignore"):
                expected, got = op(a, b), function.forward(ctx, a, b)
            assert type(got) is type(expected) and np.shape(got) == np.shape(expected)
            assert np.asarray(got).dtype == np.asarray(expected).dtype
            np.testing.assert_array_equal(got, expected)
            assert ctx._saved is None and not ctx.__dict__


def test_apply_one_records_nothing_without_grad_mode_or_for_integers():
    x = tg.Tensor([1.0, -1.0], requires_grad=True)
    with tg.no_grad():
        assert Relu.apply_one(x).grad_fn is None
    out = Relu.apply_one(tg.Tensor([3, -3]))
    assert out.grad_fn is None and out.dtype == np.int64
    np.testing.assert_array_equal(out.data, [3, 0])


def test_apply_one_takes_a_non_tensor_operand_as_a_constant():
    out = tg.relu([1.5, -2.0])
    assert isinstance(out, tg.Tensor) and out.dtype == np.float32 and out.grad_fn is None
    np.testing.assert_array_equal(out.data, [1.5, 0.0])


def test_apply_one_reports_forward_errors_as_apply_does():
    class Picky(Function):
        @staticmethod
        def forward(ctx, a):
            raise ValueError("needs a matrix")

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.raises(ValueError, match=r"Picky: needs a matrix \(input shapes: \(2,\)\)"):
        Picky.apply_one(tg.Tensor([1.0, 2.0], requires_grad=True))


def test_apply_one_under_a_tape_and_under_detect_anomaly():
    x = tg.Tensor([0.5, -0.5])                  # a constant, watched by the tape
    with tg.GradientTape() as tape:
        tape.watch(x)
        loss = tg.tanh(x).sum()
    (grad,) = tape.gradient(loss, [x])
    np.testing.assert_allclose(grad.data, 1.0 - np.tanh([0.5, -0.5]) ** 2, rtol=1e-6)
    with tg.autograd.detect_anomaly():
        y = tg.exp(tg.Tensor([1.0], requires_grad=True))
    assert "test_apply_paths.py" in y.grad_fn.creation_trace.splitlines()[-2]


@pytest.mark.parametrize("function,op", OPERATORS, ids=lambda v: getattr(v, "__name__", ""))
def test_operators_record_nothing_without_grad_mode(function, op):
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    with tg.no_grad():
        out, reflected = op(x, x), op(3.0, x)
    for result, expected in ((out, op(x.data, x.data)), (reflected, op(3.0, x.data))):
        assert result.grad_fn is None and not result.requires_grad
        np.testing.assert_array_equal(result.data, expected)


def test_operators_report_forward_errors_as_apply_does():
    x = tg.Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    with pytest.raises(ValueError, match=r"Mul: .*input shapes: \(2, 3\), \(4,\)"):
        x * np.ones(4, np.float32)


def _linear_operands():
    rng = np.random.default_rng(0)
    layer = nn.Linear(3, 2)
    frozen = tg.Tensor(rng.standard_normal((2, 3)).astype(np.float32))
    return {
        "leaf": tg.Tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True),
        "deep": tg.relu(tg.Tensor(rng.standard_normal((4, 3)).astype(np.float32),
                                  requires_grad=True) * 2.0),
        "plain": tg.Tensor(rng.standard_normal((4, 3)).astype(np.float32)),
        "weight": layer.weight, "bias": layer.bias, "frozen": frozen,
        "frozen bias": tg.Tensor(np.ones(2, np.float32)),
        "computed weight": layer.weight * 1.0,       # a weight with a node of its own
        "computed bias": layer.bias * 1.0 * 1.0 * 1.0,   # deeper than "deep" is
    }


@pytest.mark.parametrize("x_name", ["leaf", "deep", "plain"])
@pytest.mark.parametrize("w_name,b_name", [("weight", "bias"), ("frozen", "frozen bias"),
                                           ("frozen", "bias"), ("computed weight", "bias"),
                                           ("weight", "computed bias")])
def test_linear_records_what_apply_records(x_name, w_name, b_name):
    o = _linear_operands()
    x, w, b = o[x_name], o[w_name], o[b_name]
    fast, general = F.linear(x, w, b), LinearFunction.apply(x, w, b)
    assert _node(fast) == _node(general)
    assert fast.requires_grad == general.requires_grad
    np.testing.assert_array_equal(fast.data, general.data)


def test_linear_under_no_grad_a_tape_and_detect_anomaly():
    o = _linear_operands()
    x, w, b = o["plain"], o["weight"], o["bias"]
    with tg.no_grad():
        assert F.linear(x, w, b).grad_fn is None
    with tg.GradientTape() as tape:
        tape.watch(x)
        loss = F.linear(x, o["frozen"], o["frozen bias"]).sum()
    (grad,) = tape.gradient(loss, [x])
    np.testing.assert_allclose(grad.data, np.tile(o["frozen"].data.sum(axis=0), (4, 1)),
                               rtol=1e-6)
    with tg.autograd.detect_anomaly():
        y = F.linear(x, w, b)
    assert "test_apply_paths.py" in y.grad_fn.creation_trace.splitlines()[-2]


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("name", ["leaf", "deep"])
def test_cross_entropy_records_what_apply_records(reduction, name):
    leaf = tg.Tensor(np.array([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]], np.float32),
                     requires_grad=True)
    z = leaf if name == "leaf" else leaf * 2.0
    target = np.array([2, 0])
    fast = F.cross_entropy(z, tg.Tensor(target), reduction=reduction)
    general = CrossEntropy.apply(z, target, None, index_targets=True, ignore_index=None,
                                 label_smoothing=0.0, reduction=reduction)
    fast_node, general_node = _node(fast), _node(general)
    # The same target array reaches both nodes only through the Tensor given: compare values.
    assert fast_node[0] is general_node[0] and fast_node[3:] == general_node[3:]
    assert fast.grad_fn.inputs[0] is z and fast.grad_fn.inputs[2] is None
    np.testing.assert_array_equal(fast.grad_fn.inputs[1], target)
    np.testing.assert_array_equal(fast.data, general.data)
    assert fast.grad_fn.name == "CrossEntropyBackward"


def test_cross_entropy_on_constant_logits_records_nothing_and_a_tape_sees_it():
    logits = tg.Tensor(np.array([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]], np.float32))
    target = tg.Tensor(np.array([2, 0]))
    assert F.cross_entropy(logits, target).grad_fn is None
    with tg.GradientTape() as tape:
        tape.watch(logits)
        loss = F.cross_entropy(logits, target)
    (grad,) = tape.gradient(loss, [logits])
    z = logits.data.astype(np.float64)
    softmax = np.exp(z - z.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)
    softmax[[0, 1], [2, 0]] -= 1.0
    np.testing.assert_allclose(grad.data, softmax / 2, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("method", ["__init__", "__new__"])
def test_a_function_subclass_with_a_constructor_is_refused_when_defined(method):
    def constructor(self, *args):   # pragma: no cover - never called
        raise AssertionError

    namespace = {method: constructor, "forward": staticmethod(lambda ctx, a: a)}
    with pytest.raises(TypeError, match=f"Scaled: a Function subclass must not define {method}"):
        type("Scaled", (Function,), namespace)


def test_cross_entropy_function_applied_directly_rejects_a_target_out_of_range():
    z = tg.Tensor(np.zeros((2, 3), np.float32), requires_grad=True)
    with pytest.raises(IndexError, match=r"class in \[0, 3\)"):
        CrossEntropy.apply(z, np.array([0, 3]), None, index_targets=True, ignore_index=None,
                           label_smoothing=0.0, reduction="mean")
