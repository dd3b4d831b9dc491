"""The backward sweep: order, depth, accumulation, freeing, higher order, errors."""

from __future__ import annotations

import gc
import operator
import weakref

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.autograd import Function


def test_chain_of_100k_ops_backpropagates_without_recursion():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])
    del y  # freeing a deep graph must not recurse either


def test_reused_nonleaf_gets_the_sum_of_its_consumers_gradients():
    x = tg.Tensor(3.0, requires_grad=True)
    h = x * x          # used three times below
    y = h * h + h + tg.sin(h)
    y.backward()
    # dy/dx = (2h + 1 + cos h) * 2x
    expected = (2 * 9.0 + 1 + np.cos(9.0)) * 6.0
    assert x.grad.item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("order", ["p + q", "q + p"])
def test_a_node_waits_for_every_consumer_however_the_sweep_reaches_it(order):
    """``a`` feeds a short branch ``p`` and a long one ``q``; the sweep reaches ``a`` from the
    long branch while ``p``, of a larger generation, still waits. A hook on ``a`` must see its
    whole gradient, once."""
    x = tg.Tensor(1.0, requires_grad=True)
    a = x * 2.0
    p = a * 3.0
    q = ((a * 5.0) * 6.0) * 7.0
    seen = []
    a.register_hook(lambda g: seen.append(float(g.item())))
    (p + q if order == "p + q" else q + p).backward()
    assert seen == [3.0 + 210.0]
    assert x.grad.item() == 2.0 * 213.0


@pytest.mark.parametrize("count", [1, 2, 15, 16, 40])
def test_a_node_of_many_inputs_gives_each_its_gradient(count):
    leaves = [tg.Tensor(float(i), requires_grad=True) for i in range(count)]
    (tg.stack(leaves) * tg.arange(count)).sum().backward()
    assert [leaf.grad.item() for leaf in leaves] == list(range(count))


class _FailsInBackward(Function):
    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, grad):
        raise ValueError("this op's backward fails")


def test_an_error_in_the_sweep_leaves_every_grad_as_it_was():
    """A parameter next to the loss gets its .grad as soon as its gradient arrives; when a
    node further down fails, that .grad is taken back, as the others never changed."""
    near = tg.Tensor([1.0, 2.0], requires_grad=True)
    far = tg.Tensor([3.0, 4.0], requires_grad=True)
    kept = tg.Tensor([5.0, 6.0], requires_grad=True)
    kept.grad = tg.Tensor([1.0, 1.0])
    loss = (_FailsInBackward.apply(far * 2.0) * near + kept).sum()
    with pytest.raises(ValueError, match="backward fails"):
        loss.backward()
    assert near.grad is None and far.grad is None
    np.testing.assert_array_equal(kept.grad.data, [1.0, 1.0])


def test_a_leaf_reached_twice_gets_the_sum_and_arrays_are_never_shared():
    """Add hands one gradient array to both its inputs: the leaf that takes it as its .grad
    first owns it, the other gets a copy, and a second gradient of a leaf adds to its own."""
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    v = tg.Tensor([3.0, 4.0], requires_grad=True)
    ((w + v) * 1.0 + w * 3.0).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [4.0, 4.0])
    np.testing.assert_array_equal(v.grad.data, [1.0, 1.0])
    assert not np.shares_memory(w.grad.data, v.grad.data)
    v.grad.data += 10.0          # one .grad changed in place leaves the other alone
    np.testing.assert_array_equal(w.grad.data, [4.0, 4.0])


def test_gradients_accumulate_across_backward_calls_and_zero_resets():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 4).sum().backward()
    np.testing.assert_allclose(x.grad.data, [7.0, 7.0])
    x.grad.zero_()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])


def test_second_backward_through_freed_graph_says_retain_graph():
    x = tg.Tensor(2.0, requires_grad=True)
    y = x.exp() * 2
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = tg.Tensor(2.0, requires_grad=True)
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == pytest.approx(8.0)


def test_backward_on_non_scalar_needs_gradient():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(2,\).*gradient="):
        (x * 2).backward()
    (x * 2).backward(tg.Tensor([1.0, -1.0]))
    np.testing.assert_array_equal(x.grad.data, [2.0, -2.0])


def test_backward_gradient_of_wrong_shape_is_refused():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\).*\(2,\)"):
        (x * 2).backward(tg.Tensor([1.0, 1.0, 1.0]))


def test_backward_without_requires_grad_explains():
    with pytest.raises(RuntimeError, match="requires_grad=True"):
        (tg.Tensor(1.0) * 2).backward()


