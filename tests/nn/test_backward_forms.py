"""The fused nn ops (linear, the window ops of conv2d and the pools, the cross-entropies) each
have two backward forms: ``backward_arrays`` for the ordinary backward pass and ``backward`` for
``create_graph``. gradcheck proves the first against central differences and gradgradcheck
uses the second; here the two are required to agree on the same inputs, for every op and the
settings that take different paths (the op property tests do the same for the core ops)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.autograd import Function
from tinygrad_edu.nn import functional as F


def _leaf(rng, *shape, low=None, high=None):
    data = rng.uniform(low, high, shape) if low is not None else rng.standard_normal(shape)
    return tg.Tensor(data, requires_grad=True)   # float64


CASES = {
    "linear": lambda r: (F.linear, [_leaf(r, 4, 3), _leaf(r, 2, 3), _leaf(r, 2)]),
    "linear_3d": lambda r: (F.linear, [_leaf(r, 2, 4, 3), _leaf(r, 2, 3), _leaf(r, 2)]),
    "conv2d": lambda r: (lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
                         [_leaf(r, 2, 3, 5, 5), _leaf(r, 4, 3, 3, 3), _leaf(r, 4)]),
    "max_pool2d": lambda r: (lambda x: F.max_pool2d(x, 2), [_leaf(r, 1, 2, 4, 4)]),
    "avg_pool2d": lambda r: (lambda x: F.avg_pool2d(x, 2, stride=1, padding=1),
                             [_leaf(r, 1, 2, 4, 4)]),
    "unfold": lambda r: (lambda x: F.unfold(x, 2, stride=1, padding=1), [_leaf(r, 1, 2, 3, 3)]),
    "cross_entropy": lambda r: (lambda z: F.cross_entropy(z, np.array([0, 2, 1, 2])),
                                [_leaf(r, 4, 3)]),
    "cross_entropy_sum_none": lambda r: (
        lambda z: F.cross_entropy(z, np.array([0, 2, 1, 2]), reduction="none") * 1.5
        + F.cross_entropy(z, np.array([1, 1, 0, 2]), reduction="sum"), [_leaf(r, 4, 3)]),
    "cross_entropy_weighted_smoothed": lambda r: (
        lambda z: F.cross_entropy(z, np.array([0, 2, 1, 2]), weight=np.array([1.0, 2.0, 0.5]),
                                  label_smoothing=0.2, ignore_index=1), [_leaf(r, 4, 3)]),
    "cross_entropy_probabilities": lambda r: (
        lambda z: F.cross_entropy(z, np.full((4, 3), 1 / 3)), [_leaf(r, 4, 3)]),
    "binary_cross_entropy": lambda r: (
        lambda x, y: F.binary_cross_entropy(x, y, weight=np.array([1.0, 2.0, 0.5])),
        [_leaf(r, 2, 3, low=0.05, high=0.95), _leaf(r, 2, 3, low=0.0, high=1.0)]),
}


def _grads(fn, inputs, upstream, create_graph):
    out = fn(*inputs)
    return tg.autograd.grad(out, inputs, tg.Tensor(upstream), create_graph=create_graph,
                            allow_unused=True)


@pytest.mark.parametrize("name", sorted(CASES))
def test_both_backward_forms_give_the_same_gradient(name):
    rng = np.random.default_rng(7)
    fn, inputs = CASES[name](rng)
    upstream = rng.standard_normal(fn(*inputs).shape)
    on_arrays = _grads(fn, inputs, upstream, create_graph=False)
    recorded = _grads(fn, inputs, upstream, create_graph=True)
    for i, (a, r) in enumerate(zip(on_arrays, recorded)):
        assert (a is None) == (r is None), f"{name}: input {i}"
        if a is not None:
            np.testing.assert_allclose(a.data, r.data, rtol=1e-9, atol=1e-12,
                                       err_msg=f"{name}: input {i}")


def test_fold_backward_forms_agree_on_a_second_derivative():
    """Fold appears in the recorded backward of unfold; differentiating that gradient runs
    Fold's own backward, in either form."""
    rng = np.random.default_rng(8)
    x = _leaf(rng, 1, 2, 3, 3)
    probe = tg.Tensor(rng.standard_normal(x.shape))

    def second(create_graph):
        (g,) = tg.autograd.grad((F.unfold(x, 2, padding=1) ** 2).sum(), [x],
                                create_graph=True)
        return tg.autograd.grad((g * probe).sum(), [x], create_graph=create_graph)[0]

    np.testing.assert_allclose(second(False).data, second(True).data, rtol=1e-9, atol=1e-12)


def test_every_nn_function_has_both_backward_forms():
    from tinygrad_edu.nn import functional_conv, functional_losses
    from tinygrad_edu.nn import functional as functional_module
    found = [obj for module in (functional_conv, functional_losses, functional_module)
             for obj in vars(module).values()
             if isinstance(obj, type) and issubclass(obj, Function) and obj is not Function]
    assert found
    missing = [cls.__name__ for cls in found if cls.backward_arrays is None]
    assert not missing, f"nn Functions without backward_arrays: {missing}"
