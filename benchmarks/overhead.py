"""Per-op overhead: the same computation by hand in NumPy and through tinygrad_edu.

Two workloads, each timed in this one process, side by side (the runs of the two sides
alternate), reported as medians and as the ratio framework / hand-written NumPy (lower is
better):

1. the seed equation loop: two scalar parameters, residuals x + y - 16 and 10x + 25y - 250, the
   squared loss, backward, and an Adam update -- per step;
2. a chain of 10,000 x (y = y * 1.0001 + 0.0001) on 10 elements, forward and backward.

Run:  python benchmarks/overhead.py [--repeats 7] [--deep]
``--deep`` also backpropagates through a chain of 1,000,000 ops (no RecursionError) and prints
its time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tinygrad_edu as tg  # noqa: E402

ADAM_LR, BETA1, BETA2, EPS = 0.1, 0.9, 0.999, 1e-8


# --- 1. the seed equation loop ------------------------------------------------------------------

def equations_by_hand(steps: int) -> float:
    """Forward, hand-derived backward and Adam, on a float32 vector of the two unknowns."""
    p = np.array([0.3, 0.7], dtype=np.float32)
    m = np.zeros(2, dtype=np.float32)
    v = np.zeros(2, dtype=np.float32)
    start = time.perf_counter()
    for t in range(1, steps + 1):
        x, y = p[0], p[1]
        y1 = x + y - 16
        y2 = 10 * x + 25 * y - 250
        loss = y1 * y1 + y2 * y2
        grad = np.array([2 * y1 + 20 * y2, 2 * y1 + 50 * y2], dtype=np.float32)
        m = BETA1 * m + (1 - BETA1) * grad
        v = BETA2 * v + (1 - BETA2) * grad * grad
        m_hat = m / (1 - BETA1 ** t)
        v_hat = v / (1 - BETA2 ** t)
        p -= ADAM_LR * m_hat / (np.sqrt(v_hat) + EPS)
    elapsed = time.perf_counter() - start
    assert np.isfinite(loss)
    return elapsed / steps


def equations_with_framework(steps: int) -> float:
    x = tg.Tensor(0.3, requires_grad=True)
    y = tg.Tensor(0.7, requires_grad=True)
    optimizer = _adam([x, y])
    start = time.perf_counter()
    for _ in range(steps):
        y1 = x + y - 16
        y2 = 10 * x + 25 * y - 250
        loss = y1 * y1 + y2 * y2
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    elapsed = time.perf_counter() - start
    assert np.isfinite(loss.item())
    return elapsed / steps


def _adam(params):
    from tinygrad_edu.optim import Adam
    return Adam(params, lr=ADAM_LR, betas=(BETA1, BETA2), eps=EPS)


# --- 2. a long chain --------------------------------------------------------------------------

def chain_by_hand(length: int) -> float:
    y = np.ones(10, dtype=np.float32)
    start = time.perf_counter()
    for _ in range(length):
        y = y * np.float32(1.0001) + np.float32(0.0001)
    grad = np.ones(10, dtype=np.float32)
    for _ in range(length):      # d(y*a + b)/dy = a, applied once per link
        grad = grad * np.float32(1.0001)
    return time.perf_counter() - start


def chain_with_framework(length: int) -> float:
    x = tg.Tensor(np.ones(10, dtype=np.float32), requires_grad=True)
    start = time.perf_counter()
    y = x
    for _ in range(length):
        y = y * 1.0001 + 0.0001
    y.backward(tg.ones(10))
    elapsed = time.perf_counter() - start
    assert np.isfinite(x.grad.data).all()
    return elapsed


def interleaved_medians(by_hand, with_framework, arg, repeats: int) -> tuple:
    """Medians of ``repeats`` runs of each, alternating, so that a drift in the machine's speed
    during the measurement reaches both sides alike."""
    by_hand(arg), with_framework(arg)  # warm up
    hand, ours = [], []
    for _ in range(repeats):
        hand.append(by_hand(arg))
        ours.append(with_framework(arg))
    return statistics.median(hand), statistics.median(ours)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per measurement")
    parser.add_argument("--steps", type=int, default=2000, help="equation-loop steps per run")
    parser.add_argument("--deep", action="store_true", help="also run a 1,000,000-op chain")
    args = parser.parse_args()

    rows = []
    hand, ours = interleaved_medians(equations_by_hand, equations_with_framework, args.steps,
                                     args.repeats)
    rows.append(("seed equation loop, per step", hand, ours, 4.0))
    hand, ours = interleaved_medians(chain_by_hand, chain_with_framework, 10_000, args.repeats)
    rows.append(("10,000-op chain, fwd+bwd", hand, ours, 5.0))

    print(f"{'workload':32s} {'NumPy by hand':>14s} {'tinygrad_edu':>14s} {'ratio':>7s} "
          f"{'target':>7s}")
    for name, hand, ours, target in rows:
        print(f"{name:32s} {hand * 1e6:12.1f}us {ours * 1e6:12.1f}us {ours / hand:6.2f}x "
              f"{target:6.1f}x")

    if args.deep:
        x = tg.Tensor(np.ones(10, dtype=np.float32), requires_grad=True)
        start = time.perf_counter()
        y = x
        for _ in range(1_000_000):
            y = y * 1.0 + 0.0
        y.backward(tg.ones(10))
        del y
        print(f"1,000,000-op chain, fwd+bwd+free: {time.perf_counter() - start:.1f}s, "
              f"grad {x.grad.data[0]}")


if __name__ == "__main__":
    main()