def test_third_derivative_of_sine():
    x = tg.Tensor(0.7, requires_grad=True, dtype=tg.float64)
    (d1,) = tg.autograd.grad(x.sin(), [x], create_graph=True)
    (d2,) = tg.autograd.grad(d1, [x], create_graph=True)
    (d3,) = tg.autograd.grad(d2, [x])
    assert d1.item() == pytest.approx(np.cos(0.7), abs=1e-12)
    assert d2.item() == pytest.approx(-np.sin(0.7), abs=1e-12)
    assert d3.item() == pytest.approx(-np.cos(0.7), abs=1e-12)


def test_hessian_against_closed_form():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3))
    x0 = rng.standard_normal(3)

    def f(x):  # x^T A x + sum(x^3): Hessian A + A^T + diag(6x)
        return x @ (tg.Tensor(a) @ x) + (x ** 3).sum()

    hessian = tg.func.hessian(f)(x0)
    np.testing.assert_allclose(hessian.data, a + a.T + np.diag(6 * x0), atol=1e-10)

    # The same through backward(create_graph=True) twice, row by row.
    x = tg.Tensor(x0, requires_grad=True)
    f(x).backward(create_graph=True)
    first = x.grad
    for i in range(3):
        (row,) = tg.autograd.grad(first[i], [x], retain_graph=True)
        np.testing.assert_allclose(row.data, (a + a.T + np.diag(6 * x0))[i], atol=1e-10)


def test_autograd_grad_leaves_dot_grad_alone_and_reports_unused():
    x = tg.Tensor(2.0, requires_grad=True)
    z = tg.Tensor(5.0, requires_grad=True)
    (g,) = tg.autograd.grad(x * x, [x])
    assert g.item() == pytest.approx(4.0) and x.grad is None
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        tg.autograd.grad(x * 3, [x, z])
    gx, gz = tg.autograd.grad(x * 3, [x, z], allow_unused=True)
    assert gx.item() == 3.0 and gz is None


def test_grad_with_respect_to_an_intermediate():
    x = tg.Tensor(2.0, requires_grad=True)
    h = x * 3
    y = h * h
    (gh,) = tg.autograd.grad(y, [h])
    assert gh.item() == pytest.approx(12.0)


