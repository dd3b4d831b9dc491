"""Solve x + y = 16, 10x + 25y = 250 the way the textbook does: gradients and Adam.

The loop below is the textbook's GradientTape loop, line by line, on tinygrad_edu:

    python examples/simultaneous_equations.py               # prints x ~ 10, y ~ 6
    python examples/simultaneous_equations.py --plot docs/images/solver_loss.png

``--plot`` also solves the system with each method of ``tinygrad_edu.solvers.least_squares``
from the same start and draws their loss curves (needs matplotlib).
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

import tinygrad_edu
from tinygrad_edu import GradientTape, Tensor
from tinygrad_edu.optim import Adam
from tinygrad_edu.solvers import least_squares
from tinygrad_edu.utils import atomic_write


def textbook_loop(lr: float, max_iter: int, seed: int, tol: float) -> tuple:
    """The textbook's loop; returns (x, y, iterations, loss_history)."""
    tinygrad_edu.manual_seed(seed)
    x = tinygrad_edu.rand(1, requires_grad=True)     # random starting values, as in the book
    y = tinygrad_edu.rand(1, requires_grad=True)
    optimizer = Adam([x, y], lr=lr)

    history = []
    previous_loss = float("inf")
    for iteration in range(1, max_iter + 1):
        with GradientTape() as tape:
            y1 = x + y - 16
            y2 = 10 * x + 25 * y - 250
            loss = y1 * y1 + y2 * y2
        dx, dy = tape.gradient(loss, [x, y])
        optimizer.apply_gradients(zip([dx, dy], [x, y]))
        current = loss.item()
        history.append(current)
        if abs(current - previous_loss) < tol:
            break
        previous_loss = current
    return x.item(), y.item(), iteration, history


def residuals(x: Tensor, y: Tensor) -> list:
    return [x + y - 16, 10 * x + 25 * y - 250]


def plot(path: str, seed: int) -> None:
    """Loss against iteration for every method of ``least_squares``, from one start."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("--plot needs matplotlib: pip install matplotlib "
                 "(or pip install 'tinygrad_edu[plot]')")
    start = list(np.random.default_rng(seed).random(2))
    runs = {
        "gradient descent (lr = 1/L)": least_squares(residuals, start, method="gd",
                                                     max_iter=20000, tol=1e-14),
        "Adam (lr = 0.1)": least_squares(residuals, start, method="adam", max_iter=20000),
        "Gauss-Newton": least_squares(residuals, start, method="gauss-newton"),
        "Levenberg-Marquardt": least_squares(residuals, start, method="lm"),
    }
    fig, ax = plt.subplots(figsize=(7, 4.2))
    floor = 1e-30   # a loss of exactly 0 has no place on a log scale
    for label, result in runs.items():
        steps = np.arange(1, len(result.loss_history) + 1)
        ax.loglog(steps, np.maximum(result.loss_history, floor), label=
                  f"{label}: {result.iterations} it., |r| = {result.residual_norm:.1e}")
    ax.set_xlabel("iteration + 1")
    ax.set_ylabel("loss = sum of squared residuals")
    ax.set_title("x + y = 16, 10x + 25y = 250: loss by method")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    suffix = os.path.splitext(path)[1] or ".png"
    with atomic_write(path) as handle:   # write, then rename: never half a file
        fig.savefig(handle, format=suffix[1:], dpi=110)
    plt.close(fig)
    for label, result in runs.items():
        print(f"{label:28s} x = {result.x[0]:.10f}  y = {result.x[1]:.10f}  "
              f"iterations = {result.iterations}")
    print(f"wrote {path}")


def main(argv: list | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lr", type=float, default=0.1, help="Adam's learning rate (0.1)")
    parser.add_argument("--max-iter", type=int, default=20000, help="iteration budget (20000)")
    parser.add_argument("--tol", type=float, default=1e-8,
                        help="stop when abs(loss - previous_loss) < tol (1e-8, the textbook's)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random start (0)")
    parser.add_argument("--plot", metavar="OUT.png",
                        help="also compare the solvers' loss curves in this image (matplotlib)")
    args = parser.parse_args(argv)
    x, y, iterations, history = textbook_loop(args.lr, args.max_iter, args.seed, args.tol)
    print(f"x = {x:.6f}, y = {y:.6f} after {iterations} iterations (loss {history[-1]:.3g})")
    if args.plot:
        plot(args.plot, args.seed)


if __name__ == "__main__":
    main()
