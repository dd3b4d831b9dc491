"""An MLP on MNIST trained the TensorFlow way: a GradientTape records the forward pass, and the
optimizer applies the gradients it returns.

784 -> 128 (ReLU) -> Dropout(0.2) -> 10, Adam (lr 1e-3), batches of 1000, 5 epochs. Each step is
written as in TensorFlow 2's custom training loop:

    with GradientTape() as tape:
        logits = model(x, training=True)
        loss = loss_fn(logits, y)
    grads = tape.gradient(loss, params)
    optimizer.apply_gradients(zip(grads, params))

Run:  python examples/mnist_mlp_adam.py --data-dir /path/to/mnist
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu import GradientTape, nn, optim  # noqa: E402
from tinygrad_edu.data import DataLoader, TensorDataset  # noqa: E402
from tinygrad_edu.nn import functional as F  # noqa: E402

from _common import accuracy, add_data_arguments, load_mnist  # noqa: E402


class MLP(nn.Module):
    """Dense(128, relu) -> Dropout(0.2) -> Dense(10), called as ``model(x, training=...)``
    like a Keras model (``training`` switches dropout on)."""

    def __init__(self, hidden: int = 128, dropout: float = 0.2) -> None:
        super().__init__()
        self.hidden = nn.Linear(784, hidden)
        self.out = nn.Linear(hidden, 10)
        self.p = dropout

    def forward(self, x: tg.Tensor, training: Optional[bool] = None) -> tg.Tensor:
        training = self.training if training is None else training
        h = F.dropout(F.relu(self.hidden(x)), self.p, training)
        return self.out(h)


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_data_arguments(parser)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    tg.manual_seed(args.seed)
    x_train, y_train, x_test, y_test = load_mnist(args)
    print(f"training on {len(x_train)} images, testing on {len(x_test)}")

    model = MLP()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(None, lr=args.lr)  # variables join on first apply_gradients, as Keras
    params = list(model.parameters())          # TensorFlow's model.trainable_variables
    dataset = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size,
                         shuffle=True, seed=args.seed)

    def train_step(x: tg.Tensor, y: tg.Tensor) -> float:
        with GradientTape() as tape:
            logits = model(x, training=True)
            loss = loss_fn(logits, y)
        grads = tape.gradient(loss, params)
        optimizer.apply_gradients(zip(grads, params))
        return loss.item()

    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        total, seen = 0.0, 0
        for x, y in dataset:
            total += train_step(x, y) * len(y)
            seen += len(y)
        test_acc = accuracy(model, x_test, y_test)
        print(f"epoch {epoch}  loss {total / seen:.4f}  test acc {test_acc:.4f}  "
              f"({time.perf_counter() - start:.1f}s)", flush=True)
    train_acc = accuracy(model, x_train, y_train)
    print(f"final: train accuracy {train_acc:.4f}, test accuracy {test_acc:.4f}")
    return {"test_accuracy": test_acc, "train_accuracy": train_acc, "loss": total / seen}


if __name__ == "__main__":
    main()
