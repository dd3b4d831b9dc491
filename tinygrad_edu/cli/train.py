"""``tinygrad-edu train``: a small MLP on Iris, MNIST or Fashion-MNIST, with a progress bar."""

from __future__ import annotations

import argparse
import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from .. import nn, optim
from ..data import DataLoader, TensorDataset
from ..datasets import MNIST, FashionMNIST, Iris
from ..random import manual_seed
from ..serialization import save
from ..training import History, evaluate, fit
from .errors import CommandError, UsageError
from .files import prepare_output
from .help import HelpFormatter
from .plots import plot_history

DATASETS = ("iris", "mnist", "fashion-mnist")
# epochs, batch size, learning rate
DEFAULTS = {"iris": (60, 16, 0.01), "mnist": (3, 128, 1e-3), "fashion-mnist": (3, 128, 1e-3)}
#: Iris flowers held out for testing (of 150), drawn with the seed.
IRIS_TEST = 30
#: Fewer batches per epoch than this get one progress bar over the epochs, not one per epoch.
BAR_PER_EPOCH_FROM = 50

EXAMPLES = """\
examples:
  tinygrad-edu train iris
  tinygrad-edu train mnist --data-dir ~/data/mnist --epochs 5 --plot curves.png
  tinygrad-edu train fashion-mnist --save model.npz
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train", help="train a small network on iris, mnist or fashion-mnist",
        description="Train an MLP with Adam and report the accuracy on held-out data. Iris "
                    "(shipped with the package): 4-16-3, on 120 of the 150 flowers, tested on "
                    "the other 30. MNIST and Fashion-MNIST: 784-128-10, tested on the 10,000 "
                    "test images; the IDX .gz files are read from --data-dir, else from the "
                    "cache (downloaded if missing).",
        epilog=EXAMPLES, formatter_class=HelpFormatter)
    p.add_argument("dataset", choices=DATASETS, help="the data set")
    p.add_argument("--epochs", type=int, metavar="N",
                   help="passes over the training data (default: 60 for iris, 3 otherwise)")
    p.add_argument("--batch-size", type=int, metavar="N",
                   help="samples per step (default: 16 for iris, 128 otherwise)")
    p.add_argument("--lr", type=float, help="Adam's learning rate (default: 0.01 for iris, "
                                            "0.001 otherwise)")
    p.add_argument("--data-dir", metavar="DIR",
                   help="the folder holding the MNIST/Fashion-MNIST .gz files")
    p.add_argument("--no-download", action="store_true",
                   help="never download; fail if the files are not found")
    p.add_argument("--seed", type=int, default=0, help="seed of initialisation, split and "
                                                       "shuffling (default 0)")
    p.add_argument("--plot", metavar="FILE",
                   help="draw loss and accuracy curves into FILE (.png needs matplotlib; .svg "
                        "works without it)")
    p.add_argument("--save", metavar="FILE", help="save the trained weights (a .npz file that "
                                                  "tinygrad_edu.load reads)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


@dataclass
class Trained:
    """What a training run produced."""

    model: nn.Module
    history: History
    test_accuracy: float
    test_size: int
    test_x: np.ndarray
    test_y: np.ndarray


def iris_split(seed: int) -> tuple:
    """(x_train, y_train, x_test, y_test): a seeded split holding out the same number of
    flowers of each species, standardized with the training set's statistics only, so nothing
    about the test flowers leaks into training."""
    x, y = Iris().arrays()
    rng = np.random.default_rng(seed)
    classes = np.unique(y)
    per_class = IRIS_TEST // len(classes)
    picks = [rng.permutation(np.flatnonzero(y == c)) for c in classes]
    test = np.concatenate([p[:per_class] for p in picks])
    train = rng.permutation(np.concatenate([p[per_class:] for p in picks]))
    mean, std = x[train].mean(axis=0), x[train].std(axis=0)
    scale = lambda a: ((a - mean) / std).astype(np.float32)   # noqa: E731
    return scale(x[train]), y[train], scale(x[test]), y[test]


def mnist_split(dataset: str, data_dir: Optional[str], download: bool) -> tuple:
    cls = MNIST if dataset == "mnist" else FashionMNIST
    train = cls(root=data_dir, train=True, download=download)
    test = cls(root=data_dir, train=False, download=download)
    x_train, y_train = train.arrays(normalize="standardize")
    x_test, y_test = test.arrays(normalize="standardize")
    # both splits are standardized with the training set's pixel mean and std
    return x_train, y_train, x_test, y_test


def build_model(dataset: str) -> nn.Module:
    """The MLP for ``dataset``; its layers are named so drawings and saved files say fc1, fc2."""
    sizes = (4, 16, 3) if dataset == "iris" else (784, 128, 10)
    return nn.Sequential(OrderedDict([("fc1", nn.Linear(sizes[0], sizes[1])),
                                      ("relu", nn.ReLU()),
                                      ("fc2", nn.Linear(sizes[1], sizes[2]))]))


def _fit_with_bar(model: Any, loss_fn: Any, optimizer: Any, loader: DataLoader, epochs: int,
                  val_loader: DataLoader, progress: bool, desc: str) -> History:
    """``fit`` with a progress bar that suits the data: one bar per epoch when an epoch is
    long, one bar over all epochs when epochs are a handful of batches each."""
    if len(loader) >= BAR_PER_EPOCH_FROM:
        return fit(model, loss_fn, optimizer, loader, epochs=epochs, val_loader=val_loader,
                   progress=progress)
    from tqdm.auto import tqdm

    history = History()
    with tqdm(range(epochs), desc=desc, unit="epoch", disable=not progress) as bar:
        for epoch in bar:
            one = fit(model, loss_fn, optimizer, loader, epochs=1, val_loader=val_loader,
                      progress=False)
            history.epoch.append(epoch)
            for key, values in one.history.items():
                history.history.setdefault(key, []).append(values[-1])
            bar.set_postfix(loss=f"{one.history['loss'][-1]:.4f}",
                            val_acc=f"{one.history['val_accuracy'][-1]:.3f}", refresh=False)
    return history


def train_model(dataset: str, epochs: Optional[int] = None, batch_size: Optional[int] = None,
                lr: Optional[float] = None, seed: int = 0, data_dir: Optional[str] = None,
                download: bool = True, progress: bool = True) -> Trained:
    """Load ``dataset``, train its MLP with Adam, and measure the held-out accuracy."""
    default_epochs, default_batch, default_lr = DEFAULTS[dataset]
    epochs = default_epochs if epochs is None else epochs
    batch_size = default_batch if batch_size is None else batch_size
    lr = default_lr if lr is None else lr
    if epochs < 1:
        raise UsageError(f"--epochs must be at least 1, got {epochs}")
    if batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1, got {batch_size}")
    if not (lr > 0 and math.isfinite(lr)):
        raise UsageError(f"--lr must be a positive number, got {lr}")
    if dataset == "iris":
        if data_dir is not None:
            raise UsageError("--data-dir is for mnist and fashion-mnist; iris is shipped with "
                             "the package")
        x_train, y_train, x_test, y_test = iris_split(seed)
    else:
        x_train, y_train, x_test, y_test = mnist_split(dataset, data_dir, download)
    manual_seed(seed)
    model = build_model(dataset)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=batch_size, shuffle=True,
                        seed=seed)
    test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=1000)
    try:
        history = _fit_with_bar(model, loss_fn, optimizer, loader, epochs, test_loader,
                                progress, desc=f"Training on {dataset}")
    except FloatingPointError as exc:
        raise CommandError(str(exc)) from None
    accuracy = evaluate(model, test_loader)["accuracy"]
    return Trained(model, history, accuracy, len(y_test), x_test, y_test)


def run(args: argparse.Namespace) -> int:
    trained = train_model(args.dataset, epochs=args.epochs, batch_size=args.batch_size,
                          lr=args.lr, seed=args.seed, data_dir=args.data_dir,
                          download=not args.no_download, progress=not args.no_progress)
    correct = round(trained.test_accuracy * trained.test_size)
    final_loss = trained.history.history["loss"][-1]
    print(f"{args.dataset}: {len(trained.history.epoch)} epochs, final training loss "
          f"{final_loss:.4f}")
    print(f"test accuracy: {trained.test_accuracy:.2%} ({correct}/{trained.test_size} held-out "
          f"samples)")
    if args.plot:
        print(f"curves written to {plot_history(args.plot, trained.history)}")
    if args.save:
        path = prepare_output(args.save)
        save(trained.model.state_dict(), path)
        print(f"weights written to {path}")
    return 0
