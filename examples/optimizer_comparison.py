"""Compare SGD, Momentum, AdaGrad, RMSprop and Adam on MNIST, as in chapter 6 of "Deep Learning
from Scratch": the same 784-100-100-100-100-10 ReLU net (He initialisation, the same starting
weights for every optimizer), batches of 128, 2000 iterations, and one figure with the smoothed
training-loss curves.

Run:  python examples/optimizer_comparison.py --data-dir /path/to/mnist --plot comparison.png
      python examples/optimizer_comparison.py --iterations 300     # a quicker look
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu import nn, optim  # noqa: E402
from tinygrad_edu.nn import functional as F  # noqa: E402

from _common import accuracy, add_data_arguments, load_mnist, pyplot, save_figure, smooth  # noqa

# The book's settings: lr 0.01 for the first three, 0.001 for Adam; RMSprop as Adam's sibling.
OPTIMIZERS = {
    "SGD": lambda p: optim.SGD(p, lr=0.01),
    "Momentum": lambda p: optim.SGD(p, lr=0.01, momentum=0.9),
    "AdaGrad": lambda p: optim.Adagrad(p, lr=0.01),
    "RMSprop": lambda p: optim.RMSprop(p, lr=0.001),
    "Adam": lambda p: optim.Adam(p, lr=0.001),
}


def make_net(sizes: Sequence[int]) -> nn.Sequential:
    """Linear + ReLU layers with He-normal weights (std sqrt(2 / fan_in)) and zero biases."""
    layers: list = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        linear = nn.Linear(n_in, n_out)
        nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        nn.init.zeros_(linear.bias)
        layers.append(linear)
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_data_arguments(parser)
    parser.add_argument("--iterations", type=int, default=2000, help="steps per optimizer")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--optimizers", nargs="+", choices=list(OPTIMIZERS),
                        default=list(OPTIMIZERS), help="which to compare (default: all)")
    parser.add_argument("--plot", type=Path, default=None,
                        help="save the smoothed loss curves to this image (needs matplotlib)")
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    tg.manual_seed(args.seed)
    x_train, y_train, x_test, y_test = load_mnist(args)
    sizes = (784, 100, 100, 100, 100, 10)
    initial = make_net(sizes).state_dict()
    # One sequence of mini-batches, shared by all optimizers, so they differ only in the rule.
    rng = np.random.default_rng(args.seed)
    batches = rng.integers(0, len(x_train), (args.iterations, min(args.batch_size,
                                                                   len(x_train))))
    losses, results = {}, {}
    for name in args.optimizers:
        model = make_net(sizes)
        model.load_state_dict(initial)
        optimizer = OPTIMIZERS[name](model.parameters())
        curve = np.empty(args.iterations)
        start = time.perf_counter()
        for i, idx in enumerate(batches):
            loss = F.cross_entropy(model(tg.Tensor(x_train[idx])), tg.Tensor(y_train[idx]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            curve[i] = loss.item()
        losses[name] = curve
        results[name] = {"final_loss": float(smooth(curve)[-1]),
                         "test_accuracy": accuracy(model, x_test, y_test)}
        print(f"{name:9s} smoothed final loss {results[name]['final_loss']:.4f}  "
              f"test acc {results[name]['test_accuracy']:.4f}  "
              f"({time.perf_counter() - start:.1f}s)", flush=True)
    if args.plot is not None:
        print("saved the figure to", plot_losses(losses, args.plot))
    return {"losses": losses, "results": results}


def plot_losses(losses: dict, path: Path) -> Path:
    plt = pyplot("optimizer_comparison.py")
    fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    markers = dict(zip(OPTIMIZERS, "o^sDx"))
    for name, curve in losses.items():
        every = max(1, len(curve) // 20)
        ax.plot(np.arange(len(curve)), smooth(curve), marker=markers[name], markevery=every,
                label=name)
    ax.set(xlabel="iteration", ylabel="training loss (smoothed)", ylim=(0, 1),
           title="MNIST, 784-100-100-100-100-10 ReLU net, batch 128")
    ax.grid(alpha=0.3)
    ax.legend()
    path = save_figure(fig, path)
    plt.close(fig)
    return path


if __name__ == "__main__":
    main()
