"""The backward sweep: reverse-mode differentiation over the recorded graph.

Nodes are visited in decreasing *generation* (a node's generation exceeds those of all nodes that
produced its inputs), taken from a heap. So every node is reached after all of its consumers have
passed their gradients to it, and the traversal is a loop, never a recursion: a chain of a
million ops needs no deeper stack than a chain of one.

The sweep runs in one of two modes:

* **on arrays** (the ordinary ``backward()``): gradients travel as bare NumPy arrays (or NumPy
  scalars, for 0-d results) and each node's ``backward_arrays`` computes on them; a node that
  only has the Tensor-level ``backward`` (a user's Function, say) gets its gradient wrapped in a
  Tensor and unwrapped again. Nothing is recorded, so nothing needs to be a Tensor, and a small
  model's backward costs a fraction of what it would with a Tensor around every gradient.
* **recorded** (``create_graph=True``): gradients are Tensors, every node's ``backward`` runs
  with recording on, and the backward pass becomes a graph of its own (higher derivatives).

``loss.backward()`` -- one single-element root, the implied gradient 1, anomaly detection off:
what every training step runs -- takes ``run_plain_backward``, the sweep on arrays written out
without the options only other calls use. Read it first: it is the whole algorithm.

Broadcasting is undone here, once for all ops: a gradient whose shape is a broadcast of its
input's shape is summed back to that shape. Any other mismatch is a bug in that op's backward and
is reported with the op's name.
"""

from __future__ import annotations

from heapq import heappop, heappush, heappushpop
from itertools import count as counter
from typing import Any, Optional, Sequence

import numpy as np

from .function import _RELEASED, FREED_GRAPH_MESSAGE, Function
from .grad_mode import call_without_grad, state
from ..utils import readonly_constant


