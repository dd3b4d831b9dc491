"""Draw four computation graphs as SVG files (the pictures in docs/visualization.md).

1. ``tanh(w*x + b)``: one neuron, with the value and gradient of every tensor;
2. the equation-solving loss ``(x+y-16)^2 + (10x+25y-250)^2``;
3. a two-layer net's cross-entropy loss, its layers drawn as module clusters;
4. the gradient-flow view of a deep sigmoid net next to a deep ReLU net.

Run:  python examples/draw_graph.py --out-dir docs/images
Needs the Graphviz ``dot`` program (Debian/Ubuntu: apt-get install graphviz).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import Tensor, nn
from tinygrad_edu.nn import functional as F
from tinygrad_edu.viz import draw_graph, render


def neuron(out_dir: Path) -> Path:
    w = Tensor([0.8, -0.5], requires_grad=True, name="w")
    x = Tensor([1.5, 2.0], name="x")
    b = Tensor([0.1, 0.3], requires_grad=True, name="b")
    y = (w * x + b).tanh()
    y.name = "y"
    y.sum().backward()
    return render(draw_graph(y, show_values=True, show_grads=True), out_dir / "tanh_neuron.svg")


def equation_loss(out_dir: Path) -> Path:
    """The loss whose minimum solves x + y = 16, 10x + 25y = 250 (x = 10, y = 6)."""
    x = Tensor(2.0, requires_grad=True, name="x")
    y = Tensor(3.0, requires_grad=True, name="y")
    loss = (x + y - 16) ** 2 + (10 * x + 25 * y - 250) ** 2
    loss.name = "loss"
    loss.backward()
    return render(draw_graph(loss, show_values=True, show_grads=True),
                  out_dir / "equation_loss.svg")


# --- models ------------------------------------------------------------------------------------

class TwoLayerNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(F.relu(self.fc1(x)))


def two_layer_loss() -> tuple:
    """(loss, params) of a 4-8-3 net with ReLU on 6 samples."""
    x = tg.randn(6, 4)
    labels = Tensor(np.array([0, 1, 2, 0, 1, 2]))
    model = TwoLayerNet()
    return F.cross_entropy(model(x), labels), dict(model.named_parameters())


def two_layer_net(out_dir: Path) -> Path:
    loss, params = two_layer_loss()
    loss.name = "loss"
    return render(draw_graph(loss, params=params), out_dir / "two_layer_net.svg")


def deep_net_loss(activation: str, depth: int, width: int, x: Tensor,
                  labels: np.ndarray) -> tuple:
    """(loss, params) of ``depth`` hidden layers of ``width`` units, then a 3-class head."""
    act = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU}[activation]
    layers = []
    n_in = x.shape[1]
    for _ in range(depth):
        layers += [nn.Linear(n_in, width), act()]
        n_in = width
    model = nn.Sequential(*layers, nn.Linear(width, 3))
    return F.cross_entropy(model(x), Tensor(labels)), dict(model.named_parameters())


def gradient_flow(out_dir: Path, depth: int = 6, width: int = 16) -> tuple:
    x = tg.randn(32, width)
    labels = tg.random.generator().integers(0, 3, 32)
    losses, params, first = [], {}, {}
    for activation in ("sigmoid", "relu"):
        loss, p = deep_net_loss(activation, depth, width, x, labels)
        loss.name = f"{activation} loss"
        loss.backward()
        losses.append(loss)
        params.update({f"{activation}_net.{name}": t for name, t in p.items()})
        first[activation] = float(np.mean(np.abs(next(iter(p.values())).grad.data)))
    path = render(draw_graph(*losses, params=params, show_grads=True),
                  out_dir / "gradient_flow.svg")
    return path, first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out-dir", type=Path, default=Path("docs/images"),
                        help="where to write the SVG files (default: docs/images)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    args = parser.parse_args()
    tg.manual_seed(args.seed)
    for draw in (neuron, equation_loss, two_layer_net):
        print("wrote", draw(args.out_dir))
    path, first = gradient_flow(args.out_dir)
    print("wrote", path)
    print("mean |grad| of the first layer's weight: "
          + ", ".join(f"{k} {v:.2e}" for k, v in first.items()))


if __name__ == "__main__":
    main()
