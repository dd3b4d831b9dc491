"""Small parameters updated together in flat buckets: same results as one by one, same state.

Each optimizer is run twice on identical data: as is (small parameters of a group share flat
buckets) and with ``_flatten`` switched off on the instance (every parameter alone). The two
must agree bit for bit, and both must match the update rules written out in NumPy.
"""

import copy

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu import optim
from tinygrad_edu.optim.lr_scheduler import StepLR
from tinygrad_edu.tensor import Tensor

from .test_optim import CASES, IDS, ref_adagrad, ref_adam, ref_adamw, ref_rmsprop, ref_sgd

# 0-d, size-1 and size-3 parameters (bucketed) next to two above the bucket limit.
SHAPES = [(), (1,), (3,), (), (70, 70), (2, 1), (4097,)]
# Which parameters get a gradient at each step (True) and which do not (None gradient).
MASKS = [
    [True] * 7,
    [True] * 7,
    [True, False, True, True, True, False, True],
    [True] * 7,
    [False, True, True, True, False, True, True],
    [True] * 7,
]
REFS = {optim.SGD: ref_sgd, optim.Adagrad: ref_adagrad, optim.RMSprop: ref_rmsprop,
        optim.Adam: ref_adam, optim.AdamW: ref_adamw}


def make(seed, dtype, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    return [Tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in shapes]


def grads_for(seed, dtype, steps, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    scales = [3.0, 0.1, 1.0, 0.01, 2.0, 0.5]
    return [[(rng.standard_normal(s) * scales[t % 6]).astype(dtype) for s in shapes]
            for t in range(steps)]


def build(cls, kw, params, flatten=True):
    """Three groups: the first with the case's hyperparameters, two with changed ones (lr,
    and a third group added later with add_param_group)."""
    opt = cls([{"params": params[:3]}, {"params": params[3:5], "lr": kw.get("lr", 0.01) / 2}],
              **kw)
    opt.add_param_group({"params": params[5:], "lr": kw.get("lr", 0.01) * 2})
    if flatten:
        # The 0-d parameters go in the buckets too (a group with few of them would update them
        # in the rule's scalar form): so where that form exists, the one-by-one run below
        # checks it, bit for bit, against the array form in a bucket.
        opt._scalar_max = 0
    else:
        opt._flatten = False
    return opt


def run(opt, params, grads, masks=MASKS, start=0):
    for t, step in enumerate(grads):
        mask = masks[(start + t) % len(masks)]
        for p, g, has in zip(params, step, mask):
            p.grad = Tensor(g.copy()) if has else None
        opt.step()


@pytest.mark.parametrize("cls, ref, kw", CASES, ids=IDS)
def test_buckets_match_one_by_one_and_the_rule(cls, ref, kw):
    grads = grads_for(1, np.float32, len(MASKS))
    flat, alone = make(0, np.float32), make(0, np.float32)
    opt = build(cls, kw, flat)
    run(opt, flat, grads)
    run(build(cls, kw, alone, flatten=False), alone, grads)
    if cls is not optim.SGD:  # SGD always goes one by one
        assert any(plan.buckets for plan in opt._plans.values())  # the buckets were used
    start = make(0, np.float64)
    lrs = [g["lr"] for g in opt.param_groups for _ in g["params"]]
    for i, (p, q) in enumerate(zip(flat, alone)):
        assert p.dtype == np.float32
        np.testing.assert_array_equal(p.data, q.data)
        state = opt.state[p]
        for key, value in state.items():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32 and value.shape == p.shape
        seen = [step[i].astype(np.float64) for step, mask in zip(grads, MASKS) if mask[i]]
        if "step" in state:
            assert state["step"] == len(seen)
        expected = ref(start[i].data, seen, **{**kw, "lr": lrs[i]})
        np.testing.assert_allclose(p.data, expected, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("cls, ref, kw", CASES, ids=IDS)
def test_buckets_in_float64_match_the_rule_closely(cls, ref, kw):
    grads = grads_for(2, np.float64, len(MASKS))
    params = make(3, np.float64)
    start = [p.data.copy() for p in params]
    opt = build(cls, kw, params)
    run(opt, params, grads)
    lrs = [g["lr"] for g in opt.param_groups for _ in g["params"]]
    for i, p in enumerate(params):
        seen = [step[i] for step, mask in zip(grads, MASKS) if mask[i]]
        np.testing.assert_allclose(p.data, ref(start[i], seen, **{**kw, "lr": lrs[i]}),
                                   rtol=1e-12, atol=1e-14)
        assert not np.allclose(p.data, start[i])


@pytest.mark.parametrize("cls, ref, kw", CASES, ids=IDS)
def test_resume_mid_run_is_bit_identical(cls, ref, kw):
    grads = grads_for(4, np.float32, 10)
    params = make(5, np.float32)
    opt = build(cls, kw, params)
    run(opt, params, grads[:5])
    saved = opt.state_dict()
    saved_params = [p.data.copy() for p in params]
    run(opt, params, grads[5:], start=5)

    resumed = [Tensor(a.copy(), requires_grad=True) for a in saved_params]
    opt2 = build(cls, {**kw, "lr": 7.0}, resumed)  # hyperparameters come back from the save
    opt2.load_state_dict(saved)
    run(opt2, resumed, grads[5:], start=5)
    for p, q in zip(params, resumed):
        np.testing.assert_array_equal(p.data, q.data)
    for a, b in zip(opt.state_dict()["state"].values(), opt2.state_dict()["state"].values()):
        assert a.keys() == b.keys()
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])


@pytest.mark.parametrize("cls", [optim.Adam, optim.AdamW, optim.RMSprop, optim.Adagrad])
def test_load_state_dict_into_a_running_optimizer(cls):
    """Loading replaces the state the buckets were built on: the next step must use the
    loaded state, not the buckets' old buffers."""
    grads = grads_for(6, np.float32, 6)
    a, b = make(7, np.float32), make(7, np.float32)
    opt_a, opt_b = build(cls, {}, a), build(cls, {}, b)
    run(opt_a, a, grads[:2])
    snapshot = opt_a.state_dict()
    values = [p.data.copy() for p in a]
    run(opt_a, a, grads[2:4], start=2)  # moves on, then goes back
    opt_a.load_state_dict(snapshot)
    for p, v in zip(a, values):
        p.data[...] = v
    run(opt_b, b, grads[:2])
    run(opt_a, a, grads[2:], start=2)
    run(opt_b, b, grads[2:], start=2)
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize("change", ["reset_step", "replace_buffer", "add_key", "drop_entry",
                                    "clear_all", "replace_data", "new_group_dict"])
def test_state_changed_by_hand_is_seen(change):
    """Every parameter has a gradient at every step, so only the change itself can make the
    buckets rebuild."""
    grads = grads_for(8, np.float32, 5)
    a, b = make(9, np.float32), make(9, np.float32)
    opt_a, opt_b = build(optim.Adam, {"lr": 0.05}, a), build(optim.Adam, {"lr": 0.05}, b,
                                                              flatten=False)
    every = [[True] * len(SHAPES)]
    for opt, params in ((opt_a, a), (opt_b, b)):
        run(opt, params, grads[:2], masks=every)
        if change == "reset_step":
            opt.state[params[0]]["step"] = 0
        elif change == "replace_buffer":
            opt.state[params[2]]["exp_avg"] = np.full(3, 0.5, np.float32)
        elif change == "drop_entry":
            del opt.state[params[3]]
        elif change == "clear_all":
            opt.state.clear()
        elif change == "add_key":  # amsgrad's buffer, as if switched on and off again
            opt.state[params[1]]["max_exp_avg_sq"] = np.ones(1, np.float32)
            opt.param_groups[0]["amsgrad"] = True
        elif change == "replace_data":  # a float64 array: the bucket must not round it
            params[1].data = np.array([4.0 + 1e-12])
        else:
            opt.param_groups[0] = dict(opt.param_groups[0])
        run(opt, params, grads[2:], masks=every)
    assert opt_a._plans  # the buckets were in use
    for p, q in zip(a, b):
        assert p.dtype == q.dtype
        np.testing.assert_array_equal(p.data, q.data)
    if change == "replace_data":
        assert a[1].dtype == np.float64 and a[1].data[0] != np.float32(a[1].data[0])


@pytest.mark.parametrize("cls, before, after", [
    (optim.Adam, dict(lr=0.05), dict(amsgrad=True)),
    (optim.RMSprop, dict(lr=0.01), dict(momentum=0.9)),
    (optim.RMSprop, dict(lr=0.01), dict(centered=True)),
])
def test_buffers_created_after_the_first_step(cls, before, after):
    """Switching on amsgrad / momentum / centered mid-run makes the rule create a buffer; it
    must reach every parameter's state and be carried on by the bucket."""
    grads = grads_for(10, np.float32, 5, [(), (3,), (1,)])
    a, b = make(11, np.float32, [(), (3,), (1,)]), make(11, np.float32, [(), (3,), (1,)])
    opt_a, opt_b = cls(a, **before), cls(b, **before)
    opt_b._flatten = False
    for t, step in enumerate(grads):
        for opt, params in ((opt_a, a), (opt_b, b)):
            if t == 2:
                opt.param_groups[0].update(after)
            for p, g in zip(params, step):
                p.grad = Tensor(g.copy())
            opt.step()
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p.data, q.data)
        assert opt_a.state[p].keys() == opt_b.state[q].keys()
        for k, v in opt_a.state[p].items():
            np.testing.assert_array_equal(v, opt_b.state[q][k])


