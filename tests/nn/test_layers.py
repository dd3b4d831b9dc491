"""Layers: gradients (Hypothesis + gradcheck in float64, random upstream gradient) and values
against formulas written out independently in NumPy here."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.autograd import gradcheck, gradgradcheck, numerical_gradient
from tinygrad_edu.nn import functional as F

seeds = st.integers(0, 2**31 - 1)


def leaf(rng, *shape, scale=1.0):
    return tg.Tensor(rng.standard_normal(shape) * scale, requires_grad=True)


# --- reference implementations (plain loops: slow but obviously right) ----------------------

def conv2d_reference(x, w, b, stride, padding):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    oh = (h + 2 * padding - kh) // stride + 1
    ow = (wd + 2 * padding - kw) // stride + 1
    out = np.zeros((n, o, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    return out + (0 if b is None else b[None, :, None, None])


def pool_reference(x, k, stride, padding, reduce, fill):
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)),
                constant_values=fill)
    oh = (h + 2 * padding - k) // stride + 1
    ow = (w + 2 * padding - k) // stride + 1
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = reduce(xp[:, :, i * stride:i * stride + k,
                                        j * stride:j * stride + k], axis=(2, 3))
    return out


# --- Linear ---------------------------------------------------------------------------------

@given(seeds, st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.booleans(),
       st.sampled_from([(), (2,)]))
def test_linear_gradients(seed, n_in, n_out, batch, bias, extra):
    rng = np.random.default_rng(seed)
    x = leaf(rng, *extra, batch, n_in)
    w = leaf(rng, n_out, n_in)
    b = leaf(rng, n_out) if bias else None
    inputs = [x, w] + ([b] if bias else [])
    gradcheck(lambda x, w, *b: F.linear(x, w, b[0] if b else None), inputs, seed=seed)


def test_linear_second_order():
    rng = np.random.default_rng(0)
    gradgradcheck(lambda x, w, b: F.linear(x, w, b).tanh(),
                  [leaf(rng, 3, 2), leaf(rng, 4, 2), leaf(rng, 4)])


def test_linear_values_and_shapes():
    tg.manual_seed(0)
    layer = nn.Linear(5, 3)
    x = np.random.default_rng(1).standard_normal((4, 5)).astype(np.float32)
    out = layer(tg.Tensor(x))
    expected = x @ layer.weight.data.T + layer.bias.data
    np.testing.assert_allclose(out.data, expected, rtol=1e-6)
    assert out.dtype == np.float32
    assert layer(tg.Tensor(x[0])).shape == (3,)
    assert layer(tg.Tensor(np.zeros((2, 4, 5), np.float32))).shape == (2, 4, 3)
    no_bias = nn.Linear(5, 3, bias=False)
    assert no_bias.bias is None and len(list(no_bias.parameters())) == 1
    with pytest.raises(ValueError, match="in_features = 5"):
        layer(tg.zeros(4, 6))
    with pytest.raises(TypeError, match="dtype"):
        layer(tg.Tensor(x.astype(np.float64)))


def test_functional_linear_names_the_argument_that_does_not_fit():
    x = tg.zeros(4, 5)
    weight, bias = tg.zeros(3, 5, requires_grad=True), tg.zeros(3, requires_grad=True)
    with pytest.raises(ValueError, match=r"weight must be 2-D .* got shape \(15,\)"):
        F.linear(x, weight.reshape(15), bias)
    with pytest.raises(ValueError, match="in_features = 5"):
        F.linear(tg.Tensor(1.0), weight, bias)           # a 0-d input has no feature axis
    with pytest.raises(ValueError, match=r"bias must have shape \(3,\), got \(1,\)"):
        F.linear(x, weight, tg.zeros(1))                  # would broadcast silently
    with pytest.raises(ValueError, match=r"bias must have shape \(3,\), got \(4, 3\)"):
        F.linear(x, weight, tg.zeros(4, 3))               # would be added in place silently
    with pytest.raises(ValueError, match=r"input of shape \(2, 4, 6\) does not fit"):
        F.linear(tg.zeros(2, 4, 6), weight, bias)
    with pytest.raises(TypeError, match="float64 differs from weight dtype float32"):
        F.linear(x.double(), weight, bias)
    with pytest.raises(TypeError, match="float64 differs from weight dtype float32"):
        F.linear(x.double(), weight)                      # no bias: still the dtype named
    out = F.linear(x, weight.data, bias.data)             # arrays are accepted as constants
    assert out.shape == (4, 3) and out.grad_fn is None


def test_linear_default_init_bounds():
    tg.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)
    assert np.abs(layer.weight.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.95 * bound
    # U(-a, a) has standard deviation a / sqrt(3).
    assert abs(layer.weight.data.std() - bound / np.sqrt(3)) < 0.02 * bound
    assert np.abs(layer.bias.data).max() <= bound


# --- Conv2d and pools -----------------------------------------------------------------------

@given(seeds, st.integers(1, 2), st.integers(1, 2), st.integers(1, 2), st.integers(1, 3),
       st.integers(1, 2), st.integers(0, 1), st.booleans())
def test_conv2d_gradients(seed, n, c, o, k, stride, padding, bias):
    rng = np.random.default_rng(seed)
    size = k + rng.integers(0, 3)
    x = leaf(rng, n, c, size, size + 1)
    w = leaf(rng, o, c, k, k)
    b = leaf(rng, o) if bias else None
    inputs = [x, w] + ([b] if bias else [])
    gradcheck(lambda x, w, *b: F.conv2d(x, w, b[0] if b else None, stride, padding), inputs,
              seed=seed)


def test_conv2d_second_order():
    rng = np.random.default_rng(0)
    gradgradcheck(lambda x, w: F.conv2d(x, w, None, 1, 1),
                  [leaf(rng, 1, 1, 3, 3), leaf(rng, 2, 1, 2, 2)])


@pytest.mark.parametrize("stride,padding,k", [(1, 0, 3), (2, 1, 3), (1, 2, 5), (3, 0, 2)])
def test_conv2d_matches_loop_reference(stride, padding, k):
    rng = np.random.default_rng(stride + 7 * padding)
    x = rng.standard_normal((2, 3, 9, 8)).astype(np.float32)
    conv = nn.Conv2d(3, 4, k, stride=stride, padding=padding)
    out = conv(tg.Tensor(x))
    expected = conv2d_reference(x.astype(np.float64), conv.weight.data.astype(np.float64),
                                conv.bias.data.astype(np.float64), stride, padding)
    assert out.shape == expected.shape and out.dtype == np.float32
    np.testing.assert_allclose(out.data, expected, rtol=1e-4, atol=1e-5)


def test_conv2d_backward_matches_reference_gradient():
    """The input gradient of a convolution is the full correlation with the flipped kernel."""
    rng = np.random.default_rng(3)
    x = tg.Tensor(rng.standard_normal((1, 1, 5, 5)), requires_grad=True)
    w = tg.Tensor(rng.standard_normal((1, 1, 3, 3)))
    g = rng.standard_normal((1, 1, 3, 3))
    F.conv2d(x, w).backward(g)
    expected = conv2d_reference(g, w.data[:, :, ::-1, ::-1].transpose(1, 0, 2, 3), None, 1, 2)
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-10)


def test_conv2d_errors_and_init():
    with pytest.raises(ValueError, match=r"expected \(N, 3, H, W\)"):
        F.conv2d(tg.zeros(1, 2, 5, 5), tg.zeros(4, 3, 3, 3))
    with pytest.raises(ValueError, match="does not fit"):
        F.conv2d(tg.zeros(1, 3, 2, 2), tg.zeros(4, 3, 3, 3))
    with pytest.raises(ValueError, match="stride"):
        nn.Conv2d(1, 1, 3, stride=0)
    tg.manual_seed(0)
    conv = nn.Conv2d(16, 8, 3)
    bound = 1 / np.sqrt(16 * 9)
    assert np.abs(conv.weight.data).max() <= bound
    assert np.abs(conv.bias.data).max() <= bound
    assert conv.weight.dtype == np.float32


@given(seeds, st.integers(1, 3), st.integers(1, 3), st.integers(0, 1),
       st.sampled_from(["max", "avg"]))
def test_pool_gradients(seed, k, stride, padding, kind):
    padding = min(padding, k // 2)
    rng = np.random.default_rng(seed)
    x = leaf(rng, 2, 2, k + 2, k + 3)
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    gradcheck(lambda x: pool(x, k, stride, padding), [x], seed=seed)


@pytest.mark.parametrize("k,stride,padding", [(2, 2, 0), (3, 1, 1), (3, 2, 1), (2, 1, 0)])
def test_pools_match_loop_reference(k, stride, padding):
    x = np.random.default_rng(k).standard_normal((2, 3, 7, 6)).astype(np.float32)
    out = nn.MaxPool2d(k, stride, padding)(tg.Tensor(x))
    np.testing.assert_array_equal(out.data, pool_reference(x, k, stride, padding, np.max,
                                                           -np.inf))
    out = nn.AvgPool2d(k, stride, padding)(tg.Tensor(x))
    np.testing.assert_allclose(out.data, pool_reference(x, k, stride, padding, np.mean, 0.0),
                               rtol=1e-6)
    assert out.dtype == np.float32


def test_max_pool_gradient_goes_to_the_maximum():
    x = tg.Tensor(np.array([[[[1.0, 5.0], [2.0, 3.0]]]]), requires_grad=True)
    F.max_pool2d(x, 2).backward(np.array([[[[7.0]]]]))
    np.testing.assert_array_equal(x.grad.data, [[[[0, 7], [0, 0]]]])


def test_default_pool_stride_is_kernel_size():
    assert nn.MaxPool2d(2)(tg.zeros(1, 1, 6, 6)).shape == (1, 1, 3, 3)
    assert nn.AvgPool2d(3)(tg.zeros(1, 1, 6, 6)).shape == (1, 1, 2, 2)


# --- normalisation --------------------------------------------------------------------------

@given(seeds, st.sampled_from([(4, 3), (3, 2, 2), (2, 2, 2, 3)]), st.booleans())
def test_batch_norm_training_gradients(seed, shape, affine):
    rng = np.random.default_rng(seed)
    x = leaf(rng, *shape)
    c = shape[1]
    params = [leaf(rng, c), leaf(rng, c)] if affine else []
    gradcheck(lambda x, *p: F.batch_norm(x, None, None, *(p or (None, None)), training=True),
              [x] + params, seed=seed)


@given(seeds)
def test_batch_norm_eval_gradients(seed):
    rng = np.random.default_rng(seed)
    mean, var = tg.Tensor(rng.standard_normal(3)), tg.Tensor(rng.random(3) + 0.5)
    gradcheck(lambda x, w, b: F.batch_norm(x, mean, var, w, b, training=False),
              [leaf(rng, 4, 3, 2), leaf(rng, 3), leaf(rng, 3)], seed=seed)


def test_batch_norm_train_and_eval_values_and_running_stats():
    rng = np.random.default_rng(0)
    bn = nn.BatchNorm2d(3, momentum=0.1)
    bn.weight.data[:] = [1.0, 2.0, 0.5]
    bn.bias.data[:] = [0.0, 1.0, -1.0]
    x = (rng.standard_normal((4, 3, 5, 5)) * 3 + 2).astype(np.float32)
    out = bn(tg.Tensor(x)).data
    mean = x.mean(axis=(0, 2, 3))
    var = x.var(axis=(0, 2, 3))
    expected = ((x - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5)
                * bn.weight.data[None, :, None, None] + bn.bias.data[None, :, None, None])
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    n = x.size // 3
    np.testing.assert_allclose(bn.running_mean.data, 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.data, 0.9 + 0.1 * var * n / (n - 1), rtol=1e-5)
    assert int(bn.num_batches_tracked.data) == 1
    assert bn.running_mean.dtype == np.float32
    # Evaluation uses the running statistics and leaves them alone.
    bn.eval()
    before = bn.running_mean.data.copy()
    out = bn(tg.Tensor(x)).data
    expected = ((x - bn.running_mean.data[None, :, None, None])
                / np.sqrt(bn.running_var.data[None, :, None, None] + 1e-5)
                * bn.weight.data[None, :, None, None] + bn.bias.data[None, :, None, None])
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(bn.running_mean.data, before)
    assert int(bn.num_batches_tracked.data) == 1


def test_batch_norm_running_stats_converge_and_cumulative_momentum():
    rng = np.random.default_rng(1)
    bn = nn.BatchNorm1d(2, momentum=None)
    batches = [(rng.standard_normal((50, 2)) * [1.0, 3.0] + [5.0, -2.0]).astype(np.float32)
               for _ in range(20)]
    for batch in batches:
        bn(tg.Tensor(batch))
    everything = np.stack(batches)
    # momentum=None: the running mean is the plain average of the batch means.
    np.testing.assert_allclose(bn.running_mean.data, everything.mean(axis=(0, 1)), rtol=1e-4)
    assert np.allclose(bn.running_var.data, [1.0, 9.0], rtol=0.2)


def test_batch_norm_1d_shapes_and_errors():
    bn = nn.BatchNorm1d(3)
    assert bn(tg.randn(4, 3, 5)).shape == (4, 3, 5)
    with pytest.raises(ValueError, match="3 channels"):
        bn(tg.randn(4, 2))
    with pytest.raises(ValueError, match="more than 1 value"):
        bn(tg.randn(1, 3))
    no_stats = nn.BatchNorm1d(3, track_running_stats=False, affine=False).eval()
    assert "running_mean" not in no_stats.state_dict()
    out = no_stats(tg.Tensor(np.arange(12, dtype=np.float32).reshape(4, 3)))
    np.testing.assert_allclose(out.data.mean(axis=0), 0, atol=1e-6)


@given(seeds, st.sampled_from([((3, 4), (4,)), ((2, 3, 2), (3, 2)), ((5,), (5,))]),
       st.booleans())
def test_layer_norm_gradients(seed, shapes, affine):
    shape, normalized = shapes
    rng = np.random.default_rng(seed)
    params = [leaf(rng, *normalized), leaf(rng, *normalized)] if affine else []
    gradcheck(lambda x, *p: F.layer_norm(x, normalized, *(p or (None, None))),
              [leaf(rng, *shape)] + params, seed=seed)


def test_layer_norm_values():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 2, 4)).astype(np.float32) * 4 + 1
    ln = nn.LayerNorm((2, 4))
    ln.weight.data[...] = rng.standard_normal((2, 4))
    ln.bias.data[...] = rng.standard_normal((2, 4))
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-5) * ln.weight.data + ln.bias.data
    np.testing.assert_allclose(ln(tg.Tensor(x)).data, expected, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="normalized_shape"):
        ln(tg.zeros(3, 4, 2))


# --- Embedding ------------------------------------------------------------------------------

@given(seeds, st.integers(2, 5), st.integers(1, 3))
def test_embedding_gradients(seed, rows, dim):
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, rows, (2, 3))
    gradcheck(lambda w: F.embedding(idx, w), [leaf(rng, rows, dim)], seed=seed)


def test_embedding_values_padding_and_errors():
    tg.manual_seed(0)
    emb = nn.Embedding(5, 3, padding_idx=1)
    np.testing.assert_array_equal(emb.weight.data[1], 0)
    idx = np.array([[0, 1], [4, 1]])
    out = emb(tg.Tensor(idx))
    np.testing.assert_array_equal(out.data, emb.weight.data[idx])
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.data[1], 0)   # padding: no gradient
    np.testing.assert_array_equal(emb.weight.grad.data[0], 1)
    np.testing.assert_array_equal(emb.weight.grad.data[2], 0)
    with pytest.raises(IndexError, match="out of range"):
        emb(tg.Tensor(np.array([5])))
    with pytest.raises(TypeError, match="integers"):
        emb(tg.Tensor([0.0, 1.0]))


# --- Dropout --------------------------------------------------------------------------------

@given(seeds, st.sampled_from([0.0, 0.3, 0.5]))
def test_dropout_gradients(seed, p):
    rng = np.random.default_rng(seed)

    def fixed_mask_dropout(x):
        tg.manual_seed(seed)  # the same mask on every call of the numerical check
        return F.dropout(x, p, training=True)

    gradcheck(fixed_mask_dropout, [leaf(rng, 4, 5)], seed=seed)


def test_dropout_scaling_eval_identity_and_reproducibility():
    x = tg.ones(200, 500)
    drop = nn.Dropout(0.25)
    tg.manual_seed(0)
    out = drop(x).data
    kept = out != 0
    np.testing.assert_allclose(out[kept], 1 / 0.75, rtol=1e-6)
    assert abs(kept.mean() - 0.75) < 0.01
    assert abs(out.mean() - 1.0) < 0.01 and out.dtype == np.float32
    tg.manual_seed(0)
    np.testing.assert_array_equal(drop(x).data, out)
    assert drop.eval()(x) is x
    assert F.dropout(x, 1.0).data.max() == 0
    with pytest.raises(ValueError, match="probability"):
        nn.Dropout(1.5)


# --- activations, Flatten, Sequential -------------------------------------------------------

ACTIVATIONS = {
    "ReLU": (nn.ReLU(), lambda x: np.maximum(x, 0)),
    "LeakyReLU": (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    "Sigmoid": (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    "Tanh": (nn.Tanh(), np.tanh),
    "Softplus": (nn.Softplus(2.0), lambda x: np.log1p(np.exp(2 * x)) / 2),
    "Softmax": (nn.Softmax(dim=1),
                lambda x: np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)),
    "LogSoftmax": (nn.LogSoftmax(dim=0),
                   lambda x: x - np.log(np.exp(x).sum(axis=0, keepdims=True))),
    "Flatten": (nn.Flatten(), lambda x: x.reshape(x.shape[0], -1)),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_values(name):
    layer, reference = ACTIVATIONS[name]
    x = np.random.default_rng(0).standard_normal((3, 4, 2)).astype(np.float32)
    out = layer(tg.Tensor(x))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, reference(x.astype(np.float64)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@given(seed=seeds)
def test_activation_gradients(name, seed):
    layer, _ = ACTIVATIONS[name]
    gradcheck(layer, [leaf(np.random.default_rng(seed), 2, 3, 2)], seed=seed)


def test_small_cnn_end_to_end_gradients():
    """A whole float64 model against central differences, through every layer kind."""
    tg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.Tanh(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 3), nn.LayerNorm(3),
                          nn.Softplus())
    model.double()
    rng = np.random.default_rng(0)
    x = tg.Tensor(rng.standard_normal((2, 1, 4, 4)))
    v = rng.standard_normal((2, 3))

    def objective(_=None):
        return (model(x) * v).sum()

    objective().backward()
    for name, param in model.named_parameters():
        assert param.grad.dtype == np.float64
        numerical = numerical_gradient(objective, param)
        np.testing.assert_allclose(param.grad.data, numerical, rtol=1e-4, atol=1e-7,
                                   err_msg=name)


# Every layer exported by nn is listed here with the tests above that cover it; a new layer
# without a test fails the check below.
TESTED_LAYERS = {
    "Linear", "Conv2d", "MaxPool2d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm",
    "Embedding", "Dropout", "Sequential", "ModuleList", *ACTIVATIONS,
}


def test_every_exported_layer_is_tested():
    from tinygrad_edu.nn.loss import _Loss
    layers = {name for name in nn.__all__
              if isinstance(getattr(nn, name), type) and issubclass(getattr(nn, name), nn.Module)
              and not issubclass(getattr(nn, name), _Loss) and name != "Module"}
    assert layers == TESTED_LAYERS
