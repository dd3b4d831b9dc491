"""What the training examples share: command-line options for the data, loading MNIST (or a
small synthetic stand-in, for quick runs without the files), accuracy, and curve smoothing.

Not an example itself; each script imports it from its own folder.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Optional, Tuple

import numpy as np

from tinygrad_edu.data import DataLoader, TensorDataset
from tinygrad_edu.training import evaluate
from tinygrad_edu.utils import atomic_write

Arrays = Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def add_data_arguments(parser: argparse.ArgumentParser, seed: int = 0) -> None:
    """--data-dir, --synthetic, --limit and --seed, the same in every MNIST example."""
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="folder holding the four MNIST .gz files (default: the cache, "
                             "downloading when missing; see docs/data.md)")
    parser.add_argument("--synthetic", action="store_true",
                        help="use small random stand-in data instead of MNIST (a quick check "
                             "that the script runs; accuracies mean nothing)")
    parser.add_argument("--limit", type=int, default=None,
                        help="use only the first N training and N test images")
    parser.add_argument("--seed", type=int, default=seed, help=f"random seed (default: {seed})")


def synthetic_digits(n_train: int = 600, n_test: int = 200, seed: int = 0) -> Arrays:
    """Ten random 'digit' prototypes plus noise, in MNIST's shapes and dtypes: learnable, so a
    short run shows the loss falling, but nothing like real digits."""
    rng = np.random.default_rng(seed)
    prototypes = (rng.random((10, 784)) < 0.2).astype(np.float32)

    def draw(n: int) -> Tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, 10, n)
        x = prototypes[y] + rng.normal(0.0, 0.5, (n, 784)).astype(np.float32)
        return np.clip(x, 0.0, 1.0).astype(np.float32), y.astype(np.int64)

    return (*draw(n_train), *draw(n_test))


def load_mnist(args: argparse.Namespace, normalize: object = True) -> Arrays:
    """(x_train, y_train, x_test, y_test): float32 rows of 784 pixels and int64 labels."""
    if args.synthetic:
        n = args.limit or 600
        data = synthetic_digits(n, max(n // 3, 10), args.seed)
    else:
        from tinygrad_edu.datasets import MNIST
        train = MNIST(root=args.data_dir, train=True)
        test = MNIST(root=args.data_dir, train=False)
        data = (*train.arrays(normalize=normalize), *test.arrays(normalize=normalize))
    if args.limit is not None:
        data = (data[0][:args.limit], data[1][:args.limit],
                data[2][:args.limit], data[3][:args.limit])
    return data


def accuracy(model, x: np.ndarray, y: np.ndarray, batch_size: int = 2000) -> float:
    """Fraction of correct predictions (``tinygrad_edu.training.evaluate``: evaluation mode,
    no graph recorded, the model's mode restored afterwards)."""
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size)
    return evaluate(model, loader)["accuracy"]


def smooth(values: np.ndarray, window: int = 19) -> np.ndarray:
    """A centred moving average (the edges average what they have), to read noisy curves."""
    values = np.asarray(values, dtype=np.float64)
    window = max(1, min(window, len(values)))
    kernel = np.ones(window)
    sums = np.convolve(values, kernel, mode="same")
    counts = np.convolve(np.ones_like(values), kernel, mode="same")
    return sums / counts


def pyplot(script: str) -> Optional[object]:
    """matplotlib.pyplot with a non-interactive backend, or exit with a clear message."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit(f"{script}: plotting needs matplotlib: pip install matplotlib "
                         "(or pip install tinygrad_edu[plot])") from None
    return plt


def save_figure(fig, path: Path) -> Path:
    """Write a figure atomically (a temporary file in the same folder, then a rename)."""
    path = Path(path)
    with atomic_write(path) as out:
        fig.savefig(out, format=path.suffix[1:].lower() or "png", dpi=100)
    return path
