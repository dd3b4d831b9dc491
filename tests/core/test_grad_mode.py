"""Grad-mode switches: nesting, decorators, and thread-locality."""

import threading

import pytest

import tinygrad_edu as tg


def _records() -> bool:
    return (tg.Tensor(1.0, requires_grad=True) * 2).requires_grad


def test_no_grad_stops_recording():
    with tg.no_grad():
        assert not _records()
    assert _records()


def test_switches_nest_and_restore_each_state():
    with tg.no_grad():
        with tg.enable_grad():
            assert _records()
            with tg.no_grad():
                assert not _records()
            assert _records()
        assert not _records()
    assert tg.is_grad_enabled()


def test_set_grad_enabled_as_context_and_as_function():
    with tg.set_grad_enabled(False):
        assert not _records()
    assert _records()
    tg.set_grad_enabled(False)
    try:
        assert not _records()
    finally:
        tg.set_grad_enabled(True)
    assert _records()


def test_decorators():
    @tg.no_grad()
    def infer():
        return _records()

    @tg.enable_grad()
    def train():
        return _records()

    assert infer() is False
    with tg.no_grad():
        assert train() is True
    assert tg.is_grad_enabled()


def test_decorator_restores_mode_after_an_exception():
    @tg.no_grad()
    def fails():
        raise ValueError("boom")

    try:
        fails()
    except ValueError:
        pass
    assert tg.is_grad_enabled()


def test_grad_mode_is_thread_local():
    seen = {}
    inside = threading.Event()
    release = threading.Event()

    def worker():
        inside.wait()
        seen["worker"] = _records()
        release.set()

    thread = threading.Thread(target=worker)
    thread.start()
    with tg.no_grad():
        inside.set()
        release.wait(timeout=10)
        seen["main"] = _records()
    thread.join()
    assert seen == {"worker": True, "main": False}


def _check_plain_recording() -> None:
    """The ops' one-read summary of the three flags must always agree with them."""
    from tinygrad_edu.autograd.grad_mode import state
    expected = state.grad_enabled and not state.recording_tapes and not state.anomaly_enabled
    assert state.plain_recording == expected, (
        state.grad_enabled, state.recording_tapes, state.anomaly_enabled)


def test_plain_recording_follows_every_switch():
    check = _check_plain_recording
    x = tg.Tensor(2.0, requires_grad=True)

    def hook(grad):
        check()
        with tg.enable_grad():
            check()
        check()

    check()
    with tg.no_grad():
        check()
        with tg.enable_grad():
            check()
        check()
    with tg.set_grad_enabled(False):
        check()
    tg.set_grad_enabled(False)
    check()
    tg.set_grad_enabled(True)
    check()
    tg.no_grad()(check)()
    with tg.autograd.detect_anomaly():
        check()
        with tg.GradientTape() as outer:
            outer.watch(x)
            check()
            with tg.GradientTape(persistent=True) as inner:
                inner.watch(x)
                check()
                y = x * x
            check()
            inner.gradient(y, x)
            check()
        check()
    check()
    tg.autograd.set_detect_anomaly(True)
    check()
    tg.autograd.set_detect_anomaly(False)
    check()
    y = x * x
    y.register_hook(hook)
    y.backward(create_graph=True)
    check()
    (x * x).backward()
    check()
    z = x * x

    def fails(grad):
        raise ValueError("a hook that fails inside the backward sweep")

    z.register_hook(fails)
    try:
        z.backward()
    except ValueError:
        pass
    check()

    seen = []
    thread = threading.Thread(target=lambda: seen.append(_check_plain_recording()))
    with tg.no_grad():
        thread.start()
        thread.join()
    assert seen == [None]


@pytest.mark.parametrize("create_graph", [False, True])
def test_user_code_in_backward_sees_grad_mode_as_create_graph(create_graph):
    """Hooks, a Tensor-level backward and a user's backward_arrays run with grad mode on
    exactly when the backward is recorded (as in PyTorch), and the mode is back afterwards,
    even when that code raises."""
    from tinygrad_edu.autograd import Function

    seen = []

    class TensorsOnly(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, grad):
            seen.append(("backward", tg.is_grad_enabled()))
            return grad * 2

    class WithArrays(TensorsOnly):
        @staticmethod
        def backward(ctx, grad):
            seen.append(("backward", tg.is_grad_enabled()))
            return grad * 2

        @staticmethod
        def backward_arrays(ctx, grad):
            seen.append(("backward_arrays", tg.is_grad_enabled()))
            _check_plain_recording()
            return grad * 2

    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = WithArrays.apply(TensorsOnly.apply(x))
    y.register_hook(lambda g: seen.append(("hook", tg.is_grad_enabled())))
    x.register_hook(lambda g: seen.append(("leaf hook", tg.is_grad_enabled())))
    loss = y.sum()
    for outside in (True, False):
        seen.clear()
        with tg.set_grad_enabled(outside):
            loss.backward(retain_graph=True, create_graph=create_graph)
            assert tg.is_grad_enabled() is outside
            _check_plain_recording()
        called = "backward" if create_graph else "backward_arrays"
        assert seen == [("hook", create_graph), (called, create_graph),
                        ("backward", create_graph), ("leaf hook", create_graph)]

    def fails(grad):
        raise ValueError("a hook that fails")

    z = TensorsOnly.apply(x)
    z.register_hook(fails)
    with pytest.raises(ValueError, match="a hook that fails"):
        z.sum().backward(create_graph=create_graph)
    assert tg.is_grad_enabled()
    _check_plain_recording()


def test_the_package_own_array_backwards_are_not_wrapped():
    """Only a user's backward_arrays pays for switching grad mode off."""
    from tinygrad_edu.ops.elementwise import Mul
    assert Mul.__dict__["backward_arrays"].__func__.__module__ == Mul.__module__
