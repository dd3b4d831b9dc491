"""``Function``: one differentiable op, and the graph node that remembers how to undo it.

Every op in tinygrad_edu, built-in or user-defined, is a ``Function`` subclass with two static
methods:

* ``forward(ctx, *arrays, **options)`` computes the result on NumPy arrays;
* ``backward(ctx, grad)`` maps the output's gradient to one gradient per input, written with
  Tensor ops. Because backward uses Tensor ops, running it with recording switched on
  (``create_graph=True``) records the backward pass itself, which gives derivatives of any order;
* optionally ``backward_arrays(ctx, grad)``, the same derivative on bare NumPy arrays, which the
  ordinary (unrecorded) backward pass prefers because it skips a Tensor per gradient.

Calling ``MyOp.apply(*inputs, **options)`` runs forward and, when some input requires grad and
grad mode is on, makes the ``ctx`` object the output's ``grad_fn``: the node of the graph. A node
holds its inputs but not its output, so the graph has no reference cycles and is freed as soon
as its root is, without waiting for the cycle collector.

Example: a new op ``cube`` whose derivative is ``3 x^2``::

    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors      # the input Tensor, so create_graph works
            return grad * 3 * x ** 2

    y = Cube.apply(Tensor([2.0], requires_grad=True))
"""

from __future__ import annotations

import functools
import traceback
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from .grad_mode import call_without_grad, state

if TYPE_CHECKING:  # pragma: no cover
    from ..tensor import Tensor

FREED_GRAPH_MESSAGE = (
    "Trying to backward through the graph a second time (or to read saved values after they were "
    "freed). The graph's saved arrays are freed after backward() to save memory; pass "
    "retain_graph=True to the first backward() (or use GradientTape(persistent=True)) if you "
    "need to go through it again."
)


