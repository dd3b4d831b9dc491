"""SGD's direct loop (``SGD._step_grads``) against the general path every other optimizer takes
(``Optimizer._step_grads``: lists of the parameters with gradients, then ``_update_param`` for
each), and the cases the direct loop must hand to the general path."""

import numpy as np
import pytest

from tinygrad_edu import optim
from tinygrad_edu.optim import _common
from tinygrad_edu.optim.optimizer import Optimizer
from tinygrad_edu.tensor import Tensor

# 0-d, small, mid-size (plain one-pass product) and large (the blocked product) parameters.
SHAPES = [(), (7,), (3, 5), (200, 300), (_common._PLAIN_MAX + 5,)]


def make(seed, shapes=SHAPES, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return [Tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in shapes]


def grads_for(params, seed, dtype=None):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(p.shape).astype(dtype or p.dtype) for p in params]


def step_with_grads(opt, params, seed):
    """Give ``params`` the gradients ``grads_for(params, seed)``, take one step, and return
    those gradients."""
    grads = grads_for(params, seed)
    for p, g in zip(params, grads):
        p.grad = Tensor(g)
    opt.step()
    return grads


def general_path(opt):
    """Make ``opt`` take the path of every other optimizer instead of the direct loop."""
    opt._step_grads = lambda group: Optimizer._step_grads(opt, group)
    return opt


@pytest.mark.parametrize("kw", [dict(lr=0.1), dict(lr=0.05, momentum=0.9),
                                dict(lr=0.1, weight_decay=0.01), dict(lr=0.1, maximize=True),
                                dict(lr=0.05, momentum=0.8, nesterov=True)])
def test_direct_loop_is_bit_identical_to_the_general_path(kw):
    direct, general = make(0), make(0)
    opt_d, opt_g = optim.SGD(direct, **kw), general_path(optim.SGD(general, **kw))
    for step in range(3):
        grads = grads_for(direct, step + 1)
        for p, q, g in zip(direct, general, grads):
            p.grad, q.grad = Tensor(g.copy()), Tensor(g.copy())
        opt_d.step()
        opt_g.step()
        for p, q, g in zip(direct, general, grads):
            assert np.array_equal(p.grad.data, g)   # .grad is never written into
            assert p.dtype == np.float32
            np.testing.assert_array_equal(p.data, q.data)
    assert not np.array_equal(direct[3].data, make(0)[3].data)


def test_one_group_of_float32_and_float64_parameters_in_turn():
    """The loop keeps the textbook step of one dtype at hand; parameters of the other dtype,
    in between, must still get their own lr, bit for bit as on the general path."""
    shapes = [(3,), (2, 2), (4,), (), (_common._PLAIN_MAX + 5,), (5,)]
    dtypes = [np.float32, np.float64, np.float32, np.float64, np.float32, np.float32]

    def mixed():
        rng = np.random.default_rng(9)
        return [Tensor(rng.standard_normal(s).astype(d), requires_grad=True)
                for s, d in zip(shapes, dtypes)]
    direct, general = mixed(), mixed()
    opt_d, opt_g = optim.SGD(direct, lr=0.3), general_path(optim.SGD(general, lr=0.3))
    for step in range(3):
        for p, q, g in zip(direct, general, grads_for(direct, step)):
            p.grad, q.grad = Tensor(g.copy()), Tensor(g.copy())
        opt_d.step()
        opt_g.step()
        for p, q, d in zip(direct, general, dtypes):
            assert p.dtype == d
            np.testing.assert_array_equal(p.data, q.data)


def test_plain_step_is_the_textbook_rule_at_every_size():
    params = make(1)
    opt = optim.SGD(params, lr=0.1)
    for step in range(3):   # the first step makes the state; the direct loop runs after it
        start = [p.data.copy() for p in params]
        grads = step_with_grads(opt, params, step)
        for p, s, g in zip(params, start, grads):
            np.testing.assert_array_equal(p.data, s - g * np.float32(0.1))


def test_large_parameters_take_the_blocked_product():
    """Above _PLAIN_MAX elements the product is formed block by block, so the scratch buffer
    stays one block long instead of growing to the parameter's size."""
    p = make(1, shapes=[(_common._PLAIN_MAX + 5,)])[0]
    opt = optim.SGD([p], lr=0.1)
    for step in range(2):
        step_with_grads(opt, [p], step)
    assert opt._scratch._buffers[np.dtype(np.float32)].size == _common._BLOCK


def test_parameter_without_gradient_is_skipped_and_gets_no_state():
    a, b, c = make(2, shapes=[(4,), (4,), (2, 2)])
    b0 = b.data.copy()
    opt = optim.SGD([a, b, c], lr=0.5)
    a.grad, c.grad = Tensor(np.ones(4, np.float32)), Tensor(np.ones((2, 2), np.float32))
    opt.step()
    assert np.array_equal(b.data, b0) and b not in opt.state
    assert a in opt.state and c in opt.state
    b.grad = Tensor(np.ones(4, np.float32))
    a.grad = None
    opt.step()
    np.testing.assert_array_equal(b.data, b0 - np.float32(0.5))


