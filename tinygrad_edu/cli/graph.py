"""``tinygrad-edu graph``: draw the computation graph of an expression, with values and gradients.

The expression is read by the equation parser (our own, never ``eval``) and computed on named
Tensors, so the drawing shows each variable by name.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Dict, Tuple

import numpy as np

from ..solvers import EquationSyntaxError, parse_expression
from ..solvers.nodes import evaluate, to_text, variables_of
from ..tensor import Tensor
from ..viz import draw_graph, render
from ..viz.render import FORMATS
from .errors import UsageError
from .files import prepare_output
from .help import HelpFormatter
from .values import Value, parse_assignments

EXAMPLES = """\
examples:
  tinygrad-edu graph "tanh(w*x + b)" --set w=0.5 x=2 b=0.1 -o neuron.svg
  tinygrad-edu graph "(x + y - 16)^2 + (10x + 25y - 250)^2" --set x=2 y=3 -o loss.png
  tinygrad-edu graph "sin(w)*x" --set w=0.1,0.2,0.3 x=2 --format dot
"""

#: Output names longer than this are drawn as "result" rather than as the expression.
MAX_NAME = 40


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "graph", help="draw the computation graph of an expression",
        description="Compute an expression on named tensors, run backward(), and draw the "
                    "graph with each tensor's value and gradient. The expression language is "
                    "the one of 'solve': + - * / ^, implicit multiplication (2x), sin cos tan "
                    "exp log sqrt abs tanh, pi and e. Needs the Graphviz 'dot' program for "
                    "svg/png/pdf; without it the DOT source is written instead.",
        epilog=EXAMPLES, formatter_class=HelpFormatter)
    p.add_argument("expression", help="e.g. 'tanh(w*x + b)'")
    p.add_argument("--set", nargs="+", default=[], metavar="NAME=VALUE", dest="values",
                   help="the value of every variable, e.g. --set w=0.5 x=2 b=0.1; a "
                        "comma-separated list makes a vector (w=0.5,1.5)")
    p.add_argument("-o", "--output", default="graph.svg", metavar="FILE",
                   help="the file to write (default graph.svg)")
    p.add_argument("--format", choices=FORMATS + ("dot",),
                   help="output format (default: from the file name's suffix, else svg)")
    p.add_argument("--no-grads", action="store_true",
                   help="do not run backward(); draw values only")
    p.set_defaults(run=run)


def build_expression(text: str, values: Dict[str, Value]) -> Tuple[Tensor, Dict[str, Tensor]]:
    """Parse ``text`` and compute it with every variable a named Tensor that requires grad.

    Raises:
        UsageError: the text does not parse, a variable has no value, or a value names no
            variable of the expression.
    """
    try:
        root = parse_expression(text)
    except EquationSyntaxError as err:
        raise UsageError(str(err)) from None
    names = variables_of(root)
    if not names:
        raise UsageError(f"the expression {text!r} has no variables, so there is no graph to "
                         "draw; use names such as x or w")
    missing = [n for n in names if n not in values]
    if missing:
        given = " ".join(f"{n}=..." for n in missing)
        raise UsageError(f"no value for {', '.join(missing)}: give "
                         f"{'it' if len(missing) == 1 else 'them'} with --set {given}")
    extra = [n for n in values if n not in names]
    if extra:
        raise UsageError(f"--set gives {', '.join(extra)}, which the expression does not use; "
                         f"its variables are {', '.join(names)}")
    tensors = {n: Tensor(np.asarray(values[n], dtype=np.float32), requires_grad=True, name=n)
               for n in names}
    try:
        out = evaluate(root, tensors)
    except ValueError as exc:   # e.g. vectors of different lengths that do not broadcast
        raise UsageError(f"cannot compute {text!r}: {exc}") from None
    shown = to_text(root)
    out.name = shown if len(shown) <= MAX_NAME else "result"
    return out, tensors


def output_path(output: str, fmt: str | None) -> Path:
    """The file to write: ``--format`` replaces a different suffix; no suffix means .svg."""
    path = Path(output)
    if fmt is not None and path.suffix.lower() != "." + fmt:
        path = path.with_suffix("." + fmt)
    elif not path.suffix:
        path = path.with_suffix(".svg")
    return path


def _array_text(tensor: Tensor) -> str:
    data = tensor.data
    if data.ndim == 0:
        return f"{float(data):.6g}"
    return np.array2string(data, precision=6, separator=", ", threshold=12)


def run(args: argparse.Namespace) -> int:
    values = parse_assignments(args.values, "--set", vectors=True)
    out, tensors = build_expression(args.expression, values)
    grads = not args.no_grads
    if grads:
        # a vector result is summed first, as backward() needs a scalar
        (out if out.ndim == 0 else out.sum()).backward()
    path = prepare_output(output_path(args.output, args.format))
    graph = draw_graph(out, show_values=True, show_grads=grads)
    written = render(graph, path)
    print(f"wrote {written}")
    print(f"{out.name} = {_array_text(out)}")
    if grads:
        of = "" if out.ndim == 0 else " (of the sum of the elements)"
        print(f"gradients{of}:")
        width = max(len(name) for name in tensors)
        for name, tensor in tensors.items():
            grad = "0" if tensor.grad is None else _array_text(tensor.grad)
            print(f"  d/d{name.ljust(width)} = {grad}")
    return 0
