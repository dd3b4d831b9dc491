"""``draw_graph``: a computation as a ``graphviz.Digraph`` (which Jupyter shows inline as SVG).

Edges follow the data: input tensor -> op -> output tensor. Parameters with dotted names
(``fc1.weight``) are gathered in clusters named after their module path, nested as the modules
are, together with the ops that use only that module's parameters, so a model reads as layers.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Optional, Union

import graphviz
import numpy as np

from ..tensor import Tensor
from . import labels as L
from . import style as S
from .trace import Trace, trace

OPTION_TEXT = 60   # characters of one "key=value" line of an op label

Params = Union[None, Mapping[str, Tensor], Iterable]


def draw_graph(*roots: Tensor, params: Params = None, show_values: bool = False,
               show_grads: bool = False, rankdir: str = "TB",
               max_nodes: int = 500) -> graphviz.Digraph:
    """Draw the graph that computed ``roots``.

    Args:
        roots: the result tensors (drawn as outputs); a single list of tensors works too.
        params: names of tensors, e.g. ``dict(model.named_parameters())``; a dotted name puts
            the parameter in the cluster of its module. Unnamed tensors show ``Tensor.name``.
        show_values: add each tensor's value (mean / min / max for more than 6 elements).
        show_grads: add each tensor's ``.grad`` the same way, and colour parameters by their
            mean absolute gradient (with a legend): the gradient-flow view, after backward().
        rankdir: "TB" (top to bottom), "BT", "LR" or "RL".
        max_nodes: refuse (ValueError) graphs with more nodes than this instead of hanging.

    Returns:
        a ``graphviz.Digraph``; ``render(graph, "out.svg")`` writes it to a file.
    """
    return _draw(_root_list(roots), params=params, show_values=show_values,
                 show_grads=show_grads, rankdir=rankdir, max_nodes=max_nodes)


def to_dot(*roots: Tensor, params: Params = None, show_values: bool = False,
           show_grads: bool = False, rankdir: str = "TB", max_nodes: int = 500) -> str:
    """The DOT source of ``draw_graph(...)`` (needs no Graphviz executable)."""
    return draw_graph(*roots, params=params, show_values=show_values, show_grads=show_grads,
                      rankdir=rankdir, max_nodes=max_nodes).source


def _root_list(roots: tuple) -> list:
    if len(roots) == 1 and isinstance(roots[0], (list, tuple)):
        roots = tuple(roots[0])
    if not roots:
        raise ValueError("draw_graph: give at least one tensor to draw, e.g. draw_graph(loss)")
    for r in roots:
        if not isinstance(r, Tensor):
            raise TypeError(f"draw_graph: expected Tensors to draw, got {type(r).__name__}")
    return list(roots)


def _param_names(params: Params) -> dict:
    """id(tensor) -> name, from a dict or from (name, tensor) pairs."""
    if params is None:
        return {}
    items = params.items() if isinstance(params, Mapping) else params
    names = {}
    for entry in items:
        try:
            name, tensor = entry
        except (TypeError, ValueError):
            raise TypeError("draw_graph: params must map names to Tensors, e.g. "
                            "dict(model.named_parameters())") from None
        if not isinstance(tensor, Tensor):
            raise TypeError(f"draw_graph: params[{name!r}] is a {type(tensor).__name__}, not a "
                            "Tensor")
        names.setdefault(id(tensor), str(name))
    return names


def _draw(roots: list, *, params: Params, show_values: bool, show_grads: bool, rankdir: str,
          max_nodes: int, nodes: Iterable = (), recorded: Optional[set] = None,
          sources: Optional[set] = None) -> graphviz.Digraph:
    if rankdir not in ("TB", "BT", "LR", "RL"):
        raise ValueError(f"draw_graph: rankdir must be 'TB', 'BT', 'LR' or 'RL', got {rankdir!r}")
    if not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be a positive int, got {max_nodes!r}")
    names = _param_names(params)
    graph_trace = trace(roots, max_nodes=max_nodes, nodes=nodes, recorded=recorded,
                        sources=sources)

    dot = graphviz.Digraph("computation")
    # newrank: rank the whole graph at once, so clusters follow the data instead of lining up.
    dot.attr(rankdir=rankdir, fontname=S.FONT, nodesep="0.25", ranksep="0.35", newrank="true")
    dot.attr("node", fontname=S.FONT, fontsize="11", margin="0.08,0.04")
    dot.attr("edge", color="#495057", arrowsize="0.7")

    tensor_cluster, op_cluster = _clusters(graph_trace, names)
    clusters = {(): dot}
    # In order of first appearance (not set order), so that drawings are reproducible.
    for path in dict.fromkeys([*tensor_cluster.values(), *op_cluster.values()]):
        for depth in range(1, len(path) + 1):
            prefix = path[:depth]
            if prefix not in clusters:
                sub = graphviz.Digraph(f"cluster_{len(clusters)}")
                sub.attr(label=L.html_label([L.bold(L.escape(".".join(prefix)))]),
                         style="rounded,filled", color="#adb5bd",
                         fillcolor=S.CLUSTER_FILLS[(depth - 1) % len(S.CLUSTER_FILLS)],
                         fontname=S.FONT, fontsize="11", labeljust="l")
                clusters[prefix] = sub

    any_grad = False
    for item in graph_trace.tensors:
        attrs, has_grad = _tensor_attrs(item, names, show_values, show_grads)
        any_grad |= has_grad
        clusters[tensor_cluster.get(item.key, ())].node(item.key, **attrs)
    for item in graph_trace.ops:
        clusters[op_cluster.get(item.key, ())].node(item.key, label=_op_label(item),
                                                    **S.OP_STYLE)
    for item in graph_trace.constants:
        dot.node(item.key, label=L.html_label([L.escape(L.option_text(item.value))]),
                 **S.CONSTANT_STYLE)
    for source, target in graph_trace.edges:
        dot.edge(source, target, **(S.CONSTANT_EDGE if source[0] == "c" else {}))

    # Nested clusters are finished deepest first, then copied into their parents.
    for path in sorted(clusters, key=len, reverse=True):
        if path:
            clusters[path[:-1]].subgraph(clusters[path])
    if show_grads and any_grad:
        _legend(dot)
    return dot


def _clusters(graph_trace: Trace, names: dict) -> tuple:
    """key -> module path, for the tensors and ops drawn inside a module's cluster.

    A parameter belongs to its module, and so does anything computed from that module's
    parameters alone (``fc1.weight.T``). An op belongs to the module its module-owned inputs
    share (the matmul with ``fc1.weight.T``); an intermediate result stays inside when its
    producer and every consumer are in the same module, so the layer's output leaves the box.
    """
    owned: dict = {}      # tensor key -> module path, for parameters and what they alone make
    for item in graph_trace.tensors:
        name = names.get(id(item.tensor)) if item.tensor is not None else None
        if name and item.kind == "parameter" and "." in name:
            owned[item.key] = tuple(name.split(".")[:-1])
    if not owned:
        return {}, {}
    inputs: dict = {}     # op key -> its input tensor keys
    consumers: dict = {}  # tensor key -> op keys
    produced: dict = {}   # op key -> output tensor key
    for source, target in graph_trace.edges:
        if target[0] == "o" and source[0] == "t":
            inputs.setdefault(target, []).append(source)
            consumers.setdefault(source, []).append(target)
        elif source[0] == "o":
            produced[source] = target
    op_cluster: dict = {}
    # Generations order the ops so that each comes after the ops that made its inputs.
    for op in sorted(graph_trace.ops, key=lambda item: item.node.generation):
        op_inputs = inputs.get(op.key, [])
        paths = [owned[k] for k in op_inputs if k in owned]
        if not paths:
            continue
        common = _common_prefix(paths)
        if not common:
            continue
        op_cluster[op.key] = common
        if len(paths) == len(op_inputs) and op.key in produced:
            owned[produced[op.key]] = common
    tensor_cluster = {item.key: owned[item.key] for item in graph_trace.tensors
                      if item.kind == "parameter" and item.key in owned}
    for op_key, out_key in produced.items():
        path = op_cluster.get(op_key)
        users = consumers.get(out_key, [])
        if path and users and all(op_cluster.get(u) == path for u in users):
            tensor_cluster[out_key] = path
    for item in graph_trace.tensors:
        if item.is_output:
            tensor_cluster.pop(item.key, None)
    return tensor_cluster, op_cluster


def _common_prefix(paths: list) -> tuple:
    first = paths[0]
    n = len(first)
    for p in paths[1:]:
        n = min(n, len(p))
        while n and p[:n] != first[:n]:
            n -= 1
    return first[:n]


def _tensor_attrs(item: Any, names: dict, show_values: bool, show_grads: bool) -> tuple:
    """Graphviz attributes of one tensor node, and whether it shows a gradient."""
    attrs = dict(S.TENSOR_STYLES[item.kind])
    if item.is_output:
        attrs.update(S.OUTPUT_STYLE)
    t = item.tensor
    lines = []
    if t is None:
        lines.append(L.bold("(freed)"))
        if item.shape is not None:
            lines.append(L.escape(L.shape_text(item.shape)))
        attrs["label"] = L.html_label(lines)
        return attrs, False
    name = names.get(id(t), t.name)
    if name:
        lines.append(L.bold(L.escape(name)))
    lines.append(L.escape(L.shape_text(t.shape, t.dtype)))
    if show_values:
        lines.append(L.small(L.escape("value " + L.array_text(t.data), limit=None)))
    has_grad = False
    if show_grads and t.grad is not None:
        grad = np.asarray(t.grad.data)
        lines.append(L.small(L.escape("grad " + L.array_text(grad), limit=None)))
        if item.kind == "parameter":
            has_grad = True
            with np.errstate(all="ignore"):
                magnitude = float(np.mean(np.abs(grad.astype(np.float64)))) if grad.size else 0.0
            fill, font = S.grad_color(magnitude)
            attrs.update(fillcolor=fill, fontcolor=font)
            text = L.number(magnitude) if math.isfinite(magnitude) else str(magnitude)
            lines.append(L.bold(L.escape(f"mean |grad| {text}", limit=None)))
    attrs["label"] = L.html_label(lines)
    return attrs, has_grad


def _op_label(item: Any) -> str:
    name = item.node.name
    if name.endswith("Backward"):
        name = name[: -len("Backward")] or name
    lines = [L.bold(L.escape(name))]
    for key, value in item.arguments:
        lines.append(L.escape(f"{key}={L.option_text(value)}", limit=OPTION_TEXT))
    for key, value in (getattr(item.node, "options", None) or {}).items():
        # Defaults say nothing: a sum over everything, keepdims off.
        if value is None or (key == "keepdims" and value is False):
            continue
        if key == "axis" and isinstance(value, tuple) and len(value) == 1:
            value = value[0]    # reductions store axes as tuples; one axis reads better bare
        lines.append(L.escape(f"{key}={L.option_text(value)}", limit=OPTION_TEXT))
    return L.html_label(lines)


def _legend(dot: graphviz.Digraph) -> None:
    """One table node explaining the gradient colours."""
    cells = "".join(f'<td bgcolor="{fill}"><font color="{font}">{label}</font></td>'
                    for label, fill, font in S.grad_bins())
    extra = (f'<td bgcolor="{S.ZERO_GRAD_COLOR}">0</td>'
             f'<td bgcolor="{S.BAD_GRAD_COLOR}"><font color="#ffffff">nan/inf</font></td>')
    n = len(S.grad_bins()) + 2
    table = ('<<table border="0" cellborder="1" cellspacing="0" cellpadding="4">'
             f'<tr><td colspan="{n}"><b>mean |grad| of each parameter</b> '
             "(each cell: from that power of ten to the next)</td></tr>"
             f"<tr>{cells}{extra}</tr></table>>")
    dot.node("legend", label=table, shape="plaintext", fontsize="9")
