"""Losses: gradients (Hypothesis + gradcheck in float64, random upstream gradient for
reduction='none'), values against PyTorch's definitions written out in NumPy, and errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.autograd import gradcheck, gradgradcheck
from tinygrad_edu.nn import functional as F

seeds = st.integers(0, 2**31 - 1)
reductions = st.sampled_from(["mean", "sum", "none"])


def leaf(rng, *shape, scale=1.0):
    return tg.Tensor(rng.standard_normal(shape) * scale, requires_grad=True)


def reduce(values, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction](values)


def log_softmax_np(z, axis):
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


# --- regression losses ----------------------------------------------------------------------

def huber_np(d, delta):
    return np.where(np.abs(d) < delta, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta))


def smooth_l1_np(d, beta):
    return np.where(np.abs(d) < beta, 0.5 * d * d / beta, np.abs(d) - 0.5 * beta)


REGRESSION = {
    "mse": (lambda x, y, r: F.mse_loss(x, y, r), lambda d: d * d, nn.MSELoss),
    "l1": (lambda x, y, r: F.l1_loss(x, y, r), np.abs, nn.L1Loss),
    "huber": (lambda x, y, r: F.huber_loss(x, y, r, delta=0.7), lambda d: huber_np(d, 0.7),
              lambda reduction: nn.HuberLoss(reduction, delta=0.7)),
    "smooth_l1": (lambda x, y, r: F.smooth_l1_loss(x, y, r, beta=0.5),
                  lambda d: smooth_l1_np(d, 0.5),
                  lambda reduction: nn.SmoothL1Loss(reduction, beta=0.5)),
}


@pytest.mark.parametrize("name", sorted(REGRESSION))
@given(seed=seeds, reduction=reductions,
       shape=st.sampled_from([(3,), (2, 3), (2, 1, 3)]))
def test_regression_loss_gradients(name, seed, reduction, shape):
    loss, _, _ = REGRESSION[name]
    rng = np.random.default_rng(seed)
    # Gradients with respect to both the input and the target.
    gradcheck(lambda x, y: loss(x, y, reduction), [leaf(rng, *shape), leaf(rng, *shape)],
              seed=seed)


@pytest.mark.parametrize("name", sorted(REGRESSION))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_loss_values(name, reduction):
    loss, elementwise, module = REGRESSION[name]
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 5)).astype(np.float32) * 2
    y = rng.standard_normal((4, 5)).astype(np.float32)
    expected = reduce(elementwise(x.astype(np.float64) - y), reduction)
    for out in (loss(tg.Tensor(x), tg.Tensor(y), reduction), module(reduction=reduction)(
            tg.Tensor(x), y)):
        assert out.dtype == np.float32
        np.testing.assert_allclose(out.data, expected, rtol=1e-5, atol=1e-6)


def test_regression_target_checks_and_dtypes():
    x = tg.randn(3, 2)
    with pytest.raises(ValueError, match=r"target shape \(3,\) differs from input shape"):
        F.mse_loss(x, tg.randn(3))
    with pytest.raises(ValueError, match="reduction"):
        F.l1_loss(x, x, reduction="avg")
    # A float64 or int target does not turn the loss into float64.
    assert F.mse_loss(x, np.zeros((3, 2))).dtype == np.float32
    assert F.mse_loss(x, np.zeros((3, 2), dtype=np.int64)).dtype == np.float32
    assert F.smooth_l1_loss(x, x, beta=0.0).item() == 0.0
    with pytest.raises(ValueError, match="delta"):
        nn.HuberLoss(delta=0)


# --- cross entropy --------------------------------------------------------------------------

def cross_entropy_np(z, target, weight=None, ignore_index=-100, reduction="mean",
                     smoothing=0.0):
    """PyTorch's definition for (N, C) logits, written out directly."""
    n, c = z.shape
    logp = log_softmax_np(z.astype(np.float64), axis=1)
    w = np.ones(c) if weight is None else weight
    if target.dtype.kind == "f":
        q = target * (1 - smoothing) + smoothing / c
        losses = -(logp * q * w).sum(axis=1)
        return losses.sum() / n if reduction == "mean" else reduce(losses, reduction)
    valid = target != ignore_index
    t = np.where(valid, target, 0)
    nll = -w[t] * logp[np.arange(n), t] * valid
    smooth = -(logp * w).sum(axis=1) * valid
    losses = (1 - smoothing) * nll + smoothing / c * smooth
    if reduction == "mean":
        return losses.sum() / (w[t] * valid).sum()
    return reduce(losses, reduction)