@pytest.mark.parametrize("kw", [dict(lr=0.1), dict(lr=0.1, momentum=0.9)])
def test_float64_gradient_on_a_float32_parameter(kw):
    """The gradient is cast to the parameter's dtype first, at every step (not only the first,
    when the state is made), and the parameter and its state stay float32."""
    p = make(3, shapes=[(40, 50)])[0]
    q = Tensor(p.data.copy(), requires_grad=True)
    opt_p, opt_q = optim.SGD([p], **kw), optim.SGD([q], **kw)
    for step in range(3):
        g = grads_for([p], step, dtype=np.float64)[0]
        p.grad, q.grad = Tensor(g), Tensor(g.astype(np.float32))
        before = p.data.copy()
        opt_p.step()
        opt_q.step()
        assert p.dtype == np.float32
        np.testing.assert_array_equal(p.data, q.data)
        if step > 0 and not kw.get("momentum"):   # the data can tell a float64 product apart
            uncast = before - (g * np.float64(np.float32(0.1))).astype(np.float32)
            assert not np.array_equal(p.data, uncast)
    buf = opt_p.state[p]["momentum_buffer"]
    assert buf is None or buf.dtype == np.float32


def test_lr_changed_by_a_scheduler_mid_run_takes_effect():
    p = make(4, shapes=[(5,)])[0]
    opt = optim.SGD([p], lr=1.0)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    expected = p.data.copy()
    ones = np.ones(5, np.float32)
    for lr in (1.0, 0.5, 0.25):
        p.grad = Tensor(ones)
        opt.step()
        expected = expected - ones * np.float32(lr)
        np.testing.assert_array_equal(p.data, expected)
        sched.step()
    opt.param_groups[0]["lr"] = 2.0   # by hand, too
    p.grad = Tensor(ones)
    opt.step()
    np.testing.assert_array_equal(p.data, expected - np.float32(2.0))


def test_params_added_later_and_group_lists_replaced_are_seen():
    a, b, c = make(5, shapes=[(3,), (3,), (2,)])
    start = [t.data.copy() for t in (a, b, c)]
    opt = optim.SGD([a], lr=0.1)
    opt.add_param_group({"params": [b], "lr": 0.01, "momentum": 0.9})
    opt.param_groups[0]["params"] = [a, c]   # replaced by the user
    for t in (a, b, c):
        t.grad = Tensor(np.ones(t.shape, np.float32))
    opt.step()
    np.testing.assert_array_equal(a.data, start[0] - np.float32(0.1))
    np.testing.assert_array_equal(b.data, start[1] - np.float32(0.01))
    np.testing.assert_array_equal(c.data, start[2] - np.float32(0.1))
    opt.zero_grad()
    assert a.grad is None and b.grad is None and c.grad is None


def test_zero_grad_keeps_arrays_when_asked_and_sees_new_groups():
    a, b = make(6, shapes=[(3,), (2,)])
    opt = optim.SGD([a], lr=0.1)
    opt.add_param_group({"params": [b]})
    a.grad, b.grad = Tensor(np.ones(3, np.float32)), Tensor(np.ones(2, np.float32))
    kept = b.grad.data
    opt.zero_grad(set_to_none=False)
    assert b.grad.data is kept and not kept.any() and not a.grad.data.any()
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    opt.zero_grad()   # nothing to forget: still fine
    opt.step()        # and no gradients: nothing moves
    assert not opt.state


def test_state_dict_round_trip_after_plain_steps():
    params, twins = make(7), make(7)
    opt = optim.SGD(params, lr=0.1)
    for step in range(2):
        step_with_grads(opt, params, step)
    saved = opt.state_dict()
    assert sorted(saved["state"]) == list(range(len(params)))
    assert all(s == {"momentum_buffer": None} for s in saved["state"].values())
    for p, q in zip(params, twins):
        q.data[...] = p.data
    opt2 = optim.SGD(twins, lr=5.0)
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["lr"] == 0.1
    for opt_, ps in ((opt, params), (opt2, twins)):
        step_with_grads(opt_, ps, 9)
    for p, q in zip(params, twins):
        np.testing.assert_array_equal(p.data, q.data)


def test_float64_parameters_get_their_own_scratch():
    params = make(8, shapes=[(30, 40)], dtype=np.float64) + make(8, shapes=[(30, 40)])
    opt = optim.SGD(params, lr=0.1)
    for step in range(3):
        start = [p.data.copy() for p in params]
        grads = step_with_grads(opt, params, step)
        for p, s, g in zip(params, start, grads):
            assert p.dtype == g.dtype
            np.testing.assert_array_equal(p.data, s - g * p.dtype.type(0.1))


# --- Scratch ---------------------------------------------------------------------------------

def test_scratch_views_have_the_shape_and_dtype_asked_and_share_one_buffer():
    scratch = _common.Scratch()
    a = scratch.like(np.zeros((4, 5), np.float32))
    b = scratch.views[np.dtype(np.float32), (20,)]
    c = scratch.like(np.zeros((2, 2), np.float64))
    assert a.shape == (4, 5) and a.dtype == np.float32 and b.shape == (20,)
    assert c.dtype == np.float64
    assert np.shares_memory(a, b) and not np.shares_memory(a, c)
    assert scratch.like(np.ones((4, 5), np.float32)) is a   # kept, not made again
    assert scratch.like(np.ones((), np.float32)).shape == ()


def test_scratch_growth_drops_views_of_the_old_buffer():
    scratch = _common.Scratch()
    small = scratch.like(np.zeros(10, np.float32))
    other = scratch.like(np.zeros(3, np.float64))
    big = scratch.like(np.zeros(1000, np.float32))
    again = scratch.like(np.zeros(10, np.float32))
    assert again is not small and np.shares_memory(again, big)
    assert scratch.like(np.zeros(3, np.float64)) is other   # another dtype's views stay
    flat = scratch.flat(np.dtype(np.float32), 500)
    assert flat.shape == (500,) and np.shares_memory(flat, big)


def test_scratch_keeps_a_bounded_number_of_views():
    scratch = _common.Scratch()
    for n in range(1, 2 * _common._MAX_VIEWS):
        scratch.like(np.zeros((n, 1), np.float32))
    assert len(scratch.views) <= _common._MAX_VIEWS
