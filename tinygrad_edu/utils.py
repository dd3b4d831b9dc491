"""Small helpers shared across the package."""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Callable, Dict, Hashable, Iterator, Union

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

PathLike = Union[str, "os.PathLike[str]"]


@contextlib.contextmanager
def atomic_write(path: PathLike, suffix: str = ".tmp") -> Iterator[IO[bytes]]:
    """Write a file so that readers never see half of it: ``with atomic_write(p) as f: ...``.

    The data goes to a temporary file beside ``path`` (``f.name`` is its path), which replaces
    ``path`` only when the block finishes without an error; otherwise it is removed and any old
    ``path`` is left as it was. The new file gets the usual permissions (0666 less the umask),
    not the private 0600 of a temporary file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(handle)
    try:
        with open(temporary, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: PathLike, data: bytes) -> None:
    """``data`` into ``path``, all or nothing (see ``atomic_write``)."""
    with atomic_write(path) as file:
        file.write(data)


_handle_ids = itertools.count()


class RemovableHandle:
    """Returned when a hook is registered (``Tensor.register_hook``,
    ``Module.register_forward_hook``); ``remove()`` unregisters that hook, even if the same
    function was registered twice."""

    def __init__(self, hooks: Dict[int, Callable], hook: Callable) -> None:
        self._hooks, self._key = hooks, next(_handle_ids)
        hooks[self._key] = hook

    def remove(self) -> None:
        self._hooks.pop(self._key, None)


_CONSTANTS: dict = {}


def readonly_constant(key: Hashable, make: Callable[..., Any], *args: Any) -> Any:
    """The array (or tuple of arrays and NumPy scalars) ``make(*args)`` returns, made once per
    ``key`` and read-only, for small constants a hot path needs every call (a gradient seed of
    1, row numbers, a vector of ones). The cache forgets everything past 256 entries: shapes seen come
    and go."""
    value = _CONSTANTS.get(key)
    if value is None:
        if len(_CONSTANTS) >= 256:
            _CONSTANTS.clear()
        value = make(*args)
        for array in (value if isinstance(value, tuple) else (value,)):
            if array.flags.writeable:   # (a NumPy scalar never is: it is immutable)
                array.flags.writeable = False
        _CONSTANTS[key] = value
    return value