def test_state_entries_are_live_views_and_state_dict_copies():
    x, y = Tensor(np.float32(0.3), requires_grad=True), Tensor(np.float32(0.7), requires_grad=True)
    opt = optim.Adam([x, y], lr=0.1)
    for _ in range(3):
        x.grad, y.grad = Tensor(np.float32(1.0)), Tensor(np.float32(-2.0))
        opt.step()
    assert opt.state[x]["step"] == 3 and opt.state[x]["exp_avg"].shape == ()
    m = opt.state[y]["exp_avg"]
    np.testing.assert_allclose(m, -2.0 * (1 - 0.9 ** 3), rtol=1e-6)
    sd = opt.state_dict()
    sd["state"][1]["exp_avg"][...] = 99.0
    assert opt.state[y]["exp_avg"] == m and m != 99.0
    assert not np.shares_memory(sd["state"][0]["exp_avg"], sd["state"][1]["exp_avg"])


def test_mixed_dtypes_in_one_group():
    shapes = [(), (2,), (), (3,)]
    dtypes = [np.float32, np.float64, np.float64, np.float32]
    rng = np.random.default_rng(0)
    a = [Tensor(rng.standard_normal(s).astype(d), requires_grad=True)
         for s, d in zip(shapes, dtypes)]
    b = [Tensor(p.data.copy(), requires_grad=True) for p in a]
    opt_a, opt_b = optim.Adam(a, lr=0.1), optim.Adam(b, lr=0.1)
    opt_a._scalar_max = 0    # 0-d parameters in the buckets too
    opt_b._flatten = False
    for t in range(3):
        for p, q in zip(a, b):
            g = rng.standard_normal(p.shape)  # float64 gradients for float32 params too
            p.grad, q.grad = Tensor(g.copy()), Tensor(g.copy())
        opt_a.step()
        opt_b.step()
    assert len(opt_a._plans[id(opt_a.param_groups[0])].buckets) == 2
    for p, q, d in zip(a, b, dtypes):
        assert p.dtype == d and opt_a.state[p]["exp_avg"].dtype == d
        np.testing.assert_array_equal(p.data, q.data)


