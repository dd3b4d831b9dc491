"""``tinygrad-edu demo``: a tour in a few seconds, offline, on data shipped with the package.

It solves three textbook systems and checks them against ``numpy.linalg.solve``, trains a small
net on Iris, and draws the graphs and the training curves into a folder. Missing optional tools
(Graphviz's ``dot``, matplotlib) are reported with how to install them, never as a crash.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import List, Sequence, Tuple

import numpy as np

from .. import nn
from ..solvers import parse_equation, solve
from ..solvers.nodes import Program
from ..tensor import Tensor
from ..viz import GraphvizNotFoundError, draw_graph, render
from ..viz.render import INSTALL_HINT
from .errors import CommandError
from .graph import build_expression
from .plots import INSTALL_MATPLOTLIB, have_matplotlib, plot_history
from .svg_chart import history_panels, write_chart_svg
from .train import IRIS_TEST, train_model

SYSTEMS: Tuple[Tuple[str, ...], ...] = (
    ("x + y = 16", "10x + 25y = 250"),
    ("2x + 3y = 9", "x - y = 2"),
    ("2x + 2 - (x - y) = 0", "3x + 2y = 0"),
)
NEURON = ("tanh(w*x + b)", {"w": 0.5, "x": 2.0, "b": 0.1})
DEMO_EPOCHS = 60


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "demo", help="solve equations, train on Iris, draw graphs (offline, a few seconds)",
        description="A short tour, offline: solves three systems of linear equations and "
                    "compares them with numpy.linalg.solve, trains a 4-16-3 MLP on Iris with "
                    "a progress bar, and draws the computation graphs (with gradients) and the "
                    "training curves into the output folder.")
    p.add_argument("--out", default="tinygrad_edu_demo", metavar="DIR",
                   help="the folder to write into (default ./tinygrad_edu_demo)")
    p.add_argument("--epochs", type=int, default=DEMO_EPOCHS, metavar="N",
                   help=f"Iris training epochs (default {DEMO_EPOCHS})")
    p.add_argument("--seed", type=int, default=0, help="seed of the Iris run (default 0)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def linear_system(equations: Sequence[str]) -> Tuple[np.ndarray, np.ndarray, List[str]]:
    """``A``, ``b`` and the unknowns of a linear system, read off its residuals r(x) = A x - b
    by evaluating them at 0 and at each unit vector (independently of the solver)."""
    parsed = [parse_equation(text) for text in equations]
    names = list(dict.fromkeys(v for eq in parsed for v in eq.variables))
    programs = [Program(eq.residual) for eq in parsed]

    def r(point: np.ndarray) -> np.ndarray:
        env = dict(zip(names, (float(v) for v in point)))
        return np.array([program(env) for program in programs], dtype=np.float64)

    n = len(names)
    r0 = r(np.zeros(n))
    a = np.stack([r(np.eye(n)[j]) - r0 for j in range(n)], axis=1)
    probe = np.linspace(1.5, -2.5, n)
    if not np.allclose(r(probe), a @ probe + r0, rtol=1e-12, atol=1e-9):
        raise ValueError(f"linear_system: {list(equations)} is not linear")
    return a, -r0, names


def comparison_table(names: Sequence[str], ours: Sequence[float],
                     reference: Sequence[float]) -> List[str]:
    """Rows: variable, our value, NumPy's value, |difference|, aligned."""
    rows = [("variable", "ours", "numpy", "|difference|")]
    rows += [(n, f"{a:.16g}", f"{b:.16g}", f"{abs(a - b):.1e}")
             for n, a, b in zip(names, ours, reference)]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return ["  ".join([row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:],
                                                                              widths[1:])])
            for row in rows]


