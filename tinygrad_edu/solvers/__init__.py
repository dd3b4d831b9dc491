"""Solving systems of equations with gradients.

``least_squares`` minimises sum(r(x)^2) for residuals written with Tensor ops, by gradient
descent, Adam, Gauss-Newton or Levenberg-Marquardt; ``solve`` does the same for equations given
as text (``"10x + 25y = 250"``), parsed by our own safe parser, never by ``eval``.
"""

from .errors import EquationSyntaxError
from .least_squares import METHODS, least_squares
from .result import LeastSquaresResult

__all__ = ["least_squares", "LeastSquaresResult", "EquationSyntaxError", "METHODS"]
