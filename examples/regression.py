"""Linear regression by gradient descent: recover y = 3 x0 + 2 x1 from noisy samples.

A Linear(2, 1) layer, the mean squared error and SGD; the learned weights come out near 3 and 2
and the bias near 0 (the noise keeps them from being exact).

Run:  python examples/regression.py [--samples 200] [--steps 300] [--noise 0.1]
"""

from __future__ import annotations

import argparse
from typing import Optional, Sequence

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.nn import functional as F

TRUE_WEIGHTS = np.array([3.0, 2.0], dtype=np.float32)


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--noise", type=float, default=0.1, help="std of the noise on y")
    parser.add_argument("--steps", type=int, default=300, help="full-batch SGD steps")
    parser.add_argument("--lr", type=float, default=0.1)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    tg.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    x = rng.uniform(-1, 1, (args.samples, 2)).astype(np.float32)
    y = x @ TRUE_WEIGHTS + rng.normal(0, args.noise, args.samples).astype(np.float32)
    x_t, y_t = tg.Tensor(x), tg.Tensor(y.reshape(-1, 1))

    model = nn.Linear(2, 1)
    optimizer = optim.SGD(model.parameters(), lr=args.lr)
    for step in range(1, args.steps + 1):
        loss = F.mse_loss(model(x_t), y_t)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % max(1, args.steps // 6) == 0:
            w = model.weight.data[0]
            print(f"step {step:4d}  loss {loss.item():.5f}  w = [{w[0]:.4f}, {w[1]:.4f}]")
    w, b = model.weight.data[0].copy(), float(model.bias.data[0])
    print(f"learned y = {w[0]:.3f} * x0 + {w[1]:.3f} * x1 + {b:.3f}   (true: 3, 2, 0)")
    return {"weights": w, "bias": b, "loss": loss.item()}


if __name__ == "__main__":
    main()