class _SavesBigArray(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(np.full(1000, 2.0))
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        (twos,) = ctx.saved_tensors
        return grad * twos[0]


def test_saved_arrays_are_released_after_backward():
    x = tg.Tensor([1.0], requires_grad=True)
    y = _SavesBigArray.apply(x)
    saved = weakref.ref(y.grad_fn._saved[0])
    y.sum().backward()
    assert saved() is None, "backward kept the saved array alive"
    np.testing.assert_array_equal(x.grad.data, [2.0])


def test_saved_arrays_are_kept_with_retain_graph():
    x = tg.Tensor([1.0], requires_grad=True)
    y = _SavesBigArray.apply(x)
    saved = weakref.ref(y.grad_fn._saved[0])
    y.sum().backward(retain_graph=True)
    assert saved() is not None


def test_graph_is_freed_by_reference_counting_alone():
    gc.disable()
    try:
        x = tg.Tensor(np.ones(4), requires_grad=True)
        h = (x * 2).exp()
        node = weakref.ref(h.grad_fn)
        intermediate = weakref.ref(h)
        loss = (h * h).sum()
        del h
        loss.backward()
        del loss
        assert node() is None and intermediate() is None, "the graph has a reference cycle"
    finally:
        gc.enable()


class _WrongShape(Function):
    @staticmethod
    def forward(ctx, x):
        return x.sum(axis=0)

    @staticmethod
    def backward(ctx, grad):
        return grad  # forgot to expand back to the input's shape


def test_engine_names_the_op_whose_gradient_has_the_wrong_shape():
    x = tg.Tensor(np.ones((3, 2)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"_WrongShapeBackward.*shape \(2,\).*\(3, 2\)"):
        _WrongShape.apply(x).sum().backward()


def test_broadcast_gradients_are_reduced_to_the_input_shape():
    b = tg.Tensor(np.zeros((1, 3)), requires_grad=True)
    x = tg.Tensor(np.ones((4, 3)))
    (x + b).sum().backward()
    assert b.grad.shape == (1, 3)
    np.testing.assert_array_equal(b.grad.data, [[4.0, 4.0, 4.0]])


class _Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x ** 2


def test_user_function_supports_higher_order_through_saved_tensors():
    x = tg.Tensor(2.0, requires_grad=True, dtype=tg.float64)
    y = _Cube.apply(x)
    (d1,) = tg.autograd.grad(y, [x], create_graph=True)
    (d2,) = tg.autograd.grad(d1, [x])
    assert (y.item(), d1.item(), d2.item()) == (8.0, 12.0, 12.0)
    assert tg.autograd.gradcheck(_Cube.apply, [tg.Tensor([0.5, -1.5], requires_grad=True)])
    assert tg.autograd.gradgradcheck(_Cube.apply, [tg.Tensor([0.5, -1.5], requires_grad=True)])


def test_backward_returning_the_wrong_number_of_gradients_is_explained():
    class TwoForOne(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    with pytest.raises(RuntimeError, match="returned 2 gradients for 1 inputs"):
        TwoForOne.apply(tg.Tensor(1.0, requires_grad=True)).backward()


def test_hooks_can_rewrite_gradients_and_be_removed():
    x = tg.Tensor(1.0, requires_grad=True)
    handle = x.register_hook(lambda g: g * 10)
    (x * 2).backward()
    assert x.grad.item() == 20.0
    handle.remove()
    (x * 2).backward()
    assert x.grad.item() == 22.0

    h = x * 3
    seen = []
    h.register_hook(lambda g: seen.append(g.item()))
    (h * 5).backward()
    assert seen == [5.0]


def test_retain_grad_keeps_a_nonleaf_gradient():
    x = tg.Tensor(2.0, requires_grad=True)
    h = x * 3
    h.retain_grad()
    other = x * 4
    (h * h + other).backward()
    assert h.grad.item() == pytest.approx(12.0)
    assert other.grad is None


def test_leaf_gradients_never_alias():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = tg.Tensor([3.0, 4.0], requires_grad=True)
    upstream = tg.Tensor([1.0, 1.0])
    (x + y).backward(upstream)
    assert not np.shares_memory(x.grad.data, y.grad.data)
    assert not np.shares_memory(x.grad.data, upstream.data)
    x.grad.data[0] = 100.0
    assert y.grad.data[0] == 1.0


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_detect_anomaly_names_the_op_and_where_it_was_created():
    x = tg.Tensor([0.0, 1.0], requires_grad=True)
    with tg.detect_anomaly():
        y = x.sqrt()  # the gradient 1/(2 sqrt(x)) is inf at 0
        with pytest.raises(RuntimeError, match=r"SqrtBackward.*inf(.|\n)*test_engine\.py"):
            y.sum().backward()


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_without_detect_anomaly_the_inf_just_flows():
    x = tg.Tensor([0.0, 1.0], requires_grad=True)
    x.sqrt().sum().backward()
    assert np.isinf(x.grad.data[0])


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="floating-point.*int64"):
        tg.Tensor([1, 2, 3], requires_grad=True)
    t = tg.Tensor([1, 2, 3])
    with pytest.raises(TypeError, match="floating-point"):
        t.requires_grad = True


def test_in_place_change_of_a_parameter_needs_no_grad():
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w -= 0.1
    with tg.no_grad():
        w -= tg.Tensor([0.5, 0.5])
    np.testing.assert_allclose(w.data, [0.5, 1.5])
    assert w.is_leaf and w.requires_grad


def test_hook_errors_are_explained():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.Tensor(1.0).register_hook(lambda g: g)
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: tg.Tensor([1.0]))
    with pytest.raises(RuntimeError, match=r"hook.*shape \(2,\)"):
        (x * 2).sum().backward()


def test_grad_of_an_input_that_does_not_require_grad_is_refused():
    x = tg.Tensor(1.0, requires_grad=True)
    c = tg.Tensor(2.0)
    with pytest.raises(RuntimeError, match=r"input 1.*requires_grad=True"):
        tg.autograd.grad(x * c, [x, c])


def test_requires_grad_cannot_be_switched_off_on_a_computed_tensor():
    y = tg.Tensor(1.0, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad = False


def test_removing_one_of_two_registrations_of_the_same_hook_keeps_the_other():
    x = tg.Tensor(1.0, requires_grad=True)

    def double(g):
        return g * 2

    first = x.register_hook(double)
    x.register_hook(double)
    first.remove()
    (x * 1).backward()
    assert x.grad.item() == 2.0


class _ScaledSquare(Function):
    """x^2 with both backward forms, counting which one runs."""

    calls: list = []

    @staticmethod
    def forward(ctx, x):
        return x * x

    @staticmethod
    def backward(ctx, grad):
        _ScaledSquare.calls.append("tensors")
        return grad * 2.0 * ctx.inputs[0]

    @staticmethod
    def backward_arrays(ctx, grad):
        _ScaledSquare.calls.append("arrays")
        return grad * 2.0 * ctx.input_arrays[0]


def test_ordinary_backward_uses_backward_arrays_and_create_graph_uses_backward():
    x = tg.Tensor([1.0, -3.0], requires_grad=True)
    _ScaledSquare.calls.clear()
    _ScaledSquare.apply(x).sum().backward()
    assert _ScaledSquare.calls == ["arrays"]
    np.testing.assert_allclose(x.grad.data, [2.0, -6.0])
    assert type(x.grad.data) is np.ndarray and x.grad.dtype == np.float32

    _ScaledSquare.calls.clear()
    (g,) = tg.autograd.grad(_ScaledSquare.apply(x).sum(), [x], create_graph=True)
    assert _ScaledSquare.calls == ["tensors"] and g.requires_grad


def test_a_subclass_that_redefines_backward_does_not_inherit_backward_arrays():
    from tinygrad_edu.ops.elementwise import Exp

    class ExpWithHalfGradient(Exp):
        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.output * 0.5

    assert ExpWithHalfGradient.backward_arrays is None
    x = tg.Tensor([0.0, 1.0], requires_grad=True)
    ExpWithHalfGradient.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, 0.5 * np.exp([0.0, 1.0]), rtol=1e-6)


def test_backward_arrays_may_return_tensors_or_numbers_and_they_are_fitted():
    class Twice(Function):
        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, grad):
            return grad * 2.0

        @staticmethod
        def backward_arrays(ctx, grad):
            return tg.Tensor(np.full(ctx.input_arrays[0].shape, 2.0)) * grad  # float64 Tensor

    x = tg.Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    Twice.apply(x).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.shape == (2, 3)
    np.testing.assert_allclose(x.grad.data, 2.0)


