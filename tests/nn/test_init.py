"""nn.init: the distributions' statistics, gains, fans, reproducibility and in-place use."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import init


def big(*shape, dtype=np.float32):
    return nn.Parameter(np.zeros(shape), dtype=dtype)


def test_calculate_gain():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="unsupported nonlinearity 'gelu'"):
        init.calculate_gain("gelu")


def test_uniform_and_normal_statistics_in_place():
    tg.manual_seed(0)
    t = big(400, 500)
    data = t.data
    assert init.uniform_(t, -2.0, 3.0) is t and t.data is data  # in place, same array
    assert t.data.min() >= -2 and t.data.max() < 3
    assert abs(t.data.mean() - 0.5) < 0.02 and abs(t.data.var() - 25 / 12) < 0.03
    init.normal_(t, 1.0, 0.5)
    assert abs(t.data.mean() - 1.0) < 0.005 and abs(t.data.std() - 0.5) < 0.005
    assert t.dtype == np.float32 and t.requires_grad and t.grad_fn is None


def test_constant_zeros_ones():
    t = big(3, 4)
    init.constant_(t, 2.5)
    assert (t.data == 2.5).all()
    init.ones_(t)
    assert (t.data == 1).all()
    init.zeros_(t)
    assert not t.data.any()


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming_statistics(mode):
    tg.manual_seed(1)
    t = big(300, 200, 3, 3)
    fan = 200 * 9 if mode == "fan_in" else 300 * 9
    std = math.sqrt(2.0) / math.sqrt(fan)
    init.kaiming_normal_(t, mode=mode, nonlinearity="relu")
    assert abs(t.data.std() - std) < 0.01 * std and abs(t.data.mean()) < 0.01 * std
    init.kaiming_uniform_(t, mode=mode, nonlinearity="relu")
    bound = math.sqrt(3.0) * std
    assert np.abs(t.data).max() <= bound and np.abs(t.data).max() > 0.99 * bound
    assert abs(t.data.std() - std) < 0.01 * std


def test_xavier_statistics():
    tg.manual_seed(2)
    t = big(300, 500)
    std = 2.0 * math.sqrt(2.0 / 800)
    init.xavier_normal_(t, gain=2.0)
    assert abs(t.data.std() - std) < 0.01 * std
    init.xavier_uniform_(t)
    bound = math.sqrt(6.0 / 800)
    assert np.abs(t.data).max() <= bound and abs(t.data.std() - bound / math.sqrt(3)) < 0.01


def test_reproducible_with_manual_seed_and_dtype_kept():
    tg.manual_seed(5)
    a = init.kaiming_uniform_(big(4, 5, dtype=np.float64)).data.copy()
    tg.manual_seed(5)
    b = init.kaiming_uniform_(big(4, 5, dtype=np.float64)).data
    np.testing.assert_array_equal(a, b)
    assert b.dtype == np.float64
    tg.manual_seed(5)
    c = nn.Linear(5, 4).weight.data
    tg.manual_seed(5)
    d = nn.Linear(5, 4).weight.data
    np.testing.assert_array_equal(c, d)


def test_errors():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.xavier_uniform_(big(5))
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_normal_(big(2, 2), mode="fan_avg")
    with pytest.raises(TypeError, match="floating point"):
        init.normal_(tg.Tensor(np.zeros(3, dtype=np.int64)))
    with pytest.raises(ValueError, match="lower bound"):
        init.uniform_(big(2), 1.0, 0.0)
    # In place on a tensor that requires grad is allowed (it runs under no_grad).
    t = big(2, 2)
    init.normal_(t)
    assert t.requires_grad
