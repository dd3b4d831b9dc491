"""Gradient check: the two-layer net's gradients by central differences and by backpropagation.

The same 784-hidden-10 net as mnist_two_layer.py, on a few images. Numerical differentiation
moves every parameter by +eps and -eps in turn and runs the whole forward pass twice per
parameter (``tinygrad_edu.autograd.numerical_gradient``); backpropagation gets all the gradients
from one forward and one backward pass. Both run in float64 so that the comparison shows the
method's error, not float32 rounding. Prints the largest absolute difference per parameter and
how many times faster backpropagation is.

Run:  python examples/numerical_vs_backprop.py --data-dir /path/to/mnist
      python examples/numerical_vs_backprop.py --synthetic --hidden 10   # quicker
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
from tinygrad_edu.autograd import numerical_gradient  # noqa: E402
from tinygrad_edu.nn import functional as F  # noqa: E402

from _common import add_data_arguments, load_mnist  # noqa: E402
from mnist_two_layer import TwoLayerNet  # noqa: E402


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_data_arguments(parser)
    parser.add_argument("--batch", type=int, default=3, help="images in the batch (default 3)")
    parser.add_argument("--hidden", type=int, default=50,
                        help="hidden units; fewer make the numerical side faster (it costs two "
                             "forward passes per parameter)")
    parser.add_argument("--activation", choices=("sigmoid", "relu"), default="sigmoid",
                        help="sigmoid (default) is smooth everywhere; ReLU's kink at 0 can "
                             "make a difference quotient straddle it")
    parser.add_argument("--eps", type=float, default=1e-6, help="finite-difference step")
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    tg.manual_seed(args.seed)
    if args.limit is None:
        args.limit = args.batch
    x_train, y_train, _, _ = load_mnist(args)
    x = tg.Tensor(x_train[:args.batch].astype(np.float64))
    y = tg.Tensor(y_train[:args.batch])
    model = TwoLayerNet(784, args.hidden, 10, args.activation).double()
    params = dict(model.named_parameters())
    n_params = sum(p.size for p in params.values())
    print(f"{args.batch} images, 784-{args.hidden}-10 net, {n_params} parameters")

    def loss() -> tg.Tensor:
        return F.cross_entropy(model(x), y)

    start = time.perf_counter()
    numerical = {name: numerical_gradient(lambda _: loss(), p, eps=args.eps)
                 for name, p in params.items()}
    t_numerical = time.perf_counter() - start

    times = []
    for _ in range(21):   # one pass takes well under a millisecond: take the median of many
        start = time.perf_counter()
        model.zero_grad()
        loss().backward()
        times.append(time.perf_counter() - start)
    t_backprop = float(np.median(times))
    backprop = {name: p.grad.data for name, p in params.items()}

    diffs = {}
    for name in params:
        diffs[name] = float(np.max(np.abs(numerical[name] - backprop[name])))
        scale = float(np.max(np.abs(backprop[name])))
        print(f"{name:11s} max |numerical - backprop| = {diffs[name]:.3e}   "
              f"(largest |gradient| {scale:.3e})")
    speedup = t_numerical / t_backprop
    print(f"numerical: {t_numerical:.3f}s, backprop (forward + backward, median of 21): "
          f"{t_backprop * 1e3:.2f}ms -> backprop is "
          f"{speedup:,.0f} times faster")
    return {"max_abs_diff": diffs, "speedup": speedup, "n_params": n_params}


if __name__ == "__main__":
    main()
