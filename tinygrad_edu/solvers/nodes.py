"""The syntax tree of an expression, and how to compute with it without recursion.

Trees can be a few hundred levels deep (``x+x+...+x`` leans left), so every walk over a tree
goes through ``fold``, which keeps its own stack instead of Python's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Tuple

import numpy as np

from .. import ops
from ..tensor import Tensor

#: The functions an equation may call, each of one argument.
FUNCTIONS = ("sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh")
#: The named constants.
CONSTANTS: Dict[str, float] = {"pi": float(np.pi), "e": float(np.e)}


class Node:
    """Base of the tree's node classes; ``column`` is where the node's text starts (0-based)."""

    column: int
    children: Tuple["Node", ...] = ()

    # Printing and comparing go through ``fold``: dataclass defaults would recurse.
    def __repr__(self) -> str:
        return f"{type(self).__name__}({to_text(self)!r})"


@dataclass(frozen=True, eq=False, repr=False)
class Number(Node):
    value: float
    column: int = 0


@dataclass(frozen=True, eq=False, repr=False)
class Constant(Node):
    name: str
    column: int = 0

    @property
    def value(self) -> float:
        return CONSTANTS[self.name]


@dataclass(frozen=True, eq=False, repr=False)
class Variable(Node):
    name: str
    column: int = 0


@dataclass(frozen=True, eq=False, repr=False)
class Negate(Node):
    operand: Node
    column: int = 0

    @property
    def children(self) -> Tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True, eq=False, repr=False)
class BinaryOp(Node):
    """``left op right`` for op in ``+ - * /``."""
    op: str
    left: Node
    right: Node
    column: int = 0

    @property
    def children(self) -> Tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, eq=False, repr=False)
class Power(Node):
    """``base ^ exponent``; the parser has already checked that the exponent is a bounded
    constant, so it is kept as a number."""
    base: Node
    exponent: float
    column: int = 0

    @property
    def children(self) -> Tuple[Node, ...]:
        return (self.base,)


@dataclass(frozen=True, eq=False, repr=False)
class Call(Node):
    """``function(argument)`` for a function in ``FUNCTIONS``."""
    function: str
    argument: Node
    column: int = 0

    @property
    def children(self) -> Tuple[Node, ...]:
        return (self.argument,)


def fold(root: Node, combine: Callable[[Node, List[Any]], Any]) -> Any:
    """``combine(node, results_of_children)`` applied bottom-up over the tree, iteratively."""
    stack: List[Tuple[Node, bool]] = [(root, False)]
    results: List[Any] = []
    while stack:
        node, ready = stack.pop()
        children = node.children
        if ready or not children:
            k = len(children)
            args = results[len(results) - k:] if k else []
            if k:
                del results[len(results) - k:]
            results.append(combine(node, args))
        else:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(children))
    return results[0]


# --- evaluation -------------------------------------------------------------------------------

def _float_function(name: str, x: float) -> float:
    with np.errstate(all="ignore"):
        return float(getattr(np, "absolute" if name == "abs" else name)(np.float64(x)))


def _tensor_function(name: str, x: Tensor) -> Tensor:
    if name == "tan":
        return ops.sin(x) / ops.cos(x)   # no tan primitive: compose, so the gradient comes free
    return getattr(ops, name)(x)


def _combine(node: Node, args: List[Any], env: Mapping[str, Any]) -> Any:
    """One step of evaluation. Numbers stay Python floats (computed by NumPy in float64, so
    1/0 is inf rather than an exception) until they meet a Tensor."""
    if isinstance(node, (Number, Constant)):
        return node.value
    if isinstance(node, Variable):
        return env[node.name]
    plain = all(not isinstance(a, Tensor) for a in args)
    if isinstance(node, Negate):
        return -args[0]
    if isinstance(node, BinaryOp):
        a, b = args
        if plain:
            with np.errstate(all="ignore"):
                a, b = np.float64(a), np.float64(b)
                value = {"+": np.add, "-": np.subtract, "*": np.multiply,
                         "/": np.true_divide}[node.op](a, b)
            return float(value)
        if node.op == "+":
            return a + b
        if node.op == "-":
            return a - b
        if node.op == "*":
            return a * b
        return a / b
    if isinstance(node, Power):
        if plain:
            with np.errstate(all="ignore"):
                return float(np.power(np.float64(args[0]), node.exponent))
        exponent = node.exponent
        return args[0] ** (int(exponent) if exponent.is_integer() else exponent)
    if isinstance(node, Call):
        if plain:
            return _float_function(node.function, args[0])
        return _tensor_function(node.function, args[0])
    raise TypeError(f"unknown node {type(node).__name__}")


def evaluate(root: Node, env: Mapping[str, Any]) -> Any:
    """The value of the expression with each variable taken from ``env`` (name -> Tensor or
    number). The result is a Tensor when a variable is a Tensor (so gradients flow), else a
    float."""
    return fold(root, lambda node, args: _combine(node, args, env))


class Program:
    """A tree flattened to postfix order, for evaluating many times (a solver evaluates the same
    equations thousands of times): a loop over a list, with no tree walk and no recursion."""

    def __init__(self, root: Node) -> None:
        steps: List[Tuple[Node, int]] = []
        fold(root, lambda node, args: steps.append((node, len(node.children))))
        self.steps = steps

    def __call__(self, env: Mapping[str, Any]) -> Any:
        stack: List[Any] = []
        for node, arity in self.steps:
            if arity == 0:
                stack.append(env[node.name] if isinstance(node, Variable) else node.value)
            elif arity == 1:
                stack[-1] = _combine(node, [stack[-1]], env)
            else:
                right = stack.pop()
                stack[-1] = _combine(node, [stack[-1], right], env)
        return stack[0]


def constant_value(root: Node) -> float:
    """The value of an expression without variables, in float64 (inf/nan rather than errors)."""
    return float(evaluate(root, {}))


def variables_of(root: Node) -> List[str]:
    """The variable names in the expression, in order of first appearance."""
    found: Dict[str, None] = {}

    def visit(node: Node, args: List[Any]) -> None:
        if isinstance(node, Variable):
            found.setdefault(node.name, None)

    fold(root, visit)
    return list(found)


# --- printing ---------------------------------------------------------------------------------

_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}
_NEGATE, _POWER, _ATOM = 3, 4, 5


def format_number(value: float) -> str:
    """``2.0`` as ``2``, other floats by ``repr`` (which round-trips exactly)."""
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def _text(node: Node, args: List[Tuple[str, int]]) -> Tuple[str, int]:
    """(text, precedence) of a node, adding only the parentheses the grammar needs."""
    if isinstance(node, Number):
        return format_number(node.value), _ATOM
    if isinstance(node, (Constant, Variable)):
        return node.name, _ATOM
    if isinstance(node, Call):
        return f"{node.function}({args[0][0]})", _ATOM
    if isinstance(node, Negate):
        text, prec = args[0]
        return "-" + (text if prec >= _NEGATE else f"({text})"), _NEGATE
    if isinstance(node, Power):
        text, prec = args[0]
        base = text if prec > _POWER else f"({text})"
        return f"{base}^{format_number(node.exponent)}", _POWER
    assert isinstance(node, BinaryOp)
    prec = _PRECEDENCE[node.op]
    (left, lp), (right, rp) = args
    left = left if lp >= prec else f"({left})"
    # a - (b - c) and a / (b * c) need their parentheses; a + (b + c) does not.
    right = right if rp > prec or (rp == prec and node.op in "+*") else f"({right})"
    return f"{left} {node.op} {right}", prec


def to_text(root: Node) -> str:
    """The expression as text in the equation language (parsing it gives the same values)."""
    return fold(root, _text)[0]
