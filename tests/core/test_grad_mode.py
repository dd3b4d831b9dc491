"""Grad-mode switches: nesting, decorators, and thread-locality."""

import threading

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
