"""Flat buckets: many small parameters of a group updated by one call of the update rule.

A NumPy call costs about 0.2 microseconds whatever the array's size, and Adam makes about a dozen
of them per parameter. For a 0-d or bias-sized parameter that fixed cost is the whole update, so
the small parameters of a group are laid end to end: their state buffers (``exp_avg``, ...)
become views into one flat array per state key, each step copies their values and gradients
into two flat arrays, runs the rule once on those, and copies the values back. Every rule is
elementwise, so each element sees exactly the operations, in the same order, it would see
alone: the results are bit-identical to updating parameter by parameter.

``optimizer.state[p]`` stays the source of truth, with PyTorch's keys; a bucket only checks each
step, cheaply, that nothing in it was replaced (a state dict or one of its arrays, the step
count, the parameter's array) and is rebuilt from the state when something was.
"""

from __future__ import annotations

from typing import Callable, Hashable, Optional

import numpy as np

_ARRAY = object()  # stands for a param-shaped buffer in a bucket's signature


def signature(data: np.ndarray, entry: dict) -> Optional[Hashable]:
    """What parameters must share to go in one bucket: dtype, state keys, and the values of the
    state's non-array entries (the step count, a not-yet-created buffer's None). None when the
    entry holds something a bucket cannot carry (a buffer of another shape or dtype)."""
    items = []
    for key, value in entry.items():
        if isinstance(value, np.ndarray):
            if value.shape != data.shape or value.dtype != data.dtype:
                return None
            items.append((key, _ARRAY))
        else:
            items.append((key, value))
    sig = (data.dtype, tuple(items))
    try:
        hash(sig)
    except TypeError:
        return None
    return sig


class Bucket:
    """Small parameters with one signature, laid end to end.

    ``state`` stands in for a parameter's state when the rule runs: the same keys, holding the
    flat buffers and the shared scalars (``step``); after the rule, scalars it changed and
    buffers it created (amsgrad's running maximum when amsgrad is switched on mid-run) are
    handed back to every parameter's own state. ``members`` are the parameters' positions in
    the list of parameters with gradients, where their gradients are found.
    """

    def __init__(self, members: list, params: list, entries: list) -> None:
        self.params = params
        self.entries = entries
        self.dtype = params[0].data.dtype
        shapes = [p.data.shape for p in params]
        bounds = np.cumsum([0] + [int(np.prod(s)) for s in shapes]).tolist()
        self.slices = [(a, b, s) for a, b, s in zip(bounds[:-1], bounds[1:], shapes)]
        self.size = bounds[-1]
        self.values = np.empty(self.size, self.dtype)
        self.grads = np.empty(self.size, self.dtype)
        self.value_views = self._views(self.values)
        self.datas = [p.data for p in params]  # the arrays last seen, to skip shape checks
        self.state: dict = {}
        self.array_keys: list = []
        self.scalar_keys: list = []
        # Per parameter, the ids of its views, in the order of ``array_keys``: what its state
        # must still hold (the bucket holds the views, so the ids stay theirs).
        self.view_ids: list = [[] for _ in params]
        for key, value in entries[0].items():
            if isinstance(value, np.ndarray):
                flat = np.empty(self.size, self.dtype)
                views = self._views(flat)
                for entry, view in zip(entries, views):
                    view[...] = entry[key]
                self._adopt(key, flat, views)
            else:
                self.state[key] = value
                self.scalar_keys.append(key)
        # One tuple per parameter, for the loop that runs every step.
        self.slots = list(zip(members, params, entries, self.view_ids, self.value_views,
                              self._views(self.grads)))

    def _views(self, flat: np.ndarray) -> list:
        return [flat[a:b].reshape(shape) for a, b, shape in self.slices]

    def _adopt(self, key: str, flat: np.ndarray, views: list) -> None:
        """Make ``flat`` the buffer behind ``key``: each parameter's state gets its view."""
        self.state[key] = flat
        self.array_keys.append(key)
        for entry, ids, view in zip(self.entries, self.view_ids, views):
            entry[key] = view
            ids.append(id(view))

    def gather(self, grads: list, state: dict) -> bool:
        """Copy values and gradients into the flat arrays, checking on the way that every
        parameter's state and array are still the ones this bucket was built on (False if
        not: then nothing has been updated yet, and the caller rebuilds)."""
        shared = self.state
        array_keys, scalar_keys, datas = self.array_keys, self.scalar_keys, self.datas
        nkeys = len(array_keys) + len(scalar_keys)
        for k, (i, p, entry, view_ids, value, grad) in enumerate(self.slots):
            if state.get(p) is not entry or len(entry) != nkeys:
                return False
            # The entry's arrays are still the bucket's views: compared by identity, in C.
            if list(map(id, map(entry.get, array_keys))) != view_ids:
                return False
            for key in scalar_keys:
                if entry.get(key) != shared[key]:
                    return False
            data = p.data
            if data is not datas[k]:
                if data.shape != value.shape or data.dtype != value.dtype:
                    return False
                datas[k] = data
            value[...] = data
            grad[...] = grads[i]
        return True

    def scatter(self) -> None:
        """Copy the updated values back, and hand the rule's changes of state to each
        parameter's own state."""
        for p, value in zip(self.params, self.value_views):
            p.data[...] = value
        state = self.state
        fresh = len(state) != len(self.array_keys) + len(self.scalar_keys)
        for key in self.scalar_keys:
            value = state[key]
            if isinstance(value, np.ndarray):
                fresh = True
                continue
            for entry in self.entries:
                entry[key] = value
        if fresh:
            self._take_new_keys()

    def _take_new_keys(self) -> None:
        """Hand over what the rule added: a buffer (amsgrad switched on mid-run, say) becomes
        flat storage with a view in each parameter's state; anything else is copied there."""
        for key, value in list(self.state.items()):
            if key in self.array_keys:
                continue
            if isinstance(value, np.ndarray):
                if key in self.scalar_keys:  # was None until now
                    self.scalar_keys.remove(key)
                self._adopt(key, value, self._views(value))
            elif key not in self.scalar_keys:
                self.scalar_keys.append(key)
                for entry in self.entries:
                    entry[key] = value


