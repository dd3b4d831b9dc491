"""Walk a recorded graph into a plain list of what to draw: tensors, ops, constants and edges.

The walk is a breadth-first loop over ``grad_fn.inputs`` (never a recursion, so a chain of a
million ops is as easy as one op), keyed by object identity (so a tensor used many times is one
node: a DAG, not a tree), and it counts as it goes: past ``max_nodes`` it stops at once.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional


from ..autograd.function import Function
from ..tensor import Tensor

# Constants that configure an op (rather than being one of its operands) are shown in the op's
# label under these names, by input position; every other constant becomes a small node.
OP_ARGUMENTS = {
    "Pow": ("base", "exponent"),
    "LeakyRelu": (None, "negative_slope"),
    "Softplus": (None, "beta"),
    "Clip": (None, "min", "max"),
    "Cast": (None, "dtype"),
}


@dataclass
class TensorItem:
    """One tensor of the drawing. ``tensor`` is None when the op's output no longer exists."""
    key: str
    tensor: Optional[Tensor]
    producer: Optional[Function]      # the op drawn as its source, if any
    kind: str                         # "parameter", "input" or "intermediate"
    shape: Optional[tuple] = None     # known even for a freed output, when it can be inferred
    is_output: bool = False


@dataclass
class OpItem:
    key: str
    node: Function
    arguments: list = field(default_factory=list)   # (name, value) shown in the label


@dataclass
class ConstantItem:
    key: str
    value: Any


@dataclass
class Trace:
    """Everything to draw, in the order first reached (which keeps drawings stable)."""
    tensors: list = field(default_factory=list)
    ops: list = field(default_factory=list)
    constants: list = field(default_factory=list)
    edges: list = field(default_factory=list)       # (source key, target key)

    @property
    def size(self) -> int:
        return len(self.tensors) + len(self.ops) + len(self.constants)


class GraphTooLargeError(ValueError):
    """The graph has more nodes than ``max_nodes`` allows."""


def trace(roots: Iterable[Tensor], *, max_nodes: int, nodes: Iterable[Function] = (),
          recorded: Optional[set] = None, sources: Optional[set] = None) -> Trace:
    """Collect the graph reachable from ``roots`` (and from the op ``nodes`` given directly).

    Args:
        roots: tensors drawn as outputs.
        max_nodes: raise ``GraphTooLargeError`` as soon as more nodes than this are found.
        nodes: ``(op, weak reference to its output, the output's shape)`` to draw even when no
            root reaches them (a GradientTape's recorded ops; a dropped output is drawn from its
            shape alone).
        recorded: ids of the ops to follow; a tensor made by any other op is drawn as a leaf
            (how a GradientTape sees values computed outside its block). None follows all.
        sources: ids of tensors to style as parameters although they do not require grad
            (tensors a tape watches).
    """
    out = Trace()
    tensor_keys: dict = {}      # id(tensor) -> key
    op_keys: dict = {}          # id(node) -> OpItem
    pending: deque = deque()    # ops whose inputs are still to visit
    sources = sources or set()
    # Hold every tensor reached so that ids stay unique for the whole walk.
    held: list = []

    def count() -> None:
        if out.size > max_nodes:
            raise GraphTooLargeError(
                f"draw_graph: the graph has more than max_nodes={max_nodes} nodes (stopped "
                f"counting there). Pass a larger max_nodes (Graphviz gets slow beyond a few "
                f"thousand nodes), or draw a smaller part: a sub-expression, e.g. "
                f"draw_graph(hidden) for an intermediate result, or a smaller model/batch.")

    def follows(node: Optional[Function]) -> bool:
        return node is not None and (recorded is None or id(node) in recorded)

    def op_item(node: Function) -> OpItem:
        item = op_keys.get(id(node))
        if item is None:
            item = OpItem(f"op{len(out.ops)}", node)
            op_keys[id(node)] = item
            out.ops.append(item)
            pending.append(node)
            count()
        return item

    def tensor_key(t: Tensor) -> str:
        key = tensor_keys.get(id(t))
        if key is not None:
            return key
        key = f"t{len(out.tensors)}"
        tensor_keys[id(t)] = key
        held.append(t)
        producer = t.grad_fn if follows(t.grad_fn) else None
        if producer is not None:
            kind = "intermediate"
        elif (t.requires_grad and t.grad_fn is None) or id(t) in sources:
            kind = "parameter"
        else:
            kind = "input"
        out.tensors.append(TensorItem(key, t, producer, kind, t.shape))
        count()
        if producer is not None:
            out.edges.append((op_item(producer).key, key))
        return key

    for root in roots:
        key = tensor_key(root)
        out.tensors[int(key[1:])].is_output = True
    for node, output_ref, output_shape in nodes:
        if not follows(node):
            continue
        alive = output_ref()
        if alive is not None:
            tensor_key(alive)
        elif id(node) not in op_keys:
            item = op_item(node)
            key = f"t{len(out.tensors)}"
            out.tensors.append(TensorItem(key, None, node, "intermediate", output_shape))
            count()
            out.edges.append((item.key, key))

    while pending:
        node = pending.popleft()
        item = op_keys[id(node)]
        names = OP_ARGUMENTS.get(type(node).__name__, ())
        for position, x in enumerate(node.inputs):
            if isinstance(x, Tensor):
                out.edges.append((tensor_key(x), item.key))
                continue
            if x is None:          # an optional argument left out says nothing
                continue
            name = names[position] if position < len(names) else None
            if name is not None:
                item.arguments.append((name, x))
                continue
            key = f"c{len(out.constants)}"
            out.constants.append(ConstantItem(key, x))
            count()
            out.edges.append((key, item.key))

    if nodes:
        # Without a target, what nothing else in the drawing consumes is an output.
        consumed = {source for source, _ in out.edges}
        for t in out.tensors:
            if t.key not in consumed:
                t.is_output = True
    return out
