"""``Module``: the base class of layers and models.

A Module finds its parameters the way PyTorch's does: assigning a ``Parameter`` or a ``Module`` to
an attribute registers it (in ``_parameters`` / ``_modules``), so ``parameters()``,
``state_dict()`` and ``train()`` reach everything without the model listing it by hand. Names
are dotted paths of attributes (``fc1.weight``), which is what state dicts are keyed by.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Iterator, List, Mapping, NamedTuple, Optional, Tuple

import numpy as np

from ..autograd.grad_mode import no_grad
from ..tensor import DTypeLike, Tensor
from ..utils import RemovableHandle
from .parameter import Parameter


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` skipped: keys the model has that the state dict
    lacks, and keys the state dict has that the model lacks."""

    missing_keys: List[str]
    unexpected_keys: List[str]


class Module:
    """Base class of every layer and model: subclass it, assign layers and Parameters in
    ``__init__``, and compute the output in ``forward``; call the module, not ``forward``.

    Example::

        class MLP(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(784, 50)
                self.fc2 = nn.Linear(50, 10)

            def forward(self, x):
                return self.fc2(F.relu(self.fc1(x)))
    """

    training: bool

    def __init__(self) -> None:
        # object.__setattr__ skips our own __setattr__, which needs these dicts to exist. Plain
        # dicts (ordered, as every dict is): iterating an OrderedDict's values looks each one up
        # again, and Sequential does that for every step.
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_forward_hooks", {})

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Called for every layer of every step: without hooks, nothing but the forward call.
        if self._forward_hooks:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs) if kwargs else self.forward(*args)

    def _call_with_hooks(self, args: tuple, kwargs: dict) -> Any:
        out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            replaced = hook(self, args, out)
            if replaced is not None:
                out = replaced
        return out

    def register_forward_hook(self, hook: Callable[["Module", tuple, Any], Any]
                              ) -> RemovableHandle:
        """Call ``hook(module, inputs, output)`` after every forward; a value it returns
        replaces the output. Returns a handle whose ``remove()`` unregisters it."""
        return RemovableHandle(self._forward_hooks, hook)

    # --- registration --------------------------------------------------------------------------
    def _check_initialized(self, name: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() is called; call "
                "super().__init__() first in your module's __init__")

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Parameter):
            self._check_initialized(name)
            self._forget(name, keep=self._parameters)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._check_initialized(name)
            self._forget(name, keep=self._modules)
            self._modules[name] = value
        elif "_parameters" in self.__dict__ and name in self._parameters:
            if value is not None:
                raise TypeError(f"cannot assign a {type(value).__name__} to parameter {name!r}; "
                                "assign an nn.Parameter (or None)")
            self._parameters[name] = None
        elif "_modules" in self.__dict__ and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign a {type(value).__name__} to submodule {name!r}; "
                                "assign a Module (or None)")
            self._modules[name] = None
        elif "_buffers" in self.__dict__ and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign a {type(value).__name__} to buffer {name!r}; "
                                "assign a Tensor (or None)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, keep: Optional[dict] = None) -> None:
        """Remove ``name`` wherever it is registered except in ``keep`` (where it is about to be
        replaced in place, keeping its position), so one name lives in one place only."""
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        self._non_persistent.discard(name)

    def __getattr__(self, name: str) -> Any:
        # Called only when normal lookup fails: registered things live in the three dicts.
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in d and name in d[registry]:
                return d[registry][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list:
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    def register_parameter(self, name: str, param: Optional[Parameter]) -> None:
        """Register ``param`` under ``name`` (None reserves the name, e.g. a bias switched off)."""
        self._check_name(name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be an nn.Parameter or None, got "
                            f"{type(param).__name__}; wrap it: nn.Parameter(tensor)")
        self._forget(name, keep=self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Optional[Tensor],
                        persistent: bool = True) -> None:
        """Register a tensor that is state but not learned (BatchNorm's running mean): it is in
        ``state_dict`` (unless ``persistent=False``) and follows ``to(dtype)``, but gets no
        gradient and is not given to optimizers."""
        self._check_name(name)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: {name!r} must be a Tensor or None, got "
                            f"{type(tensor).__name__}")
        self._forget(name, keep=self._buffers)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Optional["Module"]) -> None:
        """Register ``module`` as a submodule called ``name``."""
        self._check_name(name)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module, got {type(module).__name__}")
        self._forget(name, keep=self._modules)
        self._modules[name] = module

    def _check_name(self, name: str) -> None:
        self._check_initialized(name)
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"{type(self).__name__}: invalid name {name!r}; names are non-empty "
                           "strings without '.' (dots separate the levels of state-dict keys)")

    # --- traversal -----------------------------------------------------------------------------
    def named_modules(self, prefix: str = "", memo: Optional[set] = None
                      ) -> Iterator[Tuple[str, "Module"]]:
        """This module and all below it, each once, with dotted names ('' for this one), in
        depth-first order (a loop with an explicit stack: no recursion limit on deep models)."""
        memo = set() if memo is None else memo
        found = []
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in memo:
                continue
            memo.add(id(module))
            found.append((name, module))
            children = [(f"{name}.{child_name}" if name else child_name, child)
                        for child_name, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))
        return iter(found)

    def modules(self) -> Iterator["Module"]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[Tuple[str, "Module"]]:
        """The direct submodules, with their attribute names."""
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator["Module"]:
        for _, child in self.named_children():
            yield child

    def _named_members(self, registry: str, prefix: str, recurse: bool
                       ) -> Iterator[Tuple[str, Tensor]]:
        seen = set()
        found = []
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))  # a parameter shared by two layers is listed once
                found.append((f"{module_prefix}.{name}" if module_prefix else name, value))
        return iter(found)

    def named_parameters(self, prefix: str = "", recurse: bool = True
                         ) -> Iterator[Tuple[str, Parameter]]:
        """Every parameter with its dotted name (``fc1.weight``), shared ones once."""
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter, in registration order: what an optimizer is given."""
        # The order and deduplication of named_parameters, without building the names.
        modules = self._module_list() if recurse else [self]
        seen = set()
        found = []
        for module in modules:
            for param in module._parameters.values():
                if param is not None and id(param) not in seen:
                    seen.add(id(param))
                    found.append(param)
        return iter(found)

    def _module_list(self) -> List["Module"]:
        """The modules of ``named_modules``, in the same order, without their names."""
        memo, found, stack = set(), [], [self]
        while stack:
            module = stack.pop()
            if id(module) in memo:
                continue
            memo.add(id(module))
            found.append(module)
            stack.extend(child for child in reversed(module._modules.values())
                         if child is not None)
        return found

    def named_buffers(self, prefix: str = "", recurse: bool = True
                      ) -> Iterator[Tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self, fn: Callable[["Module"], None]) -> "Module":
        """Call ``fn`` on every submodule (children first) and on this module; returns self.
        E.g. ``model.apply(init_weights)``."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # --- modes and gradients -------------------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        """Training mode (Dropout drops, BatchNorm uses batch statistics) for this module and
        every submodule; returns self."""
        if not isinstance(mode, bool):
            raise TypeError(f"train: mode must be a bool, got {type(mode).__name__}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> "Module":
        """Evaluation mode, i.e. ``train(False)``; returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Freeze (False) or unfreeze every parameter; returns self."""
        for param in self.parameters():
            param.requires_grad = requires_grad
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient: to None (the default, as PyTorch; saves memory and
        time), or to zeros in place with ``set_to_none=False``."""
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                if param.grad.grad_fn is not None:
                    param.grad = param.grad.detach()
                param.grad.data[...] = 0

    def to(self, dtype: DTypeLike) -> "Module":
        """Cast every floating-point parameter and buffer to ``dtype`` in place (the Parameter
        objects stay the same, so an optimizer made earlier still holds them); returns self."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Module.to: dtype must be floating point, got {dtype}")
        for tensor in list(self.parameters()) + list(self.buffers()):
            if tensor.data.dtype.kind == "f" and tensor.data.dtype != dtype:
                tensor.data = tensor.data.astype(dtype)
                if tensor.grad is not None:
                    tensor.grad = Tensor(tensor.grad.data.astype(dtype))
        return self

    def double(self) -> "Module":
        """Cast to float64, e.g. to check gradients numerically."""
        return self.to(np.float64)

    def float(self) -> "Module":
        """Cast to float32."""
        return self.to(np.float32)

    # --- state dicts ---------------------------------------------------------------------------
    def state_dict(self, prefix: str = "") -> "OrderedDict[str, Tensor]":
        """Every parameter and persistent buffer by dotted name, as detached tensors that share
        memory with the model (copy them if you need a snapshot)."""
        state: "OrderedDict[str, Tensor]" = OrderedDict()
        for module_prefix, module in self.named_modules(prefix):
            dot = f"{module_prefix}." if module_prefix else ""
            for name, param in module._parameters.items():
                if param is not None:
                    state[dot + name] = param.detach()
            for name, buffer in module._buffers.items():
                if buffer is not None and name not in module._non_persistent:
                    state[dot + name] = buffer.detach()
        return state

    def _state_targets(self) -> "OrderedDict[str, Tensor]":
        """The tensors ``state_dict`` reads, themselves (not detached), for loading into."""
        targets: "OrderedDict[str, Tensor]" = OrderedDict()
        for module_prefix, module in self.named_modules():
            dot = f"{module_prefix}." if module_prefix else ""
            for name, param in module._parameters.items():
                if param is not None:
                    targets.setdefault(dot + name, param)
            for name, buffer in module._buffers.items():
                if buffer is not None and name not in module._non_persistent:
                    targets.setdefault(dot + name, buffer)
        return targets

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True
                        ) -> IncompatibleKeys:
        """Copy values from ``state_dict`` into this model's parameters and buffers, in place.

        Everything is checked before anything is changed: with ``strict=True`` keys the model
        has but ``state_dict`` lacks (missing) and keys it has that the model lacks
        (unexpected) are errors, and a shape or dtype-kind mismatch is always one. All problems
        are listed in one error, and the model is then left exactly as it was. Values may be
        Tensors, ndarrays or nested lists. Returns the missing and unexpected keys.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict: expected a mapping of names to tensors, got "
                            f"{type(state_dict).__name__}")
        targets = self._state_targets()
        missing = [key for key in targets if key not in state_dict]
        unexpected = [key for key in state_dict if key not in targets]
        problems: List[str] = []
        updates: List[Tuple[Tensor, np.ndarray]] = []
        for key, target in targets.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            try:
                array = np.asarray(value.data if isinstance(value, Tensor) else value)
            except Exception as error:  # noqa: BLE001 - reported with the key below
                problems.append(f"  {key}: cannot be read as an array ({error})")
                continue
            if array.shape != target.data.shape:
                problems.append(f"  {key}: shape {array.shape} in the state dict, "
                                f"{target.data.shape} in the model")
            elif not np.can_cast(array.dtype, target.data.dtype, casting="same_kind"):
                problems.append(f"  {key}: dtype {array.dtype} in the state dict cannot be "
                                f"stored in the model's {target.data.dtype}")
            else:
                updates.append((target, array))
        if strict:
            problems += [f"  missing key: {key}" for key in missing]
            problems += [f"  unexpected key: {key}" for key in unexpected]
        if problems:
            raise RuntimeError(
                f"load_state_dict: the state dict does not fit {type(self).__name__}; nothing "
                f"was loaded:\n" + "\n".join(problems) +
                ("\n(pass strict=False to load only the matching keys)"
                 if strict and (missing or unexpected) else ""))
        with no_grad():
            for target, array in updates:
                np.copyto(target.data, array, casting="same_kind")
        return IncompatibleKeys(missing, unexpected)

    # --- display -------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The settings shown between the parentheses of this module's repr line."""
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, child in self._modules.items():
            text = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {text}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        if extra:
            lines.insert(0, "  " + extra.replace("\n", "\n  "))
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"

    def num_parameters(self, trainable_only: bool = False) -> int:
        """The number of scalar parameters (shared ones counted once)."""
        return sum(p.size for p in self.parameters() if p.requires_grad or not trainable_only)

    def summary(self, input_shape: Tuple[int, ...], dtype: DTypeLike = np.float32,
                print_table: bool = True) -> str:
        """Run one forward pass on zeros of ``input_shape`` (batch axis included) and tabulate
        every submodule's output shape and parameter count, in call order.

        The pass runs in eval mode under ``no_grad``, so BatchNorm's running statistics are not
        touched; each module's mode is restored afterwards. Returns the table (and prints it
        unless ``print_table=False``).
        """
        from .summary import summarize
        text = summarize(self, tuple(input_shape), np.dtype(dtype))
        if print_table:
            print(text)
        return text
