"""Learning-rate schedulers against their closed forms."""

import math

import numpy as np
import pytest

from tinygrad_edu import optim
from tinygrad_edu.optim import lr_scheduler
from tinygrad_edu.tensor import Tensor


def make_opt(lr=0.1, groups=1):
    params = [Tensor(np.zeros(2), requires_grad=True) for _ in range(groups)]
    return optim.SGD([{"params": [p], "lr": lr * (i + 1)} for i, p in enumerate(params)], lr=lr)


def lrs_over(sched, epochs):
    values = [sched.get_last_lr()]
    for _ in range(epochs):
        sched.optimizer.step()
        sched.step()
        values.append(sched.get_last_lr())
    return np.array(values)


def test_step_lr():
    opt = make_opt(0.1, groups=2)
    got = lrs_over(lr_scheduler.StepLR(opt, step_size=3, gamma=0.5), 10)
    e = np.arange(11)[:, None]
    np.testing.assert_allclose(got, np.array([[0.1, 0.2]]) * 0.5 ** (e // 3), rtol=1e-12)
    assert opt.param_groups[1]["lr"] == got[-1, 1]


def test_exponential_lr():
    got = lrs_over(lr_scheduler.ExponentialLR(make_opt(0.2), gamma=0.9), 12)
    np.testing.assert_allclose(got[:, 0], 0.2 * 0.9 ** np.arange(13), rtol=1e-12)


@pytest.mark.parametrize("eta_min", [0.0, 0.01])
def test_cosine_annealing_lr(eta_min):
    T = 5
    got = lrs_over(lr_scheduler.CosineAnnealingLR(make_opt(0.1), T_max=T, eta_min=eta_min),
                   3 * T)
    e = np.arange(3 * T + 1)
    closed = eta_min + (0.1 - eta_min) * (1 + np.cos(np.pi * e / T)) / 2
    np.testing.assert_allclose(got[:, 0], closed, rtol=1e-9, atol=1e-12)
    assert got[T, 0] == pytest.approx(eta_min, abs=1e-12)


def test_lambda_lr_per_group():
    opt = make_opt(0.1, groups=2)
    sched = lr_scheduler.LambdaLR(opt, [lambda e: 1 / (e + 1), lambda e: 0.5 ** e])
    got = lrs_over(sched, 4)
    e = np.arange(5)
    np.testing.assert_allclose(got[:, 0], 0.1 / (e + 1))
    np.testing.assert_allclose(got[:, 1], 0.2 * 0.5 ** e)
    with pytest.raises(ValueError, match="expected 2 lr_lambdas"):
        lr_scheduler.LambdaLR(opt, [lambda e: 1.0])


def test_chainable_with_hand_changed_lr():
    opt = make_opt(1.0)
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    sched.step()
    opt.param_groups[0]["lr"] = 10.0
    sched.step()
    assert sched.get_last_lr() == [5.0]


def test_scheduler_state_dict_resume():
    opt = make_opt(0.1)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=7)
    full = lrs_over(sched, 10)[:, 0]

    opt2 = make_opt(0.1)
    sched2 = lr_scheduler.CosineAnnealingLR(opt2, T_max=7)
    lrs_over(sched2, 4)
    saved_opt, saved_sched = opt2.state_dict(), sched2.state_dict()
    assert "optimizer" not in saved_sched

    opt3 = make_opt(0.1)
    sched3 = lr_scheduler.CosineAnnealingLR(opt3, T_max=7)
    opt3.load_state_dict(saved_opt)
    sched3.load_state_dict(saved_sched)
    rest = lrs_over(sched3, 6)[:, 0]
    assert np.array_equal(rest, full[4:])


def test_resume_with_last_epoch_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(make_opt(), step_size=2, last_epoch=3)


def test_reduce_lr_on_plateau_trace():
    opt = make_opt(1.0)
    sched = lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1, min_lr=0.2)
    losses = [1.0, 0.9] + [0.95] * 13
    got = []
    for loss in losses:
        sched.step(loss)
        got.append(sched.get_last_lr()[0])
    # improvements at epochs 1-2; bad epochs 3,4,5 -> cut after the 3rd (patience 2); then one
    # cooldown epoch that does not count, three bad epochs -> cut, and so on; 0.125 < min_lr.
    expected = [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2]
    assert got == expected


def test_reduce_lr_on_plateau_min_lr_and_modes():
    opt = make_opt(1.0)
    sched = lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=0.1, patience=0, min_lr=0.05)
    sched.step(1.0)     # improves on -inf
    sched.step(1.0)     # not better: cut to 0.1
    sched.step(0.5)     # cut to max(0.01, 0.05)
    sched.step(0.5)     # 0.05 -> 0.05: no change
    assert sched.get_last_lr() == [0.05]
    opt = make_opt(1.0)
    sched = lr_scheduler.ReduceLROnPlateau(opt, threshold=0.1, threshold_mode="abs", patience=0)
    sched.step(1.0)
    sched.step(0.95)    # better by less than 0.1: counts as bad
    assert sched.get_last_lr() == [pytest.approx(0.1)]
    with pytest.raises(ValueError, match="factor"):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match="mode"):
        lr_scheduler.ReduceLROnPlateau(opt, mode="up")
    assert math.isinf(lr_scheduler.ReduceLROnPlateau(opt).state_dict()["best"])
