"""``GradientTape``: TensorFlow's way of asking for gradients, on the same engine.

Every op already records itself in the graph when an input requires grad; a tape additionally
remembers *which* nodes were created inside its ``with`` block. ``gradient`` then walks only
those nodes, so, as in TensorFlow, anything computed before the block is a constant to the tape.
"""

from __future__ import annotations

import weakref
from typing import Any, Optional, Sequence, Union

import numpy as np

from .autograd.engine import run_backward
from .autograd.grad_mode import state
from .tensor import Tensor

Structure = Union[Tensor, Sequence[Any], dict]


class GradientTape:
    """Record the ops run inside ``with GradientTape() as tape:`` to differentiate them later.

    Args:
        persistent: allow several ``gradient`` calls (the default allows one, then frees the
            recorded graph).
        watch_accessed_variables: watch every tensor with ``requires_grad=True`` that the block
            uses (TensorFlow's trainable variables). When False, only ``tape.watch(t)`` counts.

    Example (the seed workflow)::

        x = Tensor(random(), requires_grad=True)
        y = Tensor(random(), requires_grad=True)
        with GradientTape() as tape:
            y1 = x + y - 16
            y2 = 10 * x + 25 * y - 250
            loss = y1 * y1 + y2 * y2
        dx, dy = tape.gradient(loss, [x, y])
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True) -> None:
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self._watched: dict = {}          # id -> tensor (held, so that ids stay unique)
        self._nodes: list = []            # the nodes recorded inside the block, in order
        self._outputs: list = []          # (weak reference, shape) of each node's output
        self._recorded_ids: set = set()
        self._recording = False
        self._used = False

    # --- recording -----------------------------------------------------------------------------
    def __enter__(self) -> "GradientTape":
        if self._recording:
            raise RuntimeError("GradientTape: this tape is already recording; enter it once")
        self._recording = True
        state.set("recording_tapes", state.recording_tapes + (self,))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop()

    def _stop(self) -> None:
        self._recording = False
        state.set("recording_tapes", tuple(t for t in state.recording_tapes if t is not self))

    def _record(self, node: Any, output: Tensor) -> None:
        self._nodes.append(node)
        self._recorded_ids.add(id(node))
        # For draw_graph: the tape does not keep the output, only what a drawing needs of it.
        self._outputs.append((weakref.ref(output), output.shape))

    def watch(self, tensor: Union[Tensor, Sequence[Tensor]]) -> None:
        """Differentiate with respect to ``tensor`` even though it does not require grad
        (TensorFlow's ``tape.watch`` for constants)."""
        for t in ([tensor] if isinstance(tensor, Tensor) else tensor):
            if not isinstance(t, Tensor):
                raise TypeError(f"GradientTape.watch: expected Tensors, got {type(t).__name__}")
            if t.dtype.kind != "f":
                raise TypeError(f"GradientTape.watch: only float tensors can be watched, got "
                                f"dtype {t.dtype}")
            self._watched[id(t)] = t

    def watched_variables(self) -> list:
        """The tensors this tape differentiates with respect to, in the order first seen."""
        seen: dict = dict(self._watched)
        if self.watch_accessed_variables:
            for node in self._nodes:
                for x in node.inputs:
                    if isinstance(x, Tensor) and x.is_leaf and x.requires_grad:
                        seen.setdefault(id(x), x)
        return list(seen.values())

    class _StopRecording:
        def __init__(self, tape: "GradientTape") -> None:
            self._tape = tape

        def __enter__(self) -> None:
            if not self._tape._recording:
                raise RuntimeError("GradientTape.stop_recording: the tape is not recording")
            self._tape._stop()

        def __exit__(self, *exc: object) -> None:
            self._tape.__enter__()

    def stop_recording(self) -> "_StopRecording":
        """``with tape.stop_recording():`` runs ops the tape does not record."""
        return GradientTape._StopRecording(self)

    def reset(self) -> None:
        """Forget everything recorded so far (the tape keeps recording if inside its block)."""
        self._nodes.clear()
        self._outputs.clear()
        self._recorded_ids.clear()
        self._watched.clear()
        self._used = False

    # --- drawing -------------------------------------------------------------------------------
    def draw_graph(self, target: Optional[Tensor] = None, **kwargs: Any) -> Any:
        """Draw the recorded ops as a ``graphviz.Digraph`` (see ``tinygrad_edu.viz.draw_graph``,
        whose keyword arguments this takes).

        With ``target``, the graph of ``target`` as this tape sees it (values computed outside
        the block are leaves); without, every op recorded in the block, with whatever nothing
        else consumes drawn as outputs. A non-persistent tape forgets its ops in ``gradient()``:
        draw before that, or use ``GradientTape(persistent=True)``.
        """
        from .viz.draw import _draw, _root_list

        options = dict(params=None, show_values=False, show_grads=False, rankdir="TB",
                       max_nodes=500)
        unknown = set(kwargs) - set(options)
        if unknown:
            raise TypeError(f"GradientTape.draw_graph: unexpected keyword argument(s) "
                            f"{sorted(unknown)}; accepted: {sorted(options)}")
        options.update(kwargs)
        if not self._nodes:
            raise ValueError(
                "GradientTape.draw_graph: this tape holds no recorded ops. Ops are recorded "
                "inside `with tape:` when an input requires grad or is watched, and a "
                "non-persistent tape forgets them in gradient(): draw before calling gradient(), "
                "or create the tape with GradientTape(persistent=True)")
        if target is not None:
            roots, nodes = _root_list((target,)), []
        else:
            roots = []
            nodes = [(node, ref, shape) for node, (ref, shape) in zip(self._nodes, self._outputs)]
        return _draw(roots, nodes=nodes, recorded=set(self._recorded_ids),
                     sources=set(self._watched), **options)

    # --- differentiating ----------------------------------------------------------------------
    def gradient(self, target: Union[Tensor, Sequence[Tensor]], sources: Structure,
                 output_gradients: Optional[Any] = None) -> Any:
        """d(target)/d(source) for each source, in the structure of ``sources``.

        ``target`` may be a list (its gradients are summed). A source the target does not
        depend on through recorded ops gets None. Inside another tape's block, the computation
        is itself recorded, so nested tapes give second derivatives.
        """
        if self._used and not self.persistent:
            raise RuntimeError(
                "GradientTape.gradient can only be called once on a non-persistent tape; create "
                "the tape with GradientTape(persistent=True) to call it several times")
        flat_sources = _flatten(sources)
        for s in flat_sources:
            if not isinstance(s, Tensor):
                raise TypeError(f"GradientTape.gradient: sources must be Tensors, got "
                                f"{type(s).__name__}")
        targets = [target] if isinstance(target, Tensor) else list(target)
        if output_gradients is None:
            seeds = [Tensor._from_op(np.ones_like(t.data)) for t in targets]
        else:
            given = [output_gradients] if isinstance(target, Tensor) else list(output_gradients)
            seeds = []
            for t, g in zip(targets, given):
                g = g if isinstance(g, Tensor) else Tensor(np.asarray(g, dtype=t.dtype))
                if g.shape != t.shape:
                    raise ValueError(f"GradientTape.gradient: output_gradients of shape {g.shape} "
                                     f"does not match the target's shape {t.shape}")
                seeds.append(g)
        self._used = True
        # Recorded by an enclosing tape (or called inside this very block): build a graph of
        # the backward pass so that it can be differentiated again.
        create_graph = bool(state.recording_tapes) and state.grad_enabled
        grads = run_backward(targets, seeds, retain_graph=self.persistent or create_graph,
                             create_graph=create_graph, sources=flat_sources,
                             recorded=self._recorded_ids)
        grads = [g if self._is_watched(s) else None for s, g in zip(flat_sources, grads)]
        if not self.persistent:
            self._nodes.clear()
            self._outputs.clear()
            self._recorded_ids.clear()
        return _unflatten(sources, grads)

    def _is_watched(self, source: Tensor) -> bool:
        if id(source) in self._watched:
            return True
        # A variable, or a result computed inside the block from watched tensors.
        return (self.watch_accessed_variables and source.requires_grad) or \
            id(source.grad_fn) in self._recorded_ids

    def jacobian(self, target: Tensor, source: Tensor) -> Optional[Tensor]:
        """d(target[i...])/d(source[j...]) as a tensor of shape target.shape + source.shape
        (needs ``persistent=True``, since it runs one backward pass per target element)."""
        if not self.persistent:
            raise RuntimeError("GradientTape.jacobian needs GradientTape(persistent=True)")
        rows = []
        for i in range(target.size):
            seed = np.zeros(target.size, dtype=target.dtype)
            seed[i] = 1
            g = self.gradient(target, source, output_gradients=seed.reshape(target.shape))
            if g is None:
                return None
            rows.append(g.data)
        return Tensor(np.stack(rows).reshape(target.shape + source.shape))


def _flatten(structure: Structure) -> list:
    if isinstance(structure, Tensor):
        return [structure]
    if isinstance(structure, dict):
        return [v for value in structure.values() for v in _flatten(value)]
    return [v for item in structure for v in _flatten(item)]


def _unflatten(structure: Structure, flat: list) -> Any:
    it = iter(flat)

    def build(s: Any) -> Any:
        if isinstance(s, Tensor):
            return next(it)
        if isinstance(s, dict):
            return {k: build(v) for k, v in s.items()}
        return type(s)(build(v) for v in s) if isinstance(s, tuple) else [build(v) for v in s]

    return build(structure)
