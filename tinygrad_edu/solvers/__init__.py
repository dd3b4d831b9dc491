"""Solving systems of equations with gradients.

``least_squares`` minimises sum(r(x)^2) for residuals written with Tensor ops, by gradient
descent, Adam, Gauss-Newton or Levenberg-Marquardt; ``solve`` does the same for equations given
as text (``"10x + 25y = 250"``), parsed by our own safe parser, never by ``eval``.
"""

from .equations import parse_system, solve, solve_all
from .errors import EquationSyntaxError
from .least_squares import METHODS, least_squares
from .parser import Equation, parse_equation, parse_expression
from .result import LeastSquaresResult, SolveResult

__all__ = ["least_squares", "solve", "solve_all", "LeastSquaresResult", "SolveResult",
           "EquationSyntaxError", "parse_equation", "parse_expression", "parse_system",
           "Equation", "METHODS"]
