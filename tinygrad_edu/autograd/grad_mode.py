"""Thread-local switches that every op consults: grad mode, anomaly mode, recording tapes.

They live in one ``threading.local`` object so that an op pays a single attribute lookup to learn
whether it must record itself, and so that ``no_grad()`` in one thread never changes another's.
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _ThreadState(threading.local):
    # Class attributes are the per-thread defaults: every new thread starts with grad mode on.
    grad_enabled: bool = True
    anomaly_enabled: bool = False
    # GradientTapes inside their ``with`` block, outermost first (see tape.py).
    recording_tapes: tuple = ()
    # Derived from the three flags above: grad mode is on, and neither a tape nor anomaly
    # detection wants more of an op than its node. Every op reads this one attribute instead
    # of three (a thread-local read costs about as much as NumPy's sum of two scalars), so it
    # must always agree with them: change the flags through ``set``.
    plain_recording: bool = True

    def set(self, flag: str, value: Any) -> None:
        """Set one of the three flags, and ``plain_recording`` with it."""
        setattr(self, flag, value)
        self.plain_recording = (self.grad_enabled and not self.recording_tapes
                                and not self.anomaly_enabled)


state = _ThreadState()


def call_without_grad(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` with grad mode off, restored afterwards: how the backward pass on arrays,
    which never switches the mode itself, runs the user's code (hooks, a Function's backward),
    as PyTorch runs a backward without create_graph."""
    st = state
    before, before_plain = st.grad_enabled, st.plain_recording
    st.grad_enabled = st.plain_recording = False
    try:
        return fn(*args)
    finally:
        st.grad_enabled, st.plain_recording = before, before_plain


def is_grad_enabled() -> bool:
    """Whether ops run now record themselves for backward (in this thread)."""
    return state.grad_enabled


class StateSwitch:
    """Sets one thread-local flag for a ``with`` block or a decorated function.

    Each ``with`` saves the value it found and restores exactly that on exit, so switches nest:
    ``no_grad`` inside ``enable_grad`` inside ``no_grad`` restores each state in turn.
    """

    flag = "grad_enabled"

    def __init__(self, mode: bool) -> None:
        self._mode = mode
        self._saved: list[bool] = []

    def __enter__(self) -> None:
        self._saved.append(getattr(state, self.flag))
        state.set(self.flag, self._mode)

    def __exit__(self, *exc: object) -> None:
        state.set(self.flag, self._saved.pop())

    def __call__(self, fn: F) -> F:
        flag, mode = self.flag, self._mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            before = getattr(state, flag)
            state.set(flag, mode)
            try:
                return fn(*args, **kwargs)
            finally:
                state.set(flag, before)

        return wrapper  # type: ignore[return-value]




class no_grad(StateSwitch):
    """Run ops without recording them: for inference and for parameter updates.

    ``with no_grad(): ...`` or ``@no_grad()`` on a function.
    """

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(StateSwitch):
    """Record ops again, e.g. inside a ``no_grad`` region."""

    def __init__(self) -> None:
        super().__init__(True)


class set_grad_enabled(StateSwitch):
    """Switch recording on or off: ``with set_grad_enabled(is_training): ...``.

    As in PyTorch, calling it as a plain function switches the mode at once, for the rest of the
    thread; used with ``with`` or as a decorator, it restores the previous mode afterwards.
    """

    def __init__(self, mode: bool) -> None:
        super().__init__(bool(mode))
        self._before_construction = state.grad_enabled
        state.set("grad_enabled", self._mode)

    def __enter__(self) -> None:
        # The constructor already switched; remember what was there before it did.
        self._saved.append(self._before_construction)

    def __call__(self, fn: F) -> F:
        # Decorating must not leave the mode switched at decoration time.
        state.set("grad_enabled", self._before_construction)
        return super().__call__(fn)
