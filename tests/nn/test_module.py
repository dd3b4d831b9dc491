"""Module: registration, traversal, modes, gradients, state dicts, repr and summary."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(3, 2)
        self.scale = 2.0  # a plain attribute, not a parameter

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = MLP()
        self.norm = nn.BatchNorm1d(2)
        self.heads = nn.ModuleList([nn.Linear(2, 1), nn.Linear(2, 1)])
        self.temperature = nn.Parameter(np.ones(1))

    def forward(self, x):
        h = self.norm(self.body(x))
        return sum((head(h) for head in self.heads), self.temperature * 0)


def test_parameter_is_a_float32_leaf_that_requires_grad():
    p = nn.Parameter(np.random.default_rng(0).standard_normal((2, 3)))  # float64 data
    assert isinstance(p, tg.Tensor) and p.requires_grad and p.is_leaf
    assert p.dtype == np.float32
    assert nn.Parameter([1, 2]).dtype == np.float32
    assert nn.Parameter(np.zeros(2), dtype=np.float64).dtype == np.float64
    assert not nn.Parameter(np.zeros(2), requires_grad=False).requires_grad
    assert repr(nn.Parameter([1.0])).startswith("Parameter containing:\ntensor(")
    # It behaves as a tensor in ops, and gradients reach it.
    (p * 2).sum().backward()
    np.testing.assert_array_equal(p.grad.data, 2)


def test_registration_and_names():
    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names == ["temperature", "body.fc1.weight", "body.fc1.bias", "body.fc2.weight",
                     "body.fc2.bias", "norm.weight", "norm.bias", "heads.0.weight",
                     "heads.0.bias", "heads.1.weight", "heads.1.bias"]
    assert len(list(net.parameters())) == len(names)
    assert [n for n, _ in net.named_children()] == ["body", "norm", "heads"]
    assert list(net.children())[0] is net.body
    assert [n for n, _ in net.named_modules()] == [
        "", "body", "body.fc1", "body.act", "body.fc2", "norm", "heads", "heads.0", "heads.1"]
    assert len(list(net.modules())) == 9
    assert [n for n, _ in net.named_buffers()] == [
        "norm.running_mean", "norm.running_var", "norm.num_batches_tracked"]
    assert [n for n, _ in net.named_parameters(recurse=False)] == ["temperature"]
    assert net.body.scale == 2.0 and "scale" not in dict(net.body.named_parameters())
    assert "fc1" in dir(net.body)


def test_reassignment_deletion_and_errors():
    mlp = MLP()
    mlp.fc1 = nn.Linear(4, 3, bias=False)
    assert [n for n, _ in mlp.named_parameters()][:1] == ["fc1.weight"]
    mlp.fc2 = None
    assert mlp.fc2 is None and "fc2.weight" not in mlp.state_dict()
    with pytest.raises(TypeError, match="assign a Module"):
        mlp.fc2 = 3
    del mlp.fc1
    assert "fc1" not in dict(mlp.named_children())
    with pytest.raises(AttributeError, match="no attribute 'fc1'"):
        mlp.fc1
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="nn.Parameter"):
        layer.weight = tg.zeros(2, 2)
    with pytest.raises(TypeError, match="nn.Parameter"):
        layer.register_parameter("w", tg.zeros(2))
    with pytest.raises(KeyError, match="without '.'"):
        layer.register_buffer("a.b", tg.zeros(1))

    class Forgetful(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Forgetful()


def test_shared_parameters_are_listed_once():
    shared = nn.Linear(3, 3)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2
    assert len(list(model.modules())) == 3
    model(tg.randn(2, 3)).sum().backward()
    assert shared.weight.grad is not None


def test_train_eval_propagate():
    net = Net()
    assert net.training and net.body.fc1.training
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(TypeError, match="bool"):
        net.train("yes")


def test_zero_grad_and_requires_grad_():
    mlp = MLP()
    mlp(tg.randn(5, 4)).sum().backward()
    assert all(p.grad is not None for p in mlp.parameters())
    grad = mlp.fc1.weight.grad
    mlp.zero_grad(set_to_none=False)
    assert mlp.fc1.weight.grad is grad and not grad.data.any()
    mlp.zero_grad()
    assert all(p.grad is None for p in mlp.parameters())
    mlp.requires_grad_(False)
    assert not any(p.requires_grad for p in mlp.parameters())


def test_state_dict_contents_and_round_trip():
    tg.manual_seed(0)
    net = Net()
    net(tg.randn(6, 4))  # moves BatchNorm's running statistics
    state = net.state_dict()
    assert list(state)[:2] == ["temperature", "body.fc1.weight"]
    assert "norm.running_mean" in state and "norm.num_batches_tracked" in state
    assert all(not t.requires_grad for t in state.values())
    assert np.shares_memory(state["body.fc1.weight"].data, net.body.fc1.weight.data)
    tg.manual_seed(1)
    other = Net()
    weight = other.body.fc1.weight
    result = other.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert other.body.fc1.weight is weight  # loaded in place: optimizers keep working
    for key, value in other.state_dict().items():
        np.testing.assert_array_equal(value.data, state[key].data)
    x = tg.randn(3, 4)
    net.eval(), other.eval()
    np.testing.assert_array_equal(net(x).data, other(x).data)
    # ndarrays and float64 values load too (cast to the model's dtype).
    other.load_state_dict({k: v.data.astype(np.float64) if v.dtype.kind == "f" else v.data
                           for k, v in state.items()})
    assert other.body.fc1.weight.dtype == np.float32


def test_non_persistent_buffers_are_not_saved():
    module = nn.Module()
    module.register_buffer("kept", tg.zeros(2))
    module.register_buffer("scratch", tg.zeros(2), persistent=False)
    assert list(module.state_dict()) == ["kept"]
    assert [n for n, _ in module.named_buffers()] == ["kept", "scratch"]
    module.kept = tg.ones(2)   # assigning a Tensor to a buffer name replaces the buffer
    assert module.state_dict()["kept"].data.tolist() == [1, 1]


def test_load_state_dict_lists_every_problem_and_changes_nothing():
    model = MLP()
    before = {k: v.data.copy() for k, v in model.state_dict().items()}
    bad = {k: v.data + 1 for k, v in model.state_dict().items()}
    del bad["fc2.bias"]
    bad["fc1.weight"] = np.zeros((3, 5))
    bad["fc3.weight"] = np.zeros(1)
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(bad)
    message = str(info.value)
    assert "nothing was loaded" in message
    assert "fc1.weight: shape (3, 5) in the state dict, (3, 4) in the model" in message
    assert "missing key: fc2.bias" in message
    assert "unexpected key: fc3.weight" in message
    assert "strict=False" in message
    for key, value in model.state_dict().items():  # not even the good keys were loaded
        np.testing.assert_array_equal(value.data, before[key])


def test_load_state_dict_non_strict():
    model = MLP()
    partial = {"fc1.weight": np.ones((3, 4)), "extra": np.zeros(2)}
    result = model.load_state_dict(partial, strict=False)
    assert result.missing_keys == ["fc1.bias", "fc2.weight", "fc2.bias"]
    assert result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(model.fc1.weight.data, 1)
    # Shapes are checked even when not strict.
    with pytest.raises(RuntimeError, match="fc1.weight: shape"):
        model.load_state_dict({"fc1.weight": np.ones((4, 4))}, strict=False)
    with pytest.raises(RuntimeError, match="cannot be stored"):
        model.load_state_dict({"fc1.weight": np.array([["a"] * 4] * 3)}, strict=False)
    with pytest.raises(TypeError, match="mapping"):
        model.load_state_dict([1, 2])


def test_repr_is_a_tree_like_pytorchs():
    text = repr(Net())
    assert text.startswith("Net(\n  (body): MLP(\n    (fc1): Linear(in_features=4, "
                           "out_features=3, bias=True)\n    (act): ReLU()\n")
    assert "  (heads): ModuleList(\n    (0): Linear(in_features=2, out_features=1, bias=True)" \
        in text
    assert text.endswith("\n)")
    assert repr(nn.Conv2d(1, 2, 3, stride=2, padding=1, bias=False)) == \
        "Conv2d(1, 2, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)"


def test_summary_table_leaves_the_model_untouched(capsys):
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5), nn.Linear(64, 10))
    state = {k: v.data.copy() for k, v in model.state_dict().items()}
    model[5].eval()  # a mixed mode must be restored exactly
    text = model.summary((2, 1, 8, 8))
    assert capsys.readouterr().out.strip() == text.strip()
    lines = text.splitlines()
    assert any("0 (Conv2d)" in l and "[2, 4, 8, 8]" in l and l.rstrip().endswith("40")
               for l in lines)
    assert any("3 (MaxPool2d)" in l and "[2, 4, 4, 4]" in l for l in lines)
    assert any("6 (Linear)" in l and "[2, 10]" in l and "650" in l for l in lines)
    assert "Total params: 698" in text and "Trainable params: 698" in text
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value.data, state[key])   # running stats untouched
    assert model.training and model[0].training and not model[5].training
    assert all(not m._forward_hooks for m in model.modules())
    nested = Net().summary((3, 4), print_table=False)
    assert "body (MLP)" in nested and "  fc1 (Linear)" in nested


def test_forward_hooks():
    layer = nn.Linear(2, 2)
    seen = []
    handle = layer.register_forward_hook(lambda m, inputs, out: seen.append(out.shape))
    layer(tg.zeros(3, 2))
    handle.remove()
    layer(tg.zeros(3, 2))
    assert seen == [(3, 2)]
    layer.register_forward_hook(lambda m, inputs, out: out * 0)
    assert not layer(tg.ones(1, 2)).data.any()


def test_sequential_runs_hooks_and_a_redefined_call_of_its_modules():
    """Sequential skips Module.__call__ when it would only call forward; hooks and a
    subclass's own __call__ must still run."""
    class Doubling(nn.Module):
        def forward(self, x):
            return x * 2.0

    class LoudCall(Doubling):
        calls = 0

        def __call__(self, x):
            LoudCall.calls += 1
            return super().__call__(x)

    hooked, loud = Doubling(), LoudCall()
    seen = []
    hooked.register_forward_hook(lambda m, inputs, out: seen.append(out.data.tolist()))
    out = nn.Sequential(Doubling(), hooked, loud)(tg.ones(2))
    assert out.data.tolist() == [8.0, 8.0]
    assert seen == [[4.0, 4.0]] and LoudCall.calls == 1


