"""Optimizers against their update rules written out independently in NumPy."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import optim
from tinygrad_edu.tensor import Tensor

SHAPES = [(3, 4), (5,)]
STEPS = 6


# --- reference update rules (one function per optimizer, straight from the formulas) -----------

def ref_sgd(theta, grads, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0,
            maximize=False):
    b = None
    for g in grads:
        g = -g if maximize else g
        g = g + weight_decay * theta
        if momentum:
            b = g if b is None else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        theta = theta - lr * g
    return theta


def ref_adagrad(theta, grads, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    s = np.full_like(theta, initial_accumulator_value)
    for t, g in enumerate(grads, start=1):
        g = -g if maximize else g
        clr = lr / (1 + (t - 1) * lr_decay)
        g = g + weight_decay * theta
        s = s + g * g
        theta = theta - clr * g / (np.sqrt(s) + eps)
    return theta


def ref_rmsprop(theta, grads, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                centered=False, maximize=False):
    v = np.zeros_like(theta)
    g_avg = np.zeros_like(theta)
    b = np.zeros_like(theta)
    for g in grads:
        g = -g if maximize else g
        g = g + weight_decay * theta
        v = alpha * v + (1 - alpha) * g ** 2
        v_tilde = v
        if centered:
            g_avg = alpha * g_avg + (1 - alpha) * g
            v_tilde = v - g_avg ** 2
        if momentum > 0:
            b = momentum * b + g / (np.sqrt(v_tilde) + eps)
            theta = theta - lr * b
        else:
            theta = theta - lr * g / (np.sqrt(v_tilde) + eps)
    return theta


def ref_adam(theta, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
             amsgrad=False, maximize=False, decoupled=False):
    b1, b2 = betas
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    v_max = np.zeros_like(theta)
    for t, g in enumerate(grads, start=1):
        g = -g if maximize else g
        if decoupled:
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        m_hat = m / (1 - b1 ** t)
        if amsgrad:
            v_max = np.maximum(v_max, v)
            v_hat = v_max / (1 - b2 ** t)
        else:
            v_hat = v / (1 - b2 ** t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return theta


def ref_adamw(theta, grads, weight_decay=1e-2, **kw):
    return ref_adam(theta, grads, weight_decay=weight_decay, decoupled=True, **kw)


CASES = [
    (optim.SGD, ref_sgd, dict(lr=0.1)),
    (optim.SGD, ref_sgd, dict(lr=0.1, momentum=0.9)),
    (optim.SGD, ref_sgd, dict(lr=0.1, momentum=0.9, dampening=0.3)),
    (optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.8, nesterov=True)),
    (optim.SGD, ref_sgd, dict(lr=0.1, momentum=0.5, weight_decay=0.1)),
    (optim.SGD, ref_sgd, dict(lr=0.1, weight_decay=0.2, maximize=True)),
    (optim.Adagrad, ref_adagrad, dict()),
    (optim.Adagrad, ref_adagrad, dict(lr=0.1, lr_decay=0.05, weight_decay=0.1)),
    (optim.Adagrad, ref_adagrad, dict(lr=0.1, initial_accumulator_value=0.5, eps=1e-3)),
    (optim.RMSprop, ref_rmsprop, dict()),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, alpha=0.9, weight_decay=0.1)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, momentum=0.9)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, centered=True)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, centered=True, momentum=0.7, maximize=True)),
    (optim.Adam, ref_adam, dict()),
    (optim.Adam, ref_adam, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6)),
    (optim.Adam, ref_adam, dict(lr=0.01, weight_decay=0.1)),
    (optim.Adam, ref_adam, dict(lr=0.01, amsgrad=True)),
    (optim.Adam, ref_adam, dict(lr=0.01, amsgrad=True, weight_decay=0.05, maximize=True)),
    (optim.AdamW, ref_adamw, dict()),
    (optim.AdamW, ref_adamw, dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
]
IDS = [f"{cls.__name__}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}"
       for cls, _, kw in CASES]


def gradient_sequence(seed, shapes=SHAPES, steps=STEPS, dtype=np.float64):
    """Gradients whose sign and scale change from step to step, so that every term matters
    (amsgrad's maximum in particular only matters when the second moment falls)."""
    rng = np.random.default_rng(seed)
    scales = [3.0, 0.1, 1.0, 0.01, 2.0, 0.5]
    return [[(rng.standard_normal(s) * scales[t % len(scales)]).astype(dtype) for s in shapes]
            for t in range(steps)]


def make_params(seed, dtype=np.float64, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    return [Tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in shapes]


def run(opt, params, grads):
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = Tensor(g.copy())
        opt.step()


@pytest.mark.parametrize("cls, ref, kw", CASES, ids=IDS)
def test_matches_reference_rule(cls, ref, kw):
    params = make_params(0)
    start = [p.data.copy() for p in params]
    grads = gradient_sequence(1)
    run(cls(params, **kw), params, grads)
    for i, p in enumerate(params):
        expected = ref(start[i], [step[i] for step in grads], **kw)
        np.testing.assert_allclose(p.data, expected, rtol=1e-12, atol=1e-14)
        assert not np.allclose(p.data, start[i])  # the test can see a wrong rule


@pytest.mark.parametrize("cls, ref, kw", CASES, ids=IDS)
def test_float32_stays_float32(cls, ref, kw):
    params = make_params(0, np.float32)
    start = [p.data.copy() for p in params]
    grads = gradient_sequence(1, dtype=np.float32)
    opt = cls(params, **kw)
    run(opt, params, grads)
    for i, p in enumerate(params):
        assert p.dtype == np.float32
        for value in opt.state[p].values():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32
        expected = ref(start[i].astype(np.float64), [s[i].astype(np.float64) for s in grads], **kw)
        np.testing.assert_allclose(p.data, expected, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("cls, ref, kw", CASES, ids=IDS)
def test_state_dict_resume_is_bit_identical(cls, ref, kw):
    grads = gradient_sequence(2, steps=8)
    params = make_params(3)
    opt = cls(params, **kw)
    run(opt, params, grads[:4])
    saved = opt.state_dict()
    saved_params = [p.data.copy() for p in params]
    run(opt, params, grads[4:])

    resumed = [Tensor(a.copy(), requires_grad=True) for a in saved_params]
    opt2 = cls(resumed, lr=123.0 if cls is optim.SGD else 0.5)  # hyperparameters come back too
    opt2.load_state_dict(saved)
    for value in saved["state"].values():  # the loaded state must not alias the saved arrays
        for v in value.values():
            if isinstance(v, np.ndarray):
                v[...] = np.nan
    run(opt2, resumed, grads[4:])
    for p, q in zip(params, resumed):
        assert np.array_equal(p.data, q.data)


def test_state_dict_copies_arrays_and_numbers_params():
    params = make_params(0)
    opt = optim.Adam([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.5}])
    run(opt, params, gradient_sequence(0, steps=1))
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == 0.5 and sd["state"][0]["step"] == 1
    sd["state"][0]["exp_avg"][...] = 7
    assert not np.any(opt.state[params[0]]["exp_avg"] == 7)


def test_load_state_dict_rejects_mismatch():
    params = make_params(0)
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    run(opt, params, gradient_sequence(0, steps=1))
    sd = opt.state_dict()
    with pytest.raises(ValueError, match="group 0 was saved with 2 parameters"):
        optim.SGD(params[:1], lr=0.1).load_state_dict(sd)
    other = [Tensor(np.zeros((2, 2)), requires_grad=True), Tensor(np.zeros(5), requires_grad=True)]
    with pytest.raises(ValueError, match="shape"):
        optim.SGD(other, lr=0.1).load_state_dict(sd)


def test_grad_none_is_skipped():
    a, b = make_params(0)
    before = b.data.copy()
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = Tensor(np.ones_like(a.data))
    opt.step()
    assert np.array_equal(b.data, before) and b not in opt.state
    assert not np.allclose(a.data, make_params(0)[0].data)


def test_step_on_real_backward_keeps_leaves_and_no_graph():
    w = tg.Tensor(np.array([1.0, -2.0, 3.0], dtype=np.float32), requires_grad=True)
    opt = optim.SGD([w], lr=0.25)
    loss = (w * w).sum()
    loss.backward()
    opt.step()
    np.testing.assert_allclose(w.data, [0.5, -1.0, 1.5])
    assert w.is_leaf and w.requires_grad and w.dtype == np.float32


def test_closure_is_called_with_grad_enabled():
    w = tg.Tensor(np.array([2.0]), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with tg.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 4.0
    np.testing.assert_allclose(w.data, [1.6])


def test_zero_grad_modes():
    w = tg.Tensor(np.ones(3), requires_grad=True)
    (w * 2).sum().backward()
    grad_array = w.grad.data
    opt = optim.SGD([w], lr=0.1)
    opt.zero_grad(set_to_none=False)
    assert w.grad is not None and w.grad.data is grad_array and not grad_array.any()
    opt.zero_grad()
    assert w.grad is None


def test_param_groups_have_their_own_hyperparameters():
    a, b = make_params(0)
    a0, b0 = a.data.copy(), b.data.copy()
    opt = optim.SGD([a], lr=0.1)
    opt.add_param_group({"params": [b], "lr": 0.01, "momentum": 0.9})
    assert opt.param_groups[1]["weight_decay"] == 0.0  # defaults filled in
    a.grad, b.grad = Tensor(np.ones_like(a0)), Tensor(np.ones_like(b0))
    opt.step()
    np.testing.assert_allclose(a.data, a0 - 0.1)
    np.testing.assert_allclose(b.data, b0 - 0.01)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})


def test_generator_of_params_is_accepted():
    params = make_params(0)
    opt = optim.Adam(p for p in params)
    assert opt.param_groups[0]["params"] == params


@pytest.mark.parametrize("make, match", [
    (lambda p: optim.SGD(p, lr=-0.1), "invalid lr"),
    (lambda p: optim.SGD(p), "lr is required"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=-1), "invalid momentum"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "Nesterov"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov"),
    (lambda p: optim.SGD(p, lr=0.1, weight_decay=-1e-4), "invalid weight_decay"),
    (lambda p: optim.Adam(p, lr=float("nan")), "invalid lr"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.999)), "beta1"),
    (lambda p: optim.Adam(p, betas=(0.9, -0.1)), "beta2"),
    (lambda p: optim.Adam(p, eps=-1.0), "invalid eps"),
    (lambda p: optim.AdamW(p, weight_decay=-0.1), "invalid weight_decay"),
    (lambda p: optim.Adagrad(p, lr_decay=-1), "invalid lr_decay"),
    (lambda p: optim.Adagrad(p, initial_accumulator_value=-1), "initial_accumulator_value"),
    (lambda p: optim.RMSprop(p, alpha=-0.5), "invalid alpha"),
    (lambda p: optim.RMSprop(p, momentum=-0.5), "invalid momentum"),
    (lambda p: optim.Adam([], lr=0.1), "empty parameter list"),
])
def test_bad_hyperparameters_raise(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make(make_params(0))


def test_bad_params_raise():
    w = tg.Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([w * 2], lr=0.1)
    with pytest.raises(TypeError, match="floating-point"):
        optim.SGD([tg.Tensor(np.arange(3))], lr=0.1)
    with pytest.raises(TypeError, match="only optimize Tensors"):
        optim.SGD([np.ones(3)], lr=0.1)
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(ValueError, match="twice"):
        optim.SGD([w, w], lr=0.1)


# --- apply_gradients (the GradientTape workflow) ---------------------------------------------

@pytest.mark.parametrize("cls, ref, kw", CASES[::3], ids=IDS[::3])
def test_apply_gradients_equals_step(cls, ref, kw):
    grads = gradient_sequence(5)
    via_step, via_apply = make_params(4), make_params(4)
    run(cls(via_step, **kw), via_step, grads)
    opt = cls(via_apply, **kw)
    for step in grads:
        opt.apply_gradients(zip([Tensor(g) for g in step], via_apply))
    for p, q in zip(via_step, via_apply):
        assert np.array_equal(p.data, q.data)


def test_apply_gradients_with_tape_registers_variables_and_skips_none():
    x = tg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    unused = tg.Tensor(np.array([5.0]), requires_grad=True)
    opt = optim.SGD(None, lr=0.5)
    for _ in range(2):
        with tg.GradientTape() as tape:
            loss = (x * x).sum()
        grads = tape.gradient(loss, [x, unused])
        assert grads[1] is None
        opt.apply_gradients(zip(grads, [x, unused]))
    np.testing.assert_allclose(x.data, [0.0, 0.0])
    np.testing.assert_allclose(unused.data, [5.0])
    assert opt.param_groups[0]["params"] == [x]
    # ndarray gradients work too, and a wrong shape is named
    opt.apply_gradients([(np.array([1.0, 1.0]), x)])
    np.testing.assert_allclose(x.data, [-0.5, -0.5])
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        opt.apply_gradients([(np.ones(3), x)])
    with pytest.raises(TypeError, match="pairs"):
        opt.apply_gradients([x])


def test_apply_gradients_validates_hyperparameters_up_front():
    with pytest.raises(ValueError, match="invalid lr"):
        optim.Adam(None, lr=-1.0)


def test_update_allocates_no_float64_for_float32_with_numpy_scalars():
    w = tg.Tensor(np.ones(4, dtype=np.float32), requires_grad=True)
    opt = optim.Adam([w], lr=np.float64(0.1), betas=(np.float64(0.9), 0.999),
                     weight_decay=np.float64(0.01))
    w.grad = Tensor(np.ones(4, dtype=np.float32))
    opt.step()
    assert w.dtype == np.float32
    assert all(v.dtype == np.float32 for v in opt.state[w].values() if isinstance(v, np.ndarray))
    np.testing.assert_allclose(w.data, 0.9, rtol=1e-6)  # g=1.01: m_hat/sqrt(v_hat) = 1


# --- property test: random hyperparameters and shapes against the reference rules ------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

unit = st.floats(0.0, 0.95)
positive = st.floats(1e-4, 0.5)


@st.composite
def optimizer_case(draw):
    kind = draw(st.sampled_from(["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"]))
    common = dict(lr=draw(positive), weight_decay=draw(st.sampled_from([0.0, 0.05])),
                  maximize=draw(st.booleans()))
    if kind == "SGD":
        momentum = draw(unit)
        nesterov = momentum > 0 and draw(st.booleans())
        kw = dict(momentum=momentum, nesterov=nesterov,
                  dampening=0.0 if nesterov else draw(unit))
        return optim.SGD, ref_sgd, {**common, **kw}
    if kind == "Adagrad":
        kw = dict(lr_decay=draw(st.floats(0, 0.1)), initial_accumulator_value=draw(unit))
        return optim.Adagrad, ref_adagrad, {**common, **kw}
    if kind == "RMSprop":
        kw = dict(alpha=draw(st.floats(0.5, 0.999)), momentum=draw(unit),
                  centered=draw(st.booleans()))
        return optim.RMSprop, ref_rmsprop, {**common, **kw}
    kw = dict(betas=(draw(unit), draw(st.floats(0.5, 0.999))), amsgrad=draw(st.booleans()))
    return (optim.Adam, ref_adam, {**common, **kw}) if kind == "Adam" else \
        (optim.AdamW, ref_adamw, {**common, **kw})


@given(case=optimizer_case(), shape=st.sampled_from([(), (1,), (2, 3), (4, 1, 2)]),
       seed=st.integers(0, 2 ** 16))
def test_random_hyperparameters_match_reference(case, shape, seed):
    cls, ref, kw = case
    params = make_params(seed, shapes=[shape])
    start = params[0].data.copy()
    grads = gradient_sequence(seed + 1, shapes=[shape], steps=4)
    run(cls(params, **kw), params, grads)
    expected = ref(start, [g[0] for g in grads], **kw)
    np.testing.assert_allclose(params[0].data, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("shape", [(512, 300), (131073,), (300, 512)])
def test_sgd_large_parameters_use_the_same_rule(shape):
    """Large contiguous parameters are updated block by block; the result must be exactly
    param - lr * grad (also with momentum), and .grad must be left untouched."""
    rng = np.random.default_rng(0)
    data = rng.standard_normal(shape).astype(np.float32)
    grads = [rng.standard_normal(shape).astype(np.float32) for _ in range(2)]
    for momentum in (0.0, 0.9):
        p = Tensor(data.copy(), requires_grad=True)
        opt = optim.SGD([p], lr=0.1, momentum=momentum)
        expected, buf = data.copy(), None
        for g in grads:
            p.grad = Tensor(g.copy())
            opt.step()
            assert np.array_equal(p.grad.data, g)
            buf = g.copy() if buf is None or momentum == 0 else buf * np.float32(momentum) + g
            expected -= buf * np.float32(0.1)
        np.testing.assert_array_equal(p.data, expected)


def test_sgd_reuses_one_scratch_buffer_instead_of_allocating_per_step():
    rng = np.random.default_rng(0)
    big = Tensor(rng.standard_normal((200, 300)).astype(np.float32), requires_grad=True)
    small = Tensor(rng.standard_normal(7).astype(np.float32), requires_grad=True)
    wide = Tensor(rng.standard_normal((3, 5)), requires_grad=True)   # float64: its own buffer
    params = [small, big, wide]
    opt = optim.SGD(params, lr=0.1)
    for p in params:
        p.grad = Tensor(rng.standard_normal(p.shape).astype(p.dtype))
    expected = [p.data - p.grad.data * p.dtype.type(0.1) for p in params]
    opt.step()                      # the first step sizes the buffers
    for p, e in zip(params, expected):
        np.testing.assert_array_equal(p.data, e)
        assert p.data.dtype == e.dtype
    assert _peak_allocation(opt.step) < big.data.nbytes // 4


@pytest.mark.parametrize("make", [lambda ps: optim.Adam(ps, lr=0.01),
                                  lambda ps: optim.RMSprop(ps, lr=0.01),
                                  lambda ps: optim.Adagrad(ps, lr=0.01)],
                         ids=["Adam", "RMSprop", "Adagrad"])
def test_update_temporaries_come_from_the_scratch_buffer(make):
    rng = np.random.default_rng(1)
    big = Tensor(rng.standard_normal((200, 300)).astype(np.float32), requires_grad=True)
    big.grad = Tensor(rng.standard_normal(big.shape).astype(np.float32))
    opt = make([big])
    opt.step()                      # the first step makes the state and sizes the buffer
    assert _peak_allocation(opt.step) < big.data.nbytes // 4


def _peak_allocation(fn) -> int:
    """The most memory (bytes, NumPy arrays included) held at once by what ``fn`` allocates."""
    import tracemalloc
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_bias_correction_rounds_like_a_fresh_array(dtype):
    """eps_hat and step_size, set together in one NumPy call each step, hold exactly the
    formula's values rounded to the parameter's dtype."""
    import math
    opt = optim.Adam([Tensor(np.zeros(2, dtype), requires_grad=True)], lr=0.003,
                     betas=(0.8, 0.99), eps=1e-7)
    hyper = opt._hypers(opt.param_groups[0])[np.dtype(dtype)]
    for t in (1, 2, 7, 1000):
        optim.Adam._bias_correct(hyper, t)
        c2 = math.sqrt(1.0 - 0.99 ** t)
        assert hyper.eps_hat.dtype == dtype and hyper.eps_hat.shape == ()
        assert hyper.eps_hat == np.array(1e-7 * c2, dtype)
        assert hyper.step_size == np.array(0.003 * c2 / (1.0 - 0.8 ** t), dtype)
