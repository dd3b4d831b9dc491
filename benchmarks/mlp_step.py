"""Time one training step of a 784-50-10 MLP (forward, cross-entropy, backward, SGD update)
with tinygrad_edu.nn against the same step written by hand in NumPy.

Run: python benchmarks/mlp_step.py [batch_size]
"""

from __future__ import annotations

import sys
import timeit

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F


def numpy_step(params, x, y, lr=0.1):
    w1, b1, w2, b2 = params
    h = x @ w1.T + b1
    a = np.maximum(h, 0)
    z = a @ w2.T + b2
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    n = len(y)
    loss = -np.log(p[np.arange(n), y]).mean()
    dz = p
    dz[np.arange(n), y] -= 1
    dz /= n
    gw2, gb2 = dz.T @ a, dz.sum(0)
    da = dz @ w2
    da *= h > 0
    gw1, gb1 = da.T @ x, da.sum(0)
    for p_, g in zip(params, (gw1, gb1, gw2, gb2)):
        p_ -= lr * g
    return loss


def main(batch: int = 100) -> None:
    tg.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 784)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    model = nn.Sequential(nn.Linear(784, 50), nn.ReLU(), nn.Linear(50, 10))
    params = [p.data.copy() for p in model.parameters()]
    xt, yt = tg.Tensor(x), tg.Tensor(y)

    def framework_step(lr=0.1):
        loss = F.cross_entropy(model(xt), yt)
        model.zero_grad()
        loss.backward()
        with tg.no_grad():
            for p in model.parameters():
                p.sub_(p.grad, alpha=lr)
        return loss

    for step in (framework_step, lambda: numpy_step(params, x, y)):
        step()
    # Alternate short rounds and keep each side's best, so load from other processes hits
    # both alike.
    number, t_np, t_tg = 300, float("inf"), float("inf")
    for _ in range(10):
        t_np = min(t_np, timeit.timeit(lambda: numpy_step(params, x, y), number=number) / number)
        t_tg = min(t_tg, timeit.timeit(framework_step, number=number) / number)
    print(f"batch {batch}: numpy {t_np * 1e6:.0f} us/step, tinygrad_edu {t_tg * 1e6:.0f} us/step,"
          f" ratio {t_tg / t_np:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
