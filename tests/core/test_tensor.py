"""Tensor construction, dtypes, attributes, repr, errors and numerical stability."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor


def test_default_dtypes_follow_pytorch():
    assert Tensor(1.5).dtype == np.float32
    assert Tensor([1.0, 2.0]).dtype == np.float32
    assert Tensor([1, 2]).dtype == np.int64
    assert Tensor([True, False]).dtype == np.bool_
    assert Tensor(np.zeros(2)).dtype == np.float64          # an ndarray keeps its dtype
    assert Tensor([1, 2], dtype=tg.float32).dtype == np.float32
    assert tg.zeros(2, 3).dtype == np.float32 and tg.zeros((2, 3)).shape == (2, 3)
    assert tg.arange(5).dtype == np.int64 and tg.arange(0.0, 1.0, 0.5).dtype == np.float32


def test_operators_keep_float32():
    x = Tensor([1.0, 2.0], requires_grad=True)
    for y in (x * 2.5, x + np.float64(1.0), 2.0 ** x, x / 3, x - np.array(1.0, np.float32)):
        assert y.dtype == np.float32


def test_attributes():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, name="w")
    assert (x.shape, x.ndim, x.size, x.numel(), len(x)) == ((2, 3), 2, 6, 6, 2)
    assert x.is_leaf and x.grad_fn is None and x.T.shape == (3, 2)
    y = x * 2
    assert not y.is_leaf and y.grad_fn.name == "MulBackward"
    assert y.detach().grad_fn is None and np.shares_memory(y.detach().data, y.data)
    assert Tensor([[4.0]]).item() == 4.0


def test_item_of_many_elements_explains():
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        Tensor([1.0, 2.0]).item()


def test_repr_like_pytorch():
    assert repr(Tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(Tensor(1.0, requires_grad=True)) == "tensor(1., requires_grad=True)"
    assert repr(Tensor(1.0, requires_grad=True) * 2) == "tensor(2., grad_fn=<MulBackward>)"
    assert "dtype=float64" in repr(Tensor(np.zeros(2)))


def test_comparisons_give_bool_tensors_without_grad():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    mask = x > 1.5
    assert mask.dtype == np.bool_ and not mask.requires_grad
    np.testing.assert_array_equal((x == 2.0).data, [False, True, False])


def test_indexing_forms_and_scatter_back():
    x = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    x[[0, 0, 2], 1].sum().backward()             # a repeated index accumulates
    expected = np.zeros((3, 4))
    expected[0, 1], expected[2, 1] = 2, 1
    np.testing.assert_array_equal(x.grad.data, expected)
    assert x[None, ..., 1:].shape == (1, 3, 3)
    assert x[x > 5].shape == (6,)
    assert x[Tensor([2, 0])].shape == (2, 4)


def test_creation_functions_and_seed():
    tg.manual_seed(3)
    a = tg.randn(2, 3)
    tg.manual_seed(3)
    b = tg.randn(2, 3)
    np.testing.assert_array_equal(a.data, b.data)
    assert tg.rand(4).data.min() >= 0 and tg.eye(3).data.trace() == 3
    assert tg.full((2,), 7.0).data.tolist() == [7.0, 7.0]
    assert tg.ones_like(a).shape == a.shape and tg.zeros_like(a).data.sum() == 0
    t = tg.tensor(np.ones(2))
    assert not np.shares_memory(t.data, np.ones(2))


@pytest.mark.parametrize("op", [tg.softmax, tg.log_softmax, tg.logsumexp, tg.sigmoid,
                                tg.softplus])
def test_stable_for_inputs_of_magnitude_1e4(op):
    x = Tensor([-1e4, 0.0, 1e4], requires_grad=True)
    y = op(x)
    assert np.all(np.isfinite(y.data)), y
    y.sum().backward()
    assert np.all(np.isfinite(x.grad.data))


def test_stable_values_at_the_extremes():
    x = Tensor([-1e4, 1e4])
    np.testing.assert_allclose(tg.sigmoid(x).data, [0.0, 1.0])
    np.testing.assert_allclose(tg.softplus(x).data, [0.0, 1e4])
    assert tg.logsumexp(x).item() == pytest.approx(1e4)
    np.testing.assert_allclose(tg.log_softmax(x).data, [-2e4, 0.0])


def test_max_and_min_split_the_gradient_evenly_among_ties():
    x = Tensor([1.0, 3.0, 3.0, 2.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.5, 0.5, 0.0])

    m = Tensor([[2.0, 2.0, 2.0], [1.0, 0.0, 1.0]], requires_grad=True)
    m.min(axis=1).sum().backward()
    np.testing.assert_allclose(m.grad.data, [[1 / 3, 1 / 3, 1 / 3], [0.0, 1.0, 0.0]])

    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([1.0, 0.0], requires_grad=True)
    tg.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [0.5, 1.0])
    np.testing.assert_array_equal(b.grad.data, [0.5, 0.0])


@pytest.mark.parametrize("call, message", [
    (lambda: Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3))), r"matmul.*\(2, 3\).*\(2, 3\)"),
    (lambda: Tensor(np.ones((2, 3))).reshape(4, 2), r"reshape.*\(2, 3\).*\(4, 2\)"),
    (lambda: Tensor(np.ones(3)).sum(axis=2), r"sum: axis 2 is out of range"),
    (lambda: tg.concatenate([Tensor(np.ones((2, 3))), Tensor(np.ones((3, 2)))]),
     r"concatenate: shapes"),
    (lambda: Tensor(np.ones(3)).broadcast_to(2, 4), r"broadcast_to.*\(3,\).*\(2, 4\)"),
    (lambda: tg.where(Tensor([1.0]), 1.0, 2.0), r"where: the condition must be boolean"),
    (lambda: Tensor(np.ones(4)).var(axis=0, correction=4), r"var: .*degrees of freedom"),
    (lambda: Tensor(np.ones(2)).permute(0, 0), r"permute"),
    (lambda: tg.clip(Tensor(1.0)), r"clip: give at least one"),
    (lambda: Tensor(["a", 1]), None),
])
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    if message:
        assert info.match(message)


def test_binary_op_on_mismatched_shapes_names_the_shapes():
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        Tensor([1.0, 2.0]) + Tensor([1.0, 2.0, 3.0])