class Function:
    """Base class of every differentiable op; an applied instance is a node of the graph.

    Attributes of a recorded node (valid inside ``backward``):
        inputs: what ``apply`` was called with: Tensors, and constants passed through as they are.
        input_arrays: the same with each Tensor replaced by its array, as forward saw them
            (for an op with ``scalar_operands``, a 0-d float array is a NumPy scalar here).
        needs_input_grad: one bool per input, True where a gradient must be computed.
        options: the keyword arguments of ``apply`` (``axis``, ``keepdims``...), shown in graphs.
        generation: 1 + the largest generation among the inputs' nodes: a topological order.
        output: the Tensor the node produced (lent by the backward sweep; a node does not keep
            its output, which would make a reference cycle).

    Keep small settings as attributes of ``ctx`` (they are part of the graph) and large arrays in
    ``save_for_backward`` (they are freed after backward unless ``retain_graph=True``).
    """

    __slots__ = ("inputs", "input_arrays", "needs_input_grad", "options", "generation",
                 "_saved", "_output", "__dict__", "__weakref__")
    # Rarely changed, so class-level defaults rather than slots every op must fill in.
    output_watched: bool = False   # a hook or retain_grad() waits for the output's gradient
    creation_trace: Optional[str] = None   # where the op was created, under detect_anomaly
    # True for ops whose forward and backward_arrays give bit-identical results on NumPy
    # scalars and on 0-d arrays (+ - * /; not **, which NumPy computes differently for
    # scalars). ``apply`` then hands them a 0-d float input as a NumPy scalar, which NumPy
    # computes with about a tenth of the overhead: an equation's unknowns are 0-d tensors,
    # and every op on them would otherwise pay for the array machinery.
    scalar_operands: bool = False

    # --- to be written by subclasses -----------------------------------------------------------
    @staticmethod
    def forward(ctx: "Function", *arrays: Any, **options: Any) -> np.ndarray:
        raise NotImplementedError("a Function subclass must define forward(ctx, *arrays)")

    @staticmethod
    def backward(ctx: "Function", grad: "Tensor") -> Any:
        raise NotImplementedError(
            f"{type(ctx).__name__} defines no backward(ctx, grad): it is not differentiable")

    # Optional: the same derivative as ``backward``, computed on bare NumPy arrays (``grad`` is
    # an ndarray, or a NumPy scalar for a 0-d output; return arrays). The ordinary backward
    # pass, which records nothing, calls it instead of ``backward`` when it is defined, and
    # skips wrapping every gradient in a Tensor; ``create_graph=True`` always uses
    # ``backward``. The built-in ops define both, and the property tests check that they agree.
    # Like ``backward`` in an ordinary backward pass, it runs with grad mode off.
    backward_arrays = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # apply makes each node as ``cls()`` (the cheapest way Python has to make an object),
        # so a node's class takes no constructor arguments and needs no setup of its own.
        for method in ("__init__", "__new__"):
            if method in cls.__dict__:
                raise TypeError(
                    f"{cls.__name__}: a Function subclass must not define {method}; apply() "
                    "makes the node (ctx) itself. Keep per-call settings as attributes of ctx, "
                    "set in forward")
        # A subclass that redefines backward must not inherit an array form of the old one.
        if "backward" in cls.__dict__ and "backward_arrays" not in cls.__dict__:
            cls.backward_arrays = None
        # The sweep on arrays leaves grad mode as it is (switching it costs more than a small
        # node's backward) and runs the user's code with it off; a user's array form is that.
        own = cls.__dict__.get("backward_arrays")
        if isinstance(own, staticmethod) and not cls.__module__.startswith(_PACKAGE):
            cls.backward_arrays = staticmethod(_without_grad(own.__func__))
        # Nor a promise about scalars made for the old forward and backward.
        if "scalar_operands" not in cls.__dict__ and (
                {"forward", "backward", "backward_arrays"} & cls.__dict__.keys()):
            cls.scalar_operands = False

    # --- graph bookkeeping ---------------------------------------------------------------------
    @classmethod
    def apply(cls, *inputs: Any, **options: Any) -> "Tensor":
        """Run the op on ``inputs`` (Tensors or constants) and record it when needed."""
        st = state
        arrays = []
        if st.grad_enabled:
            # One pass over the inputs: their arrays for forward, which need a gradient, and the
            # generation this node will have.
            needs = []
            generation = 0
            tapes = st.recording_tapes
            for x in inputs:
                if isinstance(x, Tensor):
                    arrays.append(x.data)
                    if x._requires_grad or (tapes and _watched(tapes, x)):
                        needs.append(True)
                        node = x.grad_fn
                        if node is not None and node.generation > generation:
                            generation = node.generation
                        continue
                else:
                    arrays.append(x)
                needs.append(False)
            needs = tuple(needs)  # a tuple of bools leaves the cycle collector
        else:
            for x in inputs:
                arrays.append(x.data if isinstance(x, Tensor) else x)
            needs = _NO_GRADS[len(inputs)] if len(inputs) < 8 else (False,) * len(inputs)
        if cls.scalar_operands:
            arrays = list(map(_scalar_operand, arrays))
        ctx = cls()
        ctx._saved = None
        ctx.needs_input_grad = needs
        try:
            data = cls.forward(ctx, *arrays, **options) if options else cls.forward(ctx, *arrays)
        except ValueError as error:
            shapes = ", ".join(str(np.shape(a)) for a in arrays)
            raise ValueError(f"{cls.__name__}: {error} (input shapes: {shapes})") from None
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        if True not in needs or data.dtype.kind not in "fc":
            return Tensor._from_op(data)
        out = attach_node(ctx, data, inputs, arrays, options, generation + 1)
        if st.anomaly_enabled:
            # Drop the two innermost frames (this method and the op wrapper calling it).
            ctx.creation_trace = "".join(traceback.format_stack()[:-2])
        if tapes:
            for tape in tapes:
                tape._record(ctx, out)
        return out

    @classmethod
    def apply_one(cls, x: Any) -> "Tensor":
        """``apply(x)`` unrolled for ops of a single operand: the hot path of the unary ops
        (relu, exp, tanh...). A GradientTape recording or a forward error goes through
        ``apply``."""
        if not isinstance(x, Tensor):
            return cls.apply(as_tensor(x))
        st = state
        plain = st.plain_recording
        if plain:
            need = x._requires_grad
        elif st.recording_tapes:
            return cls.apply(x)
        else:
            need = x._requires_grad and st.grad_enabled
        array = x.data
        ctx = cls()
        ctx._saved = None
        ctx.needs_input_grad = _ONE_NEEDS[need]
        try:
            data = cls.forward(ctx, array)
        except ValueError:
            # forward has no side effects: let apply explain the error
            return cls.apply(x)
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        if not need or data.dtype.kind not in "fc":
            return Tensor._from_op(data)
        node = x.grad_fn
        out = attach_node(ctx, data, (x,), (array,), NO_OPTIONS,
                          1 if node is None else node.generation + 1)
        if not plain and st.anomaly_enabled:
            ctx.creation_trace = "".join(traceback.format_stack()[:-2])
        return out

    def save_for_backward(self, *values: Any) -> None:
        """Keep ``values`` (arrays, typically) for backward; they are freed after backward."""
        self._saved = values

    @property
    def saved_tensors(self) -> tuple:
        """What ``save_for_backward`` kept, with each input's or the output's array turned back
        into that Tensor (so that backward stays differentiable); other values come back as
        they were saved, as constants."""
        if self._saved is _RELEASED:
            raise RuntimeError(FREED_GRAPH_MESSAGE)
        saved = self._saved or ()
        out = getattr(self, "_output", None)
        resolved = []
        for value in saved:
            if isinstance(value, np.ndarray):
                for x in self.inputs:
                    if isinstance(x, Tensor) and x.data is value:
                        value = x
                        break
                else:
                    if out is not None and out.data is value:
                        value = out
            resolved.append(value)
        return tuple(resolved)

    @property
    def saved_arrays(self) -> tuple:
        """What ``save_for_backward`` kept, as it was saved (for ``backward_arrays``)."""
        if self._saved is _RELEASED:
            raise RuntimeError(FREED_GRAPH_MESSAGE)
        return self._saved or ()

    @property
    def output(self) -> "Tensor":
        """The Tensor this node produced; available inside ``backward``."""
        out = getattr(self, "_output", None)
        if out is None:
            raise RuntimeError(f"{self.name}: ctx.output is only available inside backward()")
        return out

    @property
    def name(self) -> str:
        """The op's name as shown in errors, reprs and graph drawings, e.g. ``MulBackward``."""
        return type(self).__name__ + "Backward"

    @property
    def released(self) -> bool:
        """Whether backward has freed this node's saved arrays (without retain_graph)."""
        return self._saved is _RELEASED

    def __repr__(self) -> str:
        return f"<{self.name}>"


