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
import math
from pathlib import Path

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.viz import draw_graph, render

try:
    from tinygrad_edu import nn
except ImportError:   # tinygrad_edu.nn not installed: a minimal model from Tensors below
    nn = None


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


# --- models: tinygrad_edu.nn when present, plain Tensors otherwise --------------------------------

def _uniform(shape: tuple, fan_in: int) -> Tensor:
    """PyTorch's default Linear initialisation, U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = 1.0 / math.sqrt(fan_in)
    data = tg.random.generator().uniform(-bound, bound, shape).astype(np.float32)
    return Tensor(data, requires_grad=True)


def _linear_params(prefix: str, n_in: int, n_out: int) -> dict:
    return {f"{prefix}.weight": _uniform((n_out, n_in), n_in),
            f"{prefix}.bias": _uniform((n_out,), n_in)}


def _cross_entropy(logits: Tensor, labels: np.ndarray) -> Tensor:
    """Mean softmax cross-entropy from core ops (what nn.functional.cross_entropy computes)."""
    log_probs = logits.log_softmax(axis=1)
    return -log_probs[np.arange(len(labels)), labels].mean()


def _loss(logits: Tensor, labels: np.ndarray) -> Tensor:
    if nn is not None:
        return nn.functional.cross_entropy(logits, Tensor(labels))
    return _cross_entropy(logits, labels)


def two_layer_loss() -> tuple:
    """(loss, params) of a 4-8-3 net with ReLU on 6 samples."""
    x = tg.randn(6, 4)
    labels = np.array([0, 1, 2, 0, 1, 2])
    if nn is not None:
        class TwoLayerNet(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.fc1 = nn.Linear(4, 8)
                self.fc2 = nn.Linear(8, 3)

            def forward(self, x: Tensor) -> Tensor:
                return self.fc2(self.fc1(x).relu())

        model = TwoLayerNet()
        return _loss(model(x), labels), dict(model.named_parameters())
    p = {**_linear_params("fc1", 4, 8), **_linear_params("fc2", 8, 3)}
    h = (x @ p["fc1.weight"].T + p["fc1.bias"]).relu()
    logits = h @ p["fc2.weight"].T + p["fc2.bias"]
    return _loss(logits, labels), p


def two_layer_net(out_dir: Path) -> Path:
    loss, params = two_layer_loss()
    loss.name = "loss"
    return render(draw_graph(loss, params=params), out_dir / "two_layer_net.svg")


def deep_net_loss(activation: str, depth: int, width: int, x: Tensor,
                  labels: np.ndarray) -> tuple:
    """(loss, params) of ``depth`` hidden layers of ``width`` units, then a 3-class head."""
    if nn is not None:
        act = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU}[activation]
        layers = []
        n_in = x.shape[1]
        for _ in range(depth):
            layers += [nn.Linear(n_in, width), act()]
            n_in = width
        model = nn.Sequential(*layers, nn.Linear(width, 3))
        return _loss(model(x), labels), dict(model.named_parameters())
    params = {}
    h, n_in = x, x.shape[1]
    for i in range(depth):
        # Names as nn.Sequential gives them: layer 2i is the Linear, 2i+1 the activation.
        p = _linear_params(str(2 * i), n_in, width)
        params.update(p)
        h = getattr(h @ p[f"{2 * i}.weight"].T + p[f"{2 * i}.bias"], activation)()
        n_in = width
    head = _linear_params(str(2 * depth), width, 3)
    params.update(head)
    logits = h @ head[f"{2 * depth}.weight"].T + head[f"{2 * depth}.bias"]
    return _loss(logits, labels), params


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
    print("models from", "tinygrad_edu.nn" if nn is not None else "plain Tensors (no nn)")
    for draw in (neuron, equation_loss, two_layer_net):
        print("wrote", draw(args.out_dir))
    path, first = gradient_flow(args.out_dir)
    print("wrote", path)
    print("mean |grad| of the first layer's weight: "
          + ", ".join(f"{k} {v:.2e}" for k, v in first.items()))


if __name__ == "__main__":
    main()
