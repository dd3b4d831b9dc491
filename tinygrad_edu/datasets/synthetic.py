"""Small 2-D classification sets for watching a classifier learn a non-linear boundary.

Each function returns ``(X, y)``: float32 features of shape (n, 2) and int64 labels. Draws use
``seed`` if given, else the package generator (``tinygrad_edu.manual_seed``).
"""

from __future__ import annotations

from typing import Optional, Sequence, Union

import numpy as np

from .. import random as _random


def _rng(seed: Optional[int]) -> np.random.Generator:
    return np.random.default_rng(seed) if seed is not None else _random.generator()


def spiral(n_per_class: int = 100, classes: int = 3, noise: float = 0.2,
           seed: Optional[int] = None) -> tuple:
    """Interleaved spiral arms, one per class (the classic cs231n toy problem): point i of arm
    k has radius r = i / (n-1) and angle 4k + 4r plus Gaussian noise of scale ``noise``."""
    if n_per_class < 1 or classes < 1:
        raise ValueError(f"spiral: n_per_class and classes must be >= 1, got {n_per_class}, "
                         f"{classes}")
    rng = _rng(seed)
    r = np.tile(np.linspace(0.0, 1.0, n_per_class), classes)
    y = np.repeat(np.arange(classes, dtype=np.int64), n_per_class)
    t = y * 4.0 + r * 4.0 + rng.standard_normal(r.shape) * noise
    X = np.stack([r * np.sin(t), r * np.cos(t)], axis=1).astype(np.float32)
    return X, y


def moons(n_samples: int = 200, noise: float = 0.1, seed: Optional[int] = None) -> tuple:
    """Two interleaving half circles (class 0 on top, class 1 below and shifted)."""
    if n_samples < 2:
        raise ValueError(f"moons: n_samples must be >= 2, got {n_samples}")
    rng = _rng(seed)
    n0 = n_samples // 2
    n1 = n_samples - n0
    a0 = np.linspace(0.0, np.pi, n0)
    a1 = np.linspace(0.0, np.pi, n1)
    X = np.concatenate([np.stack([np.cos(a0), np.sin(a0)], 1),
                        np.stack([1.0 - np.cos(a1), 0.5 - np.sin(a1)], 1)])
    X += rng.standard_normal(X.shape) * noise
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n1, np.int64)])
    return X.astype(np.float32), y


def blobs(n_samples: int = 300, centers: Union[int, Sequence[Sequence[float]]] = 3,
          std: float = 1.0, box: tuple = (-10.0, 10.0), seed: Optional[int] = None) -> tuple:
    """Gaussian clusters: ``centers`` given as points, or a number of centers drawn uniformly
    in ``box``; samples are spread over the clusters as evenly as possible."""
    rng = _rng(seed)
    if isinstance(centers, (int, np.integer)):
        c = rng.uniform(box[0], box[1], size=(int(centers), 2))
    else:
        c = np.asarray(centers, dtype=np.float64)
        if c.ndim != 2:
            raise ValueError(f"blobs: centers must be an int or a list of points, got shape "
                             f"{c.shape}")
    y = np.arange(n_samples, dtype=np.int64) % len(c)
    X = c[y] + rng.standard_normal((n_samples, c.shape[1])) * std
    return X.astype(np.float32), y
