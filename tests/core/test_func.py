"""Functional transforms: grad, value_and_grad, vjp, jacobian, hessian."""

import numpy as np
import pytest

from tinygrad_edu import func


def f(x, y):
    return (x * x * y).sum()


def test_grad_and_argnums():
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    np.testing.assert_allclose(func.grad(f)(x, y).data, 2 * x * y)
    gx, gy = func.grad(f, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gy.data, x * x)
    value, g = func.value_and_grad(f)(x, y)
    assert value.item() == pytest.approx(3 + 16) and not value.requires_grad


def test_grad_composes_into_higher_derivatives():
    d3 = func.grad(func.grad(func.grad(lambda x: x.sin())))
    assert d3(0.3).item() == pytest.approx(-np.cos(0.3), abs=1e-6)


def test_vjp_and_jacobian_agree():
    x = np.array([0.1, 0.2, 0.3])
    out, vjp_fn = func.vjp(lambda v: v.tanh() * v, x)
    jac = func.jacobian(lambda v: v.tanh() * v)(x)
    u = np.array([1.0, -2.0, 0.5])
    (g,) = vjp_fn(u)
    np.testing.assert_allclose(g.data, u @ jac.data, rtol=1e-6)
    assert jac.shape == (3, 3)


def test_hessian_shape_and_value():
    h = func.hessian(lambda v: (v ** 4).sum())(np.array([1.0, 2.0]))
    np.testing.assert_allclose(h.data, np.diag([12.0, 48.0]), rtol=1e-6)


def test_scalar_output_required_with_a_clear_message():
    with pytest.raises(ValueError, match="scalar.*jacobian"):
        func.grad(lambda v: v * 2)(np.array([1.0, 2.0]))