def test_zero_dim_gradients_arrive_as_arrays_of_the_leaf_dtype():
    x = tg.Tensor(np.float64(0.5), requires_grad=True)
    y = tg.Tensor(0.25, requires_grad=True)   # float32
    ((x * 3.0).double() + (y * y).double() * x).backward()
    for leaf in (x, y):
        assert type(leaf.grad.data) is np.ndarray and leaf.grad.shape == ()
        assert leaf.grad.dtype == leaf.dtype and leaf.grad.data.flags.writeable
    np.testing.assert_allclose(x.grad.data, 3.0 + 0.0625)
    np.testing.assert_allclose(y.grad.data, 2 * 0.25 * 0.5)


_SCALAR_OPS = {"+": (operator.add, lambda u, v: (1.0, 1.0)),
               "-": (operator.sub, lambda u, v: (1.0, -1.0)),
               "*": (operator.mul, lambda u, v: (v, u)),
               "/": (operator.truediv, lambda u, v: (1.0 / v, -u / v ** 2))}


@pytest.mark.parametrize("symbol", sorted(_SCALAR_OPS))
@pytest.mark.parametrize("dtype_a,dtype_b", [(np.float32, np.float64), (np.float64, np.float32),
                                             (np.float16, np.float32), (np.float32, np.float32)])
def test_zero_dim_operands_of_two_dtypes_get_gradients_of_their_own(symbol, dtype_a, dtype_b):
    """0-d operands meet as NumPy scalars; a gradient of the other operand's (wider) type
    must still be cast back, both at a leaf and at an intermediate result."""
    op, derivative = _SCALAR_OPS[symbol]
    a = tg.Tensor(np.array(1.5, dtype_a), requires_grad=True)
    b = tg.Tensor(np.array(-0.75, dtype_b), requires_grad=True)
    u, v = a * 2.0, b + 0.5                   # intermediates of the leaves' dtypes
    (op(u, v) * 3.0 + op(a, b)).backward()
    da_u, db_v = derivative(3.0, -0.25)
    da, db = derivative(1.5, -0.75)
    for leaf, expected in ((a, 3.0 * da_u * 2.0 + da), (b, 3.0 * db_v + db)):
        assert leaf.grad.dtype == leaf.dtype and leaf.grad.shape == ()
        np.testing.assert_allclose(leaf.grad.data, expected, rtol=2e-3)


