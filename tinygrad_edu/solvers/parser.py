"""A recursive-descent parser for equations: text in, our own syntax tree out, nothing executed.

Grammar (lowest precedence first)::

    equation := expr ['=' expr]                  (no '=' means '= 0')
    expr     := term (('+' | '-') term)*
    term     := unary (('*' | '/') unary | power)*   (a bare juxtaposition multiplies: 2x, 2(x-1))
    unary    := ('+' | '-')* power
    power    := primary [('^' | '**') unary]     (right-associative: 2^3^2 = 2^9)
    primary  := number | constant | variable | function '(' expr ')' | '(' expr ')'

So ``-x^2`` is ``-(x^2)``, ``2x^2`` is ``2*(x^2)``, and ``1/2x`` is ``(1/2)*x`` (juxtaposition
binds like ``*``, left to right). A number cannot follow an operand directly (``x 2`` is an
error), and a name followed by ``(`` must be a known function (write ``x*(x+1)``, not
``x(x+1)``). Exponents must be constants with ``|value| <= MAX_EXPONENT``, checked while parsing,
so ``9^9^9`` is rejected before anything is computed.

Safety: the input is at most ``MAX_CHARS`` characters and ``MAX_TOKENS`` tokens, parentheses,
function calls and exponents nest at most ``MAX_DEPTH`` levels (an explicit counter, so Python's
recursion limit is never reached), and the only names are variables, ``CONSTANTS`` and
``FUNCTIONS``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import List, Optional

from .errors import EquationSyntaxError
from .lexer import Token, tokenize
from .nodes import (CONSTANTS, FUNCTIONS, BinaryOp, Call, Constant, Negate, Node, Number, Power,
                    Variable, constant_value, to_text, variables_of)

#: Deepest nesting of parentheses, function calls and exponents.
MAX_DEPTH = 100
#: Largest |exponent| accepted.
MAX_EXPONENT = 100.0


@dataclass(frozen=True, eq=False)
class Equation:
    """A parsed equation ``lhs = rhs``; ``residual`` is the tree of ``lhs - rhs``."""

    text: str
    lhs: Node
    rhs: Optional[Node]
    variables: List[str] = field(default_factory=list)

    @property
    def residual(self) -> Node:
        """lhs - rhs (or lhs alone when the equation had no '=')."""
        if self.rhs is None:
            return self.lhs
        return BinaryOp("-", self.lhs, self.rhs, self.lhs.column)

    def __str__(self) -> str:
        if self.rhs is None:
            return f"{to_text(self.lhs)} = 0"
        return f"{to_text(self.lhs)} = {to_text(self.rhs)}"


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: List[Token] = tokenize(text)
        self.pos = 0
        self.depth = 0

    # --- helpers -------------------------------------------------------------------------------
    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def error(self, reason: str, token: Optional[Token] = None, column: Optional[int] = None):
        if column is None:
            column = (token or self.token).column
        return EquationSyntaxError(reason, self.text, column + 1)

    def describe(self, token: Token) -> str:
        if token.kind == "end":
            return "the end of the equation"
        return f"{token.kind} {token.text!r}"

    def enter(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"nesting is deeper than {MAX_DEPTH} levels (parentheses, function "
                             "calls and exponents count)", token)

    def is_op(self, text: str) -> bool:
        return self.token.kind == "op" and self.token.text == text

    # --- grammar -------------------------------------------------------------------------------
    def equation(self) -> Equation:
        if self.token.kind == "end":
            raise self.error("the equation is empty")
        lhs = self.expr()
        rhs = None
        if self.is_op("="):
            equals = self.advance()
            if self.token.kind == "end":
                raise self.error("expected an expression after '='")
            rhs = self.expr()
            if self.is_op("="):
                raise self.error("an equation has at most one '=' (this is the second, the first "
                                 f"is at column {equals.column + 1})")
        if self.token.kind != "end":
            if self.is_op(")"):
                raise self.error("unmatched ')'")
            raise self.error(f"unexpected {self.describe(self.token)}")
        found = variables_of(lhs) + ([] if rhs is None else variables_of(rhs))
        return Equation(self.text, lhs, rhs, list(dict.fromkeys(found)))

    def expr(self) -> Node:
        left = self.term()
        while self.token.kind == "op" and self.token.text in ("+", "-"):
            op = self.advance()
            left = BinaryOp(op.text, left, self.term(), left.column)
        return left

    def term(self) -> Node:
        left = self.unary()
        while True:
            token = self.token
            if token.kind == "op" and token.text in ("*", "/"):
                self.advance()
                left = BinaryOp(token.text, left, self.unary(), left.column)
            elif token.kind == "name" or (token.kind == "op" and token.text == "("):
                left = BinaryOp("*", left, self.power(), left.column)   # implicit: 2x, 2(x-1)
            elif token.kind == "number":
                raise self.error(f"a number cannot follow an operand directly; put an operator "
                                 f"before {token.text!r}")
            else:
                return left

    def unary(self) -> Node:
        negative, start = False, self.token
        while self.token.kind == "op" and self.token.text in ("+", "-"):
            if self.advance().text == "-":
                negative = not negative
        operand = self.power()
        return Negate(operand, start.column) if negative else operand

    def power(self) -> Node:
        base = self.primary()
        if not self.is_op("^"):
            return base
        caret = self.advance()
        self.enter(caret)
        exponent_token = self.token
        exponent = self.unary()
        self.depth -= 1
        if variables_of(exponent):
            raise self.error("exponents must be constants (a variable exponent could overflow "
                             "without bound); write exp(y*log(x)) for x^y", exponent_token)
        value = constant_value(exponent)
        if not math.isfinite(value) or abs(value) > MAX_EXPONENT:
            shown = "not a finite number" if not math.isfinite(value) else f"{value:.6g}"
            raise self.error(f"the exponent is {shown}; exponents are limited to "
                             f"|exponent| <= {MAX_EXPONENT:g}", exponent_token)
        return Power(base, value, base.column)

    def primary(self) -> Node:
        token = self.token
        if token.kind == "number":
            self.advance()
            return Number(token.value, token.column)
        if token.kind == "name":
            self.advance()
            if token.text in FUNCTIONS:
                if not self.is_op("("):
                    raise self.error(f"the function {token.text!r} needs parentheses: "
                                     f"{token.text}(...)", token)
                return Call(token.text, self.parenthesized(), token.column)
            if self.is_op("("):
                raise self.error(f"{token.text!r} is not a function (the functions are "
                                 f"{', '.join(FUNCTIONS)}); to multiply, write "
                                 f"{token.text}*(...)", token)
            if token.text in CONSTANTS:
                return Constant(token.text, token.column)
            return Variable(token.text, token.column)
        if self.is_op("("):
            inner = self.parenthesized()
            return inner
        if token.kind == "end":
            raise self.error("the expression ends too early: expected a number, a name or '('")
        if self.is_op(")"):
            raise self.error("expected a number, a name or '(' before ')'")
        raise self.error(f"expected a number, a name or '(' but found {self.describe(token)}")

    def parenthesized(self) -> Node:
        opening = self.advance()
        self.enter(opening)
        if self.is_op(")"):
            raise self.error("empty parentheses")
        inner = self.expr()
        if not self.is_op(")"):
            if self.token.kind == "end":
                raise self.error(f"missing ')' to close the '(' at column {opening.column + 1}",
                                 opening)
            raise self.error(f"expected ')' to close the '(' at column {opening.column + 1}, "
                             f"found {self.describe(self.token)}")
        self.advance()
        self.depth -= 1
        return inner


def parse_equation(text: str) -> Equation:
    """Parse one equation such as ``"10x + 25y = 250"`` (no '=' means '= 0').

    Raises:
        EquationSyntaxError: with the column and a caret line, for anything not in the language.
    """
    try:
        return _Parser(text).equation()
    except RecursionError:   # unreachable by the depth limit; a last guard, never a crash
        raise EquationSyntaxError("the equation is nested too deeply", text) from None


def parse_expression(text: str) -> Node:
    """Parse an expression without '=' into its syntax tree."""
    equation = parse_equation(text)
    if equation.rhs is not None:
        raise EquationSyntaxError("expected an expression, not an equation", text,
                                  text.index("=") + 1)
    return equation.lhs
