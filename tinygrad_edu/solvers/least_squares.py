"""``least_squares``: find x minimising sum(r(x)^2), and say honestly what was found."""

from __future__ import annotations

import math
from typing import Any, Callable, Optional

import numpy as np

from ..optim import SGD, Adam
from .first_order import minimise, safe_learning_rate
from .newton import gauss_newton, levenberg_marquardt
from .problem import Problem, ResidualFn
from .result import LeastSquaresResult

METHODS = ("gd", "adam", "gauss-newton", "lm")
#: Iteration budget when ``max_iter`` is not given.
DEFAULT_MAX_ITER = {"gd": 20000, "adam": 20000, "gauss-newton": 100, "lm": 200}
#: Learning rate of "adam" when ``lr`` is not given ("gd" derives its own from the Jacobian).
DEFAULT_ADAM_LR = 0.1
#: Singular values of J below max(RANK_RTOL * largest, RANK_ATOL) count as zero.
RANK_RTOL, RANK_ATOL = 1e-9, 1e-12


def least_squares(residuals: ResidualFn, x0: Any, method: str = "lm", tol: float = 1e-10,
                  max_iter: Optional[int] = None, callback: Optional[Callable[..., Any]] = None,
                  lr: Optional[float] = None, optimizer: Optional[Callable[..., Any]] = None,
                  exact_tol: float = 1e-8, dtype: Any = np.float64) -> LeastSquaresResult:
    """Minimise ``sum(r(x)^2)`` over x, where ``r = residuals(...)`` is built from Tensor ops.

    Args:
        residuals: a function of Tensors returning a Tensor or a list of Tensors (the
            residuals; the equations are r = 0). With ``x0`` a list of n numbers it is called
            with n scalar Tensors; with ``x0`` a 1-D array, with one vector Tensor.
        x0: the starting point.
        method: "lm" (Levenberg-Marquardt, the robust default), "gauss-newton", "gd" (plain
            gradient descent) or "adam" (or any ``optimizer``).
        tol: the stopping tolerance: for "gd"/"adam" stop when
            ``abs(loss - previous_loss) < tol`` (the textbook uses 1e-8); for "gauss-newton"/"lm"
            when the step ||h|| <= tol * (||x|| + tol).
        max_iter: the iteration budget (default ``DEFAULT_MAX_ITER[method]``).
        callback: ``callback(iteration, x, loss)`` after each iteration; returning True stops.
        lr: learning rate for "gd" (default 1 / (2 sigma_max(J(x0))^2), the largest safe step
            for linear residuals) and "adam" (default 0.1).
        optimizer: for the first-order loop, a factory ``optimizer(params, lr)`` returning an
            object with ``zero_grad()`` and ``step()`` (PyTorch's optimizer interface, e.g.
            ``tinygrad_edu.optim.RMSprop``). Defaults: ``tinygrad_edu.optim.SGD`` for "gd",
            ``tinygrad_edu.optim.Adam`` for "adam".
        exact_tol: the residual norm below which the solution counts as exact.
        dtype: the float dtype of the first-order loop (the Newton-type methods always use
            float64, and the final diagnostics are always computed in float64).

    Returns:
        A ``LeastSquaresResult``: the solution and whether it is exact, unique and converged.
    """
    if method not in METHODS:
        raise ValueError(f"least_squares: unknown method {method!r}; choose one of {METHODS}")
    if optimizer is not None and method not in ("gd", "adam"):
        raise ValueError(f"least_squares: optimizer= drives the first-order loop, but method is "
                         f"{method!r}; pass method='adam' to use it")
    if not (tol >= 0 and math.isfinite(tol)):
        raise ValueError(f"least_squares: tol must be a finite number >= 0, got {tol}")
    if max_iter is None:
        max_iter = DEFAULT_MAX_ITER[method]
    if int(max_iter) != max_iter or max_iter < 0:
        raise ValueError(f"least_squares: max_iter must be an integer >= 0, got {max_iter}")
    max_iter = int(max_iter)
    if lr is not None and not (lr > 0 and math.isfinite(lr)):
        raise ValueError(f"least_squares: lr must be a positive number, got {lr}")
    problem = Problem(residuals, x0)
    # Exploring can overflow (a trial step into exp(1000)); the result reports non-finite
    # values honestly, so NumPy's warnings would only be noise.
    with np.errstate(all="ignore"):
        return _run(problem, method, tol, max_iter, callback, lr, optimizer, exact_tol, dtype)