def run_backward(
    roots: Sequence["Tensor"],
    root_grads: Optional[Sequence["Tensor"]],
    *,
    retain_graph: bool,
    create_graph: bool,
    sources: Optional[Sequence["Tensor"]] = None,
    recorded: Optional[set] = None,
) -> Optional[list]:
    """Propagate ``root_grads`` from ``roots`` back through the graph.

    Without ``sources``, gradients accumulate into the ``.grad`` of leaves that require grad (and
    of non-leaves that called ``retain_grad()``), as ``Tensor.backward`` does. With ``sources``,
    ``.grad`` is left alone and the gradient of each source is returned instead (``None`` where a
    source is not reached), as ``autograd.grad`` and ``GradientTape.gradient`` need.

    ``recorded`` (a set of node ids) limits the sweep to the nodes a GradientTape recorded: any
    other node's output is a constant to that tape.

    ``root_grads`` None starts each root from 1, as ``loss.backward()`` does (under anomaly
    detection: otherwise it runs ``run_plain_backward``); the caller has checked that every root
    holds a single element.
    """
    on_arrays = not create_graph
    capture = sources is not None
    if capture:
        source_slot = {id(t): i for i, t in enumerate(sources)}
        captured: list = [None] * len(sources)
    leaf_grads: dict = {}   # leaf -> summed grad (Tensors hash by identity)
    node_grads: dict = {}   # node -> summed grad of its output
    heap: list = []         # (-generation, n, node) for the n-th node found: same-generation
    #                         nodes never depend on each other, so any order among them is
    #                         right, and the order found repeats from run to run (by address,
    #                         the order of summing a shared input's gradients, and so their last
    #                         bits, would not)
    found = counter()
    # Arrays already given out (the caller's root gradients, earlier .grad's): never give twice.
    handed_out: set = set()
    if root_grads is None:
        root_grads = [_implied_one(root.data, on_arrays) for root in roots]
    elif on_arrays:
        # A 0-d root gradient travels as a NumPy scalar, as the gradients of 0-d results do:
        # NumPy computes on scalars with far less overhead.
        given, root_grads = root_grads, []
        for g in given:
            g = g.data
            handed_out.add(id(g))
            root_grads.append(g if g.ndim else g[()])
    else:
        handed_out.update(id(g.data) for g in root_grads)

    st = state
    check_finite = st.anomaly_enabled
    # Every array gradient is fitted (checked, converted) when anomaly mode checks its values,
    # or when the sweep is recorded and gradients must be Tensors.
    fit_arrays = check_finite or not on_arrays
    if create_graph:
        # The recorded sweep records its ops, whatever the mode outside. Both flags are
        # written directly (state.set costs several times more): plain_recording must stay
        # what set would make it.
        before, before_plain = st.grad_enabled, st.plain_recording
        st.grad_enabled = True
        st.plain_recording = not st.recording_tapes and not check_finite
    # The sweep on arrays leaves the mode alone: it records nothing by itself, and it runs the
    # user's code (hooks, Tensor-level backwards, a user's backward_arrays) without grad.
    node = None
    try:
        # The roots' gradients enter the graph the way every node's input gradients do: as the
        # "input gradients" of a node that is not there (node is None).
        count = len(roots)
        inputs, needs, input_grads, seen = roots, (True,) * count, root_grads, (None,) * count
        while True:
            # Of the nodes this node's gradients reach first, the one of the largest generation
            # stays off the heap: when no node on the heap has a larger one, it is ready and
            # goes next without a trip through the heap (every link of a chain takes this
            # path, and most nodes of a small graph).
            following = None
            # Indexing, not zip: for the two or three inputs of a node, zip's four iterators
            # cost more than the loop's body (backward returned one gradient per input); and
            # the indices of a few from a tuple made once, which costs half of a new range.
            for i in _INDICES[count] if count < _FEW_INPUTS else range(count):
                g = input_grads[i]
                if g is None or not needs[i]:
                    continue
                x = inputs[i]
                # The common cases need no fitting: on arrays, an array of the input's shape
                # and dtype, or a NumPy scalar of its dtype for a 0-d input; recorded, a Tensor
                # of the input's shape and dtype. A 0-d float input reached forward as a scalar
                # of its dtype (``scalar_operands``), so a gradient of that very type is one
                # (the cheapest test of all: an equation's every gradient takes it). Otherwise
                # the scalar type stands for the dtype: no other dtype has it, save one of
                # another byte order.
                kind = type(g)
                if kind is ndarray:
                    data = x.data
                    if fit_arrays or g.shape != data.shape or g.dtype is not data.dtype:
                        g = _fit_to_input(node, x, g, on_arrays)
                elif kind is not type(seen[i]) or check_finite:
                    data = x.data
                    if (check_finite or kind is not data.dtype.type or data.ndim
                            or not on_arrays or not data.dtype.isnative):
                        if (kind is not Tensor or on_arrays or check_finite
                                or g.data.shape != data.shape or g.data.dtype is not data.dtype):
                            g = _fit_to_input(node, x, g, on_arrays)
                # Deliver: into a leaf's total, or to the node that produced x.
                producer = x.grad_fn
                if producer is None or (recorded is not None and id(producer) not in recorded):
                    summed = leaf_grads.get(x)
                    leaf_grads[x] = g if summed is None else summed + g
                    continue
                summed = node_grads.get(producer)
                if summed is None:
                    node_grads[producer] = g
                    producer._output = x   # lent to the node until its backward has run
                    if following is None:
                        following = producer
                    elif producer.generation > following.generation:
                        heappush(heap, (-following.generation, next(found), following))
                        following = producer
                    else:
                        heappush(heap, (-producer.generation, next(found), producer))
                else:
                    node_grads[producer] = summed + g
            if node is not None:
                node._output = None
                if not retain_graph:
                    node._saved = _RELEASED
            if following is not None:
                if heap and heap[0][0] < -following.generation:   # a later node waits
                    node = heappushpop(heap, (-following.generation, next(found), following))[2]
                else:
                    node = following
            elif heap:
                node = heappop(heap)[2]
            else:
                break
            grad = node_grads.pop(node)
            if node.output_watched:
                grad = _visit_watched_output(node._output, grad, capture, on_arrays, handed_out)
            if capture:
                slot = source_slot.get(id(node._output))
                if slot is not None:
                    captured[slot] = grad
            if node._saved is _RELEASED:
                raise RuntimeError(f"{node.name}: {FREED_GRAPH_MESSAGE}")
            if not on_arrays:
                input_grads = node.backward(node, grad)
            else:
                backward_arrays = node.backward_arrays   # read once: a lookup on the class
                input_grads = (backward_arrays(node, grad) if backward_arrays is not None
                               else _backward_through_tensors(node, grad))
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            if retain_graph and node._saved:
                # The node keeps its saved arrays for the next backward, so one it returned as
                # a gradient is copied before it becomes a .grad that could be changed in place.
                handed_out.update(id(a) for a in node._saved if type(a) is np.ndarray)
            inputs = node.inputs
            needs = node.needs_input_grad
            seen = node.input_arrays
            count = len(inputs)
            if len(input_grads) != count:
                raise RuntimeError(
                    f"{_method(node, on_arrays)} returned {len(input_grads)} gradients for "
                    f"{count} inputs; return one per input (None where there is none)")

        if capture:
            for tensor, grad in leaf_grads.items():
                if tensor._hooks:
                    grad = _run_hooks(tensor, grad, on_arrays)
                slot = source_slot.get(id(tensor))
                if slot is not None:
                    captured[slot] = grad
        else:
            _set_leaf_grads(leaf_grads, handed_out, on_arrays, create_graph)
    finally:
        if create_graph:
            st.grad_enabled, st.plain_recording = before, before_plain
        if node is not None:
            node._output = None
        for node in node_grads:  # nodes an error left unvisited give back their output
            node._output = None

    if capture:
        if not create_graph:
            captured = [None if g is None else _owned(g, handed_out) for g in captured]
        return captured
    return None


