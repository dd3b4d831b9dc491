"""Smoke tests of the training examples: each runs end to end on tiny data (the synthetic
stand-in for MNIST, never the real files), and a short Fashion-MNIST run on the files Debian's
dataset-fashion-mnist package installs, when present."""

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.nn import functional as F

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def examples():
    sys.path.insert(0, str(EXAMPLES))
    try:
        yield lambda name: importlib.import_module(name)
    finally:
        sys.path.remove(str(EXAMPLES))


def test_two_layer_learns_and_plots_and_saves(examples, tmp_path, capsys):
    result = examples("mnist_two_layer").main(
        ["--synthetic", "--limit", "300", "--epochs", "3", "--plot", str(tmp_path / "c.png"),
         "--save", str(tmp_path / "w.npz")])
    loss = result["history"]["loss"]
    assert loss[-1] < loss[0]
    assert (tmp_path / "c.png").stat().st_size > 0
    state = tg.load(tmp_path / "w.npz")["model"]
    assert set(state) == {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}
    assert "final test accuracy" in capsys.readouterr().out


def test_two_layer_is_reproducible(examples):
    run = examples("mnist_two_layer").main
    a = run(["--synthetic", "--limit", "200", "--epochs", "1", "--seed", "3"])
    b = run(["--synthetic", "--limit", "200", "--epochs", "1", "--seed", "3"])
    assert a["history"] == b["history"]
    for p, q in zip(a["model"].parameters(), b["model"].parameters()):
        assert p.dtype == np.float32 and np.array_equal(p.data, q.data)


def test_mlp_adam_with_gradient_tape(examples):
    result = examples("mnist_mlp_adam").main(["--synthetic", "--limit", "400", "--epochs", "2",
                                              "--batch-size", "100"])
    assert result["train_accuracy"] > 0.3  # chance is 0.1 on the ten synthetic prototypes


def test_optimizer_comparison(examples, tmp_path):
    result = examples("optimizer_comparison").main(
        ["--synthetic", "--limit", "256", "--iterations", "15", "--batch-size", "32",
         "--plot", str(tmp_path / "opt.png")])
    assert set(result["losses"]) == {"SGD", "Momentum", "AdaGrad", "RMSprop", "Adam"}
    assert all(len(c) == 15 and np.isfinite(c).all() for c in result["losses"].values())
    assert (tmp_path / "opt.png").stat().st_size > 0


def test_logistic_regression(examples):
    result = examples("logistic_regression_mnist").main(["--synthetic", "--limit", "300",
                                                         "--epochs", "2"])
    assert result["test_accuracy"] > 0.5


def test_iris_default_seed_beats_90_percent(examples):
    # Iris ships with the package, so this is the real data set and the documented result.
    assert examples("iris").main([])["test_accuracy"] >= 0.9


def test_regression_recovers_weights(examples):
    result = examples("regression").main(["--steps", "200"])
    np.testing.assert_allclose(result["weights"], [3.0, 2.0], atol=0.1)


def test_numerical_matches_backprop(examples):
    result = examples("numerical_vs_backprop").main(["--synthetic", "--hidden", "2"])
    assert max(result["max_abs_diff"].values()) < 1e-6
    assert result["speedup"] > 1


def test_help_works_for_every_example(examples, capsys):
    for name in ("mnist_two_layer", "mnist_mlp_adam", "optimizer_comparison",
                 "logistic_regression_mnist", "iris", "regression", "numerical_vs_backprop"):
        with pytest.raises(SystemExit) as exit_info:
            examples(name).main(["--help"])
        assert exit_info.value.code == 0
        assert "usage:" in capsys.readouterr().out


FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.skipif(not (FASHION / "train-images-idx3-ubyte.gz").is_file(),
                    reason="Fashion-MNIST files not installed at /usr/share/datasets/fashion-mnist "
                           "(apt-get install dataset-fashion-mnist)")
def test_fashion_mnist_mlp_beats_chance():
    from tinygrad_edu.datasets import FashionMNIST
    train = FashionMNIST(root=FASHION, download=False)
    test = FashionMNIST(root=FASHION, train=False, download=False)
    x, y = train.arrays()
    x_test, y_test = test.arrays()
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    for epoch in range(3):
        for start in range(0, 600, 50):
            loss = F.cross_entropy(model(tg.Tensor(x[start:start + 50])),
                                   tg.Tensor(y[start:start + 50]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    with tg.no_grad():
        predicted = model(tg.Tensor(x_test[:1000])).data.argmax(axis=1)
    assert np.mean(predicted == y_test[:1000]) > 0.5  # chance is 0.1
