"""Datasets: anything with ``__len__`` and ``__getitem__``, plus a fast path for whole batches.

A dataset that keeps its samples in arrays defines ``__getitems__(indices)`` (PyTorch's name for
batched fetching) and answers a whole batch with one fancy-indexing per array; ``DataLoader``
uses it, so loading a batch of 128 costs a few NumPy calls, not 128 Python calls.
"""

from __future__ import annotations

import math
from typing import Any, Optional, Sequence, Union

import numpy as np

from .. import random as _random
from ..tensor import Tensor


class Dataset:
    """Base class: subclasses define ``__len__`` and ``__getitem__(i)`` (one sample, usually a
    tuple such as ``(features, label)``), and may override ``__getitems__`` for speed."""

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __getitems__(self, indices: np.ndarray) -> Any:
        """The samples at ``indices`` stacked into arrays (one per field). This default asks
        for each sample in turn; array-backed datasets override it with fancy indexing."""
        from .dataloader import default_collate
        return default_collate([self[int(i)] for i in indices])


class TensorDataset(Dataset):
    """Samples are rows of the given arrays: ``TensorDataset(X, y)[i] == (X[i], y[i])``.

    Args:
        *tensors: Tensors or arrays with the same first dimension (the number of samples).
    """

    def __init__(self, *tensors: Union[Tensor, np.ndarray]) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        self.arrays = tuple(t.data if isinstance(t, Tensor) else np.asarray(t) for t in tensors)
        sizes = [a.shape[0] if a.ndim else None for a in self.arrays]
        if None in sizes or len(set(sizes)) != 1:
            shapes = ", ".join(str(a.shape) for a in self.arrays)
            raise ValueError(f"TensorDataset: every tensor needs the same first dimension (the "
                             f"number of samples), got shapes {shapes}")

    @property
    def tensors(self) -> tuple:
        """The data as Tensors (sharing memory with the arrays)."""
        return tuple(Tensor(a) for a in self.arrays)

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def __getitem__(self, index: int) -> tuple:
        return tuple(Tensor(a[index]) for a in self.arrays)

    def __getitems__(self, indices: np.ndarray) -> tuple:
        return tuple(a[indices] for a in self.arrays)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices`` (what ``random_split`` returns)."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]

    def __getitems__(self, indices: np.ndarray) -> Any:
        inner = self.indices[np.asarray(indices, dtype=np.int64)]
        if hasattr(self.dataset, "__getitems__"):
            return self.dataset.__getitems__(inner)
        from .dataloader import default_collate
        return default_collate([self.dataset[int(i)] for i in inner])


def random_split(dataset: Dataset, lengths: Sequence[Union[int, float]],
                 seed: Optional[int] = None) -> list:
    """Split ``dataset`` into non-overlapping random ``Subset``s.

    Args:
        lengths: sizes that add up to ``len(dataset)``, or fractions that add up to 1 (each
            part gets ``floor(fraction * n)`` samples and the remainder goes one by one to the
            first parts, as in PyTorch).
        seed: seeds the permutation; by default the package generator (``manual_seed``) is used.
    """
    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(isinstance(x, float) for x in lengths) and math.isclose(sum(lengths), 1):
        for frac in lengths:
            if not 0.0 <= frac <= 1.0:
                raise ValueError(f"random_split: fraction {frac} is outside [0, 1]")
        sizes = [int(np.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
    if any(not isinstance(x, (int, np.integer)) or x < 0 for x in lengths) or sum(lengths) != n:
        raise ValueError(f"random_split: lengths {lengths} must be non-negative ints adding up to "
                         f"the dataset's length {n}, or fractions adding up to 1")
    rng = np.random.default_rng(seed) if seed is not None else _random.generator()
    order = rng.permutation(n)
    bounds = np.cumsum([0] + lengths)
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
