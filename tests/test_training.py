"""fit / evaluate / History with a hand-written softmax-regression model."""

import sys

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import optim
from tinygrad_edu.data import DataLoader, TensorDataset
from tinygrad_edu.datasets import blobs
from tinygrad_edu.optim import lr_scheduler
from tinygrad_edu.tensor import Tensor
from tinygrad_edu.training import History, accuracy, evaluate, fit


class SoftmaxRegression:
    """Logits = x @ W + b; records the modes it was put in and whether grad mode was on."""

    def __init__(self, n_in, n_out, seed=0):
        rng = np.random.default_rng(seed)
        self.W = Tensor(rng.standard_normal((n_in, n_out)).astype(np.float32) * 0.1,
                        requires_grad=True)
        self.b = Tensor(np.zeros(n_out, dtype=np.float32), requires_grad=True)
        self.training = True
        self.grad_mode_seen = []

    def __call__(self, x):
        self.grad_mode_seen.append((self.training, tg.is_grad_enabled()))
        return x @ self.W + self.b

    def parameters(self):
        return [self.W, self.b]

    def train(self):
        self.training = True

    def eval(self):
        self.training = False


def cross_entropy(logits, y):
    onehot = Tensor(np.eye(logits.shape[1], dtype=np.float32)[y.data])
    return -(logits.log_softmax(axis=1) * onehot).sum(axis=1).mean()


def loaders(seed=0):
    X, y = blobs(240, centers=[[-4, 0], [4, 0], [0, 5]], std=1.0, seed=seed)
    train = DataLoader(TensorDataset(X[:180], y[:180]), batch_size=32, shuffle=True, seed=seed)
    val = DataLoader(TensorDataset(X[180:], y[180:]), batch_size=64)
    return train, val


def test_fit_learns_and_records_history(capsys):
    train, val = loaders()
    model = SoftmaxRegression(2, 3)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = fit(model, cross_entropy, opt, train, epochs=4, val_loader=val)
    assert isinstance(history, History) and history.epoch == [0, 1, 2, 3]
    h = history.history
    assert set(h) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert all(len(v) == 4 for v in h.values())
    assert h["loss"][-1] < h["loss"][0]
    assert h["val_accuracy"][-1] > 0.95
    assert "Epoch 4/4" in capsys.readouterr().err  # the tqdm bar
    # training forward passes ran in train mode with grad on; validation in eval mode without
    assert (True, True) in model.grad_mode_seen and (False, False) in model.grad_mode_seen
    assert (False, True) not in model.grad_mode_seen and (True, False) not in model.grad_mode_seen
    assert model.training  # fit leaves the model in training mode after validating
    assert "History(epochs=4" in repr(history)


def test_evaluate_matches_hand_computation():
    _, val = loaders()
    model = SoftmaxRegression(2, 3, seed=1)
    X, y = val.dataset.arrays
    result = evaluate(model, val, cross_entropy)
    logits = X @ model.W.data + model.b.data
    expected_acc = np.mean(np.argmax(logits, 1) == y)
    log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    expected_loss = -log_p[np.arange(len(y)), y].mean()
    assert result["accuracy"] == pytest.approx(expected_acc)
    assert result["loss"] == pytest.approx(expected_loss, rel=1e-5)
    assert model.training  # restored
    assert evaluate(model, val, metrics=()) == {}  # no loss_fn, no metrics


def test_progress_off_prints_nothing_and_custom_metric(capsys):
    train, _ = loaders()
    model = SoftmaxRegression(2, 3)

    def top2(logits, y):
        top = np.argsort(logits.data, axis=1)[:, -2:]
        return float(np.mean((top == y.data[:, None]).any(axis=1)))

    history = fit(model, cross_entropy, optim.Adam(model.parameters(), lr=0.05), train,
                  epochs=1, metrics=("accuracy", top2), progress=False)
    assert capsys.readouterr().err == ""
    assert 0 <= history.history["top2"][0] <= 1
    with pytest.raises(ValueError, match="unknown metric"):
        fit(model, cross_entropy, optim.SGD(model.parameters(), lr=0.1), train, metrics=("f1",),
            progress=False)


def test_scheduler_is_stepped_per_epoch():
    train, val = loaders()
    model = SoftmaxRegression(2, 3)
    opt = optim.SGD(model.parameters(), lr=0.1)
    history = fit(model, cross_entropy, opt, train, epochs=3,
                  scheduler=lr_scheduler.StepLR(opt, step_size=1, gamma=0.5), progress=False)
    assert history.history["lr"] == pytest.approx([0.1, 0.05, 0.025])
    plateau = lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5, threshold=10.0,
                                             threshold_mode="abs")
    fit(model, cross_entropy, opt, train, epochs=2, val_loader=val, scheduler=plateau,
        progress=False)
    assert plateau.best < 10 and plateau.last_epoch == 2  # fed a real loss every epoch
    # StepLR left 0.0125 after its third epoch; the second plateau epoch is "not better"
    assert opt.param_groups[0]["lr"] == pytest.approx(0.00625)


def test_nan_loss_stops_with_advice():
    train, _ = loaders()
    model = SoftmaxRegression(2, 3)
    with pytest.raises(FloatingPointError, match="smaller learning rate"):
        fit(model, lambda logits, y: logits.sum() * float("nan"),
            optim.SGD(model.parameters(), lr=0.1), train, progress=False)


def test_accuracy_with_one_hot_targets():
    logits = Tensor(np.array([[1.0, 2.0], [3.0, 0.0]]))
    assert accuracy(logits, Tensor(np.array([1, 1]))) == 0.5
    assert accuracy(logits, Tensor(np.array([[0.0, 1.0], [1.0, 0.0]]))) == 1.0


def test_history_plot_writes_png_atomically(tmp_path):
    pytest.importorskip("matplotlib")
    history = History()
    for e, (l, a) in enumerate([(1.0, 0.5), (0.6, 0.7), (0.4, 0.8)]):
        history._log(e, {"loss": l, "accuracy": a, "val_loss": l + 0.1, "val_accuracy": a - 0.1,
                         "lr": 0.1})
    out = history.plot(tmp_path / "curves.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]
    with pytest.raises(ValueError, match="nothing to plot"):
        History().plot(tmp_path / "empty.png")


def test_history_plot_without_matplotlib_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    history = History()
    history._log(0, {"loss": 1.0})
    with pytest.raises(ImportError, match=r"pip install tinygrad_edu\[plot\]"):
        history.plot(tmp_path / "x.png")
    assert list(tmp_path.iterdir()) == []
