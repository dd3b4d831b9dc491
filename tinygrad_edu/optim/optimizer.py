"""``Optimizer``: parameter groups, per-parameter state, and the loop that feeds each update rule.

An optimizer only ever touches ``param.data`` (in place, with NumPy), never the graph: an update
is not something to differentiate. Subclasses write one method, ``_update``, for one parameter;
``step`` (gradients in ``.grad``) and ``apply_gradients`` (gradients handed over, as from a
``GradientTape``) both go through it, so the two workflows share one update rule. (``SGD``
alone also writes its textbook step inline, in its direct loop; it is tested bit for bit against
``_update``.)

Speed for many small parameters comes from two things done once per group instead of once per
parameter: ``_hyper`` turns the group's hyperparameters into 0-d arrays of the parameters' dtype
(multiplying a float32 array by one costs half as much as by a Python float, and a NumPy float64
scalar would cost twice as much again), cached while the hyperparameters do not change; and the
small parameters of a group run through the rule together, as one flat vector (see ``_flat``).
"""

from __future__ import annotations

import copy
import operator
from typing import Any, Callable, Iterable, Optional, Union

import numpy as np

from ..autograd.grad_mode import enable_grad
from ..tensor import Tensor
from ._common import Scratch
from ._flat import build_plan

ParamsLike = Union[Iterable[Tensor], Iterable[dict], None]


