"""``EquationSyntaxError``: every rejected equation text raises this, pointing at the culprit."""

from __future__ import annotations

from typing import Optional

# How much of a long equation the error message shows around the offending column.
_WINDOW = 72


def _printable(text: str) -> str:
    """The text with unprintable characters shown as '?', so the caret stays aligned."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


class EquationSyntaxError(ValueError):
    """An equation could not be accepted: bad syntax, an unknown name, or a limit exceeded.

    Attributes:
        reason: what is wrong, in words.
        text: the equation text (None when the problem is not tied to one equation).
        column: 1-based column of the offending character in ``text`` (None if not applicable).
        equation: 1-based index of the equation within the system (None for a single one).

    ``str(error)`` shows the reason, the column, and the equation with a caret line under it.
    """

    def __init__(self, reason: str, text: Optional[str] = None, column: Optional[int] = None,
                 equation: Optional[int] = None) -> None:
        self.reason = reason
        self.text = text
        self.column = column
        self.equation = equation
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.equation is not None:
            where.append(f"equation {self.equation}")
        if self.column is not None:
            where.append(f"column {self.column}")
        head = f"{', '.join(where)}: {self.reason}" if where else self.reason
        if self.text is None:
            return head
        shown = _printable(self.text)
        caret = 0 if self.column is None else max(self.column - 1, 0)
        start = 0
        if len(shown) > _WINDOW:   # show a window around the culprit, not 2000 characters
            start = min(max(caret - _WINDOW // 2, 0), len(shown) - _WINDOW)
            shown = shown[start:start + _WINDOW]
            if start > 0:
                shown = "..." + shown[3:]
            if start + _WINDOW < len(self.text):
                shown = shown[:-3] + "..."
        lines = [head, "    " + shown]
        if self.column is not None:
            lines.append("    " + " " * (caret - start) + "^")
        return "\n".join(lines)

    def with_equation(self, index: int) -> "EquationSyntaxError":
        """The same error, saying which equation of a system it is in (1-based)."""
        return EquationSyntaxError(self.reason, self.text, self.column, index)
