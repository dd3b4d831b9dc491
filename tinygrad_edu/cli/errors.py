"""The two ways a command fails: the user asked for something malformed (exit 2, like argparse's
own usage errors), or a well-formed request could not be carried out (exit 1)."""

from __future__ import annotations

USAGE = 2
FAILURE = 1


class CommandError(Exception):
    """A failure to report as ``tinygrad-edu: error: <message>`` and exit with ``code``;
    never a traceback, because the cause is the input or the machine, not the program."""

    def __init__(self, message: str, code: int = FAILURE) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class UsageError(CommandError):
    """A malformed request: a bad value, a missing argument, an equation that does not parse."""

    def __init__(self, message: str) -> None:
        super().__init__(message, USAGE)