ce_settings = st.fixed_dictionaries({
    "weight": st.booleans(), "ignore": st.booleans(), "smoothing": st.sampled_from([0.0, 0.2]),
    "reduction": reductions, "probs": st.booleans()})


@given(seeds, st.integers(1, 4), st.integers(2, 4), ce_settings)
def test_cross_entropy_gradients(seed, n, c, s):
    rng = np.random.default_rng(seed)
    z = leaf(rng, n, c, scale=2.0)
    weight = rng.random(c) + 0.5 if s["weight"] else None
    kwargs = dict(weight=weight, reduction=s["reduction"], label_smoothing=s["smoothing"])
    if s["probs"]:
        target = rng.dirichlet(np.ones(c), size=n)
    else:
        target = rng.integers(0, c, n)
        if s["ignore"] and n > 1:
            target[0] = c  # ignore_index = c: the first sample is skipped
            kwargs["ignore_index"] = c
    gradcheck(lambda z: F.cross_entropy(z, target, **kwargs), [z], seed=seed)


@given(seeds, st.integers(1, 5), st.integers(2, 5), reductions)
def test_cross_entropy_plain_index_gradients(seed, n, c, reduction):
    """The common case (class indices, no weight, smoothing or ignoring) has its own fast path:
    it gets its own property test."""
    rng = np.random.default_rng(seed)
    target = rng.integers(0, c, n)
    gradcheck(lambda z: F.cross_entropy(z, target, reduction=reduction),
              [leaf(rng, n, c, scale=2.0)], seed=seed)


@given(seeds, ce_settings)
def test_cross_entropy_values(seed, s):
    rng = np.random.default_rng(seed)
    n, c = 5, 4
    z = (rng.standard_normal((n, c)) * 3).astype(np.float32)
    weight = (rng.random(c) + 0.5).astype(np.float32) if s["weight"] else None
    kwargs = dict(weight=weight, reduction=s["reduction"], label_smoothing=s["smoothing"])
    if s["probs"]:
        target = rng.dirichlet(np.ones(c), size=n).astype(np.float32)
    else:
        target = rng.integers(0, c, n)
        if s["ignore"]:
            target[1] = -1
            kwargs["ignore_index"] = -1
    out = F.cross_entropy(tg.Tensor(z), tg.Tensor(target), **kwargs)
    expected = cross_entropy_np(z, target, weight, kwargs.get("ignore_index", -100),
                                s["reduction"], s["smoothing"])
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, expected, rtol=1e-5, atol=1e-6)
    module = nn.CrossEntropyLoss(**kwargs)
    np.testing.assert_allclose(module(tg.Tensor(z), target).data, expected, rtol=1e-5,
                               atol=1e-6)


def test_cross_entropy_one_hot_equals_indices_and_grad_is_softmax_minus_one_hot():
    rng = np.random.default_rng(0)
    z = tg.Tensor(rng.standard_normal((6, 3)).astype(np.float32), requires_grad=True)
    y = rng.integers(0, 3, 6)
    by_index = F.cross_entropy(z, y)
    by_one_hot = F.cross_entropy(z, F.one_hot(y, 3).float())
    np.testing.assert_allclose(by_index.data, by_one_hot.data, rtol=1e-6)
    by_index.backward()
    p = np.exp(log_softmax_np(z.data.astype(np.float64), 1))
    p[np.arange(6), y] -= 1
    np.testing.assert_allclose(z.grad.data, p / 6, rtol=1e-5, atol=1e-7)
    assert z.grad.dtype == np.float32


