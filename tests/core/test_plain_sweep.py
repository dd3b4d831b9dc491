"""``loss.backward()`` runs the plain sweep (``run_plain_backward``); every other backward runs
``run_backward``. On any graph the plain sweep accepts, the two must leave the same gradients,
bit for bit, in the same dtypes, with the same hooks called on the same values."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.autograd.engine import run_backward, run_plain_backward

SHAPES = [(), (3,), (2, 3), (1, 3)]
DTYPES = [np.float32, np.float64]
BINARY = ["add", "sub", "mul"]
UNARY = ["relu", "tanh", "sum0", "double", "neg_view"]


@st.composite
def programs(draw):
    """A random graph: leaves of broadcastable shapes and two dtypes, ops that reuse earlier
    results (so nodes have several consumers and leaves several gradients), hooks and
    retain_grad on some results, leaves that already hold a gradient."""
    leaves = draw(st.lists(st.tuples(st.sampled_from(SHAPES), st.sampled_from(DTYPES),
                                     st.booleans(), st.booleans()), min_size=1, max_size=4))
    steps = []
    for _ in range(draw(st.integers(1, 8))):
        size = len(leaves) + len(steps)
        if draw(st.booleans()):
            steps.append((draw(st.sampled_from(BINARY)), draw(st.integers(0, size - 1)),
                          draw(st.integers(0, size - 1))))
        else:
            steps.append((draw(st.sampled_from(UNARY)), draw(st.integers(0, size - 1)), None))
    size = len(leaves) + len(steps)
    outputs = draw(st.lists(st.integers(0, size - 1), min_size=1, max_size=3))
    hooked = draw(st.sets(st.integers(len(leaves), size - 1), max_size=2))
    retained = draw(st.sets(st.integers(len(leaves), size - 1), max_size=2))
    seed = draw(st.integers(0, 2**16))
    return leaves, steps, outputs, hooked, retained, seed


def run(program, sweep):
    """Build the program's graph afresh and differentiate it with ``sweep(loss)``; return
    what the backward left: every leaf's and retained tensor's gradient, and the hook log."""
    leaves_spec, steps, outputs, hooked, retained, seed = program
    rng = np.random.default_rng(seed)
    pool = []
    for shape, dtype, requires_grad, has_grad in leaves_spec:
        leaf = tg.Tensor(rng.uniform(-2, 2, shape).astype(dtype), requires_grad=requires_grad)
        if requires_grad and has_grad:
            leaf.grad = tg.Tensor(rng.uniform(-1, 1, shape).astype(dtype))
        pool.append(leaf)
    for op, a, b in steps:
        x = pool[a]
        if op in BINARY:
            y = pool[b]
            out = x + y if op == "add" else x - y if op == "sub" else x * y
        elif op == "relu":
            out = tg.relu(x)
        elif op == "tanh":
            out = tg.tanh(x)
        elif op == "sum0":
            out = x.sum(axis=0) if x.ndim else x * 1.0
        elif op == "double":
            out = x * 2.0
        else:   # a movement op whose gradient is a view (of the same shape)
            out = -(x[::-1]) if x.ndim else -x
        pool.append(out)
    log = []
    for i in sorted(hooked):
        if pool[i].requires_grad:
            pool[i].register_hook(lambda g, i=i: log.append((i, g.data.copy())) or g * 0.5)
    for i in sorted(retained):
        if pool[i].requires_grad:
            pool[i].retain_grad()
    loss = sum((pool[i].sum() for i in outputs), tg.Tensor(0.0))
    if loss.grad_fn is None:
        return None
    sweep(loss)
    grads = [None if t.grad is None else t.grad.data for t in pool]
    return grads, log


def general(loss):
    run_backward([loss], None, retain_graph=False, create_graph=False)


def plain(loss):
    run_plain_backward(loss, False)


def assert_same(ours, theirs):
    if ours is None or theirs is None:
        assert ours is theirs
        return
    (grads_a, log_a), (grads_b, log_b) = ours, theirs
    for a, b in zip(grads_a, grads_b):
        assert (a is None) == (b is None)
        if a is not None:
            assert type(a) is np.ndarray and a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a, b)
            assert a.base is None and a.flags.writeable
    arrays = [a for a in grads_a if a is not None]
    assert len({id(a) for a in arrays}) == len(arrays)   # no two tensors share a .grad array
    assert [i for i, _ in log_a] == [i for i, _ in log_b]
    for (_, g), (_, h) in zip(log_a, log_b):
        np.testing.assert_array_equal(g, h)


# Cases a small derandomized run might not draw: 0-d operands of two dtypes (a NumPy scalar
# gradient of the wrong dtype, to be cast), and a view gradient reaching two leaves through a
# hooked, retained, shared intermediate.
@example(([((), np.float32, True, False), ((), np.float64, True, True)], [("mul", 0, 1)], [2],
          set(), set(), 0))
@example(([((2, 3), np.float32, True, True), ((1, 3), np.float32, True, False)],
          [("add", 0, 1), ("neg_view", 2, None), ("mul", 3, 2), ("sum0", 4, None)], [3, 5],
          {2}, {3}, 1))
@given(programs())
def test_the_plain_sweep_leaves_what_the_general_sweep_leaves(program):
    assert_same(run(program, plain), run(program, general))


@given(programs())
def test_loss_backward_takes_the_plain_sweep_and_agrees_with_it(program):
    assert_same(run(program, lambda loss: loss.backward()), run(program, general))


def test_loss_backward_runs_the_plain_sweep_unless_anomaly_detection_is_on(monkeypatch):
    tensor_module = sys.modules["tinygrad_edu.tensor"]   # (tg.tensor is the function)
    calls = []

    def counted(root, retain_graph):
        calls.append(retain_graph)
        run_plain_backward(root, retain_graph)
    monkeypatch.setattr(tensor_module, "_run_plain_backward", counted)
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    assert calls == [False]
    with tg.autograd.detect_anomaly():
        (x * x).sum().backward(retain_graph=True)
    assert calls == [False]
    np.testing.assert_array_equal(x.grad.data, [4.0, 8.0])


def test_the_plain_sweep_keeps_or_frees_the_graph_as_asked():
    x = tg.Tensor([1.0, -2.0], requires_grad=True)
    loss = (tg.relu(x) * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_array_equal(x.grad.data, [4.0, 0.0])
    with pytest.raises(RuntimeError, match="retain_graph"):
        loss.backward()


@pytest.mark.parametrize("sweep", [plain, general], ids=["plain", "general"])
def test_gradients_repeat_to_the_last_bit(sweep):
    """Nodes of one generation that feed a shared input are visited in the order the sweep
    found them, not by address: the order of summing, and so the float32 result, repeats."""
    program = ([((1, 3), np.float32, True, False)],
               [("mul", 0, 0), ("mul", 0, 1), ("neg_view", 0, None), ("sum0", 2, None)],
               [0, 1, 3], set(), set(), 331)
    first = run(program, sweep)[0][0]
    for _ in range(20):
        np.testing.assert_array_equal(run(program, sweep)[0][0], first)
