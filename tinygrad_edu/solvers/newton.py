"""Gauss-Newton and Levenberg-Marquardt: use the Jacobian, not just the gradient.

Near x the residuals are r(x + h) ~ r + J h. Gauss-Newton takes the h that makes this linear
model smallest, min ||r + J h||, i.e. the normal equations J^T J h = -J^T r; on a linear system
that is the exact answer in one step. Levenberg-Marquardt solves (J^T J + mu I) h = -J^T r
instead: a large damping mu turns the step into a short gradient-descent step (safe far from a
solution or when J is rank-deficient), a small mu into Gauss-Newton (fast near one). mu adapts
to how well the linear model predicted the actual drop in the loss (Nielsen's update).

Both work in float64 and solve with ``numpy.linalg.lstsq`` on the stacked system
[J; sqrt(mu) I] h = [-r; 0], whose normal equations are exactly the ones above but whose
conditioning is that of J, not of J^T J.
"""

from __future__ import annotations

import math
from typing import Any, Callable, List, Optional, Tuple

import numpy as np

from .problem import Problem

Outcome = Tuple[np.ndarray, List[float], int, bool, str]


def _finite(*arrays: np.ndarray) -> bool:
    return all(bool(np.all(np.isfinite(a))) for a in arrays)


def _step_is_small(h: np.ndarray, x: np.ndarray, tol: float) -> bool:
    return float(np.linalg.norm(h)) <= tol * (float(np.linalg.norm(x)) + tol)


def _least_squares_step(a: np.ndarray, b: np.ndarray) -> Optional[np.ndarray]:
    """argmin ||a h - b||, or None when the numbers are beyond what LAPACK can handle."""
    if not _finite(a, b):
        return None
    try:
        h = np.linalg.lstsq(a, b, rcond=None)[0]
    except np.linalg.LinAlgError:
        return None
    return h if _finite(h) else None


_OVERFLOW = ("stopped: the numbers overflow float64 (a residual, its square or a derivative is "
             "beyond ~1e154); rescale the equations or start closer to a solution")


def _not_finite_at_start() -> str:
    return ("stopped: the residuals or their derivatives are not finite at the starting point "
            "(e.g. log or sqrt of a negative number, or a division by zero); choose another "
            "starting point")


def gauss_newton(problem: Problem, tol: float, max_iter: int,
                 callback: Optional[Callable[..., Any]]) -> Outcome:
    """Undamped Gauss-Newton: x <- x + h with h = lstsq(J, -r) (the minimum-norm step when J is
    rank-deficient). Fast near a solution, but it can wander off from a poor start."""
    x = problem.x0.copy()
    r, jac = problem.residuals_and_jacobian(x)
    if not _finite(r, jac):
        return x, [float(r @ r)], 0, False, _not_finite_at_start()
    history = [float(r @ r)]
    for iteration in range(1, max_iter + 1):
        h = _least_squares_step(jac, -r) if math.isfinite(history[-1]) else None
        if h is None:
            return x, history, iteration - 1, False, _OVERFLOW
        x_new = x + h
        r_new, jac_new = problem.residuals_and_jacobian(x_new)
        if not _finite(r_new, jac_new):
            return x, history, iteration, False, (
                f"stopped: the residuals became non-finite at iteration {iteration} (the "
                "undamped step went too far); try method='lm' or another starting point")
        x, r, jac = x_new, r_new, jac_new
        history.append(float(r @ r))
        if callback is not None and callback(iteration, problem.export(x), history[-1]):
            return x, history, iteration, False, "stopped by the callback"
        if history[-1] == 0.0 or _step_is_small(h, x, tol):
            return x, history, iteration, True, "converged: the step became smaller than tol"
    return x, history, max_iter, False, (f"stopped after max_iter={max_iter} iterations "
                                         "without meeting the stopping test")


def levenberg_marquardt(problem: Problem, tol: float, max_iter: int,
                        callback: Optional[Callable[..., Any]]) -> Outcome:
    """Levenberg-Marquardt with adaptive damping (Nielsen 1999; Madsen, Nielsen & Tingleff,
    "Methods for non-linear least squares problems", 2004).

    The gain ratio rho = (actual loss drop) / (drop predicted by the linear model) decides: a
    step with rho > 0 is taken and mu shrinks (by up to 3x when the model was good); otherwise
    it is refused and mu grows (2x, 4x, 8x... in a row).
    """
    x = problem.x0.copy()
    r, jac = problem.residuals_and_jacobian(x)
    loss = float(r @ r)
    if not _finite(r, jac):
        return x, [loss], 0, False, _not_finite_at_start()
    history = [loss]
    n = problem.n
    diag = np.sum(jac * jac, axis=0)
    if not (math.isfinite(loss) and _finite(diag)):
        return x, history, 0, False, _OVERFLOW
    mu = 1e-3 * float(diag.max()) if diag.max() > 0 else 1e-3
    nu = 2.0
    for iteration in range(1, max_iter + 1):
        g = jac.T @ r                                   # half the gradient of sum(r^2)
        if not np.any(g) or loss == 0.0:
            return x, history, iteration - 1, True, "converged: the gradient is exactly zero"
        stacked = np.vstack([jac, math.sqrt(mu) * np.eye(n)])
        h = _least_squares_step(stacked, np.concatenate([-r, np.zeros(n)]))
        if h is None:
            return x, history, iteration - 1, False, _OVERFLOW
        small = _step_is_small(h, x, tol)
        x_new = x + h
        r_new = problem.residuals(x_new)
        loss_new = float(r_new @ r_new) if _finite(r_new) else math.inf
        predicted = float(h @ (mu * h - g))              # ||r||^2 - ||r + J h||^2
        rho = (loss - loss_new) / predicted if predicted > 0 else -1.0
        if rho > 0 or (small and loss_new <= loss):
            r_new, jac_new = problem.residuals_and_jacobian(x_new)
            if not _finite(jac_new):
                return x_new, history + [loss_new], iteration, False, (
                    "stopped: the Jacobian is not finite here (e.g. sqrt or abs at 0)")
            if not _finite(np.sum(jac_new * jac_new, axis=0)):
                return x_new, history + [loss_new], iteration, False, _OVERFLOW
            x, r, jac, loss = x_new, r_new, jac_new, loss_new
            mu *= max(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3) if rho > 0 else 1.0
            nu = 2.0
        else:
            mu *= nu
            nu *= 2.0
        history.append(loss)
        if callback is not None and callback(iteration, problem.export(x), loss):
            return x, history, iteration, False, "stopped by the callback"
        if small:
            return x, history, iteration, True, "converged: the step became smaller than tol"
        if not math.isfinite(mu) or mu > 1e300:
            return x, history, iteration, False, (
                "stopped: no step reduces the loss any more (the damping grew without bound)")
    return x, history, max_iter, False, (f"stopped after max_iter={max_iter} iterations "
                                         "without meeting the stopping test")
