"""Small file helpers shared by the commands: reading text with friendly errors, atomic writes."""

from __future__ import annotations

from pathlib import Path
from typing import Union

from ..utils import atomic_write_bytes
from .errors import CommandError


def read_text(path: Union[str, Path]) -> str:
    """The text of ``path``, or a ``CommandError`` that says what is wrong in one line."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandError(f"cannot read {path}: no such file") from None
    except IsADirectoryError:
        raise CommandError(f"cannot read {path}: it is a directory") from None
    except UnicodeDecodeError:
        raise CommandError(f"cannot read {path}: not a UTF-8 text file") from None
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None


def write_text(path: Union[str, Path], text: str) -> Path:
    """Write ``text`` atomically (creating missing folders) and return the path."""
    path = Path(path)
    atomic_write_bytes(path, text.encode("utf-8"))
    return path


def prepare_output(path: Union[str, Path]) -> Path:
    """Create the folder an output file goes into; a failure is a one-line error."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"cannot create the folder {path.parent}: "
                           f"{exc.strerror or exc}") from None
    return path
