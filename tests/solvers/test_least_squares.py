"""least_squares on residual functions written with Tensor ops."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu import Tensor
from tinygrad_edu.solvers import LeastSquaresResult, least_squares
from tinygrad_edu.optim import SGD
from tinygrad_edu.solvers.problem import Problem


def textbook(x, y):
    return [x + y - 16, 10 * x + 25 * y - 250]


@pytest.mark.parametrize("method", ["lm", "gauss-newton"])
def test_newton_methods_solve_the_textbook_system_to_1e_9(method):
    result = least_squares(textbook, [0.3, 0.7], method=method)
    assert isinstance(result, LeastSquaresResult)
    assert result.x == pytest.approx([10, 6], abs=1e-9)
    assert result.converged and result.exact and result.unique and result.rank == 2
    assert result.method == method
    assert result.loss_history[0] > 1e4 and result.loss_history[-1] < 1e-20
    assert len(result.loss_history) == result.iterations + 1


def test_vector_convention():
    a = np.array([[1.0, 1.0], [10.0, 25.0]])
    b = np.array([16.0, 250.0])
    result = least_squares(lambda v: Tensor(a) @ v - Tensor(b), np.array([0.0, 0.0]))
    assert isinstance(result.x, np.ndarray)
    np.testing.assert_allclose(result.x, [10, 6], atol=1e-9)


def test_first_order_methods_get_close_within_bounded_iterations():
    gd = least_squares(textbook, [0.3, 0.7], method="gd", lr=1.3e-3, tol=1e-14, max_iter=12000)
    assert gd.x == pytest.approx([10, 6], abs=1e-3)
    adam = least_squares(textbook, [0.3, 0.7], method="adam", max_iter=12000)
    assert adam.converged and adam.x == pytest.approx([10, 6], abs=1e-3)
    # Close is not exact, and the result says so.
    assert not adam.exact and "stopped changing" in adam.message


def test_gd_default_learning_rate_is_stable():
    result = least_squares(lambda x, y: [2 * x + 3 * y - 9, x - y - 2], [0.0, 0.0], method="gd",
                           max_iter=2000)
    assert result.x == pytest.approx([3, 1], abs=1e-4)
    assert all(b <= a * (1 + 1e-12) for a, b in zip(result.loss_history,
                                                   result.loss_history[1:]))


def test_custom_optimizer_factory_is_used():
    made = []

    def factory(params, lr):
        made.append(lr)
        return SGD(params, lr)

    result = least_squares(lambda x: [x - 3], [0.0], method="adam", optimizer=factory, lr=0.25,
                           tol=1e-20, max_iter=200)
    assert made == [0.25] and result.x == pytest.approx([3.0], abs=1e-6)


def test_callback_sees_every_iteration_and_can_stop():
    seen = []

    def callback(iteration, x, loss):
        seen.append((iteration, list(x), loss))
        return iteration == 3

    result = least_squares(textbook, [0.0, 0.0], method="gd", callback=callback)
    assert [s[0] for s in seen] == [1, 2, 3]
    assert result.iterations == 3 and not result.converged
    assert "callback" in result.message
    assert seen[-1][2] == result.loss_history[-1]


def test_inconsistent_system_returns_least_squares_solution():
    result = least_squares(lambda x: [x - 1, x - 3], [0.0])
    assert result.x == pytest.approx([2.0], abs=1e-9)
    assert result.converged and not result.exact and result.unique
    assert result.residual_norm == pytest.approx(np.sqrt(2))
    assert "No exact solution" in result.message


def test_underdetermined_system_is_not_unique():
    result = least_squares(lambda x, y, z: [x + y + z - 3], [0.0, 0.0, 0.0])
    assert result.exact and not result.unique and result.rank == 1
    assert "not unique" in result.message


def test_nonfinite_start_is_reported_not_raised():
    result = least_squares(lambda x: [x.log() - 1], [-1.0])
    assert not result.converged and "not finite" in result.message
    assert json.dumps(result.to_dict(), allow_nan=False)


def test_to_dict_is_json():
    result = least_squares(textbook, [1.0, 1.0])
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["x"] == pytest.approx([10, 6]) and data["method"] == "lm"
    assert set(data) >= {"x", "residual_norm", "loss", "iterations", "converged", "exact",
                         "unique", "message", "loss_history", "method"}


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown method"):
        least_squares(textbook, [0, 0], method="newton")
    with pytest.raises(ValueError, match="method='adam'"):
        least_squares(textbook, [0, 0], optimizer=SGD)
    with pytest.raises(ValueError, match="1-D"):
        least_squares(textbook, np.zeros((2, 2)))
    with pytest.raises(TypeError, match="numbers"):
        least_squares(textbook, ["a", 1])
    with pytest.raises(ValueError, match="lr"):
        least_squares(textbook, [0, 0], method="gd", lr=-1)


@given(st.lists(st.floats(-2, 2), min_size=3, max_size=3), st.integers(1, 4))
def test_jacobian_matches_central_differences(point, rows):
    """Row i of J is the gradient of r_i, from our reverse mode; compare with differences."""
    w = np.arange(1, rows * 3 + 1, dtype=np.float64).reshape(rows, 3) / 7

    def residuals(v):
        return (Tensor(w) @ v).sin() * v.sum() + (v * v).sum()

    problem = Problem(residuals, np.array(point))
    r, jac = problem.residuals_and_jacobian(np.array(point))
    eps = 1e-6
    numeric = np.stack([(problem.residuals(np.array(point) + eps * e)
                         - problem.residuals(np.array(point) - eps * e)) / (2 * eps)
                        for e in np.eye(3)], axis=1)
    np.testing.assert_allclose(jac, numeric, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(r, problem.residuals(np.array(point)))


def test_first_order_vector_convention_and_float32():
    a = np.array([[2.0, 3.0], [1.0, -1.0]])
    b = np.array([9.0, 2.0])
    result = least_squares(lambda v: Tensor(a.astype(np.float32)) @ v - Tensor(b.astype(
        np.float32)), np.zeros(2), method="adam", dtype=np.float32, tol=1e-12, max_iter=3000)
    assert isinstance(result.x, np.ndarray)
    np.testing.assert_allclose(result.x, [3, 1], atol=1e-3)