class Plan:
    """How one group's parameters with gradients are updated: buckets of small ones, and the
    positions of those that go one by one (large, alone in their signature, or unbucketable)."""

    def __init__(self, group: dict, params: list, buckets: list, alone: list) -> None:
        self.group = group  # held, so that its id (the optimizer's key for this plan) stays its
        self.ids = list(map(id, params))
        self.params = params  # holds them, so their ids stay theirs
        self.buckets = buckets
        self.alone = alone

    def run(self, params: list, grads: list, state: dict, update: Callable,
            hypers: dict) -> bool:
        """Update the bucketed parameters; False, having changed nothing, when this plan no
        longer fits (other parameters have gradients, or some state was replaced)."""
        if list(map(id, params)) != self.ids:
            return False
        for bucket in self.buckets:
            if not bucket.gather(grads, state):
                return False
        for bucket in self.buckets:
            update(bucket.values, bucket.grads, bucket.state, hypers[bucket.dtype])
            bucket.scatter()
        return True


def build_plan(group: dict, params: list, state: dict, init_state: Callable,
               max_size: int, scalar_max: int = 0) -> Plan:
    """Bucket the parameters of at most ``max_size`` elements by signature, creating missing
    state. A bucket needs two or more parameters: one alone gains nothing from the copies.
    0-d parameters stay out of the buckets when there are at most ``scalar_max`` of them (the
    rule then has a faster form for each, on NumPy scalars)."""
    by_sig: dict = {}
    alone = []
    scalars_alone = sum(1 for p in params if not p.data.ndim) <= scalar_max
    for i, p in enumerate(params):
        if p.data.size > max_size or (scalars_alone and not p.data.ndim):
            alone.append(i)
            continue
        entry = state.get(p)
        if entry is None:
            entry = state[p] = init_state(p.data, group)
        sig = signature(p.data, entry)
        if sig is None:
            alone.append(i)
        else:
            by_sig.setdefault(sig, []).append(i)
    buckets = []
    for members in by_sig.values():
        if len(members) < 2:
            alone.extend(members)
            continue
        buckets.append(Bucket(members, [params[i] for i in members],
                              [state[params[i]] for i in members]))
    return Plan(group, params, buckets, sorted(alone))
