"""Tokens of the equation language, and the size limits that keep every input cheap to handle.

The language: numbers (``3``, ``2.5``, ``.5``, ``1e-3``), names (a letter, then letters, digits or
``_``, ASCII only), the operators ``+ - * / ^ ** ( ) =``. ``×``, ``·``, ``÷``, ``−`` and ``π`` are
read as ``*``, ``*``, ``/``, ``-`` and ``pi``. Anything else is rejected where it stands.
"""

from __future__ import annotations

import math
import re
from typing import List, NamedTuple

from .errors import EquationSyntaxError

#: Longest equation accepted, in characters.
MAX_CHARS = 2000
#: Most tokens in one equation (both sides together).
MAX_TOKENS = 500

# Scientific notation wins over implicit multiplication: ``2e3`` is 2000 (``2e`` alone is 2*e).
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_OPERATORS = {"**": "^", "^": "^", "+": "+", "-": "-", "*": "*", "/": "/", "(": "(", ")": ")",
              "=": "=", "\u2212": "-", "\u00d7": "*", "\u00b7": "*", "\u00f7": "/"}


class Token(NamedTuple):
    """One token: ``kind`` is "number", "name", "op" or "end"; ``text`` is the normalised
    spelling (``**`` becomes ``^``); ``column`` the 0-based index where it starts."""
    kind: str
    text: str
    column: int
    value: float = 0.0


def tokenize(text: str) -> List[Token]:
    """The tokens of one equation, ending with an "end" token.

    Raises:
        EquationSyntaxError: for an unknown character, a number too large for float64, or an
            equation longer than ``MAX_CHARS`` characters or ``MAX_TOKENS`` tokens.
    """
    if not isinstance(text, str):
        raise TypeError(f"an equation must be a string, got {type(text).__name__}")
    if len(text) > MAX_CHARS:
        raise EquationSyntaxError(
            f"the equation is {len(text)} characters long; the limit is {MAX_CHARS}",
            text, MAX_CHARS + 1)
    tokens: List[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if len(tokens) >= MAX_TOKENS:
            raise EquationSyntaxError(f"the equation has more than {MAX_TOKENS} tokens; split "
                                      "it or simplify it", text, i + 1)
        match = _NUMBER.match(text, i)
        if match:
            value = float(match.group())
            if not math.isfinite(value):
                raise EquationSyntaxError(f"the number {match.group()[:20]!r} is too large "
                                          "for a 64-bit float", text, i + 1)
            tokens.append(Token("number", match.group(), i, value))
            i = match.end()
            continue
        match = _NAME.match(text, i)
        if match:
            tokens.append(Token("name", match.group(), i))
            i = match.end()
            continue
        if ch == "\u03c0":
            tokens.append(Token("name", "pi", i))
            i += 1
            continue
        two = text[i:i + 2]
        if two in _OPERATORS:
            tokens.append(Token("op", _OPERATORS[two], i))
            i += 2
            continue
        if ch in _OPERATORS:
            tokens.append(Token("op", _OPERATORS[ch], i))
            i += 1
            continue
        raise EquationSyntaxError(f"unexpected character {_describe(ch)}", text, i + 1)
    tokens.append(Token("end", "", n))
    return tokens


def _describe(ch: str) -> str:
    """A character named so that the message is readable even for invisible ones."""
    if ch.isprintable():
        hint = ""
        if ch == "_":
            hint = " (names must start with a letter)"
        elif ch == ".":
            hint = " (there is no attribute access; '.' only appears in numbers like 2.5)"
        elif ch in ",;:[]{}'\"!@#$%&|<>?`~\\":
            hint = " (only numbers, names, + - * / ^ ** ( ) and = are allowed)"
        return f"{ch!r} (U+{ord(ch):04X}){hint}"
    return f"U+{ord(ch):04X} (not printable)"
