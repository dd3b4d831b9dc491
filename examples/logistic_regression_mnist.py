"""Softmax (multinomial logistic) regression on MNIST: one Linear layer, 784 -> 10, no hidden
layer, trained with SGD on the cross-entropy. A linear classifier of pixels already gets above
90% of the test digits right.

Run:  python examples/logistic_regression_mnist.py --data-dir /path/to/mnist
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu import nn, optim  # noqa: E402
from tinygrad_edu.data import DataLoader, TensorDataset  # noqa: E402
from tinygrad_edu.nn import functional as F  # noqa: E402

from _common import accuracy, add_data_arguments, load_mnist  # noqa: E402


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_data_arguments(parser)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--lr", type=float, default=0.5, help="SGD learning rate")
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    tg.manual_seed(args.seed)
    x_train, y_train, x_test, y_test = load_mnist(args)
    print(f"training on {len(x_train)} images, testing on {len(x_test)}")
    model = nn.Linear(784, 10)   # logits = x W^T + b; softmax lives inside the loss
    optimizer = optim.SGD(model.parameters(), lr=args.lr)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size,
                        shuffle=True, seed=args.seed)
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        total, seen = 0.0, 0
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y)
            seen += len(y)
        test_acc = accuracy(model, x_test, y_test)
        print(f"epoch {epoch}  loss {total / seen:.4f}  test acc {test_acc:.4f}  "
              f"({time.perf_counter() - start:.1f}s)", flush=True)
    print(f"final test accuracy: {test_acc:.4f}")
    return {"test_accuracy": test_acc, "loss": total / seen}


if __name__ == "__main__":
    main()
