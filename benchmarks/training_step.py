"""One training step of an MLP (forward, softmax cross-entropy, backward, update) with
tinygrad_edu against the fastest hand-written NumPy of the same network, in one process.

Configurations (ReLU hidden layers, float32 throughout):

1. 784-50-10, batch 100, SGD (lr 0.1)              -- the book's two-layer net; target <= 1.20x
2. 784-100-100-100-100-10, batch 128, Adam         -- the optimizer comparison net; target <= 1.20x
3. 784-1024-1024-10, batch 256, SGD                -- matrix products dominate; target <= 1.08x

The NumPy side is as fast as we know how to write it: every array preallocated, the
softmax-cross-entropy gradient fused (softmax minus one-hot, divided by the batch size), ReLU's
mask computed once, updates in place, float32 everywhere. Both sides start from the same
weights, and their first steps are checked to agree before anything is timed.

Timing alternates the two implementations (ABAB...) in short rounds, so that load from other
processes hits both alike, and reports the median per-step time of each. BLAS runs on one thread
(set below, before NumPy is imported), so the comparison is of the code, not of the scheduler.

Run:  python benchmarks/training_step.py [--rounds 30] [--steps 20] [--profile] [--config 1]
      [--builds 9]
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"   # before NumPy loads BLAS: single-threaded matrix products

import argparse  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from types import ModuleType  # noqa: E402
from typing import Callable, List, Optional, Sequence  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tinygrad_edu as tg  # noqa: E402

CONFIGS = [
    dict(name="784-50-10, batch 100, SGD", sizes=(784, 50, 10), batch=100, optimizer="sgd",
         target=1.20),
    dict(name="784-100x4-10, batch 128, Adam", sizes=(784, 100, 100, 100, 100, 10), batch=128,
         optimizer="adam", target=1.20),
    dict(name="784-1024-1024-10, batch 256, SGD", sizes=(784, 1024, 1024, 10), batch=256,
         optimizer="sgd", target=1.08),
]
LR_SGD, LR_ADAM, BETA1, BETA2, EPS = 0.1, 1e-3, 0.9, 0.999, 1e-8
F32 = np.float32


class NumpyMLP:
    """The same network by hand: weights (out, in) as nn.Linear, x @ W.T + b."""

    def __init__(self, weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], batch: int,
                 optimizer: str) -> None:
        self.W = [w.astype(F32, copy=True) for w in weights]
        self.b = [b.astype(F32, copy=True) for b in biases]
        self.gW = [np.empty_like(w) for w in self.W]
        self.gb = [np.empty_like(b) for b in self.b]
        # Pre-activation outputs z[i] (made in place into activations a[i+1] for hidden layers),
        # ReLU masks, and the backward buffers d[i] of each layer's output gradient.
        self.out = [np.empty((batch, w.shape[0]), F32) for w in self.W]
        self.mask = [np.empty((batch, w.shape[0]), np.bool_) for w in self.W[:-1]]
        self.d = [np.empty((batch, w.shape[1]), F32) for w in self.W[1:]]
        self.rows = np.arange(batch)
        # Scalars made once: a NumPy scalar built in the loop costs a call each time.
        self.lr, self.inv_batch = F32(LR_SGD), F32(1.0 / batch)
        self.beta1, self.beta2, self.eps = F32(BETA1), F32(BETA2), F32(EPS)
        self.one_minus_beta1, self.one_minus_beta2 = F32(1 - BETA1), F32(1 - BETA2)
        self.optimizer = optimizer
        if optimizer == "adam":
            params = self.W + self.b
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
            self.s1 = [np.empty_like(p) for p in params]
            self.s2 = [np.empty_like(p) for p in params]
            self.t = 0

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        W, b, out, mask, d = self.W, self.b, self.out, self.mask, self.d
        n = len(W)
        a = x
        for i in range(n):
            np.matmul(a, W[i].T, out=out[i])
            out[i] += b[i]
            if i < n - 1:
                np.greater(out[i], 0, out=mask[i])
                out[i] *= mask[i]              # ReLU in place: the output is the activation
            a = out[i]
        # Fused softmax cross-entropy: loss = mean(logsumexp(z) - z_y), grad = (p - onehot) / N,
        # on a transposed copy (classes, batch): along a short class axis NumPy's reductions
        # loop per row, along the first axis they run vectorised across the rows. Flat indices
        # pick faster than (class, row) pairs, and the ufuncs' own reduce skips the Python
        # wrappers of ndarray.sum/max (the framework uses the same tricks).
        batch = len(y)
        zt = np.ascontiguousarray(out[-1].T)
        zt -= np.maximum.reduce(zt, axis=0)
        flat = zt.reshape(-1)
        at = y * batch + self.rows
        picked = flat[at]
        np.exp(zt, out=zt)
        total = np.add.reduce(zt, axis=0)
        loss = float(np.add.reduce(np.log(total)) - np.add.reduce(picked)) / batch
        zt /= total
        flat[at] -= 1.0
        zt *= self.inv_batch
        g = zt.T
        for i in range(n - 1, -1, -1):
            below = x if i == 0 else out[i - 1]
            np.matmul(g.T, below, out=self.gW[i])
            np.add.reduce(g, axis=0, out=self.gb[i])
            if i > 0:
                np.matmul(g, W[i], out=d[i - 1])
                d[i - 1] *= mask[i - 1]
                g = d[i - 1]
        self._update()
        return loss

    def _update(self) -> None:
        params, grads = self.W + self.b, self.gW + self.gb
        if self.optimizer == "sgd":
            lr = self.lr
            for p, g in zip(params, grads):
                g *= lr
                p -= g
            return
        self.t += 1
        step_size = F32(LR_ADAM / (1 - BETA1 ** self.t))
        root_bc2 = F32(np.sqrt(1 - BETA2 ** self.t))
        beta1, beta2, eps = self.beta1, self.beta2, self.eps
        one_minus_beta1, one_minus_beta2 = self.one_minus_beta1, self.one_minus_beta2
        for p, g, m, v, s1, s2 in zip(params, grads, self.m, self.v, self.s1, self.s2):
            m *= beta1
            np.multiply(g, one_minus_beta1, out=s1)
            m += s1
            v *= beta2
            np.multiply(g, g, out=s1)
            s1 *= one_minus_beta2
            v += s1
            np.sqrt(v, out=s2)
            s2 /= root_bc2
            s2 += eps
            np.divide(m, s2, out=s2)
            s2 *= step_size
            p -= s2

    def arrays(self) -> List[np.ndarray]:
        return [a for pair in zip(self.W, self.b) for a in pair]


def build(config: dict, seed: int = 0, package: ModuleType = tg):
    """(model, step function, NumPy twin, x, y), both sides starting from the same weights.
    ``package`` is tinygrad_edu, or another copy of it (compare_checkouts.py loads two)."""
    nn, optim, F = package.nn, package.optim, package.nn.functional
    package.manual_seed(seed)
    sizes = config["sizes"]
    layers: list = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    opt = (optim.SGD(model.parameters(), lr=LR_SGD) if config["optimizer"] == "sgd"
           else optim.Adam(model.parameters(), lr=LR_ADAM, betas=(BETA1, BETA2), eps=EPS))
    rng = np.random.default_rng(seed)
    x = rng.random((config["batch"], sizes[0]), dtype=F32)
    y = rng.integers(0, sizes[-1], config["batch"])
    xt, yt = package.Tensor(x), package.Tensor(y)

    def framework_step(backward: Optional[Callable] = None):
        """One step; ``backward(loss)``, when given, stands in for ``loss.backward()``
        (backward_walk.py times the engine against calling the nodes directly)."""
        loss = F.cross_entropy(model(xt), yt)
        opt.zero_grad()
        if backward is None:
            loss.backward()
        else:
            backward(loss)
        opt.step()
        return loss

    linears = [m for m in model if isinstance(m, nn.Linear)]
    twin = NumpyMLP([m.weight.data for m in linears], [m.bias.data for m in linears],
                    config["batch"], config["optimizer"])
    return model, framework_step, twin, x, y


def check_agreement(config: dict) -> None:
    """Both sides compute the same step: same loss, same updated weights, all float32."""
    model, framework_step, twin, x, y = build(config)
    for _ in range(2):
        ours = framework_step()
        theirs = twin.step(x, y)
        assert abs(ours.item() - theirs) < 1e-4 * max(1.0, abs(theirs)), (ours.item(), theirs)
    assert ours.dtype == np.float32, f"loss is {ours.dtype}"
    for p, q in zip(model.parameters(), twin.arrays()):
        assert p.dtype == np.float32 and p.grad.dtype == np.float32, \
            f"{config['name']}: parameter {p.dtype}, gradient {p.grad.dtype}: not float32"
        np.testing.assert_allclose(p.data, q, rtol=1e-3, atol=1e-5)
    assert all(a.dtype == np.float32 for a in twin.arrays())


def interleaved_medians(a: Callable, b: Callable, rounds: int, steps: int) -> tuple:
    """Median per-step seconds of a and of b, timed in alternating rounds of ``steps`` steps."""
    for _ in range(3):
        a()
        b()
    times_a, times_b = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(steps):
            a()
        times_a.append((time.perf_counter() - start) / steps)
        start = time.perf_counter()
        for _ in range(steps):
            b()
        times_b.append((time.perf_counter() - start) / steps)
    return statistics.median(times_a), statistics.median(times_b)


def profile(framework_step: Callable, steps: int, top: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        framework_step()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    lines = out.getvalue().splitlines()
    # Keep the table, drop pstats' preamble; shorten the paths.
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    root = str(Path(__file__).resolve().parents[1]) + "/"
    return "\n".join(line.replace(root, "") for line in lines[start:] if line.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="alternating timing rounds")
    parser.add_argument("--steps", type=int, default=20, help="steps per round")
    parser.add_argument("--config", type=int, choices=(1, 2, 3), action="append",
                        help="run only these configurations (repeatable)")
    parser.add_argument("--profile", action="store_true",
                        help="also print where tinygrad_edu's step spends its time (cProfile)")
    parser.add_argument("--top", type=int, default=15, help="profile rows to print")
    parser.add_argument("--builds", type=int, default=1,
                        help="time this many fresh builds of each network and report the one "
                             "with the median ratio, and the range: where the arrays land in "
                             "memory moves one build's ratio by a few percent")
    args = parser.parse_args()
    chosen = [CONFIGS[i - 1] for i in (args.config or (1, 2, 3))]

    print(f"NumPy {np.__version__}, single-threaded BLAS; median per step over {args.rounds} "
          f"alternating rounds of {args.steps} steps\n")
    print(f"{'configuration':36s} {'NumPy by hand':>14s} {'tinygrad_edu':>13s} {'ratio':>7s} "
          f"{'target':>7s}")
    failed = []
    for config in chosen:
        check_agreement(config)
        builds = []   # (ratio, ours, theirs) of each build
        for _ in range(max(1, args.builds)):
            _, framework_step, twin, x, y = build(config)
            ours, theirs = interleaved_medians(framework_step, lambda: twin.step(x, y),
                                               args.rounds, args.steps)
            builds.append((ours / theirs, ours, theirs))
        builds.sort()
        ratio, ours, theirs = builds[len(builds) // 2]
        ok = ratio <= config["target"]
        if not ok:
            failed.append(config["name"])
        spread = (f"  builds {builds[0][0]:.3f}-{builds[-1][0]:.3f}, median {ratio:.3f}"
                  if len(builds) > 1 else "")
        print(f"{config['name']:36s} {theirs * 1e6:12.0f}us {ours * 1e6:11.0f}us "
              f"{ratio:6.2f}x {config['target']:6.2f}x {'' if ok else ' (above target)'}{spread}",
              flush=True)
    print("\nfloat32 end to end: parameters, gradients and losses checked after each step")
    if args.profile:
        for config in chosen:
            _, framework_step, _, _, _ = build(config)
            print(f"\n--- profile: {config['name']} ({args.steps * 10} steps, by own time) ---")
            print(profile(framework_step, args.steps * 10, args.top))
    if failed:
        print("\nabove target: " + "; ".join(failed))


if __name__ == "__main__":
    main()
