"""A small training loop: ``fit`` and ``evaluate``, with a progress bar and a Keras-like History.

The loop is the one every PyTorch tutorial writes by hand (forward, loss, ``zero_grad``,
``backward``, ``step``); it is here so that a first experiment takes three lines, and short
enough to read before writing your own. The model is anything callable on a batch that returns
logits; ``train()`` / ``eval()`` are called when it has them.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Sequence, Union

import numpy as np

from .autograd.grad_mode import no_grad
from .tensor import Tensor
from .utils import atomic_write

Metric = Union[str, Callable[[Tensor, Tensor], float]]


def accuracy(logits: Tensor, targets: Tensor) -> float:
    """The fraction of rows whose largest logit is at the target class (targets are class
    indices, or one-hot / probability rows)."""
    predicted = np.argmax(logits.data, axis=-1)
    labels = targets.data if targets.ndim == predicted.ndim else np.argmax(targets.data, axis=-1)
    return float(np.mean(predicted == labels))


_METRICS = {"accuracy": accuracy}


def _resolve_metrics(metrics: Sequence[Metric]) -> list:
    resolved = []
    for m in metrics:
        if callable(m):
            resolved.append((getattr(m, "__name__", "metric"), m))
        elif m in _METRICS:
            resolved.append((m, _METRICS[m]))
        else:
            raise ValueError(f"unknown metric {m!r}; use one of {sorted(_METRICS)} or a function "
                             "metric(logits, targets) -> float")
    return resolved


def _split_batch(batch: Any) -> tuple:
    if isinstance(batch, (tuple, list)) and len(batch) >= 2:
        return batch[0], batch[1]
    raise TypeError(f"expected batches of (inputs, targets), got {type(batch).__name__}; use a "
                    "DataLoader over a dataset whose samples are (x, y) pairs")


class History:
    """What ``fit`` measured: ``history.history`` maps each metric ("loss", "accuracy",
    "val_loss", "val_accuracy", "lr", ...) to one value per epoch, as in Keras."""

    def __init__(self) -> None:
        self.history: dict = {}
        self.epoch: list = []

    def _log(self, epoch: int, values: dict) -> None:
        self.epoch.append(epoch)
        for key, value in values.items():
            self.history.setdefault(key, []).append(value)

    def plot(self, path: Union[str, Path]) -> Path:
        """Draw each metric against the epoch (training and validation on one panel) and save
        it as an image (PNG unless the suffix says otherwise), written atomically."""
        try:
            from matplotlib.figure import Figure
            from matplotlib.ticker import MaxNLocator
        except ImportError:
            raise ImportError("History.plot needs matplotlib, an optional extra: "
                              "pip install tinygrad_edu[plot]") from None
        if not self.epoch:
            raise ValueError("History.plot: nothing to plot yet (no epoch finished)")
        names = [k for k in self.history if not k.startswith("val_") and k != "lr"]
        names += [k[4:] for k in self.history if k.startswith("val_") and k[4:] not in names]
        fig = Figure(figsize=(5 * len(names), 3.6), layout="constrained")
        axes = fig.subplots(1, len(names), squeeze=False)[0]
        epochs = [e + 1 for e in self.epoch]
        for ax, name in zip(axes, names):
            for key, label in ((name, "train"), ("val_" + name, "validation")):
                if key in self.history:
                    ax.plot(epochs, self.history[key], marker="o", label=label)
            ax.set_title(name)
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(alpha=0.3)
            ax.legend()
        path = Path(path)
        fmt = path.suffix[1:].lower() or "png"
        with atomic_write(path) as out:
            fig.savefig(out, format=fmt, dpi=100)
        return path

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.history.items())
        return f"History(epochs={len(self.epoch)}{', ' + last if last else ''})"


def _set_training(model: Any, training: bool) -> None:
    method = getattr(model, "train" if training else "eval", None)
    if callable(method):
        method()


def evaluate(model: Any, loader: Iterable, loss_fn: Optional[Callable] = None,
             metrics: Sequence[Metric] = ("accuracy",)) -> dict:
    """Average loss (when ``loss_fn`` is given) and metrics over ``loader``, in eval mode and
    without recording a graph. The model's training mode is restored afterwards."""
    was_training = getattr(model, "training", False)
    _set_training(model, False)
    resolved = _resolve_metrics(metrics)
    totals: dict = {}
    count = 0
    try:
        with no_grad():
            for batch in loader:
                x, y = _split_batch(batch)
                logits = model(x)
                n = len(y)
                if loss_fn is not None:
                    totals["loss"] = totals.get("loss", 0.0) + float(loss_fn(logits, y).item()) * n
                for name, fn in resolved:
                    totals[name] = totals.get(name, 0.0) + fn(logits, y) * n
                count += n
    finally:
        if was_training:
            _set_training(model, True)
    if count == 0:
        raise ValueError("evaluate: the loader yielded no samples")
    return {k: v / count for k, v in totals.items()}


def fit(model: Any, loss_fn: Callable[[Tensor, Tensor], Tensor], optimizer: Any,
        train_loader: Iterable, epochs: int = 1, val_loader: Optional[Iterable] = None,
        metrics: Sequence[Metric] = ("accuracy",), progress: bool = True,
        scheduler: Any = None) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_loader``.

    Each batch: ``loss = loss_fn(model(x), y)``, ``optimizer.zero_grad()``,
    ``loss.backward()``, ``optimizer.step()``. After each epoch the validation set (if any) is
    evaluated and ``scheduler.step()`` is called (``ReduceLROnPlateau`` gets the validation loss,
    or the training loss without validation data).

    Returns:
        a ``History`` with per-epoch "loss", each metric, their "val_" versions, and "lr".
    """
    from tqdm.auto import tqdm

    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"fit: epochs must be a positive int, got {epochs!r}")
    resolved = _resolve_metrics(metrics)
    history = History()
    for epoch in range(epochs):
        _set_training(model, True)
        totals = {"loss": 0.0, **{name: 0.0 for name, _ in resolved}}
        count = 0
        total = len(train_loader) if hasattr(train_loader, "__len__") else None
        bar = tqdm(train_loader, total=total, desc=f"Epoch {epoch + 1}/{epochs}",
                   disable=not progress, unit="batch", leave=True)
        for step, batch in enumerate(bar):
            x, y = _split_batch(batch)
            logits = model(x)
            loss = loss_fn(logits, y)
            value = float(loss.item())
            if not math.isfinite(value):
                bar.close()
                raise FloatingPointError(f"fit: the loss became {value} at epoch {epoch + 1}, "
                                         f"batch {step + 1}; try a smaller learning rate")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            n = len(y)
            count += n
            totals["loss"] += value * n
            for name, fn in resolved:
                totals[name] += fn(logits, y) * n
            bar.set_postfix(loss=f"{totals['loss'] / count:.4f}", refresh=False)
        if count == 0:
            bar.close()
            raise ValueError("fit: the training loader yielded no batches")
        record = {k: v / count for k, v in totals.items()}
        if val_loader is not None:
            val = evaluate(model, val_loader, loss_fn, metrics)
            record.update({"val_" + k: v for k, v in val.items()})
        groups = getattr(optimizer, "param_groups", None)
        if groups:
            record["lr"] = float(groups[0]["lr"])
        bar.set_postfix({k: f"{v:.4g}" for k, v in record.items() if k != "lr"})
        bar.close()
        history._log(epoch, record)
        if scheduler is not None:
            if type(scheduler).__name__ == "ReduceLROnPlateau":
                scheduler.step(record.get("val_loss", record["loss"]))
            else:
                scheduler.step()
    return history