def test_cross_entropy_spatial_and_unbatched_inputs():
    rng = np.random.default_rng(1)
    z = rng.standard_normal((2, 3, 4, 5))
    y = rng.integers(0, 3, (2, 4, 5))
    rows = z.transpose(0, 2, 3, 1).reshape(-1, 3)
    out = F.cross_entropy(tg.Tensor(z), y, reduction="none")
    assert out.shape == (2, 4, 5)
    np.testing.assert_allclose(out.data.reshape(-1),
                               cross_entropy_np(rows, y.reshape(-1), reduction="none"))
    gradcheck(lambda z: F.cross_entropy(z, y[:, :2, :2]),
              [tg.Tensor(z[:, :, :2, :2], requires_grad=True)])
    single = F.cross_entropy(tg.Tensor(z[0, :, 0, 0]), np.array(2))
    np.testing.assert_allclose(single.data, -log_softmax_np(z[0, :, 0, 0], 0)[2])


def test_cross_entropy_is_stable_for_huge_logits():
    z = tg.Tensor(np.array([[1e4, -1e4, 0.0], [-1e30, 1e30, 5.0]], dtype=np.float32),
                  requires_grad=True)
    loss = F.cross_entropy(z, np.array([0, 2]))
    loss.backward()
    assert np.isfinite(loss.data) and np.isfinite(z.grad.data).all()
    np.testing.assert_allclose(loss.data, (0 + 1e30 - 5) / 2, rtol=1e-6)


def test_cross_entropy_second_order():
    """The differentiable backward (create_graph) agrees with central differences."""
    rng = np.random.default_rng(2)
    for kwargs in ({}, {"label_smoothing": 0.1, "weight": np.array([1.0, 2.0, 0.5])},
                   {"reduction": "none"}):
        gradgradcheck(lambda z: F.cross_entropy(z, np.array([0, 2, 1]), **kwargs),
                      [leaf(rng, 3, 3)])
    gradgradcheck(lambda z: F.cross_entropy(z, rng_probs), [leaf(rng, 3, 3)])


rng_probs = np.random.default_rng(9).dirichlet(np.ones(3), size=3)


def test_cross_entropy_gradient_with_respect_to_probability_targets():
    rng = np.random.default_rng(3)
    gradcheck(lambda z, q: F.cross_entropy(z, q, label_smoothing=0.1),
              [leaf(rng, 3, 4), tg.Tensor(rng.dirichlet(np.ones(4), 3), requires_grad=True)])


def test_cross_entropy_errors():
    z = tg.randn(4, 3)
    with pytest.raises(IndexError, match="target class 3 is out of range for 3 classes"):
        F.cross_entropy(z, np.array([0, 1, 3, 2]))
    with pytest.raises(IndexError, match="target class -2"):
        F.cross_entropy(z, np.array([0, 1, -2, 2]))
    with pytest.raises(ValueError, match=r"must have shape \(4,\), got \(4, 1\)"):
        F.cross_entropy(z, np.zeros((4, 1), dtype=np.int64))
    with pytest.raises(ValueError, match="one_hot"):
        F.cross_entropy(z, np.zeros((4, 3), dtype=np.int64))
    with pytest.raises(ValueError, match=r"must have shape \(4, 3\)"):
        F.cross_entropy(z, np.zeros((4, 2), dtype=np.float32))
    with pytest.raises(TypeError, match="integer dtype"):
        F.cross_entropy(z, np.array([True, False, True, True]))
    with pytest.raises(ValueError, match="weight"):
        F.cross_entropy(z, np.array([0, 1, 2, 0]), weight=np.ones(4))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(z, np.array([0, 1, 2, 0]), label_smoothing=1.5)
    with pytest.raises(TypeError, match="floating point"):
        F.cross_entropy(tg.Tensor(np.zeros((4, 3), dtype=np.int64)), np.array([0, 1, 2, 0]))


