"""``DataLoader``: iterate over a dataset in (shuffled) mini-batches of Tensors."""

from __future__ import annotations

import math
from typing import Any, Callable, Iterator, Optional

import numpy as np

from .. import random as _random
from ..tensor import Tensor


def default_collate(samples: list) -> Any:
    """Stack a list of samples into arrays, field by field.

    Tuples and lists are collated per position, dicts per key; Tensors and arrays are stacked;
    Python floats become float32 and ints int64 (the package's defaults).
    """
    first = samples[0]
    if isinstance(first, (tuple, list)):
        if any(len(s) != len(first) for s in samples):
            raise ValueError("default_collate: samples have different numbers of fields")
        return tuple(default_collate([s[i] for s in samples]) for i in range(len(first)))
    if isinstance(first, dict):
        return {k: default_collate([s[k] for s in samples]) for k in first}
    if isinstance(first, Tensor):
        return np.stack([s.data for s in samples])
    if isinstance(first, np.ndarray):
        return np.stack(samples)
    if isinstance(first, bool):
        return np.array(samples, dtype=np.bool_)
    if isinstance(first, (int, np.integer)) and not isinstance(first, np.bool_):
        return np.array(samples, dtype=np.int64)
    if isinstance(first, float):
        return np.array(samples, dtype=np.float32)
    if isinstance(first, np.generic):
        return np.array(samples)
    raise TypeError(f"default_collate: don't know how to batch samples of type "
                    f"{type(first).__name__}; pass collate_fn= to the DataLoader")


def _to_tensors(batch: Any) -> Any:
    if isinstance(batch, np.ndarray):
        return Tensor(batch)
    if isinstance(batch, tuple):
        return tuple(_to_tensors(b) for b in batch)
    if isinstance(batch, list):
        return [_to_tensors(b) for b in batch]
    if isinstance(batch, dict):
        return {k: _to_tensors(v) for k, v in batch.items()}
    return batch


class DataLoader:
    """Mini-batches of a dataset, as Tensors: ``for x, y in DataLoader(ds, batch_size=64)``.

    Args:
        dataset: a ``Dataset`` (anything with ``__len__`` and ``__getitem__``). When it defines
            ``__getitems__`` (``TensorDataset``, ``MNIST``...), each batch is fetched with one
            fancy-index per array instead of one call per sample.
        batch_size: samples per batch.
        shuffle: visit the samples in a new random order every epoch.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        seed: give the loader its own generator (reproducible order, independent of other
            draws); by default shuffling uses the package generator that ``manual_seed`` seeds.
        collate_fn: turns a list of samples into a batch (disables the ``__getitems__`` path).
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, seed: Optional[int] = None,
                 collate_fn: Optional[Callable[[list], Any]] = None) -> None:
        if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) \
                or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(f"DataLoader: the dataset must define __len__ and __getitem__, got "
                            f"{type(dataset).__name__}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.collate_fn = collate_fn
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        rng = self._rng if self._rng is not None else _random.generator()
        return rng.permutation(n)

    def __iter__(self) -> Iterator[Any]:
        order = self._order()
        batched = self.collate_fn is None and hasattr(self.dataset, "__getitems__")
        for start in range(0, len(order), self.batch_size):
            indices = order[start:start + self.batch_size]
            if self.drop_last and len(indices) < self.batch_size:
                return
            if batched:
                batch = self.dataset.__getitems__(indices)
            else:
                samples = [self.dataset[int(i)] for i in indices]
                batch = (self.collate_fn or default_collate)(samples)
            yield _to_tensors(batch)
