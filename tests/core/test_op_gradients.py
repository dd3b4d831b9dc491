"""Property tests made from the op declarations in ``op_specs``: every differentiable op, in
every public form, is checked for its value, its gradient (and second derivative where smooth)
against central differences in float64, and for the engine's promises: inputs not mutated,
gradients that alias nothing, saved arrays released after backward."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
from tinygrad_edu.autograd import Function, gradcheck, gradgradcheck

from .op_specs import SPECS, floats

CASES = [(spec, form) for spec in SPECS for form in spec.forms]


def _outputs(result):
    return result if isinstance(result, tuple) else (result,)


@pytest.mark.parametrize("spec,form", CASES, ids=[f"{s.name}-{f}" for s, f in CASES])
@given(data=st.data())
def test_gradient_matches_central_differences(spec, form, data):
    args = data.draw(spec.args, label="args")
    kwargs = data.draw(spec.kwargs(args), label="kwargs")
    fn = spec.forms[form]
    originals = [a.copy() for a in args]
    inputs = [tg.Tensor(a, requires_grad=True) for a in args]

    outputs = _outputs(fn(*inputs, **kwargs))
    expected = spec.reference_for(form)(*args, **kwargs)
    for out, ref in zip(outputs, _outputs(expected)):
        np.testing.assert_allclose(out.data, ref, rtol=spec.rtol, atol=1e-9)

    # A random upstream gradient, so a backward that is only right for ones still fails.
    upstream = [data.draw(hnp.arrays(np.float64, out.shape, elements=floats(-2, 2)),
                          label="upstream") for out in outputs]
    gradcheck(lambda *ts: fn(*ts, **kwargs), inputs, grad_outputs=upstream, eps=spec.eps)
    if spec.smooth:
        gradgradcheck(lambda *ts: fn(*ts, **kwargs), inputs, grad_outputs=upstream, eps=spec.eps)

    _assert_backward_forms_agree(fn, kwargs, inputs, upstream)

    for a, original in zip(args, originals):
        np.testing.assert_array_equal(a, original, err_msg="the op changed its input")

    # Accumulated gradients: shaped like their inputs, owning their memory.
    outputs = _outputs(fn(*inputs, **kwargs))
    tg.autograd.backward(list(outputs), [tg.Tensor(u) for u in upstream])
    grads = [x.grad for x in inputs if x.grad is not None]
    for x in inputs:
        if x.grad is not None:
            assert x.grad.shape == x.shape and x.grad.dtype == x.dtype
    arrays = [g.data for g in grads] + list(args) + upstream
    for i, g in enumerate(grads):
        for j, other in enumerate(arrays):
            if j != i:
                assert not np.shares_memory(g.data, other), "a gradient aliases another array"

    # After backward the graph is released: a second backward must refuse.
    for out in outputs:
        if out.grad_fn is not None:
            assert out.grad_fn.released


def _assert_backward_forms_agree(fn, kwargs, inputs, upstream):
    """The ordinary backward (``backward_arrays`` on bare arrays) and the recorded one
    (``backward`` on Tensors, as create_graph uses it) must give the same gradients: gradcheck
    proves the first, and this ties the second to it, for smooth and non-smooth ops alike."""
    outputs = _outputs(fn(*inputs, **kwargs))
    seeds = [tg.Tensor(u) for u in upstream]
    on_arrays = tg.autograd.grad(list(outputs), inputs, seeds, retain_graph=True,
                                 allow_unused=True)
    recorded = tg.autograd.grad(list(outputs), inputs, seeds, create_graph=True,
                                allow_unused=True)
    for i, (a, r) in enumerate(zip(on_arrays, recorded)):
        assert (a is None) == (r is None), f"input {i}: one backward form gives no gradient"
        if a is not None:
            assert a.dtype == r.dtype and a.shape == r.shape, f"input {i}"
            np.testing.assert_allclose(a.data, r.data, rtol=1e-10, atol=1e-12,
                                       err_msg=f"input {i}: backward forms disagree")


def _simplest_call(spec):
    """One deterministic (args, kwargs) example of a spec, drawn without shrinking."""
    found = []

    @settings(max_examples=1, phases=[Phase.generate], database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(spec.args.flatmap(lambda args: st.tuples(st.just(args), spec.kwargs(args))))
    def draw(call):
        found.append(call)

    draw()
    return found[0]


@pytest.mark.parametrize("spec", [s for s in SPECS if s.name != "to"], ids=lambda s: s.name)
def test_float32_stays_float32_through_backward(spec):
    for form, fn in spec.forms.items():
        args, kwargs = _simplest_call(spec)
        inputs = [tg.Tensor(a.astype(np.float32), requires_grad=True) for a in args]
        outputs = _outputs(fn(*inputs, **kwargs))
        assert all(o.dtype == np.float32 for o in outputs), (spec.name, form)
        tg.autograd.backward(list(outputs), [tg.ones_like(o) for o in outputs])
        for x in inputs:
            assert x.grad is None or x.grad.dtype == np.float32, (spec.name, form)


def _node_types(roots):
    """Every Function subclass in the graphs behind ``roots`` (iteratively)."""
    seen, stack, types = set(), [r.grad_fn for r in roots if r.grad_fn is not None], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        types.add(type(node))
        stack.extend(x.grad_fn for x in node.inputs
                     if isinstance(x, tg.Tensor) and x.grad_fn is not None)
    return types


def _builtin_functions():
    found, stack = set(), [Function]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("tinygrad_edu.ops") and not inspect.isabstract(sub) \
                    and not sub.__name__.startswith("_"):
                found.add(sub)
    return found


def test_every_public_op_has_a_property_test():
    declared = {spec.name for spec in SPECS}
    missing = set(tg.DIFFERENTIABLE_OPS) - declared
    assert not missing, f"differentiable ops without a property test: {sorted(missing)}"


def test_every_builtin_function_is_reached_by_the_property_tests():
    """Forward graphs and (create_graph) backward graphs of the declared examples together
    must use every built-in Function: a new primitive cannot slip in untested."""
    reached = set()
    for spec in SPECS:
        for fn in spec.forms.values():
            args, kwargs = _simplest_call(spec)
            inputs = [tg.Tensor(a, requires_grad=True) for a in args]
            outputs = _outputs(fn(*inputs, **kwargs))
            reached |= _node_types(outputs)
            total = sum((o * 1.5).sum() for o in outputs)
            # A seed that requires grad makes even linear ops record their backward.
            seed = tg.Tensor(np.ones_like(total.data), requires_grad=True)
            grads = tg.autograd.grad(total, inputs, grad_outputs=[seed], create_graph=True,
                                     allow_unused=True)
            reached |= _node_types([g for g in grads if g is not None])
    missing = {cls.__name__ for cls in _builtin_functions()} - {cls.__name__ for cls in reached}
    assert not missing, f"built-in Functions no property test reaches: {sorted(missing)}"


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.float16, np.float32, np.dtype(">f4")])
def test_relu_keeps_its_input_dtype(dtype):
    """np.maximum(a, 0) turns a bool array into int64 and a non-native byte order into the
    native one; relu returns its input's dtype, as PyTorch does."""
    a = np.array([1, 0, -1, 2]).astype(dtype)
    out = tg.relu(tg.Tensor(a))
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out.data, np.maximum(a, 0).astype(dtype))
