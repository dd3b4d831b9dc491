"""Classify Fisher's iris flowers with a 4-6-3 net: ReLU hidden layer, softmax cross-entropy.

The 150 flowers shipped with tinygrad_edu are split into a training two-thirds and a held-out
third (stratified: a third of each species, chosen by the seed); features are standardized
with the training part's mean and standard deviation, then full-batch Adam runs for a few
hundred steps.

Run:  python examples/iris.py [--seed 0] [--steps 300]
"""

from __future__ import annotations

import argparse
from typing import Optional, Sequence

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.datasets import Iris
from tinygrad_edu.nn import functional as F


def stratified_split(y: np.ndarray, test_fraction: float, seed: int) -> tuple:
    """Indices (train, test) with the same share of every class in the test part."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n_test = int(round(len(idx) * test_fraction))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return np.concatenate(train), np.concatenate(test)


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0, help="random seed (split and weights)")
    parser.add_argument("--steps", type=int, default=300, help="full-batch Adam steps")
    parser.add_argument("--lr", type=float, default=0.01, help="Adam learning rate")
    parser.add_argument("--hidden", type=int, default=6, help="hidden units")
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    tg.manual_seed(args.seed)
    iris = Iris()
    x, y = iris.data, iris.targets
    train, test = stratified_split(y, 1 / 3, args.seed)
    mean, std = x[train].mean(axis=0), x[train].std(axis=0)
    x = (x - mean) / std           # statistics of the training part only
    x_train, y_train = tg.Tensor(x[train]), tg.Tensor(y[train])
    x_test, y_test = tg.Tensor(x[test]), y[test]
    print(f"{len(train)} training and {len(test)} held-out flowers")

    model = nn.Sequential(nn.Linear(4, args.hidden), nn.ReLU(), nn.Linear(args.hidden, 3))
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    for step in range(1, args.steps + 1):
        loss = F.cross_entropy(model(x_train), y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % max(1, args.steps // 5) == 0 or step == args.steps:
            with tg.no_grad():
                test_acc = float((model(x_test).data.argmax(axis=1) == y_test).mean())
            print(f"step {step:4d}  loss {loss.item():.4f}  held-out acc {test_acc:.4f}")
    with tg.no_grad():
        train_acc = float((model(x_train).data.argmax(axis=1) == y[train]).mean())
        test_acc = float((model(x_test).data.argmax(axis=1) == y_test).mean())
    print(f"final: train accuracy {train_acc:.4f}, held-out accuracy {test_acc:.4f}")
    return {"train_accuracy": train_acc, "test_accuracy": test_acc, "loss": loss.item()}


if __name__ == "__main__":
    main()
