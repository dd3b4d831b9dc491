"""The package's random number generator, seeded by ``manual_seed`` for reproducible runs."""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed every random draw made by tinygrad_edu (``rand``, ``randn``, layer initialisation,
    dropout, shuffling); returns the generator."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def generator() -> np.random.Generator:
    """The generator in use now (``manual_seed`` replaces it)."""
    return _generator
