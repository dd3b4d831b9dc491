"""gradcheck and numerical_gradient: they must catch a wrong backward, and say where."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.autograd import Function, GradcheckError, gradcheck, numerical_gradient


class _WrongSquare(Function):
    @staticmethod
    def forward(ctx, x):
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.inputs
        return grad * x  # should be 2x


def test_gradcheck_catches_a_wrong_backward_and_names_the_element():
    x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True, name="x")
    with pytest.raises(GradcheckError, match=r"input 0 \('x'\).*index \(0,\).*analytic.*"
                                             r"numerical.*difference"):
        gradcheck(_WrongSquare.apply, [x])


def test_gradcheck_passes_a_right_backward_and_needs_a_grad_input():
    assert gradcheck(lambda a, b: a * b.exp(), [tg.Tensor([1.0, 2.0], requires_grad=True),
                                                tg.Tensor([0.5, -0.5], requires_grad=True)])
    with pytest.raises(ValueError, match="requires_grad=True"):
        gradcheck(lambda a: a * 2, [tg.Tensor([1.0])])


def test_numerical_gradient_of_the_textbook_function_restores_every_element():
    x = np.array([3.0, 4.0])
    before = x.copy()
    g = numerical_gradient(lambda v: np.sum(v ** 2), x)
    np.testing.assert_allclose(g, [6.0, 8.0], rtol=1e-6)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_of_a_float32_tensor_works_in_float64():
    x = tg.Tensor([0.5, 1.5])
    g = numerical_gradient(lambda t: (t ** 3).sum(), x)
    assert g.dtype == np.float64 and x.dtype == np.float32
    np.testing.assert_allclose(g, 3 * np.array([0.5, 1.5]) ** 2, rtol=1e-8)


def test_numerical_gradient_needs_a_scalar_function():
    with pytest.raises(ValueError, match="scalar"):
        numerical_gradient(lambda v: v * 2, np.array([1.0, 2.0]))