@pytest.mark.parametrize("shape", [(), (1,), (1, 1)])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_the_implied_one_of_every_single_element_root_shape_and_dtype(shape, dtype):
    """loss.backward() starts from 1 in the root's dtype, whatever single-element shape the
    root has; a leaf reached through identities still gets a writable array of its own."""
    for _ in range(2):   # the second pass reuses whatever the first one cached
        x = tg.Tensor(np.full(shape, 0.5, dtype), requires_grad=True)
        y = tg.Tensor(np.full(shape, 0.5, dtype), requires_grad=True)
        (x + 0 + y * 3).backward()
        for leaf, expected in ((x, 1.0), (y, 3.0)):
            assert leaf.grad.dtype == dtype and leaf.grad.shape == shape
            assert type(leaf.grad.data) is np.ndarray and leaf.grad.data.flags.writeable
            np.testing.assert_array_equal(leaf.grad.data, expected)
            leaf.grad.data[...] = -7.0    # must not change the next pass's starting 1


@pytest.mark.parametrize("create_graph", [False, True])
def test_gradients_of_an_identity_graph_are_writable_and_never_shared(create_graph):
    """The implied 1 of loss.backward() reaches the leaf unchanged through x + 0: the leaf must
    still get an array of its own (writable, in-place updates stay local)."""
    grads = []
    for _ in range(2):
        x = tg.Tensor(3.0, requires_grad=True)
        (x + 0).backward(create_graph=create_graph)
        assert x.grad.data.flags.writeable
        x.grad.data[...] += 1.0
        grads.append(x.grad)
    np.testing.assert_array_equal(grads[0].data, 2.0)
    np.testing.assert_array_equal(grads[1].data, 2.0)
    assert not np.shares_memory(grads[0].data, grads[1].data)


def test_a_saved_array_returned_as_a_gradient_is_copied_while_the_graph_is_retained():
    class TimesConstant(Function):
        """x * c with d/dx = c, kept as a saved array and returned as it is."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(np.full(x.shape, 2.0, dtype=x.dtype))
            return 2.0 * x

        @staticmethod
        def backward(ctx, grad):
            (local,) = ctx.saved_tensors
            return grad * local

        @staticmethod
        def backward_arrays(ctx, grad):
            (local,) = ctx.saved_arrays
            return local    # valid only for the implied upstream gradient of ones, below

    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = TimesConstant.apply(x)
    for _ in range(3):
        y.backward(tg.ones(2), retain_graph=True)
    np.testing.assert_array_equal(x.grad.data, [6.0, 6.0])


def test_a_wrong_gradient_from_backward_arrays_names_that_method():
    class Broken(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

        @staticmethod
        def backward_arrays(ctx, grad):
            return np.ones((5,))   # not the input's shape (3,)

    x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"BrokenBackward\.backward_arrays returned a gradient "
                                           r"of shape \(5,\)"):
        Broken.apply(x).sum().backward()
    (g,) = tg.autograd.grad(Broken.apply(x).sum(), [x], create_graph=True)  # backward is fine
    np.testing.assert_array_equal(g.data, [2.0, 2.0, 2.0])


def test_a_first_gradient_that_is_a_view_or_read_only_is_copied_into_the_leaf():
    """The sweep adopts a fresh gradient array as a leaf's .grad without copying; a view, a
    read-only array or one already given to another leaf must be copied instead."""

    class Hands(Function):
        """Gives each input a gradient of a different provenance."""

        @staticmethod
        def forward(ctx, a, b, c, d):
            return a + b + c + d

        @staticmethod
        def backward(ctx, grad):
            return grad, grad, 2 * grad, 2 * grad

        @staticmethod
        def backward_arrays(ctx, grad):
            backing = np.ones(8, dtype=grad.dtype)
            view = backing[:4]                    # has a base
            frozen = np.ones(4, dtype=grad.dtype)
            frozen.flags.writeable = False        # read-only
            fresh = grad * 2.0
            return view, frozen, fresh, fresh     # the last two share one array

    leaves = [tg.Tensor(np.zeros(4, np.float32), requires_grad=True) for _ in range(4)]
    Hands.apply(*leaves).backward(tg.ones(4))
    grads = [leaf.grad.data for leaf in leaves]
    for g in grads:
        assert g.base is None and g.flags.writeable
    assert not np.shares_memory(grads[2], grads[3])
    np.testing.assert_array_equal(grads[0], 1.0)
    np.testing.assert_array_equal(grads[3], 2.0)


def test_a_root_gradient_of_another_dtype_is_cast_to_the_root_dtype():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)          # float32
    y = x * 3.0
    y.retain_grad()
    y.backward(tg.Tensor(np.array([1.0, 0.5])))            # a float64 upstream gradient
    assert y.grad.dtype == np.float32 and x.grad.dtype == np.float32
    np.testing.assert_allclose(y.grad.data, [1.0, 0.5])
    np.testing.assert_allclose(x.grad.data, [3.0, 1.5])
