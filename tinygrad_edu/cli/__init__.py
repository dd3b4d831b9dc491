"""The ``tinygrad-edu`` command: ``solve``, ``graph``, ``train`` and ``demo``.

Each subcommand lives in its own module with ``add_parser`` (its arguments) and ``run`` (what it
does). ``main`` turns every foreseeable failure (bad input, a missing file, a missing tool) into
one line on stderr and an exit status, so users see what to fix, not a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional

from .errors import FAILURE, USAGE, CommandError, UsageError

PROG = "tinygrad-edu"

__all__ = ["main", "build_parser", "CommandError", "UsageError"]


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__
    from . import demo, graph, solve, train

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="tinygrad_edu from the command line: solve equations with gradients, draw "
                    "computation graphs, train small networks. Start with "
                    f"'{PROG} demo'.",
        epilog=f"'{PROG} COMMAND --help' describes each command.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    for module in (solve, graph, train, demo):
        module.add_parser(subparsers)
    return parser


def _error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


def main(argv: Optional[List[str]] = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status:
    0 success, 1 failure, 2 usage error (argparse's convention)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:   # --help, --version, or argparse's own usage error
        return int(exit_.code or 0) if not isinstance(exit_.code, str) else USAGE
    if args.command is None:
        parser.print_help(sys.stderr)
        return USAGE
    from ..datasets import DatasetNotFoundError, IDXError, ChecksumError
    from ..viz import GraphTooLargeError, GraphvizNotFoundError

    try:
        return args.run(args)
    except CommandError as exc:
        _error(exc.message)
        return exc.code
    except GraphvizNotFoundError as exc:
        _error(str(exc).removeprefix("render: "))
        return FAILURE
    except (DatasetNotFoundError, IDXError, ChecksumError, GraphTooLargeError) as exc:
        _error(str(exc))
        return FAILURE
    except BrokenPipeError:   # `tinygrad-edu ... | head`: the reader left, nothing to say
        _silence_stdout()
        return FAILURE
    except OSError as exc:   # writing an output file: a full disk, a read-only folder...
        where = f" {exc.filename}" if exc.filename else ""
        _error(f"cannot write{where}: {exc.strerror or exc}")
        return FAILURE
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    finally:
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _silence_stdout()


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's final flush does not complain again about
    a pipe whose reader has gone."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