def run_plain_backward(root: "Tensor", retain_graph: bool) -> None:
    """``loss.backward()``: the sweep on arrays from one single-element root with a grad_fn,
    starting from 1, with anomaly detection off -- what every training step runs.

    It is ``run_backward`` without the options this case never uses (several roots, given
    root gradients, ``sources``, a tape's ``recorded`` nodes, recording, checking values),
    each of which costs a test on every node or gradient; together they cost 1-2% of a
    784-50-10 training step (``benchmarks/compare_checkouts.py``). The root's gradient is its
    own 1, so it needs no fitting either: the sweep starts at the root's node. Everything else
    is as there: the same checks of every gradient against its input, hooks,
    ``retain_graph``, the same ``.grad`` rules. ``tests/core/test_plain_sweep.py`` holds the
    two sweeps to the same gradients, bit for bit, on random graphs.
    """
    node = root.grad_fn
    grad = _implied_one(root.data, True)
    leaf_grads: dict = {}   # as in run_backward
    node_grads: dict = {}
    heap: list = []
    found = counter()
    handed_out: set = set()
    node._output = root
    try:
        while True:
            if node.output_watched:
                grad = _visit_watched_output(node._output, grad, False, True, handed_out)
            if node._saved is _RELEASED:
                raise RuntimeError(f"{node.name}: {FREED_GRAPH_MESSAGE}")
            backward_arrays = node.backward_arrays
            input_grads = (backward_arrays(node, grad) if backward_arrays is not None
                           else _backward_through_tensors(node, grad))
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            if retain_graph and node._saved:
                handed_out.update(id(a) for a in node._saved if type(a) is np.ndarray)
            inputs = node.inputs
            count = len(inputs)
            if len(input_grads) != count:
                raise RuntimeError(
                    f"{_method(node, True)} returned {len(input_grads)} gradients for {count} "
                    "inputs; return one per input (None where there is none)")
            needs = node.needs_input_grad
            seen = node.input_arrays
            following = None
            for i in _INDICES[count] if count < _FEW_INPUTS else range(count):
                g = input_grads[i]
                if g is None or not needs[i]:
                    continue
                x = inputs[i]
                kind = type(g)
                if kind is ndarray:
                    data = x.data
                    if g.shape != data.shape or g.dtype is not data.dtype:
                        g = _fit_to_input(node, x, g, True)
                elif kind is not type(seen[i]):
                    data = x.data
                    if kind is not data.dtype.type or data.ndim or not data.dtype.isnative:
                        g = _fit_to_input(node, x, g, True)
                producer = x.grad_fn
                if producer is None:
                    summed = leaf_grads.get(x)
                    leaf_grads[x] = g if summed is None else summed + g
                    continue
                summed = node_grads.get(producer)
                if summed is None:
                    node_grads[producer] = g
                    producer._output = x
                    if following is None:
                        following = producer
                    elif producer.generation > following.generation:
                        heappush(heap, (-following.generation, next(found), following))
                        following = producer
                    else:
                        heappush(heap, (-producer.generation, next(found), producer))
                else:
                    node_grads[producer] = summed + g
            node._output = None
            if not retain_graph:
                node._saved = _RELEASED
            if following is not None:
                if heap and heap[0][0] < -following.generation:
                    node = heappushpop(heap, (-following.generation, next(found), following))[2]
                else:
                    node = following
            elif heap:
                node = heappop(heap)[2]
            else:
                node = None
                break
            grad = node_grads.pop(node)

        _set_leaf_grads(leaf_grads, handed_out, True, False)
    finally:
        if node is not None:
            node._output = None
        for node in node_grads:  # nodes an error left unvisited give back their output
            node._output = None