def _run(problem: Problem, method: str, tol: float, max_iter: int,
         callback: Optional[Callable[..., Any]], lr: Optional[float],
         optimizer: Optional[Callable[..., Any]], exact_tol: float, dtype: Any
         ) -> LeastSquaresResult:
    if method == "lm":
        x, history, iterations, converged, stop = levenberg_marquardt(problem, tol, max_iter,
                                                                       callback)
    elif method == "gauss-newton":
        x, history, iterations, converged, stop = gauss_newton(problem, tol, max_iter, callback)
    else:
        if optimizer is not None:
            factory = optimizer
        elif method == "gd":
            factory = SGD  # plain gradient descent: no momentum, no decay
        else:
            factory = Adam
        if lr is None:
            if method == "gd":
                _, jac = problem.residuals_and_jacobian(problem.x0)
                lr = safe_learning_rate(np.nan_to_num(jac))
            else:
                lr = DEFAULT_ADAM_LR
        x, history, iterations, converged, stop = minimise(problem, factory, lr, tol, max_iter,
                                                           callback, dtype)
    return diagnose(problem, x, history, iterations, converged, stop, method, exact_tol)


def jacobian_rank(jac: np.ndarray) -> int:
    """The numerical rank of J (see ``RANK_RTOL``, ``RANK_ATOL``)."""
    if jac.size == 0 or not np.all(np.isfinite(jac)):
        return 0
    s = np.linalg.svd(jac, compute_uv=False)
    return int(np.sum(s > max(RANK_RTOL * s[0], RANK_ATOL)))


def _norm(r: np.ndarray) -> float:
    """||r||, scaled so that residuals around 1e200 do not overflow when squared."""
    top = float(np.max(np.abs(r))) if r.size else 0.0
    return top * float(np.linalg.norm(r / top)) if top > 0 else 0.0


def diagnose(problem: Problem, x: np.ndarray, history: list, iterations: int, converged: bool,
             stop: str, method: str, exact_tol: float) -> LeastSquaresResult:
    """The result at x, with exactness and uniqueness judged from r and J in float64."""
    r, jac = problem.residuals_and_jacobian(x)
    finite = bool(np.all(np.isfinite(r)))
    norm = _norm(r) if finite else math.nan
    rank = jacobian_rank(jac)
    n = problem.n
    exact = finite and norm <= exact_tol
    unique = rank == n
    notes = [stop[0].upper() + stop[1:] + "."]
    if not finite:
        notes.append("The residuals are not finite at this point: it is not a solution.")
    elif exact:
        notes.append(f"The residuals are ~0 (norm {norm:.3g}): x solves the equations.")
    elif converged and method in ("gd", "adam"):
        notes.append(f"The loss stopped changing, but the residual norm is {norm:.3g}: x is "
                     "near a solution (first-order methods crawl close to one; method='lm' "
                     "polishes it), or the equations are inconsistent and this is a "
                     "least-squares solution.")
    elif converged:
        notes.append(f"No exact solution was found: the residual norm is {norm:.3g}. This is a "
                     "least-squares solution: the equations are inconsistent, or (if nonlinear) "
                     "this is a local minimum and other starting points may find a root.")
    else:
        notes.append(f"The residual norm is still {norm:.3g}: not a solution yet (raise "
                     "max_iter, adjust lr, or use method='lm').")
    if finite and not unique:
        what = "the solution" if exact else "this least-squares solution"
        notes.append(f"The Jacobian has rank {rank} < {n} unknowns: {what} is not unique "
                     "(there are fewer independent equations than unknowns near it, or a "
                     "multiple root); other starting points give other solutions.")
    loss = norm * norm if finite else math.nan
    return LeastSquaresResult(
        x=problem.export(x), residual_norm=norm, loss=loss, iterations=iterations,
        converged=converged, exact=exact, unique=unique, message=" ".join(notes),
        loss_history=[float(v) for v in history], method=method,
        residuals=[float(v) for v in r], rank=rank)