def attach_node(ctx: Function, data: np.ndarray, inputs: tuple, arrays: Any, options: Any,
                generation: int) -> "Tensor":
    """A new Tensor holding ``data``, with ``ctx`` (whose forward produced it, and whose
    ``needs_input_grad`` is set) as its ``grad_fn``: the one step that makes a node part of the
    graph. ``apply`` ends with it; so do the fused layers' hot paths (``linear``,
    ``cross_entropy``), which run their Function's forward themselves on arguments they have
    already checked. The caller makes sure some input needs a gradient and grad mode is on;
    GradientTapes and anomaly traces are ``apply``'s business, so those paths leave the work
    to ``apply`` when either is active."""
    out = object.__new__(Tensor)
    out.data = data
    out.grad = None
    out._requires_grad = True
    out.grad_fn = ctx
    ctx.inputs = inputs
    ctx.input_arrays = arrays
    ctx.options = options
    ctx.generation = generation
    # The node does not keep its output: that would be a reference cycle. The backward sweep,
    # which reaches every node through its output, lends it for the call.
    ctx._output = None
    return out


# Marks a node whose saved arrays backward has freed.
_RELEASED = ("released",)

_NO_GRADS = tuple((False,) * n for n in range(8))
_ONE_NEEDS = {False: (False,), True: (True,)}
# The options of a node made without any: one read-only mapping, shared.
NO_OPTIONS = MappingProxyType({})


def _scalar_operand(value: Any) -> Any:
    """What a ``scalar_operands`` op computes on: a 0-d float array as its NumPy scalar,
    anything else as it is."""
    if type(value) is np.ndarray and not value.ndim and value.dtype.kind == "f":
        return value[()]
    return value


_PACKAGE = __name__.split(".")[0] + "."


def _without_grad(backward_arrays: Any) -> Any:
    """A user's ``backward_arrays``, run with grad mode off (see ``__init_subclass__``)."""
    @functools.wraps(backward_arrays)
    def run(ctx: Function, grad: Any) -> Any:
        return call_without_grad(backward_arrays, ctx, grad)
    return run


def _watched(tapes: tuple, tensor: "Tensor") -> bool:
    for tape in tapes:
        if id(tensor) in tape._watched:
            return True
    return False


from ..tensor import Tensor, as_tensor  # noqa: E402  (Tensor and Function refer to each other)
