"""``detect_anomaly``: find the op whose backward first produced NaN or inf."""

from __future__ import annotations

from .grad_mode import StateSwitch, state


class detect_anomaly(StateSwitch):
    """Inside this block, every op records where in your code it was created, and the backward
    pass checks each gradient as it is produced: the first NaN or inf raises a RuntimeError that
    names the op and shows that place. It costs time, so use it for debugging only.

    Usable as ``with detect_anomaly():`` and as a decorator; ``check_nan=False`` turns it off.
    """

    flag = "anomaly_enabled"

    def __init__(self, check_nan: bool = True) -> None:
        super().__init__(bool(check_nan))


def set_detect_anomaly(mode: bool) -> None:
    """Switch anomaly detection on or off for the rest of this thread."""
    state.set("anomaly_enabled", bool(mode))


def is_anomaly_enabled() -> bool:
    return state.anomaly_enabled