def test_hyperparameter_changes_take_effect():
    """A scheduler changing lr, and betas changed in place, reach the next step."""
    a, b = make(1, np.float32, [(), (2,)]), make(1, np.float32, [(), (2,)])
    opt_a = optim.Adam([{"params": a, "betas": [0.9, 0.999]}], lr=0.1)
    opt_b = optim.Adam([{"params": b, "betas": [0.9, 0.999]}], lr=0.1)
    opt_b._flatten = False
    sched_a, sched_b = StepLR(opt_a, step_size=1, gamma=0.5), StepLR(opt_b, step_size=1,
                                                                     gamma=0.5)
    grads = grads_for(2, np.float32, 4, [(), (2,)])
    for t, step in enumerate(grads):
        for opt, params, sched in ((opt_a, a, sched_a), (opt_b, b, sched_b)):
            for p, g in zip(params, step):
                p.grad = Tensor(g.copy())
            opt.step()
            sched.step()
            if t == 1:
                opt.param_groups[0]["betas"][0] = 0.5
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p.data, q.data)
    start = make(1, np.float64, [(), (2,)])
    # the same by hand: lr halves every step, beta1 is 0.5 from the third step on
    b1s = [0.9, 0.9, 0.5, 0.5]
    for i, p in enumerate(a):
        theta, m, v = start[i].data.copy(), 0.0, 0.0
        for t, step in enumerate(grads, start=1):
            g = step[i].astype(np.float64)
            m = b1s[t - 1] * m + (1 - b1s[t - 1]) * g
            v = 0.999 * v + 0.001 * g * g
            lr = 0.1 * 0.5 ** (t - 1)
            theta = theta - lr * (m / (1 - b1s[t - 1] ** t)) / (np.sqrt(v / (1 - 0.999 ** t))
                                                                 + 1e-8)
        np.testing.assert_allclose(p.data, theta, rtol=2e-5, atol=1e-6)