def test_call_passes_keyword_arguments_with_and_without_hooks():
    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    module = Scale()
    assert module(tg.ones(2), factor=3.0).data.tolist() == [3.0, 3.0]
    assert module(tg.ones(2)).data.tolist() == [1.0, 1.0]
    seen = []
    module.register_forward_hook(lambda m, inputs, out: seen.append((len(inputs), out.shape)))
    assert module(tg.ones(2), factor=2.0).data.tolist() == [2.0, 2.0]
    assert seen == [(1, (2,))]


def test_containers():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear)
    assert isinstance(seq[:2], nn.Sequential) and len(seq[:2]) == 2
    with pytest.raises(IndexError, match="out of range"):
        seq[3]
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"]
    layers = nn.ModuleList([nn.Linear(1, 1)])
    layers.append(nn.Linear(1, 1)).extend([nn.Linear(1, 1)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    layers[0] = nn.Linear(1, 2)
    assert layers[0].out_features == 2
    with pytest.raises(NotImplementedError, match="iterate"):
        layers(tg.zeros(1))
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)


def test_to_double_keeps_parameter_objects():
    model = Net()
    params = list(model.parameters())
    model.double()
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model.norm.running_mean.dtype == np.float64
    assert model.norm.num_batches_tracked.dtype == np.int64
    model.float()
    assert model(tg.randn(2, 4)).dtype == np.float32


def test_training_step_keeps_float32_end_to_end():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 50), nn.ReLU(), nn.Linear(50, 10))
    x = tg.randn(8, 784)
    y = tg.randint(0, 10, (8,))
    loss = F.cross_entropy(model(x), y)
    assert loss.dtype == np.float32
    loss.backward()
    assert all(p.grad.dtype == np.float32 for p in model.parameters())


def test_deepcopy_makes_an_independent_model():
    import copy
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    clone = copy.deepcopy(model)
    assert isinstance(clone[0].weight, nn.Parameter) and clone[0].weight.requires_grad
    assert not np.shares_memory(clone[0].weight.data, model[0].weight.data)
    assert list(clone.state_dict()) == list(model.state_dict())
    clone[0].weight.data[...] = 0
    assert model[0].weight.data.any()


def test_summary_of_an_embedding_model_takes_a_dtype():
    model = nn.Sequential(nn.Embedding(10, 4), nn.Flatten(), nn.Linear(12, 2))
    text = model.summary((5, 3), dtype=np.int64, print_table=False)
    assert "[5, 3, 4]" in text and "Total params: 66" in text