class _Required:
    """Marks a hyperparameter without a default, which each group must then give."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


class Optimizer:
    """Base class of all optimizers, with PyTorch's interface.

    Args:
        params: an iterable of Tensors, or of dicts that each hold ``"params"`` (Tensors) and
            hyperparameters overriding ``defaults`` for that group. ``None`` starts with no
            parameters, for the Keras-style workflow in which ``apply_gradients`` registers each
            variable the first time it sees it.
        defaults: the hyperparameters of every group that does not set its own.
    """

    # Whether the small parameters of a group run through the rule together, laid end to end
    # (see ``_flat``). Only for an elementwise rule (not one using a per-tensor norm, say), and
    # only worth it for a rule of many NumPy calls: the copies in and out cost about three.
    _flatten = False
    # Parameters with at most this many elements share flat buckets. Above it the three extra
    # copies (value in, gradient in, value out) cost more than the calls they save: for Adam on
    # four float32 parameters the two ways are even at 4,096 elements each; at 100 elements the
    # buckets take 11 us a step against 16, at 65,536 they take 690 us against 425.
    _flat_max_size = 4096
    # For a rule whose ``_update`` has a form for 0-d parameters on NumPy scalars (Adam's
    # ``_update_scalar``): a group's 0-d parameters, when there are at most this many of them
    # (an equation's few unknowns), are updated one by one in that form rather than bucketed.
    # At two parameters that takes Adam's step from about 11 to 6.5 us; past a dozen or so the
    # bucket's one pass over all of them wins. 0: no scalar form.
    _scalar_max = 0

    def __init__(self, params: ParamsLike, defaults: dict) -> None:
        self.defaults = dict(defaults)
        self.param_groups: list = []
        # State per parameter; Tensors hash by identity, so the tensor itself is the key.
        self.state: dict = {}
        self._hyper_cache: dict = {}  # id(group) -> (group, hyperparameter values, {dtype: h})
        # Reads a group's hyperparameters as one tuple, in C ("lr" first: every optimizer has
        # it, and with two or more keys an itemgetter always returns a tuple).
        self._hyper_values = operator.itemgetter("lr", *self.defaults)
        self._plans: dict = {}  # id(group) -> Plan of its small parameters
        self._scratch = Scratch()   # each update's param-sized temporary, allocated once
        if params is None:
            return
        if isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of Tensors or of "
                            "dicts, got a single Tensor; wrap it in a list: [param]")
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list; pass "
                             "model.parameters() or a list of Tensors")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # --- parameter groups ----------------------------------------------------------------------
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters (e.g. newly unfrozen layers) with its own hyperparameters."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}.add_param_group: expected a dict, got "
                            f"{type(param_group).__name__}")
        params = param_group.get("params")
        params = [params] if isinstance(params, Tensor) else list(params or [])
        for p in params:
            _check_param(p, name)
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{name}: a parameter group contains the same tensor twice")
        group = {"params": params}
        for key, default in self.defaults.items():
            value = param_group.get(key, default)
            if value is required:
                raise TypeError(f"{name}: {key} is required; pass it to the optimizer, e.g. "
                                f"{name}(params, {key}=0.1), or set it in each group's dict")
            group[key] = value
        for key, value in param_group.items():
            group.setdefault(key, value)
        self._validate(group)
        known = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in known for p in params):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def _validate(self, group: dict) -> None:
        """Raise ValueError for hyperparameters outside their domain (each optimizer checks its
        own); called for every group added."""
        _check_nonneg(type(self).__name__, group, "lr")

    # --- the two workflows ---------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of every parameter.

        ``set_to_none=True`` (the default, as in PyTorch) drops them, so the next backward
        allocates fresh ones and ``step`` skips parameters that get none; ``False`` fills the
        existing gradient arrays with zeros.
        """
        if set_to_none:   # the common case, one store per parameter
            for group in self.param_groups:
                for p in group["params"]:
                    p.grad = None
            return
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.grad_fn is not None:  # a gradient with a graph (create_graph)
                    p.grad = Tensor(np.zeros_like(p.grad.data))
                else:
                    p.grad.data[...] = 0

    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
        """Update every parameter that has a gradient; parameters whose ``.grad`` is None are
        skipped. ``closure`` (optional) re-evaluates the model and returns the loss, which
        ``step`` returns."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._step_grads(group)
        return loss

    def _step_grads(self, group: dict) -> None:
        """Update the parameters of ``group`` that have a gradient, from their ``.grad``.
        (``SGD`` replaces this with a direct loop: for a rule of two NumPy calls the lists
        made here would be a good part of the cost.)"""
        params = [p for p in group["params"] if p.grad is not None]
        if params:
            self._step_group(group, params, [p.grad.data for p in params])

    def apply_gradients(self, grads_and_vars: Iterable[tuple]) -> None:
        """Apply given gradients to their variables, as Keras' ``optimizer.apply_gradients``.

        ``grads_and_vars`` is an iterable of ``(gradient, variable)`` pairs, typically
        ``zip(tape.gradient(loss, variables), variables)``; pairs whose gradient is None are
        skipped. A variable not yet in any group joins the first group (created from the
        defaults if there is none), so ``SGD(None, lr=0.1)`` works without listing variables.
        """
        name = type(self).__name__
        group_of = {id(p): g for g in self.param_groups for p in g["params"]}
        # Updates are collected per group and run group by group, as in ``step``; a variable
        # given twice is updated twice, in order, so a repeat first flushes what was collected.
        pending: dict = {}
        for pair in grads_and_vars:
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise TypeError(f"{name}.apply_gradients expects (gradient, variable) pairs, e.g. "
                                f"zip(grads, variables); got {type(pair).__name__} {pair!r}")
            grad, var = pair
            if grad is None:
                continue
            group = group_of.get(id(var))
            if group is None:
                _check_param(var, name)
                if not self.param_groups:
                    self.add_param_group({"params": [var]})
                    group = self.param_groups[0]
                else:
                    group = self.param_groups[0]
                    group["params"].append(var)
                group_of[id(var)] = group
            g = grad.data if isinstance(grad, Tensor) else np.asarray(grad)
            if g.shape != var.shape:
                raise ValueError(f"{name}.apply_gradients: gradient of shape {g.shape} for a "
                                 f"variable of shape {var.shape}; they must match")
            batch = pending.setdefault(id(group), (group, {}))[1]
            if id(var) in batch:
                self._flush(pending)
                batch = pending.setdefault(id(group), (group, {}))[1]
            batch[id(var)] = (var, g)
        self._flush(pending)

    def _flush(self, pending: dict) -> None:
        for group in self.param_groups:  # in group order, like step
            entry = pending.get(id(group))
            if entry is not None:
                pairs = list(entry[1].values())
                self._step_group(group, [v for v, _ in pairs], [g for _, g in pairs])
        pending.clear()

    def _step_group(self, group: dict, params: list, grads: list) -> None:
        """Update ``params`` (all in ``group``, all with gradients) from ``grads``: the small
        ones through the group's flat buckets when the optimizer flattens, the rest one by
        one."""
        hypers = self._hypers(group)
        alone = range(len(params))
        if self._flatten and len(params) > 1:
            plan = self._plans.get(id(group))
            if plan is None or not plan.run(params, grads, self.state, self._update, hypers):
                plan = self._plans[id(group)] = build_plan(
                    group, params, self.state, self._init_state, self._flat_max_size,
                    self._scalar_max)
                plan.run(params, grads, self.state, self._update, hypers)
            alone = plan.alone
        for i in alone:
            self._update_param(params[i], grads[i], group, hypers)

    def _update_param(self, p: Tensor, grad: np.ndarray, group: dict, hypers: dict) -> None:
        data = p.data
        if grad.dtype is not data.dtype and grad.dtype != data.dtype:
            grad = grad.astype(data.dtype)
        state = self.state.get(p)
        if state is None:
            state = self.state[p] = self._init_state(data, group)
        self._update(data, grad, state, hypers[data.dtype])

    def _hypers(self, group: dict) -> dict:
        """``{dtype: _hyper(group, dtype)}``, filled on demand and kept until one of the
        group's hyperparameters changes (a scheduler setting ``lr``, say)."""
        values = self._hyper_values(group)
        cached = self._hyper_cache.get(id(group))
        if cached is None or cached[1] != values:  # (cached[0] holds the group: its id stays)
            # Lists are snapshot as tuples: a list value then never compares equal, so a change
            # made inside it (betas[0] = ...) cannot go unseen; tuples, as usual, cost nothing.
            snapshot = tuple(tuple(v) if isinstance(v, list) else v for v in values)
            cached = (group, snapshot, _HyperByDtype(self._hyper, group))
            self._hyper_cache[id(group)] = cached
        return cached[2]

    # --- what each optimizer defines -----------------------------------------------------------
    def _init_state(self, param: np.ndarray, group: dict) -> dict:
        """The state of a parameter before its first update (buffers in the param's dtype)."""
        return {"step": 0}

    def _hyper(self, group: dict, dtype: np.dtype) -> Any:
        """What ``_update`` receives as ``hyper``: by default the group itself; optimizers
        override it to convert the hyperparameters once per group instead of once per
        parameter and step."""
        return group

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, hyper: Any) -> None:
        """Update ``param`` in place from ``grad`` (which must not be modified: it is the
        caller's ``.grad``) and advance ``state``. With ``_flatten`` set, ``param``,
        ``grad`` and the arrays in ``state`` may be flat vectors holding many parameters."""
        raise NotImplementedError(f"{type(self).__name__} must define _update")

    # --- saving and resuming -------------------------------------------------------------------
    def state_dict(self) -> dict:
        """A snapshot to resume training exactly: ``{"state": {index: {...}}, "param_groups":
        [...]}``, parameters numbered in group order, arrays copied."""
        index: dict = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {index[id(p)]: _copy_state(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyperparameters and per-parameter state saved by ``state_dict`` (copied, and
        cast to each parameter's dtype). The groups must hold as many parameters as when saved."""
        name = type(self).__name__
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the saved state has {len(saved_groups)} "
                             f"parameter groups, this optimizer has {len(self.param_groups)}")
        by_index: dict = {}
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{name}.load_state_dict: group {i} was saved with "
                                 f"{len(saved['params'])} parameters but has "
                                 f"{len(group['params'])}")
            by_index.update(zip(saved["params"], group["params"]))
        new_state: dict = {}
        for key, saved in state_dict["state"].items():
            p = by_index.get(int(key))
            if p is None:
                raise ValueError(f"{name}.load_state_dict: state for parameter {key}, which no "
                                 "group lists")
            entry = {}
            for k, v in saved.items():
                if isinstance(v, np.ndarray):
                    if v.shape != p.shape:
                        raise ValueError(f"{name}.load_state_dict: state {k!r} of parameter {key}"
                                         f" has shape {v.shape}, the parameter {p.shape}")
                    v = v.astype(p.dtype, copy=True)
                entry[k] = copy.deepcopy(v)
            new_state[p] = entry
        for saved, group in zip(saved_groups, self.param_groups):
            for k, v in saved.items():
                if k != "params":
                    group[k] = copy.deepcopy(v)
        self.state = new_state
        self._plans.clear()

    def __getstate__(self) -> dict:
        # Buckets rely on their state arrays being views of their flat buffers, which copying
        # or pickling does not preserve: drop them, and they are rebuilt at the next step.
        state = self.__dict__.copy()
        state["_plans"] = {}
        state["_hyper_cache"] = {}
        state["_scratch"] = Scratch()   # contents are garbage: nothing to carry over
        return state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(group):
                if k != "params":
                    lines.append(f"    {k}: {group[k]}")
        return "\n".join(lines + [")"])


class _HyperByDtype(dict):
    """``_hyper(group, dtype)`` by dtype, made the first time a dtype is asked for."""

    def __init__(self, make: Callable, group: dict) -> None:
        super().__init__()
        self.make, self.group = make, group

    def __missing__(self, dtype: np.dtype) -> Any:
        hyper = self[dtype] = self.make(self.group, dtype)
        return hyper


def _copy_state(state: dict) -> dict:
    return {k: (v.copy() if isinstance(v, np.ndarray) else copy.deepcopy(v))
            for k, v in state.items()}


def _check_param(p: Any, optimizer: str) -> None:
    if not isinstance(p, Tensor):
        raise TypeError(f"{optimizer} can only optimize Tensors, but one of the params is "
                        f"{type(p).__name__}")
    if not p.is_leaf:
        raise ValueError(f"{optimizer}: can't optimize a non-leaf Tensor (one computed by "
                         f"{p.grad_fn.name}); optimize the leaf it came from, or .detach() it "
                         "and set requires_grad=True")
    if p.dtype.kind != "f":
        raise TypeError(f"{optimizer}: can only optimize floating-point Tensors, got dtype "
                        f"{p.dtype}")


def _check_nonneg(optimizer: str, group: dict, *keys: str) -> None:
    for key in keys:
        value = group[key]
        if not isinstance(value, (int, float, np.floating, np.integer)) or isinstance(value, bool):
            raise TypeError(f"{optimizer}: {key} must be a number, got {value!r}")
        if not value >= 0:  # also catches NaN
            raise ValueError(f"{optimizer}: invalid {key} {value!r}; it must be >= 0")


def _check_unit(optimizer: str, key: str, value: float) -> None:
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{optimizer}: invalid {key} {value!r}; it must be in [0, 1)")