def test_apply_gradients_uses_the_same_buckets():
    grads = grads_for(3, np.float32, 4)
    a, b = make(2, np.float32), make(2, np.float32)
    opt_a = build(optim.Adam, {"lr": 0.02}, a)
    run(opt_a, a, grads)
    opt_b = optim.Adam(None, lr=0.02)
    for step in grads:  # every variable registered into the first group on first sight
        opt_b.apply_gradients(zip([Tensor(g) for g in step], b))
    c = make(2, np.float32)
    opt_c = optim.Adam(c, lr=0.02)
    opt_c._flatten = False
    run(opt_c, c, grads, masks=[[True] * 7])
    for p, q in zip(b, c):
        np.testing.assert_array_equal(p.data, q.data)
    # a variable given twice in one call is updated twice, in order
    x, y = Tensor(np.float32(1.0), requires_grad=True), Tensor(np.float32(1.0), requires_grad=True)
    opt = optim.SGD(None, lr=0.5)
    opt.apply_gradients([(np.float32(1.0), x), (np.float32(1.0), x)])
    assert x.data == 0.0
    opt = optim.Adam([x, y], lr=0.5)
    opt.apply_gradients([(np.float32(1.0), x), (np.float32(1.0), y), (np.float32(1.0), x)])
    assert opt.state[x]["step"] == 2 and opt.state[y]["step"] == 1


def test_deepcopy_gives_an_independent_optimizer():
    grads = grads_for(5, np.float32, 4, [(), (3,)])
    params = make(4, np.float32, [(), (3,)])
    opt = optim.Adam(params, lr=0.1)
    run(opt, params, grads[:2], masks=[[True, True]])
    params2, opt2 = copy.deepcopy((params, opt))
    run(opt, params, grads[2:], masks=[[True, True]])
    run(opt2, params2, grads[2:], masks=[[True, True]])
    for p, q in zip(params, params2):
        np.testing.assert_array_equal(p.data, q.data)
        assert not np.shares_memory(opt.state[p]["exp_avg"], opt2.state[q]["exp_avg"])


kinds = st.sampled_from([
    (optim.SGD, dict(lr=0.1, momentum=0.9)),
    (optim.SGD, dict(lr=0.1, momentum=0.5, nesterov=True, weight_decay=0.1)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.01, weight_decay=0.05)),
    (optim.RMSprop, dict(lr=0.01, centered=True, momentum=0.5)),
    (optim.Adam, dict(lr=0.01, amsgrad=True, maximize=True)),
    (optim.AdamW, dict(lr=0.01, weight_decay=0.1)),
])


@given(kind=kinds, shapes=st.lists(st.sampled_from([(), (1,), (3,), (2, 2), (5000,)]),
                                   min_size=1, max_size=6),
       data=st.data(), seed=st.integers(0, 2 ** 16))
def test_random_mixes_match_one_by_one(kind, shapes, data, seed):
    cls, kw = kind
    steps = 4
    masks = [data.draw(st.lists(st.booleans(), min_size=len(shapes), max_size=len(shapes)))
             for _ in range(steps)]
    grads = grads_for(seed, np.float32, steps, shapes)
    a, b = make(seed + 1, np.float32, shapes), make(seed + 1, np.float32, shapes)
    opt_a, opt_b = cls(a, **kw), cls(b, **kw)
    opt_b._flatten = False
    run(opt_a, a, grads, masks)
    run(opt_b, b, grads, masks)
    for p, q in zip(a, b):
        assert p.dtype == np.float32
        np.testing.assert_array_equal(p.data, q.data)
        assert (p in opt_a.state) == (q in opt_b.state)
        if p in opt_a.state:
            for k, v in opt_a.state[p].items():
                w = opt_b.state[q][k]
                if isinstance(v, np.ndarray):
                    assert v.dtype == np.float32
                    np.testing.assert_array_equal(v, w)
                else:
                    assert v == w


