"""Minimising sum(r^2) with gradients only: the training loop of a neural network, on equations.

Each iteration is the textbook's: compute the residuals, the loss ``sum(r^2)``, its gradient by
backpropagation, and let an optimizer move the unknowns; stop when the loss stops changing
(``abs(loss - previous_loss) < tol``).
"""

from __future__ import annotations

import math
from typing import Any, Callable, List, Optional, Tuple

import numpy as np

from ..tensor import Tensor
from .problem import Problem, sum_of_squares

OptimizerFactory = Callable[[List[Tensor], float], Any]


def safe_learning_rate(jacobian: np.ndarray) -> float:
    """1/L for L = 2 * sigma_max(J)^2, the curvature of sum(r^2) for linear residuals: the
    largest step that gradient descent can take without overshooting on such a problem."""
    top = np.linalg.norm(jacobian, 2) if jacobian.size else 0.0
    return 1.0 / (2.0 * top * top) if top > 0 and math.isfinite(top) else 1e-3


def minimise(problem: Problem, factory: OptimizerFactory, lr: float, tol: float, max_iter: int,
             callback: Optional[Callable[..., Any]], dtype: Any
             ) -> Tuple[np.ndarray, List[float], int, bool, str]:
    """Run the loop; returns (x, loss_history, iterations, converged, message)."""
    params = problem.leaves(problem.x0, dtype=dtype, requires_grad=True)
    optimizer = factory(params, lr)
    history: List[float] = []
    previous = math.inf
    x = problem.x0.copy()
    for iteration in range(max_iter + 1):
        optimizer.zero_grad()
        with np.errstate(all="ignore"):
            parts = problem.parts(params)
            loss = sum_of_squares(parts)
        value = float(loss.item())
        if not math.isfinite(value):
            message = (f"stopped: the loss became non-finite at iteration {iteration} "
                       f"(diverged; try a smaller lr); returning the last finite point")
            return x, history, max(iteration - 1, 0), False, message
        x = np.concatenate([np.ravel(p.data).astype(np.float64) for p in params])
        history.append(value)
        if iteration > 0:
            if callback is not None and callback(iteration, problem.export(x), value):
                return x, history, iteration, False, "stopped by the callback"
            if abs(value - previous) < tol:
                return x, history, iteration, True, (
                    f"converged: the loss changed by less than tol={tol:g} in one iteration")
        if iteration == max_iter:
            break
        previous = value
        if not loss.requires_grad:
            return x, history, iteration, True, "the residuals do not depend on the unknowns"
        loss.backward()
        optimizer.step()
    return x, history, max_iter, False, (f"stopped after max_iter={max_iter} iterations "
                                         "without meeting the stopping test")