def _set_leaf_grads(leaf_grads: dict, handed_out: set, on_arrays: bool,
                    create_graph: bool) -> None:
    """Give each leaf its summed gradient, after its hooks: into ``.grad`` (added to a
    gradient already there), never sharing an array with anything else."""
    for tensor, grad in leaf_grads.items():
        if tensor._hooks:
            grad = _run_hooks(tensor, grad, on_arrays)
        if not tensor._requires_grad:
            continue
        if tensor.grad is None and on_arrays:
            # The usual first gradient of a parameter (_accumulate and _owned, inlined): an
            # array the sweep made, given to no one else, becomes its .grad as it is.
            if type(grad) is not ndarray:
                grad = _asarray(grad)    # a NumPy scalar: always a new 0-d array
            else:
                if (grad.base is not None or id(grad) in handed_out
                        or not grad.flags.writeable):
                    grad = grad.copy()
                handed_out.add(id(grad))
            fresh = object.__new__(Tensor)
            fresh.data = grad
            fresh.grad = fresh.grad_fn = None
            fresh._requires_grad = False
            tensor.grad = fresh
        else:
            _accumulate(tensor, grad, create_graph, handed_out)


def _implied_one(data: np.ndarray, on_arrays: bool) -> Any:
    """The gradient 1 that ``loss.backward()`` starts from, for a root holding ``data``."""
    if not on_arrays:
        return Tensor._from_op(np.ones_like(data))   # may become a .grad: one of its own
    if not data.ndim:
        return _ONES.get(data.dtype) or data.dtype.type(1)   # a scalar, like every 0-d result
    # Read-only, made once: a .grad is never handed this very array (it is copied first).
    return readonly_constant(("ones", data.shape, data.dtype), np.ones, data.shape, data.dtype)


_ONES = {np.dtype(t): t(1) for t in (np.float16, np.float32, np.float64)}

_FEW_INPUTS = 16
_INDICES = tuple(tuple(range(n)) for n in range(_FEW_INPUTS))   # (), (0,), (0, 1), ...

ndarray, _asarray = np.ndarray, np.asarray


def _backward_through_tensors(node: Function, grad: Any) -> tuple:
    """A node with only the Tensor-level ``backward``, called from the sweep on arrays."""
    input_grads = call_without_grad(node.backward, node, _as_tensor(grad))
    if type(input_grads) is not tuple:
        input_grads = (input_grads,)
    return tuple(g.data if isinstance(g, Tensor) else g for g in input_grads)


def _method(node: Optional[Function], on_arrays: bool) -> str:
    """Which of the node's backward methods the sweep called, for error messages."""
    if node is None:
        return "backward()"
    arrays = on_arrays and node.backward_arrays is not None
    return f"{node.name}.{'backward_arrays' if arrays else 'backward'}"


def _as_tensor(grad: Any) -> "Tensor":
    return Tensor._from_op(grad if type(grad) is np.ndarray else np.asarray(grad))