ADAM_CASES = [(cls, kw) for cls, _, kw in CASES if issubclass(cls, optim.Adam)]


@pytest.mark.parametrize("cls, kw", ADAM_CASES,
                         ids=[i for (c, _, _), i in zip(CASES, IDS) if issubclass(c, optim.Adam)])
@given(dtype=st.sampled_from([np.float16, np.float32, np.float64]),
       values=st.lists(st.floats(-100, 100, width=16), min_size=2, max_size=2),
       grads=st.lists(st.floats(-50, 50, width=16), min_size=8, max_size=8))
def test_adam_on_scalars_gives_the_bits_of_the_array_rule(cls, kw, dtype, values, grads):
    """The scalar form (0-d parameters, few of them) against the array form (the same numbers
    as parameters of shape (1,), updated one by one), step by step, values and state."""
    scalars = [Tensor(np.array(v, dtype), requires_grad=True) for v in values]
    vectors = [Tensor(np.array([v], dtype), requires_grad=True) for v in values]
    opt_s, opt_v = cls(scalars, **kw), cls(vectors, **kw)
    opt_v._flatten = False
    for step in range(4):
        for i, (s, v) in enumerate(zip(scalars, vectors)):
            g = grads[2 * step + i]
            s.grad, v.grad = Tensor(np.array(g, dtype)), Tensor(np.array([g], dtype))
        with np.errstate(all="ignore"):
            opt_s.step()
            opt_v.step()
        assert not any(plan.buckets for plan in opt_s._plans.values())
        for s, v in zip(scalars, vectors):
            assert s.data.shape == () and s.dtype == dtype
            np.testing.assert_array_equal(s.data.reshape(1).view(np.uint8), v.data.view(np.uint8))
            for key, value in opt_v.state[v].items():
                mine = opt_s.state[s][key]
                if isinstance(value, np.ndarray):
                    assert type(mine) is np.ndarray and mine.shape == () and mine.dtype == dtype
                    np.testing.assert_array_equal(mine.reshape(1), value)
                else:
                    assert mine == value


def test_many_scalars_share_a_bucket_and_a_few_go_one_by_one():
    few = [Tensor(float(i), requires_grad=True) for i in range(optim.Adam._scalar_max)]
    many = [Tensor(float(i), requires_grad=True) for i in range(optim.Adam._scalar_max + 1)]
    for params in (few, many):
        opt = optim.Adam(params, lr=0.1)
        for p in params:
            p.grad = Tensor(np.float32(0.5))
        opt.step()
        (plan,) = opt._plans.values()
        bucketed = sum(len(b.params) for b in plan.buckets)
        assert bucketed == (len(params) if params is many else 0)
        for p in params:   # the first Adam step moves every parameter by lr
            assert opt.state[p]["step"] == 1
    np.testing.assert_allclose([p.item() for p in few], np.arange(len(few)) - 0.1, rtol=1e-6)


@pytest.mark.parametrize("cls, kw", ADAM_CASES,
                         ids=[i for (c, _, _), i in zip(CASES, IDS) if issubclass(c, optim.Adam)])
def test_a_few_scalars_take_the_direct_loop_with_the_same_bits(cls, kw):
    """A small group's 0-d parameters skip the general path (lists, plans, dispatch): the same
    results as that path, which buckets them here, with vectors, missing gradients, a first
    step that makes the state, and a gradient of another dtype in the same group."""
    shapes = [(), (), (3,), ()]
    masks = [[True, True, True, True], [True, False, True, True], [False, True, False, True],
             [True, True, True, False]]
    grads = grads_for(7, np.float32, 6, shapes)
    grads[2][3] = grads[2][3].astype(np.float64)     # cast to the parameter's dtype
    a, b = make(3, np.float32, shapes), make(3, np.float32, shapes)
    direct, general = cls(a, **kw), cls(b, **kw)
    general._scalar_max = 0
    general_path = []   # the 0-d parameters that went through the general path
    one_param = direct._update_param
    direct._update_param = lambda p, *rest: (general_path.append(p.data.ndim == 0),
                                             one_param(p, *rest))
    run(direct, a, grads, masks)
    run(general, b, grads, masks)
    # 14 scalar updates in all; only the first step's three (no state yet) and the one with a
    # float64 gradient took the general path.
    assert sum(general_path) == 4
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p.data, q.data)
        for key, value in general.state[q].items():
            np.testing.assert_array_equal(direct.state[p][key], value)