def solve_systems() -> float:
    """Part 1; returns the largest difference from NumPy."""
    print("1. Three systems of equations, solved by Levenberg-Marquardt on gradients from "
          "backward(),\n   beside numpy.linalg.solve\n")
    worst = 0.0
    for equations in SYSTEMS:
        result = solve(list(equations))
        a, b, names = linear_system(equations)
        reference = np.linalg.solve(a, b)
        ours = [result[name] for name in names]
        worst = max(worst, float(np.max(np.abs(np.array(ours) - reference))))
        status = ", ".join(["exact" if result.exact else "NOT exact",
                            "unique" if result.unique else "not unique"])
        print(f"   {',  '.join(equations)}    ({status}, {result.iterations} iterations)")
        for line in comparison_table(names, ours, reference):
            print("     " + line)
        print()
    return worst


class Drawings:
    """Renders into the output folder, falling back to .dot files when Graphviz is missing."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.written: List[Tuple[Path, str]] = []
        self.missing_dot = False

    def render(self, graph, name: str, about: str) -> None:
        try:
            self.written.append((render(graph, self.out / name), about))
        except GraphvizNotFoundError:
            self.missing_dot = True
            self.written.append((self.out / Path(name).with_suffix(".dot"),
                                 about + " (DOT source)"))


def draw_neuron(drawings: Drawings) -> None:
    text, values = NEURON
    out, _ = build_expression(text, values)
    out.backward()
    drawings.render(draw_graph(out, show_values=True, show_grads=True), "neuron.svg",
                    f"{text} with values and gradients")


def draw_iris_loss(drawings: Drawings, model: nn.Module, x: np.ndarray, y: np.ndarray) -> None:
    model.zero_grad()
    loss = nn.CrossEntropyLoss()(model(Tensor(x, name="x")), Tensor(y, name="y"))
    loss.name = "loss"
    loss.backward()
    graph = draw_graph(loss, params=dict(model.named_parameters()), show_grads=True)
    drawings.render(graph, "iris_loss.svg",
                    "the Iris model's loss: layers as clusters, parameters coloured by gradient")


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"cannot create the folder {out}: {exc.strerror or exc}") from None
    print(f"tinygrad_edu demo (writing into {out}/)\n")
    worst = solve_systems()
    print(f"   largest difference from NumPy: {worst:.1e}\n")

    print(f"2. A 4-16-3 MLP trained on Iris with Adam ({150 - IRIS_TEST} flowers; "
          f"{IRIS_TEST} held out)", flush=True)
    trained = train_model("iris", epochs=args.epochs, seed=args.seed,
                          progress=not args.no_progress)
    correct = round(trained.test_accuracy * trained.test_size)
    print(f"\n   held-out accuracy: {trained.test_accuracy:.2%} ({correct}/{trained.test_size} "
          f"flowers), final training loss {trained.history.history['loss'][-1]:.4f}\n")

    print("3. Drawing the computation graphs and the training curves")
    drawings = Drawings(out)
    draw_neuron(drawings)
    draw_iris_loss(drawings, trained.model, trained.test_x, trained.test_y)
    curve = write_chart_svg(out / "loss_curve.svg", history_panels(trained.history.history))
    drawings.written.append((curve, "loss and accuracy per epoch (plain SVG)"))
    notes = []
    if have_matplotlib():
        drawings.written.append((plot_history(out / "training_curves.png", trained.history),
                                 "the same curves drawn by matplotlib"))
    else:
        notes.append(f"matplotlib is not installed, so training_curves.png was skipped "
                     f"(loss_curve.svg has the curves); for it: {INSTALL_MATPLOTLIB}")
    if drawings.missing_dot:
        notes.append("Graphviz's `dot` program was not found, so the graphs were written as "
                     ".dot files; turn one into a picture with `dot -Tsvg neuron.dot -o "
                     f"neuron.svg`. {INSTALL_HINT}")
    for note in notes:
        print(f"   note: {note}")

    print(f"\nOutput folder: {out.resolve()}")
    width = max(len(path.name) for path, _ in drawings.written)
    for path, about in drawings.written:
        print(f"  {path.name.ljust(width)}  {about}")
    return 0