@pytest.mark.parametrize("classes", [3, 32, 33, 70])
@pytest.mark.parametrize("layout", ["C", "F"])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_row_reductions_across_class_counts_and_layouts(classes, layout,
                                                                      weighted):
    """Few classes and many take different row max/sum routes, the plain case writes the
    gradient through a flat view, and a transposed (F-ordered) input must not break that."""
    rng = np.random.default_rng(classes)
    z_np = np.asarray((rng.standard_normal((9, classes)) * 4).astype(np.float32), order=layout)
    y = rng.integers(0, classes, 9)
    weight = (rng.random(classes) + 0.5).astype(np.float32) if weighted else None
    z = tg.Tensor(z_np, requires_grad=True)
    loss = F.cross_entropy(z, y, weight=weight)
    loss.backward()
    np.testing.assert_allclose(loss.data, cross_entropy_np(z_np, y, weight), rtol=1e-5)
    w = np.ones(classes) if weight is None else weight.astype(np.float64)
    expected = np.exp(log_softmax_np(z_np.astype(np.float64), 1)) * w[y][:, None]
    expected[np.arange(9), y] -= w[y]
    np.testing.assert_allclose(z.grad.data, expected / w[y].sum(), rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.uint64, np.dtype(">i8")])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_fast_path_matches_general_path(monkeypatch, dtype, reduction):
    """The common case skips the general checks; forcing the general path must give the same
    loss and gradient, bit for bit (they run the same kernel)."""
    from tinygrad_edu.nn import functional_losses
    rng = np.random.default_rng(4)
    z_np = rng.standard_normal((7, 5)).astype(np.float32)
    y = rng.integers(0, 5, 7).astype(dtype)

    def run():
        z = tg.Tensor(z_np, requires_grad=True)
        loss = F.cross_entropy(z, tg.Tensor(y), reduction=reduction)
        loss.backward()
        return loss.data, z.grad.data

    fast = run()
    monkeypatch.setattr(functional_losses, "_plain_index_targets", lambda *args: None)
    general = run()
    np.testing.assert_array_equal(fast[0], general[0])
    np.testing.assert_array_equal(fast[1], general[1])
    np.testing.assert_allclose(fast[0], cross_entropy_np(z_np, y.astype(np.int64),
                                                         reduction=reduction), rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int8, np.dtype(">i4")])
@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("classes", [4, 40])
def test_cross_entropy_range_check_for_each_integer_dtype(dtype, requires_grad, classes):
    """Logits that need a gradient take the training step's path, which checks the targets
    while placing them (one route for few classes, one for many); the others check first."""
    z = tg.randn(3, classes, requires_grad=requires_grad)
    for bad in (-1, classes, -128 if np.dtype(dtype).itemsize == 1 else -2**20):
        with pytest.raises(IndexError,
                           match=f"target class {bad} is out of range for {classes}"):
            F.cross_entropy(z, np.array([0, bad, 1], dtype=dtype))
    for unsigned, bad in ((np.uint16, classes), (np.uint64, 2**64 - 1), (np.uint64, 2**63)):
        with pytest.raises(IndexError, match=f"target class {bad} is out of range"):
            F.cross_entropy(z, np.array([0, bad, 1], dtype=unsigned))
    y = np.array([classes - 1, 0, 1], dtype=dtype)
    ok = F.cross_entropy(z, y)
    np.testing.assert_allclose(ok.data, cross_entropy_np(z.data, y.astype(np.int64)), rtol=1e-5)


@pytest.mark.parametrize("shape", [(1, 3), (4, 1), (1, 1), (1, 40), (3, 40)])
def test_cross_entropy_leaves_its_logits_unchanged(shape):
    """The loss works on a copy of the logits: with one row or one class, a transpose is
    already contiguous, and a copy made only when needed would be the logits themselves."""
    rng = np.random.default_rng(0)
    z_np = rng.standard_normal(shape).astype(np.float32)
    z = tg.Tensor(z_np.copy(), requires_grad=True)
    y = rng.integers(0, shape[1], shape[0])
    loss = F.cross_entropy(z, y)
    loss.backward()
    np.testing.assert_array_equal(z.data, z_np)
    np.testing.assert_allclose(loss.data, cross_entropy_np(z_np, y), rtol=1e-5, atol=1e-7)
    expected = np.exp(log_softmax_np(z_np.astype(np.float64), 1))
    expected[np.arange(shape[0]), y] -= 1
    np.testing.assert_allclose(z.grad.data, expected / shape[0], rtol=1e-4, atol=1e-7)


def test_cross_entropy_ignore_index_among_classes_still_ignores():
    """With ignore_index a valid class, the common case must not take the fast path."""
    z = tg.Tensor(np.array([[0.0, 1.0, 2.0], [3.0, 0.0, 1.0]], np.float32))
    out = F.cross_entropy(z, np.array([1, 0]), ignore_index=0)
    np.testing.assert_allclose(out.data, -log_softmax_np(z.data.astype(np.float64), 1)[0, 1],
                               rtol=1e-6)


