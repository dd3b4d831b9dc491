"""``solve``: systems of equations written as text, solved with ``least_squares``.

The unknowns are the names that are neither functions nor constants, ordered by first
appearance (left to right, equation by equation) unless ``variables=`` fixes the order.
"""

from __future__ import annotations

from typing import Any, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from .. import random as _random
from .errors import EquationSyntaxError
from .least_squares import least_squares
from .nodes import Program
from .parser import Equation, parse_equation
from .result import SolveResult

#: Most equations in one system, and most unknowns.
MAX_EQUATIONS = 100
MAX_VARIABLES = 100

Equations = Union[str, Sequence[str]]


def parse_system(equations: Equations) -> Tuple[List[Equation], List[str]]:
    """Parse every equation; returns them with the variables in order of first appearance.

    ``equations`` is a list of strings, or one string with equations separated by ``;`` or new
    lines. Errors say which equation (1-based) and which column.
    """
    if isinstance(equations, str):
        texts = [t for t in equations.replace("\n", ";").split(";") if t.strip()]
    elif isinstance(equations, (list, tuple)):
        texts = list(equations)
    else:
        raise TypeError(f"solve: equations must be a list of strings or one string, got "
                        f"{type(equations).__name__}")
    if not texts:
        raise EquationSyntaxError("there are no equations to solve")
    if len(texts) > MAX_EQUATIONS:
        raise EquationSyntaxError(f"there are {len(texts)} equations; the limit is "
                                  f"{MAX_EQUATIONS}")
    parsed = []
    for index, text in enumerate(texts, start=1):
        try:
            parsed.append(parse_equation(text))
        except EquationSyntaxError as err:
            raise err.with_equation(index) if len(texts) > 1 else err from None
    names = list(dict.fromkeys(v for eq in parsed for v in eq.variables))
    if not names:
        raise EquationSyntaxError("the equations contain no unknowns (no variable names)")
    if len(names) > MAX_VARIABLES:
        raise EquationSyntaxError(f"the equations have {len(names)} unknowns; the limit is "
                                  f"{MAX_VARIABLES}")
    return parsed, names


def _order(found: List[str], variables: Optional[Sequence[str]]) -> List[str]:
    if variables is None:
        return found
    order = list(variables)
    missing = [v for v in found if v not in order]
    if missing:
        raise ValueError(f"solve: variables= lacks {missing}, which appear in the equations")
    if len(set(order)) != len(order):
        raise ValueError(f"solve: variables= repeats a name: {order}")
    return order


def _start(names: List[str], initial: Any, rng: np.random.Generator) -> List[float]:
    """The starting point: ``initial`` (dict or list), the rest uniform in [-1, 1)."""
    drawn = rng.uniform(-1.0, 1.0, len(names))
    if initial is None:
        return [float(v) for v in drawn]
    if isinstance(initial, Mapping):
        unknown = [k for k in initial if k not in names]
        if unknown:
            raise ValueError(f"solve: initial= names {unknown}, which are not unknowns of the "
                             f"system; the unknowns are {names}")
        return [float(initial[name]) if name in initial else float(d)
                for name, d in zip(names, drawn)]
    values = list(np.ravel(np.asarray(initial, dtype=np.float64)))
    if len(values) != len(names):
        raise ValueError(f"solve: initial= has {len(values)} values for {len(names)} unknowns "
                         f"{names}; give one per unknown, in this order, or a dict")
    return [float(v) for v in values]


def solve(equations: Equations, initial: Any = None, method: str = "lm", *, seed: int = 0,
          variables: Optional[Sequence[str]] = None, **kwargs: Any) -> SolveResult:
    """Solve a system of equations given as text.

    Args:
        equations: e.g. ``["x + y = 16", "10x + 25y = 250"]`` (see ``parser`` for the
            language: implicit multiplication, ``^`` for powers, sin cos tan exp log sqrt abs
            tanh, pi and e; no '=' means '= 0').
        initial: the starting point, a dict ``{"x": 1.0}`` (unlisted unknowns are drawn) or a
            list in the order of ``variables``. By default each unknown starts at a value drawn
            uniformly from [-1, 1) by ``numpy.random.default_rng(seed)``: the same every run,
            and off the symmetric points (like 0) where a Jacobian is often singular.
        method: "lm", "gauss-newton", "gd" or "adam" (see ``least_squares``).
        seed: the seed of the default starting point.
        variables: the unknowns in the order wanted (default: order of first appearance).
        **kwargs: passed to ``least_squares`` (tol, max_iter, callback, lr, optimizer...).

    Returns:
        A ``SolveResult``: ``result["x"]``, ``result.values``, and the diagnostics (exact,
        unique, converged, message...). An inconsistent system gives its least-squares
        solution with ``exact=False``; an underdetermined one a solution with ``unique=False``.
    """
    parsed, found = parse_system(equations)
    names = _order(found, variables)
    start = _start(names, initial, np.random.default_rng(seed))
    programs = [Program(eq.residual) for eq in parsed]

    def residuals(*xs):
        env = dict(zip(names, xs))
        return [program(env) for program in programs]

    result = least_squares(residuals, start, method=method, **kwargs)
    return SolveResult(**vars(result), variables=names, equations=[str(eq) for eq in parsed])


def solve_all(equations: Equations, starts: int = 10, seed: Optional[int] = None,
              method: str = "lm", spread: float = 10.0, distinct_tol: float = 1e-6,
              **kwargs: Any) -> List[SolveResult]:
    """The distinct exact solutions found from ``starts`` random starting points.

    Starting points are uniform in [-spread, spread) per unknown, drawn from
    ``numpy.random.default_rng(seed)`` (or, when seed is None, from the generator that
    ``tinygrad_edu.manual_seed`` seeds). Two solutions are the same when they differ by at most
    ``distinct_tol * (1 + max|x|)`` in every unknown. Finding no root, or only some, proves
    nothing about the others: more starts may find more. Sorted by the values of the unknowns.
    """
    if int(starts) != starts or starts < 1:
        raise ValueError(f"solve_all: starts must be a positive integer, got {starts}")
    parsed, found = parse_system(equations)
    names = _order(found, kwargs.pop("variables", None))
    rng = _random.generator() if seed is None else np.random.default_rng(seed)
    points = rng.uniform(-spread, spread, (int(starts), len(names)))
    roots: List[SolveResult] = []
    for point in points:
        result = solve(equations, initial=list(point), method=method, variables=names, **kwargs)
        if not result.exact:
            continue
        x = np.asarray(result.x)
        if all(np.max(np.abs(x - np.asarray(r.x))) > distinct_tol * (1 + np.max(np.abs(x)))
               for r in roots):
            roots.append(result)
    roots.sort(key=lambda r: list(r.x))
    return roots
