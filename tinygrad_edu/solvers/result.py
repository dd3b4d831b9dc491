"""What a solver returns: the answer and an honest account of how good it is, JSON-ready."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Union

import numpy as np


def json_value(value: Any) -> Any:
    """``value`` made of dicts, lists, str, bool, int and finite floats (inf/nan become None),
    so ``json.dumps(..., allow_nan=False)`` accepts it."""
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_value(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"json_value: cannot represent {type(value).__name__}")


@dataclass
class LeastSquaresResult:
    """The outcome of ``least_squares``.

    Attributes:
        x: the solution: a list of floats when ``x0`` was a list, else a float64 ndarray.
        residual_norm: ||r(x)||, the Euclidean norm of the residuals at ``x``.
        loss: sum(r(x)^2) = residual_norm^2.
        iterations: iterations run.
        converged: the method's stopping test was met (not: stopped by max_iter, a callback, a
            non-finite value, or a damping blow-up). A converged least-squares solution of an
            inconsistent system is converged but not exact.
        exact: the residuals are ~0 (``residual_norm <= exact_tol``): x solves the equations.
        unique: the Jacobian at ``x`` has full column rank, so no nearby x solves as well
            (a nonlinear system may still have other, isolated, solutions elsewhere).
        message: what happened, in words.
        loss_history: the loss at the start, then after each iteration.
        method: "gd", "adam", "gauss-newton" or "lm".
        residuals: r(x) as a list of floats.
        rank: the numerical rank of the Jacobian at ``x``.
    """

    x: Union[List[float], np.ndarray]
    residual_norm: float
    loss: float
    iterations: int
    converged: bool
    exact: bool
    unique: bool
    message: str
    loss_history: List[float]
    method: str
    residuals: List[float] = field(default_factory=list)
    rank: int = 0

    def to_dict(self) -> Dict[str, Any]:
        """A dict of plain JSON values (non-finite floats become None)."""
        return json_value({
            "x": self.x, "residual_norm": self.residual_norm, "loss": self.loss,
            "iterations": self.iterations, "converged": self.converged, "exact": self.exact,
            "unique": self.unique, "message": self.message, "loss_history": self.loss_history,
            "method": self.method, "residuals": self.residuals, "rank": self.rank,
        })


@dataclass
class SolveResult(LeastSquaresResult):
    """The outcome of ``solve``: a ``LeastSquaresResult`` that also knows the variables' names.

    ``result["x"]`` and ``result.values["x"]`` give a variable's value; ``equations`` are the
    equations as parsed (normalised text), in the order given.
    """

    variables: List[str] = field(default_factory=list)
    equations: List[str] = field(default_factory=list)

    @property
    def values(self) -> Dict[str, float]:
        """Each variable's value, by name, in the order of ``variables``."""
        return dict(zip(self.variables, (float(v) for v in self.x)))

    def __getitem__(self, name: str) -> float:
        try:
            return self.values[name]
        except KeyError:
            raise KeyError(f"no variable {name!r} in this system; the variables are "
                           f"{self.variables}") from None

    def to_dict(self) -> Dict[str, Any]:
        out = super().to_dict()
        out["values"] = json_value(self.values)
        out["variables"] = list(self.variables)
        out["equations"] = list(self.equations)
        return out
