"""GradientTape with TensorFlow's semantics."""

import random

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import GradientTape, Tensor


def test_seed_equation_workflow_converges_to_x10_y6():
    random.seed(0)
    x = Tensor(random.random(), requires_grad=True)
    y = Tensor(random.random(), requires_grad=True)
    with GradientTape() as tape:
        y1 = x + y - 16
        y2 = 10 * x + 25 * y - 250
        loss = y1 * y1 + y2 * y2
    dx, dy = tape.gradient(loss, [x, y])
    # d/dx = 2 y1 + 20 y2, d/dy = 2 y1 + 50 y2
    assert dx.item() == pytest.approx(2 * y1.item() + 20 * y2.item(), rel=1e-5)
    assert dy.item() == pytest.approx(2 * y1.item() + 50 * y2.item(), rel=1e-5)

    # The textbook loop: Adam steps (written out here) until the loss stops changing.
    m, v, previous = np.zeros(2), np.zeros(2), float("inf")
    for step in range(1, 20001):
        with GradientTape() as tape:
            y1 = x + y - 16
            y2 = 10 * x + 25 * y - 250
            loss = y1 * y1 + y2 * y2
        grads = np.array([g.item() for g in tape.gradient(loss, [x, y])])
        m = 0.9 * m + 0.1 * grads
        v = 0.999 * v + 0.001 * grads ** 2
        update = 0.1 * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
        with tg.no_grad():
            x -= float(update[0])
            y -= float(update[1])
        if abs(loss.item() - previous) < 1e-8:
            break
        previous = loss.item()
    assert x.item() == pytest.approx(10, abs=1e-2) and y.item() == pytest.approx(6, abs=1e-2)
    assert x.grad is None, "a tape must not touch .grad"


def test_result_follows_the_structure_of_sources():
    a, b = Tensor(1.0, requires_grad=True), Tensor(2.0, requires_grad=True)
    with GradientTape(persistent=True) as tape:
        z = a * b
    assert isinstance(tape.gradient(z, [a, b]), list)
    assert isinstance(tape.gradient(z, (a, b)), tuple)
    assert set(tape.gradient(z, {"a": a, "b": b})) == {"a", "b"}
    assert tape.gradient(z, a).item() == 2.0


def test_unconnected_source_gives_none():
    a, b = Tensor(1.0, requires_grad=True), Tensor(2.0, requires_grad=True)
    with GradientTape() as tape:
        z = a * 3
    ga, gb = tape.gradient(z, [a, b])
    assert ga.item() == 3.0 and gb is None


def test_non_persistent_tape_allows_one_gradient_call():
    a = Tensor(1.0, requires_grad=True)
    with GradientTape() as tape:
        z = a * a
    tape.gradient(z, a)
    with pytest.raises(RuntimeError, match="persistent=True"):
        tape.gradient(z, a)


def test_persistent_tape_allows_many():
    a = Tensor(3.0, requires_grad=True)
    with GradientTape(persistent=True) as tape:
        z = a * a
        w = z * a
    assert tape.gradient(z, a).item() == 6.0
    assert tape.gradient(w, a).item() == 27.0
    assert tape.gradient(w, z).item() == 3.0


def test_watch_makes_a_constant_differentiable():
    c = Tensor(3.0)
    with GradientTape() as tape:
        tape.watch(c)
        z = c * c
    assert tape.gradient(z, c).item() == 6.0
    assert not c.requires_grad


def test_unwatched_constant_gives_none():
    c = Tensor(3.0)
    with GradientTape() as tape:
        z = c * c
    assert tape.gradient(z, c) is None


def test_watch_accessed_variables_false_watches_only_what_was_asked():
    v = Tensor(2.0, requires_grad=True)
    u = Tensor(5.0, requires_grad=True)
    with GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(u)
        z = v * u
    gv, gu = tape.gradient(z, [v, u])
    assert gv is None and gu.item() == 2.0
    assert tape.watched_variables() == [u]


def test_ops_before_the_tape_are_constants_to_it():
    x = Tensor(2.0, requires_grad=True)
    y = x * x               # not recorded
    with GradientTape() as tape:
        z = y * x           # dz/dx with y constant = y = 4
    assert tape.gradient(z, x).item() == 4.0


def test_nested_tapes_give_second_derivatives():
    x = Tensor(3.0, requires_grad=True)
    with GradientTape() as outer:
        with GradientTape() as inner:
            y = x * x * x
        dy = inner.gradient(y, x)
    d2y = outer.gradient(dy, x)
    assert dy.item() == 27.0 and d2y.item() == 18.0


def test_stop_recording():
    x = Tensor(2.0, requires_grad=True)
    with GradientTape() as tape:
        a = x * x
        with tape.stop_recording():
            b = a * 10
        c = a + b
    # b is a constant to the tape: dc/dx = d(a)/dx = 2x
    assert tape.gradient(c, x).item() == 4.0


def test_output_gradients_and_jacobian():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with GradientTape(persistent=True) as tape:
        y = x * x
    g = tape.gradient(y, x, output_gradients=Tensor([1.0, 0.5]))
    np.testing.assert_allclose(g.data, [2.0, 2.0])
    np.testing.assert_allclose(tape.jacobian(y, x).data, np.diag([2.0, 4.0]))


def test_watch_rejects_integers():
    with GradientTape() as tape:
        with pytest.raises(TypeError, match="float"):
            tape.watch(Tensor([1, 2]))
