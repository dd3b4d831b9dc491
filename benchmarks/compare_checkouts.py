"""Two versions of tinygrad_edu against each other, and against hand-written NumPy, in one process.

A change to a hot path moves a training step by a percent or two, less than the drift of the
machine between two runs of ``training_step.py``. Timing both versions in the same process, in
alternating rounds, cancels that drift. Each checkout's ``tinygrad_edu/`` is copied into a
temporary directory under a module name of its own (the package imports itself only
relatively), so both can be loaded side by side.

The copy that is built second measures a little slower even when both are the same code (about
0.5% on 784-50-10 and 2% on 784-1024-1024-10 here: memory placement), so the comparison is run
twice, with the roles swapped, and the geometric mean of the two ratios is reported.

Run:  python benchmarks/compare_checkouts.py BEFORE AFTER [--config 1] [--rounds 40]
where BEFORE and AFTER are directories holding a ``tinygrad_edu/`` package, e.g. one made by
``git worktree add /tmp/before HEAD~1``. A ratio below 1 means AFTER is faster.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"   # as in training_step.py: single-threaded matrix products

import argparse  # noqa: E402
import importlib  # noqa: E402
import math  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from types import ModuleType  # noqa: E402
from typing import Callable, Dict  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import training_step  # noqa: E402  (the configurations and the hand-written twin)


def load_copy(checkout: Path, name: str, workdir: Path) -> ModuleType:
    """Import ``checkout/tinygrad_edu`` under the module name ``name``."""
    source = checkout / "tinygrad_edu"
    if not (source / "__init__.py").is_file():
        raise SystemExit(f"compare_checkouts: {checkout} holds no tinygrad_edu/ package")
    home = workdir / name
    shutil.copytree(source, home / name, ignore=shutil.ignore_patterns("__pycache__"))
    sys.path.insert(0, str(home))
    return importlib.import_module(name)


def medians(steps: Dict[str, Callable], rounds: int, per_round: int) -> Dict[str, float]:
    """Median seconds per step of each function, timed in rounds whose order alternates."""
    for step in steps.values():
        for _ in range(5):
            step()
    times: Dict[str, list] = {name: [] for name in steps}
    items = list(steps.items())
    for r in range(rounds):
        for name, step in (items if r % 2 == 0 else items[::-1]):
            start = time.perf_counter()
            for _ in range(per_round):
                step()
            times[name].append((time.perf_counter() - start) / per_round)
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path, help="directory holding the old tinygrad_edu/")
    parser.add_argument("after", type=Path, help="directory holding the new tinygrad_edu/")
    parser.add_argument("--config", type=int, choices=(1, 2, 3), default=1,
                        help="which training_step.py configuration (default 1: 784-50-10)")
    parser.add_argument("--rounds", type=int, default=40, help="alternating rounds per order")
    parser.add_argument("--steps", type=int, default=None,
                        help="steps per round (default: 20, or 4 for configuration 3)")
    args = parser.parse_args()
    config = training_step.CONFIGS[args.config - 1]
    per_round = args.steps or (4 if args.config == 3 else 20)

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        before = load_copy(args.before.resolve(), "tinygrad_edu_before", workdir)
        after = load_copy(args.after.resolve(), "tinygrad_edu_after", workdir)
        ratios = []
        print(f"{config['name']}, {args.rounds} rounds of {per_round} steps per order")
        for first, second in ((before, after), (after, before)):
            # Built in this order: the second copy's arrays and objects are allocated later.
            steps = {}
            for package in (first, second):
                _, step, twin, x, y = training_step.build(config, package=package)
                steps[package.__name__] = step
            steps["hand"] = lambda: twin.step(x, y)
            med = medians(steps, args.rounds, per_round)
            ratio = med[after.__name__] / med[before.__name__]
            ratios.append(ratio)
            print(f"  {first.__name__} built first: hand {med['hand'] * 1e6:.0f}us, "
                  f"before {med[before.__name__] * 1e6:.0f}us "
                  f"({med[before.__name__] / med['hand']:.3f}x), "
                  f"after {med[after.__name__] * 1e6:.0f}us "
                  f"({med[after.__name__] / med['hand']:.3f}x), after/before {ratio:.3f}")
        print(f"after/before, both orders: {math.sqrt(ratios[0] * ratios[1]):.3f}")


if __name__ == "__main__":
    main()
