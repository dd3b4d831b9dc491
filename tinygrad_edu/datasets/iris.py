"""Fisher's iris data (150 flowers, 4 measurements in cm, 3 species), shipped with the package."""

from __future__ import annotations

import csv
import io
from importlib import resources

import numpy as np

from ..data.dataset import Dataset
from ..tensor import Tensor


class Iris(Dataset):
    """The classic 150-sample iris data, 50 per species, read from ``datasets/data/iris.csv``.

    Attributes:
        data: float32 array (150, 4): sepal length, sepal width, petal length, petal width.
        targets: int64 array (150,): 0 setosa, 1 versicolor, 2 virginica.
    """

    classes = ["setosa", "versicolor", "virginica"]
    feature_names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]

    def __init__(self) -> None:
        text = resources.files(__package__).joinpath("data", "iris.csv").read_text("utf-8")
        rows = list(csv.reader(io.StringIO(text)))
        header, rows = rows[0], [r for r in rows[1:] if r]
        if header[:4] != self.feature_names:
            raise ValueError(f"iris.csv: unexpected header {header}")
        self.data = np.array([[float(v) for v in r[:4]] for r in rows], dtype=np.float32)
        self.targets = np.array([self.classes.index(r[4]) for r in rows], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple:
        return Tensor(self.data[index]), int(self.targets[index])

    def __getitems__(self, indices: np.ndarray) -> tuple:
        return self.data[indices], self.targets[indices]

    def arrays(self, standardize: bool = False) -> tuple:
        """``(X, y)`` as arrays; ``standardize`` gives each feature zero mean and unit variance."""
        x = self.data.copy()
        if standardize:
            x -= x.mean(axis=0)
            x /= x.std(axis=0)
        return x, self.targets.copy()

    def __repr__(self) -> str:
        return f"Iris(size={len(self)})"
