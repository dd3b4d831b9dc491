"""The unrolled entry points of ``Function`` (``apply_pair`` for the arithmetic operators,
``apply_one`` for unary ops and fused losses) must record exactly what ``apply`` records."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.autograd import Function
from tinygrad_edu.nn.functional_losses import CrossEntropy
from tinygrad_edu.ops.elementwise import Mul, Relu


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


@pytest.mark.parametrize("a_name", ["leaf", "deep", "plain"])
@pytest.mark.parametrize("b_name", ["leaf", "deep", "plain", "number"])
def test_apply_pair_records_what_apply_records(a_name, b_name):
    operands = _operands()
    a = operands[a_name]
    b = 2.5 if b_name == "number" else operands[b_name]
    fast, general = Mul.apply_pair(a, b), Mul.apply(a, b)
    assert _node(fast) == _node(general)
    np.testing.assert_array_equal(fast.data, general.data)


def test_apply_one_with_constants_and_options_records_what_apply_records():
    z = tg.Tensor(np.array([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]], np.float32), requires_grad=True)
    target = np.array([2, 0])
    options = dict(index_targets=True, ignore_index=None, label_smoothing=0.0, reduction="mean")
    fast = CrossEntropy.apply_one(z, target, None, **options)
    general = CrossEntropy.apply(z, target, None, **options)
    assert _node(fast) == _node(general)
    assert fast.data.shape == () and fast.dtype == np.float32
    np.testing.assert_array_equal(fast.data, general.data)


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


def test_apply_pair_records_nothing_without_grad_mode():
    x = tg.Tensor([1.0, -1.0], requires_grad=True)
    with tg.no_grad():
        out = Mul.apply_pair(x, x)
    assert out.grad_fn is None and not out.requires_grad
    np.testing.assert_array_equal(out.data, [1.0, 1.0])