def test_cross_entropy_all_ignored_gives_nan_like_pytorch():
    out = F.cross_entropy(tg.randn(2, 3), np.array([-100, -100]))
    assert np.isnan(out.data)


@pytest.mark.parametrize("classes", [3, 40])
def test_cross_entropy_ignores_the_default_ignore_index_on_the_training_path(classes):
    """-100 is not a class: the training step's path hands such targets to the general one."""
    rng = np.random.default_rng(1)
    z_np = rng.standard_normal((3, classes)).astype(np.float32)
    z = tg.Tensor(z_np, requires_grad=True)
    loss = F.cross_entropy(z, np.array([1, -100, 2]))
    loss.backward()
    logp = log_softmax_np(z_np.astype(np.float64), 1)
    np.testing.assert_allclose(loss.data, -(logp[0, 1] + logp[2, 2]) / 2, rtol=1e-5)
    assert not z.grad.data[1].any()


def test_cross_entropy_of_an_empty_batch():
    z = tg.Tensor(np.zeros((0, 3), np.float32), requires_grad=True)
    mean = F.cross_entropy(z, np.zeros(0, np.int64))
    assert np.isnan(mean.data) and mean.dtype == np.float32
    mean.backward()
    assert z.grad.shape == (0, 3)
    assert F.cross_entropy(z, np.zeros(0, np.int64), reduction="sum").item() == 0.0


# --- NLL ------------------------------------------------------------------------------------

@given(seeds, st.integers(1, 4), st.integers(2, 4), reductions, st.booleans(), st.booleans())
def test_nll_loss_gradients_and_values(seed, n, c, reduction, weighted, ignore):
    rng = np.random.default_rng(seed)
    x = leaf(rng, n, c)
    target = rng.integers(0, c, n)
    weight = rng.random(c) + 0.5 if weighted else None
    kwargs = dict(weight=weight, reduction=reduction)
    if ignore and n > 1:
        target[-1] = -100
    gradcheck(lambda x: F.nll_loss(x, target, **kwargs), [x], seed=seed)
    w = np.ones(c) if weight is None else weight
    valid = target != -100
    t = np.where(valid, target, 0)
    losses = -w[t] * x.data[np.arange(n), t] * valid
    expected = losses.sum() / (w[t] * valid).sum() if reduction == "mean" else \
        reduce(losses, reduction)
    np.testing.assert_allclose(nn.NLLLoss(**kwargs)(x, target).data, expected, rtol=1e-10)
    # cross_entropy is nll_loss of log_softmax.
    np.testing.assert_allclose(
        F.nll_loss(F.log_softmax(x, 1), target, **kwargs).data,
        F.cross_entropy(x, target, **kwargs).data, rtol=1e-10)


def test_nll_loss_errors():
    with pytest.raises(TypeError, match="class indices"):
        F.nll_loss(tg.randn(2, 3), np.zeros((2, 3), dtype=np.float32))
    with pytest.raises(IndexError, match="out of range"):
        F.nll_loss(tg.randn(2, 3), np.array([0, 5]))


# --- binary cross entropy -------------------------------------------------------------------

@given(seeds, reductions, st.booleans(), st.sampled_from([(3,), (2, 3)]))
def test_bce_gradients(seed, reduction, weighted, shape):
    rng = np.random.default_rng(seed)
    x = tg.Tensor(rng.uniform(0.05, 0.95, shape), requires_grad=True)
    y = tg.Tensor(rng.random(shape), requires_grad=True)
    weight = rng.random(shape[-1:]) + 0.5 if weighted else None
    gradcheck(lambda x, y: F.binary_cross_entropy(x, y, weight, reduction), [x, y], seed=seed)


