"""``tinygrad-edu solve``: systems of equations from the arguments, a file, or standard input."""

from __future__ import annotations

import argparse
import json
import sys
from typing import List, Tuple

from ..solvers import METHODS, EquationSyntaxError, parse_equation, solve
from .errors import UsageError
from .files import read_text
from .help import HelpFormatter
from .plots import loss_panel, plot_panels
from .values import parse_assignments

# (where it came from, the equation text): "where" names the line in error messages
Source = Tuple[str, str]

EXAMPLES = """\
examples:
  tinygrad-edu solve "x + y = 16" "10x + 25y = 250"
  tinygrad-edu solve "x^2 + y^2 = 25" "x - y = 1" --initial x=1 y=1 --method gauss-newton
  tinygrad-edu solve --file system.txt --json
  echo "2x + 3y = 9; x - y = 2" | tinygrad-edu solve
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "solve", help="solve a system of equations",
        description="Solve a system of equations written as text, by least squares with "
                    "gradients. Equations come from the arguments, from --file (one per line, "
                    "'#' starts a comment), or from standard input (when no equation is given "
                    "and stdin is not a terminal, or when an argument is '-'). Several "
                    "equations on one line are separated by ';'.",
        epilog=EXAMPLES, formatter_class=HelpFormatter)
    p.add_argument("equations", nargs="*", metavar="EQUATION",
                   help="an equation such as '10x + 25y = 250' (no '=' means '= 0'); '-' reads "
                        "standard input")
    p.add_argument("-f", "--file", action="append", default=[], metavar="FILE",
                   help="read equations from FILE (may be repeated)")
    p.add_argument("-m", "--method", choices=METHODS, default="lm",
                   help="lm: Levenberg-Marquardt (default); gauss-newton; gd: gradient descent; "
                        "adam")
    p.add_argument("--initial", nargs="+", default=[], metavar="NAME=VALUE",
                   help="starting values, e.g. --initial x=1 y=2 (others start at a seeded "
                        "random value in [-1, 1))")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the default starting point (default 0)")
    p.add_argument("--max-iter", type=int, default=None, metavar="N",
                   help="iteration budget (default: 200 for lm, 100 for gauss-newton, 20000 "
                        "for gd and adam)")
    p.add_argument("--json", action="store_true",
                   help="print the full result as JSON instead of text")
    p.add_argument("--plot", metavar="FILE",
                   help="draw the loss per iteration into FILE (.png/.pdf need matplotlib; "
                        ".svg works without it)")
    p.set_defaults(run=run)


def split_lines(text: str, where: str) -> List[Source]:
    """Equations of a text: one or more per line (split at ';'), '#' comments dropped."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0]
        pieces = [piece for piece in content.split(";") if piece.strip()]
        for piece in pieces:
            found.append((f"{where}, line {number}", piece.strip()))
    return found


def _read_stdin() -> str:
    try:
        return sys.stdin.read()
    except UnicodeDecodeError:
        raise UsageError("standard input is not UTF-8 text") from None


def gather(args: argparse.Namespace) -> List[Source]:
    """All the equations asked for, in order: arguments, then files."""
    sources: List[Source] = []
    from_args = [text for text in args.equations if text != "-"]
    for index, text in enumerate(args.equations, start=1):
        if text == "-":
            sources += split_lines(_read_stdin(), "<stdin>")
        else:
            where = f"equation {index}" if len(from_args) > 1 or args.file else "the equation"
            sources += [(where, piece.strip()) for piece in text.split(";") if piece.strip()] \
                or [(where, text)]
    for path in args.file:
        found = split_lines(read_text(path), str(path))
        if not found:
            raise UsageError(f"{path} contains no equations (only blank lines or comments)")
        sources += found
    if not args.equations and not args.file:
        stdin = sys.stdin
        if stdin is None or stdin.isatty():
            raise UsageError("no equations given: write them as arguments (tinygrad-edu solve "
                             "\"x + y = 16\" \"10x + 25y = 250\"), with --file FILE, or pipe "
                             "them to standard input")
        sources = split_lines(_read_stdin(), "<stdin>")
        if not sources:
            raise UsageError("standard input contains no equations")
    return sources


def check_syntax(sources: List[Source]) -> List[str]:
    """Parse each equation on its own, so an error names the argument or file line; returns
    the unknowns in order of first appearance."""
    names: dict = {}
    for where, text in sources:
        try:
            equation = parse_equation(text)
        except EquationSyntaxError as err:
            prefix = "" if where == "the equation" else f"{where}: "
            raise UsageError(prefix + str(err)) from None
        names.update(dict.fromkeys(equation.variables))
    if not names:
        raise UsageError("the equations contain no unknowns (no variable names)")
    return list(names)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def format_result(result) -> str:
    """The human-readable report: each unknown, then the diagnostics."""
    width = max(len(name) for name in result.variables)
    lines = [f"{name.ljust(width)} = {value:.10g}" for name, value in result.values.items()]
    lines += ["",
              f"residual norm  {result.residual_norm:.3g}",
              f"iterations     {result.iterations} ({result.method})",
              f"converged      {_yes(result.converged)}",
              f"exact          {_yes(result.exact)}",
              f"unique         {_yes(result.unique)}",
              "",
              result.message]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    sources = gather(args)
    names = check_syntax(sources)
    initial = parse_assignments(args.initial, "--initial")
    unknown = [name for name in initial if name not in names]
    if unknown:
        raise UsageError(f"--initial names {', '.join(unknown)}, which "
                         f"{'is not an unknown' if len(unknown) == 1 else 'are not unknowns'} "
                         f"of the system; the unknowns are {', '.join(names)}")
    if args.max_iter is not None and args.max_iter < 0:
        raise UsageError(f"--max-iter must be >= 0, got {args.max_iter}")
    result = solve([text for _, text in sources], initial=initial or None, method=args.method,
                   seed=args.seed, max_iter=args.max_iter)
    plotted = None
    if args.plot:
        plotted = plot_panels(args.plot, [loss_panel(result.loss_history,
                                                     f"loss ({result.method})")])
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, allow_nan=False))
    else:
        print(format_result(result))
    if plotted is not None:
        print(f"loss curve written to {plotted}", file=sys.stderr if args.json else sys.stdout)
    return 0
