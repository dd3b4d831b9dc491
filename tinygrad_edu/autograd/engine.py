"""The backward sweep: reverse-mode differentiation over the recorded graph.

Nodes are visited in decreasing *generation* (a node's generation exceeds those of all nodes that
produced its inputs), taken from a heap. So every node is reached after all of its consumers have
passed their gradients to it, and the traversal is a loop, never a recursion: a chain of a
million ops needs no deeper stack than a chain of one.

Broadcasting is undone here, once for all ops: a gradient whose shape is a broadcast of its
input's shape is summed back to that shape. Any other mismatch is a bug in that op's backward and
is reported with the op's name.
"""

from __future__ import annotations

import heapq
from typing import Optional, Sequence

import numpy as np

from .function import _RELEASED, FREED_GRAPH_MESSAGE, Function
from .grad_mode import state


def run_backward(
    roots: Sequence["Tensor"],
    root_grads: Sequence["Tensor"],
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
    """
    capture = sources is not None
    if capture:
        source_slot = {id(t): i for i, t in enumerate(sources)}
        captured: list = [None] * len(sources)
    leaf_grads: dict = {}   # id(leaf) -> [leaf, summed grad]
    node_grads: dict = {}   # node -> summed grad of its output
    heap: list = []
    tiebreak = 0
    # Arrays already given out (the caller's root gradients, earlier .grad's): never give twice.
    handed_out = {id(g.data) for g in root_grads}

    def deliver(tensor: "Tensor", grad: "Tensor") -> None:
        """Pass a gradient on: into a leaf's total, or to the node that produced ``tensor``."""
        nonlocal tiebreak
        node = tensor.grad_fn
        if node is None or (recorded is not None and id(node) not in recorded):
            entry = leaf_grads.get(id(tensor))
            if entry is None:
                leaf_grads[id(tensor)] = [tensor, grad]
            else:
                entry[1] = entry[1] + grad
            return
        pending = node_grads.get(node)
        if pending is None:
            node_grads[node] = grad
            node._output = tensor  # lent to the node until its backward has run
            heapq.heappush(heap, (-node.generation, tiebreak, node))
            tiebreak += 1
        else:
            node_grads[node] = pending + grad

    before = state.grad_enabled
    state.grad_enabled = create_graph
    check_finite = state.anomaly_enabled
    try:
        for root, grad in zip(roots, root_grads):
            deliver(root, grad)
        while heap:
            node = heapq.heappop(heap)[2]
            grad = node_grads.pop(node)
            if node.output_watched:
                grad = _visit_watched_output(node._output, grad, capture, handed_out)
            if capture:
                slot = source_slot.get(id(node._output))
                if slot is not None:
                    captured[slot] = grad
            if node._saved is _RELEASED:
                raise RuntimeError(f"{node.name}: {FREED_GRAPH_MESSAGE}")
            input_grads = node.backward(node, grad)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            if len(input_grads) != len(node.inputs):
                raise RuntimeError(
                    f"{node.name}.backward returned {len(input_grads)} gradients for "
                    f"{len(node.inputs)} inputs; return one per input (None where there is none)")
            for x, needed, g in zip(node.inputs, node.needs_input_grad, input_grads):
                if not needed or g is None:
                    continue
                # The common case (a Tensor of the input's shape and dtype) needs no fitting.
                if (type(g) is not Tensor or g.data.shape != x.data.shape
                        or g.data.dtype != x.data.dtype or check_finite):
                    g = _fit_to_input(node, x, g)
                deliver(x, g)
            node._output = None
            if not retain_graph:
                node._saved = _RELEASED

        for tensor, grad in leaf_grads.values():
            if tensor._hooks:
                grad = _run_hooks(tensor, grad)
            if capture:
                slot = source_slot.get(id(tensor))
                if slot is not None:
                    captured[slot] = grad
            elif tensor.requires_grad:
                _accumulate(tensor, grad, create_graph, handed_out)
    finally:
        state.grad_enabled = before
        for node in node_grads:  # nodes an error left unvisited give back their output
            node._output = None

    if capture:
        if not create_graph:
            captured = [None if g is None else _owned(g, handed_out) for g in captured]
        return captured
    return None


def _fit_to_input(node: Function, x: "Tensor", grad) -> "Tensor":
    """Check one gradient from ``node.backward`` against its input, undoing broadcasting."""
    if not isinstance(grad, Tensor):
        grad = Tensor(np.asarray(grad))
    if grad.shape != x.shape:
        try:
            broadcast = np.broadcast_shapes(x.shape, grad.shape)
        except ValueError:
            broadcast = None
        if broadcast != grad.shape:
            raise RuntimeError(
                f"{node.name}.backward returned a gradient of shape {grad.shape} for an input of "
                f"shape {x.shape}; a gradient must have its input's shape (or a shape the input "
                "broadcasts to)")
        grad = grad.sum_to(x.shape)
    if grad.data.dtype != x.data.dtype:
        grad = grad.to(x.data.dtype)
    if state.anomaly_enabled and not np.all(np.isfinite(grad.data)):
        bad = "nan" if np.isnan(grad.data).any() else "inf"
        where = getattr(node, "creation_trace", None) or "(created before detect_anomaly)\n"
        raise RuntimeError(
            f"detect_anomaly: {node.name} produced a gradient containing {bad} for its input of "
            f"shape {x.shape}. The op was created here:\n{where}")
    return grad


def _visit_watched_output(out: "Tensor", grad: "Tensor", capture: bool,
                          handed_out: set) -> "Tensor":
    """Hooks and ``retain_grad`` of a non-leaf tensor, on its complete gradient."""
    if out._hooks:
        grad = _run_hooks(out, grad)
    if out._retains_grad and not capture:
        _accumulate(out, grad, state.grad_enabled, handed_out)
    return grad


def _run_hooks(tensor: "Tensor", grad: "Tensor") -> "Tensor":
    for hook in list(tensor._hooks.values()):
        replaced = hook(grad)
        if replaced is not None:
            if not isinstance(replaced, Tensor) or replaced.shape != grad.shape:
                raise RuntimeError(
                    f"a hook registered with register_hook returned {replaced!r}; it must return "
                    f"None or a Tensor of the gradient's shape {grad.shape}")
            grad = replaced
    return grad


def _accumulate(tensor: "Tensor", grad: "Tensor", create_graph: bool, handed_out: set) -> None:
    """``tensor.grad += grad``, never letting a ``.grad`` share memory with anything else."""
    current = tensor.grad
    if create_graph:
        tensor.grad = grad if current is None else current + grad
    elif current is None:
        tensor.grad = _owned(grad, handed_out)
    elif current.requires_grad or current.data.shape != grad.data.shape:
        tensor.grad = Tensor._from_op(current.data + grad.data)
    else:
        np.add(current.data, grad.data, out=current.data, casting="unsafe")


def _owned(grad: "Tensor", handed_out: set) -> "Tensor":
    """``grad`` as a tensor of its own: no view, no array given out before, no graph."""
    data = grad.data
    # One gradient array often reaches several places (Add passes it to both inputs, a
    # broadcast hands out a view): copy all but the first so in-place updates stay local.
    if (id(data) in handed_out or data.base is not None or not data.flags.writeable
            or grad.requires_grad):
        data = data.copy()
    handed_out.add(id(data))
    return grad if data is grad.data else Tensor._from_op(data)


from ..tensor import Tensor  # noqa: E402