def _fit_to_input(node: Optional[Function], x: "Tensor", grad: Any, on_arrays: bool) -> Any:
    """Check one gradient from ``node.backward`` against its input, undoing broadcasting
    (``node`` None: a root's starting gradient, checked by the caller; only its dtype is
    fitted)."""
    if on_arrays:
        if isinstance(grad, Tensor):
            grad = grad.data
        elif not isinstance(grad, (np.ndarray, np.generic)):
            grad = np.asarray(grad)
    elif not isinstance(grad, Tensor):
        grad = Tensor(np.asarray(grad))
    shape = x.data.shape
    if grad.shape != shape:
        try:
            broadcast = np.broadcast_shapes(shape, grad.shape)
        except ValueError:
            broadcast = None
        if broadcast != grad.shape:
            raise RuntimeError(
                f"{_method(node, on_arrays)} returned a gradient of shape {grad.shape} for an "
                f"input of shape {shape}; a gradient must have its input's shape (or a shape the "
                "input broadcasts to)")
        grad = sum_array_to(grad, shape) if on_arrays else grad.sum_to(shape)
    dtype = x.data.dtype
    if grad.dtype != dtype:
        grad = grad.astype(dtype) if on_arrays else grad.to(dtype)
    if state.anomaly_enabled and node is not None:
        values = grad if on_arrays else grad.data
        if not np.all(np.isfinite(values)):
            bad = "nan" if np.isnan(values).any() else "inf"
            where = getattr(node, "creation_trace", None) or "(created before detect_anomaly)\n"
            raise RuntimeError(
                f"detect_anomaly: {node.name} produced a gradient containing {bad} for its "
                f"input of shape {shape}. The op was created here:\n{where}")
    return grad


def sum_array_to(grad: Any, shape: tuple) -> Any:
    """Sum an array down to ``shape``, undoing a broadcast from ``shape`` to ``grad.shape``."""
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape)
                                      if n == 1 and grad.shape[i + lead] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def _visit_watched_output(out: "Tensor", grad: Any, capture: bool, on_arrays: bool,
                          handed_out: set) -> Any:
    """Hooks and ``retain_grad`` of a non-leaf tensor, on its complete gradient."""
    if out._hooks:
        grad = _run_hooks(out, grad, on_arrays)
    if out._retains_grad and not capture:
        _accumulate(out, grad, not on_arrays, handed_out)
    return grad


def _run_hooks(tensor: "Tensor", grad: Any, on_arrays: bool) -> Any:
    """The tensor's hooks, in order, on its gradient (hooks always see Tensors)."""
    if on_arrays:
        return call_without_grad(_run_hooks, tensor, _as_tensor(grad), False).data
    for hook in list(tensor._hooks.values()):
        replaced = hook(grad)
        if replaced is not None:
            if not isinstance(replaced, Tensor) or replaced.shape != grad.shape:
                raise RuntimeError(
                    f"a hook registered with register_hook returned {replaced!r}; it must return "
                    f"None or a Tensor of the gradient's shape {grad.shape}")
            grad = replaced
    return grad


def _accumulate(tensor: "Tensor", grad: Any, create_graph: bool, handed_out: set) -> None:
    """``tensor.grad += grad``, never letting a ``.grad`` share memory with anything else."""
    current = tensor.grad
    if create_graph:
        tensor.grad = grad if current is None else current + grad
        return
    data = grad.data if isinstance(grad, Tensor) else grad
    if current is None:
        tensor.grad = _owned(data, handed_out)
    elif current.requires_grad or current.data.shape != data.shape:
        tensor.grad = Tensor._from_op(np.asarray(current.data + data))
    else:
        np.add(current.data, data, out=current.data, casting="unsafe")


def _owned(grad: Any, handed_out: set) -> "Tensor":
    """``grad`` (a Tensor or an array) as a tensor of its own: no view, no array given out
    before, no graph."""
    data = grad.data if isinstance(grad, Tensor) else grad
    # One gradient array often reaches several places (Add passes it to both inputs, a
    # broadcast hands out a view): copy all but the first so in-place updates stay local.
    if type(data) is not np.ndarray:
        data = np.array(data)  # a NumPy scalar: a new 0-d array
    elif (id(data) in handed_out or data.base is not None or not data.flags.writeable
          or (isinstance(grad, Tensor) and grad.requires_grad)):
        data = data.copy()
    handed_out.add(id(data))
    return grad if isinstance(grad, Tensor) and data is grad.data else Tensor._from_op(data)


from ..tensor import Tensor  # noqa: E402
