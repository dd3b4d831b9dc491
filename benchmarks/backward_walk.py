"""What walking the graph costs: a training step with ``loss.backward()`` against the same step
with each node's backward function called directly, in one process.

The direct walk does the same NumPy work (every node's ``backward_arrays``, in order) but none
of the engine's bookkeeping: no heap, no per-gradient checks of type, shape and dtype, no
decision whether a parameter may keep an array as its ``.grad``, no grad-mode switch. It only
works for the networks of ``training_step.py`` (a chain: each node has at most one input that
comes from another node), which is enough to see the engine's share of a step. The difference
is that share; it is not something to remove, since the checks are what make a wrong gradient
an error instead of a silent result.

Run:  python benchmarks/backward_walk.py [--config 1] [--rounds 40]
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"   # as in training_step.py: single-threaded matrix products

import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import tinygrad_edu as tg  # noqa: E402
import training_step  # noqa: E402


def direct_backward(loss: tg.Tensor) -> None:
    """Backward through a chain of nodes by calling each node's backward_arrays in turn."""
    node, grad = loss.grad_fn, np.ones((), loss.dtype)
    while node is not None:
        grads = node.backward_arrays(node, grad)
        if type(grads) is not tuple:
            grads = (grads,)
        next_node = None
        for x, g in zip(node.inputs, grads):
            if g is None or not isinstance(x, tg.Tensor):
                continue
            if x.grad_fn is None:
                x.grad = tg.Tensor(g)
            else:
                next_node, grad = x.grad_fn, g
        node = next_node


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=int, default=1, choices=(1, 2, 3))
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--steps", type=int, default=20, help="steps per round")
    args = parser.parse_args()
    config = training_step.CONFIGS[args.config - 1]
    model, framework_step, _, _, _ = training_step.build(config)

    # Both walks must give the same gradients before anything is timed: one step each from
    # the same weights (the update of the first is undone before the second).
    weights = [p.data.copy() for p in model.parameters()]
    framework_step()
    by_engine = [p.grad.data.copy() for p in model.parameters()]
    for p, w in zip(model.parameters(), weights):
        p.data[...] = w
    framework_step(direct_backward)
    for p, g in zip(model.parameters(), by_engine):
        np.testing.assert_array_equal(p.grad.data, g)

    engine, direct = training_step.interleaved_medians(
        framework_step, lambda: framework_step(direct_backward), args.rounds, args.steps)
    print(f"{config['name']}: median step {engine * 1e6:.0f} us with loss.backward(), "
          f"{direct * 1e6:.0f} us with direct calls; the walk costs {(engine - direct) * 1e6:.0f}"
          f" us, {(engine - direct) / engine:.1%} of the step")


if __name__ == "__main__":
    main()