@given(seeds, reductions, st.booleans(), st.booleans())
def test_bce_with_logits_gradients(seed, reduction, weighted, pos_weighted):
    rng = np.random.default_rng(seed)
    z, y = leaf(rng, 2, 3, scale=3.0), tg.Tensor(rng.random((2, 3)), requires_grad=True)
    weight = rng.random(3) + 0.5 if weighted else None
    pos_weight = rng.random(3) + 0.5 if pos_weighted else None
    gradcheck(lambda z, y: F.binary_cross_entropy_with_logits(z, y, weight, reduction,
                                                              pos_weight), [z, y], seed=seed)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_values(reduction):
    rng = np.random.default_rng(4)
    z = (rng.standard_normal((3, 4)) * 3).astype(np.float32)
    y = (rng.random((3, 4)) > 0.5).astype(np.float32)
    w = (rng.random(4) + 0.5).astype(np.float32)
    pw = (rng.random(4) + 0.5).astype(np.float32)
    p = 1 / (1 + np.exp(-z.astype(np.float64)))
    plain = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    np.testing.assert_allclose(nn.BCELoss(reduction=reduction)(tg.Tensor(p.astype(np.float32)),
                                                               y).data,
                               reduce(plain, reduction), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(nn.BCEWithLogitsLoss(reduction=reduction)(tg.Tensor(z), y).data,
                               reduce(plain, reduction), rtol=1e-5, atol=1e-6)
    weighted = -w * (pw * y * np.log(p) + (1 - y) * np.log(1 - p))
    out = nn.BCEWithLogitsLoss(weight=w, reduction=reduction, pos_weight=pw)(tg.Tensor(z), y)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, reduce(weighted, reduction), rtol=1e-5, atol=1e-6)
    out = F.binary_cross_entropy(tg.Tensor(p), y, weight=w, reduction=reduction)
    np.testing.assert_allclose(out.data, reduce(w * plain, reduction), rtol=1e-6)


def test_bce_extremes_and_errors():
    # log is clamped at -100 as in PyTorch: probability 0 for a positive costs 100.
    x = tg.Tensor(np.array([0.0, 1.0, 1.0], dtype=np.float32), requires_grad=True)
    loss = F.binary_cross_entropy(x, np.array([1.0, 1.0, 0.0]), reduction="none")
    np.testing.assert_allclose(loss.data, [100, 0, 100])
    loss.sum().backward()
    assert np.isfinite(x.grad.data).all()
    z = tg.Tensor(np.array([1e4, -1e4, 0.0], dtype=np.float32), requires_grad=True)
    logits_loss = F.binary_cross_entropy_with_logits(z, np.array([0.0, 1.0, 1.0]),
                                                     reduction="none")
    np.testing.assert_allclose(logits_loss.data, [1e4, 1e4, np.log(2)], rtol=1e-6)
    logits_loss.sum().backward()
    np.testing.assert_allclose(z.grad.data, [1, -1, -0.5])
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        F.binary_cross_entropy(tg.Tensor([0.5, 1.5]), [0.0, 1.0])
    with pytest.raises(ValueError, match="target shape"):
        F.binary_cross_entropy_with_logits(tg.randn(3), tg.zeros(3, 1))
    with pytest.raises(ValueError, match="does not broadcast"):
        F.binary_cross_entropy_with_logits(tg.randn(2, 3), tg.zeros(2, 3), weight=np.ones(2))


def test_one_hot():
    out = F.one_hot(np.array([[0, 2], [1, 1]]), 3)
    assert out.dtype == np.int64 and out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.data[0], [[1, 0, 0], [0, 0, 1]])
    assert F.one_hot(np.array([0, 4])).shape == (2, 5)
    with pytest.raises(ValueError, match="labels must be in"):
        F.one_hot(np.array([0, 3]), 3)
    with pytest.raises(TypeError, match="integers"):
        F.one_hot(np.array([0.0]), 3)


def test_loss_modules_repr():
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss(reduction='sum')"
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="max")


TESTED_LOSSES = {"MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "CrossEntropyLoss", "NLLLoss",
                 "BCELoss", "BCEWithLogitsLoss"}


def test_every_exported_loss_is_tested():
    from tinygrad_edu.nn.loss import _Loss
    losses = {name for name in nn.__all__ if isinstance(getattr(nn, name), type)
              and issubclass(getattr(nn, name), _Loss)}
    assert losses == TESTED_LOSSES


def test_cross_entropy_backward_through_a_retained_graph_accumulates_exactly():
    """Backward hands out the gradient cross-entropy saved; with retain_graph the node keeps
    it, so the leaf's .grad must be a copy (three backwards give exactly three gradients)."""
    rng = np.random.default_rng(2)
    z = tg.Tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    loss = F.cross_entropy(z, np.array([0, 2, 1, 1]))
    loss.backward(retain_graph=True)
    once = z.grad.data.copy()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(z.grad.data, 3 * once, rtol=1e-6)
